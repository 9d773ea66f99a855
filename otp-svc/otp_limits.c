/* otp_limits: fixed one-hour windows that start at their first send. An IPv6 client
 * counts under its /64 (cmn_ipkey). */
#include "otp_limits.h"

#include <stdio.h>
#include <string.h>

#include "cmn_db.h"
#include "cmn_ipkey.h"
#include "proto/dvcid.pb-c.h"
#include "proto/store.pb-c.h"

#define S_HOUR_MS 3600000u

typedef struct {
    char key[96];
    int max;
} s_window_t;

/* The per-phone key of a purpose: sign-in codes keep "p:" + phone; every other
 * purpose has its own window ("p<purpose>:"), so codes that someone else can make a
 * phone receive (registrations, password resets and their decoys, phone changes and
 * added phones name any number) never use up that phone's sign-in sends. */
static void s_phone_key(char *key, size_t len, char kind, int purpose, const char *phone) {
    if (purpose == DVCID__PURPOSE__PURPOSE_LOGIN)
        snprintf(key, len, "%c:%s", kind, phone);
    else
        snprintf(key, len, "%c%d:%s", kind, purpose, phone);
}

/* The three windows one send counts in; returns how many were filled. */
static int s_windows(const cmn_config_t *cfg, int purpose, const char *phone, const char *ip,
                     s_window_t w[3]) {
    int n = 0;
    s_phone_key(w[n].key, sizeof(w[n].key), 'p', purpose, phone);
    w[n++].max = cfg->otp_max_sends_per_phone_hour;
    size_t len = strlen(phone);
    if (len > 4) {
        snprintf(w[n].key, sizeof(w[n].key), "x:%.*s", (int)(len - 4), phone);
        w[n++].max = cfg->otp_max_sends_per_prefix_hour;
    }
    if (ip && *ip) {
        char key[CMN_IPKEY_MAX];
        cmn_ipkey(ip, key, sizeof(key));
        snprintf(w[n].key, sizeof(w[n].key), "i:%s", key);
        w[n++].max = cfg->otp_max_sends_per_ip_hour;
    }
    return n;
}

/* Reads a window; a missing or ended one reads as empty. Returns 0 or -1. */
static int s_read(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t now, uint64_t *start,
                  uint32_t *count) {
    MDB_val v;
    *start = now;
    *count = 0;
    int rc = cmn_db_get(txn, dbi, key, strlen(key), &v);
    if (rc == CMN_DB_NOTFOUND)
        return 0;
    if (rc != CMN_DB_OK)
        return -1;
    Dvcid__Store__Window *w = dvcid__store__window__unpack(NULL, v.mv_size, v.mv_data);
    if (!w)
        return 0; /* unreadable: start afresh rather than lock the phone out forever */
    if (now - w->start_ms < S_HOUR_MS) {
        *start = w->start_ms;
        *count = w->count;
    }
    dvcid__store__window__free_unpacked(w, NULL);
    return 0;
}

int otp_limits_check(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, int purpose,
                     const char *phone, const char *ip, uint64_t now, uint32_t *retry_after) {
    s_window_t w[3];
    int n = s_windows(cfg, purpose, phone, ip, w);
    int limited = 0;
    *retry_after = 0;
    for (int i = 0; i < n; i++) {
        uint64_t start;
        uint32_t count;
        if (s_read(txn, dbi, w[i].key, now, &start, &count) != 0)
            return -1;
        if (count >= (uint32_t)w[i].max) {
            uint32_t wait = (uint32_t)((start + S_HOUR_MS - now + 999) / 1000);
            if (wait > *retry_after)
                *retry_after = wait;
            limited = 1;
        }
    }
    return limited;
}

/* Adds one to the window under key. Returns 0 or -1. */
static int s_add(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t now) {
    Dvcid__Store__Window rec = DVCID__STORE__WINDOW__INIT;
    uint64_t start;
    uint32_t count;
    if (s_read(txn, dbi, key, now, &start, &count) != 0)
        return -1;
    rec.start_ms = start;
    rec.count = count + 1;
    return cmn_db_put_msg(txn, dbi, key, strlen(key), &rec, 0) == CMN_DB_OK ? 0 : -1;
}

int otp_limits_count(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, int purpose,
                     const char *phone, const char *ip, uint64_t now) {
    s_window_t w[3];
    int n = s_windows(cfg, purpose, phone, ip, w);
    for (int i = 0; i < n; i++)
        if (s_add(txn, dbi, w[i].key, now) != 0)
            return -1;
    return 0;
}

int otp_limits_failures_full(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, int purpose,
                             const char *phone, uint64_t now) {
    char key[96];
    uint64_t start;
    uint32_t count;
    s_phone_key(key, sizeof(key), 'f', purpose, phone);
    if (s_read(txn, dbi, key, now, &start, &count) != 0)
        return -1;
    return count >= (uint32_t)cfg->otp_max_failures_per_phone_hour;
}

int otp_limits_failed(MDB_txn *txn, MDB_dbi dbi, int purpose, const char *phone, uint64_t now) {
    char key[96];
    s_phone_key(key, sizeof(key), 'f', purpose, phone);
    return s_add(txn, dbi, key, now);
}

static int s_window_ended(const MDB_val *v, uint64_t now, const void *arg) {
    (void)arg;
    Dvcid__Store__Window *w = dvcid__store__window__unpack(NULL, v->mv_size, v->mv_data);
    int ended = !w || now - w->start_ms >= S_HOUR_MS;
    if (w)
        dvcid__store__window__free_unpacked(w, NULL);
    return ended;
}

int otp_limits_sweep(MDB_txn *txn, MDB_dbi dbi, uint64_t now, cmn_db_sweep_pos_t *pos) {
    return cmn_db_sweep(txn, dbi, now, s_window_ended, NULL, pos);
}
