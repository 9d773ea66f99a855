/* otp_budget: the day's counts and the kill switch. */
#include "otp_budget.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmn_window.h"
#include "proto/store.pb-c.h"

#define S_DAY_MS 86400000u
#define S_VN_OFFSET_MS (7u * 3600000u) /* Vietnam has no summer time */
/* A day's window lives two days: it is read all day, and swept after. */
#define S_SPAN_MS (2u * S_DAY_MS)

void otp_budget_day(uint64_t now, char out[16]) {
    time_t t = (time_t)((now + S_VN_OFFSET_MS) / 1000u);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y%m%d", &tm);
}

uint32_t otp_budget_day_left(uint64_t now) {
    uint64_t local = now + S_VN_OFFSET_MS;
    uint64_t left = S_DAY_MS - local % S_DAY_MS;
    uint64_t s = (left + 999) / 1000;
    return s ? (uint32_t)s : 1;
}

static void s_key(char *key, size_t len, const char *prefix, uint64_t now) {
    char day[16];
    otp_budget_day(now, day);
    if (prefix)
        snprintf(key, len, "d%s:%s", day, prefix);
    else
        snprintf(key, len, "d%s", day);
}

int otp_budget_used(MDB_txn *txn, MDB_dbi dbi, const char *prefix, uint64_t now, uint32_t *count) {
    char key[64];
    uint64_t start;
    s_key(key, sizeof(key), prefix, now);
    return cmn_window_read(txn, dbi, key, now, S_SPAN_MS, &start, count);
}

int otp_budget_check(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, const char *prefix,
                     uint64_t now, uint32_t *retry_after, const char **scope) {
    const struct {
        const char *prefix, *scope;
        int max;
    } b[] = {{NULL, "service", cfg->otp_daily_budget},
             {prefix, "prefix", cfg->otp_daily_budget_per_prefix}};
    for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
        uint32_t used = 0;
        if (b[i].max <= 0)
            continue;
        if (otp_budget_used(txn, dbi, b[i].prefix, now, &used) != 0)
            return -1;
        if (used >= (uint32_t)b[i].max) {
            *retry_after = otp_budget_day_left(now);
            *scope = b[i].scope;
            return 1;
        }
    }
    return 0;
}

int otp_budget_count(MDB_txn *txn, MDB_dbi dbi, const char *prefix, uint64_t now) {
    char key[64];
    s_key(key, sizeof(key), NULL, now);
    if (cmn_window_add(txn, dbi, key, now, S_SPAN_MS) != 0)
        return -1;
    s_key(key, sizeof(key), prefix, now);
    return cmn_window_add(txn, dbi, key, now, S_SPAN_MS);
}

typedef struct {
    MDB_txn *txn;
    MDB_dbi dbi;
    uint64_t now;
    size_t flen, max, n;
    otp_budget_prefix_fn *fn;
    void *arg;
} s_prefixes_t;

/* One key "dYYYYMMDD:PREFIX" of today: its count to p->fn. */
static int s_prefix_one(const MDB_val *k, const MDB_val *v, void *arg) {
    (void)v;
    s_prefixes_t *p = arg;
    if (p->n >= p->max || k->mv_size <= p->flen || k->mv_size >= p->flen + 32)
        return CMN_DB_EACH_STOP;
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "%.*s", (int)(k->mv_size - p->flen),
             (const char *)k->mv_data + p->flen);
    uint64_t start;
    uint32_t count = 0;
    char key[64];
    snprintf(key, sizeof(key), "%.*s", (int)k->mv_size, (const char *)k->mv_data);
    if (cmn_window_read(p->txn, p->dbi, key, p->now, S_SPAN_MS, &start, &count) != 0)
        return -1;
    p->fn(prefix, count, p->arg);
    p->n++;
    return CMN_DB_EACH_NEXT;
}

int otp_budget_prefixes(MDB_txn *txn, MDB_dbi dbi, uint64_t now, size_t max,
                        otp_budget_prefix_fn *fn, void *arg) {
    char from[32];
    s_key(from, sizeof(from), "", now); /* "dYYYYMMDD:": today's prefixes sort after it */
    s_prefixes_t p = {txn, dbi, now, strlen(from), max, 0, fn, arg};
    if (cmn_db_each(txn, dbi, from, p.flen, s_prefix_one, &p) < 0)
        return -1;
    return (int)p.n;
}

int otp_budget_sweep(MDB_txn *txn, MDB_dbi dbi, uint64_t now, cmn_db_sweep_pos_t *pos) {
    return cmn_window_sweep(txn, dbi, now, S_SPAN_MS, pos);
}

#define S_PAUSE_KEY "paused"

int otp_budget_paused(MDB_txn *txn, MDB_dbi sw, uint64_t *since_ms) {
    MDB_val v;
    int rc = cmn_db_get(txn, sw, S_PAUSE_KEY, strlen(S_PAUSE_KEY), &v);
    if (rc == CMN_DB_NOTFOUND)
        return 0;
    if (rc != CMN_DB_OK)
        return -1;
    /* Present is paused, even unreadable: a damaged switch must not start the SMS again. */
    Dvcid__Store__SmsPause *p = dvcid__store__sms_pause__unpack(NULL, v.mv_size, v.mv_data);
    if (since_ms)
        *since_ms = p ? p->since_ms : 0;
    if (p)
        dvcid__store__sms_pause__free_unpacked(p, NULL);
    return 1;
}

int otp_budget_pause(MDB_txn *txn, MDB_dbi sw, uint64_t now) {
    int rc = otp_budget_paused(txn, sw, NULL);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    Dvcid__Store__SmsPause p = DVCID__STORE__SMS_PAUSE__INIT;
    p.since_ms = now;
    return cmn_db_put_msg(txn, sw, S_PAUSE_KEY, strlen(S_PAUSE_KEY), &p, 0) == CMN_DB_OK ? 0 : -1;
}

int otp_budget_resume(MDB_txn *txn, MDB_dbi sw) {
    int rc = cmn_db_del(txn, sw, S_PAUSE_KEY, strlen(S_PAUSE_KEY));
    return rc == CMN_DB_ERROR ? -1 : 0;
}
