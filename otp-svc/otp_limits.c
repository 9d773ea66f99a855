/* otp_limits: one-hour windows (cmn_window) that start at their first send. An IPv6
 * client counts under its /64 (cmn_ipkey). */
#include "otp_limits.h"

#include <stdio.h>
#include <string.h>

#include "cmn_db.h"
#include "cmn_ipkey.h"
#include "cmn_window.h"
#include "otp_pump.h"
#include "proto/dvcid.pb-c.h"

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
    if (strlen(phone) > 4) {
        char prefix[OTP_PUMP_PREFIX_MAX]; /* the same prefix as the pumping defence's */
        otp_pump_prefix(phone, prefix);
        snprintf(w[n].key, sizeof(w[n].key), "x:%s", prefix);
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

int otp_limits_check(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, int purpose,
                     const char *phone, const char *ip, uint64_t now, uint32_t *retry_after) {
    s_window_t w[3];
    int n = s_windows(cfg, purpose, phone, ip, w);
    int limited = 0;
    *retry_after = 0;
    for (int i = 0; i < n; i++) {
        uint32_t wait = 0;
        int full =
            cmn_window_full(txn, dbi, w[i].key, now, CMN_WINDOW_HOUR_MS, (uint32_t)w[i].max, &wait);
        if (full < 0)
            return -1;
        if (full) {
            if (wait > *retry_after)
                *retry_after = wait;
            limited = 1;
        }
    }
    return limited;
}

int otp_limits_count(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, int purpose,
                     const char *phone, const char *ip, uint64_t now) {
    s_window_t w[3];
    int n = s_windows(cfg, purpose, phone, ip, w);
    for (int i = 0; i < n; i++)
        if (cmn_window_add(txn, dbi, w[i].key, now, CMN_WINDOW_HOUR_MS) != 0)
            return -1;
    return 0;
}

int otp_limits_failures_full(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, int purpose,
                             const char *phone, uint64_t now) {
    char key[96];
    uint32_t wait = 0;
    s_phone_key(key, sizeof(key), 'f', purpose, phone);
    return cmn_window_full(txn, dbi, key, now, CMN_WINDOW_HOUR_MS,
                           (uint32_t)cfg->otp_max_failures_per_phone_hour, &wait);
}

int otp_limits_failed(MDB_txn *txn, MDB_dbi dbi, int purpose, const char *phone, uint64_t now) {
    char key[96];
    s_phone_key(key, sizeof(key), 'f', purpose, phone);
    return cmn_window_add(txn, dbi, key, now, CMN_WINDOW_HOUR_MS);
}

int otp_limits_sweep(MDB_txn *txn, MDB_dbi dbi, uint64_t now, cmn_db_sweep_pos_t *pos) {
    return cmn_window_sweep(txn, dbi, now, CMN_WINDOW_HOUR_MS, pos);
}
