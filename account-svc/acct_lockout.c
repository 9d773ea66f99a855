/* acct_lockout: the Failures records ("ID", "ID@source", "@source") and their arithmetic. */
#include "acct_lockout.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "proto/store.pb-c.h"

#define S_MAX_LOCK_MS (30ull * 86400u * 1000u)
#define S_HOUR_MS (3600u * 1000u)
#define S_KEY_MAX (32 + ACCT_LOCKOUT_SOURCE_MAX) /* an ID number, '@', a source */

void acct_lockout_source(const char *client_ip, char out[ACCT_LOCKOUT_SOURCE_MAX]) {
    unsigned char a[16];
    const char *ip = client_ip ? client_ip : "";
    if (inet_pton(AF_INET6, ip, a) == 1) {
        memset(a + 8, 0, 8); /* one customer's whole /64 is one source */
        char text[INET6_ADDRSTRLEN];
        if (inet_ntop(AF_INET6, a, text, sizeof(text))) {
            snprintf(out, ACCT_LOCKOUT_SOURCE_MAX, "%s/64", text);
            return;
        }
    }
    snprintf(out, ACCT_LOCKOUT_SOURCE_MAX, "%s", ip);
}

size_t acct_lockout_key_id_len(const void *key, size_t klen) {
    const char *at = memchr(key, '@', klen);
    return at ? (size_t)(at - (const char *)key) : klen;
}

/* "ID", "ID@source" or "@source" (id "" or source NULL as needed). Returns the length. */
static size_t s_key(char key[S_KEY_MAX], const char *id, const char *source) {
    int n =
        source ? snprintf(key, S_KEY_MAX, "%s@%s", id, source) : snprintf(key, S_KEY_MAX, "%s", id);
    return n < 0 ? 0 : (size_t)n >= S_KEY_MAX ? S_KEY_MAX - 1 : (size_t)n;
}

/* Reads a record; a missing one reads as zeros. Returns 0 or -1. */
static int s_read(MDB_txn *txn, MDB_dbi dbi, const char *key, size_t klen,
                  Dvcid__Store__Failures *f) {
    MDB_val v;
    dvcid__store__failures__init(f);
    int rc = cmn_db_get(txn, dbi, key, klen, &v);
    if (rc == CMN_DB_NOTFOUND)
        return 0;
    if (rc != CMN_DB_OK)
        return -1;
    Dvcid__Store__Failures *got = dvcid__store__failures__unpack(NULL, v.mv_size, v.mv_data);
    if (got) {
        f->count = got->count;
        f->locks = got->locks;
        f->consecutive = got->consecutive;
        f->locked_until_ms = got->locked_until_ms;
        f->updated_ms = got->updated_ms;
        f->window_start_ms = got->window_start_ms;
        f->not_before_ms = got->not_before_ms;
        dvcid__store__failures__free_unpacked(got, NULL);
    }
    return 0;
}

/* The ID's record with its consecutive count halved for each quiet decay period. */
static int s_read_id(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, const char *id,
                     uint64_t now, Dvcid__Store__Failures *f) {
    if (s_read(txn, dbi, id, strlen(id), f) != 0)
        return -1;
    uint64_t decay = (uint64_t)cfg->login_decay_seconds * 1000u;
    if (f->updated_ms && now > f->updated_ms && decay) {
        uint64_t halvings = (now - f->updated_ms) / decay;
        f->consecutive = halvings >= 32 ? 0 : f->consecutive >> halvings;
        f->count = f->consecutive;
    }
    return 0;
}

static uint32_t s_seconds(uint64_t until, uint64_t now) {
    return (uint32_t)((until - now + 999) / 1000);
}

/* The later of a lock and a slow-down, if either is still on. */
static uint64_t s_until(const Dvcid__Store__Failures *f, uint64_t now) {
    uint64_t until = f->locked_until_ms > f->not_before_ms ? f->locked_until_ms : f->not_before_ms;
    return until > now ? until : 0;
}

Dvcid__Status acct_lockout_status(int verdict) {
    return verdict == ACCT_LOCKOUT_SPRAYING ? DVCID__STATUS__STATUS_RATE_LIMITED
                                            : DVCID__STATUS__STATUS_ACCOUNT_LOCKED;
}

int acct_lockout_check(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, const char *id,
                       const char *source, uint64_t now, uint32_t *retry_after) {
    char key[S_KEY_MAX];
    Dvcid__Store__Failures pair, all, src;
    if (s_read(txn, dbi, key, s_key(key, id, source), &pair) != 0 ||
        s_read_id(cfg, txn, dbi, id, now, &all) != 0 ||
        s_read(txn, dbi, key, s_key(key, "", source), &src) != 0)
        return -1;
    uint64_t until = s_until(&pair, now), other = s_until(&all, now);
    if (other > until)
        until = other;
    if (until) {
        *retry_after = s_seconds(until, now);
        return ACCT_LOCKOUT_LOCKED;
    }
    if (src.window_start_ms + S_HOUR_MS > now &&
        src.count >= (uint32_t)cfg->login_max_failures_per_ip_hour) {
        *retry_after = s_seconds(src.window_start_ms + S_HOUR_MS, now);
        return ACCT_LOCKOUT_SPRAYING;
    }
    return ACCT_LOCKOUT_OK;
}

/* The pair's round of tries: a lock after max_failures, longer at each repeat. Returns
 * 1 when locked now. */
static int s_fail_pair(const cmn_config_t *cfg, Dvcid__Store__Failures *f, uint64_t now) {
    if (f->locked_until_ms && f->locked_until_ms <= now) {
        f->count = 0; /* the lock is over: a new round of tries, the next lock longer */
        f->locked_until_ms = 0;
    }
    f->count++;
    f->updated_ms = now;
    if (f->count < (uint32_t)cfg->login_max_failures)
        return 0;
    uint64_t ms = (uint64_t)cfg->login_lock_seconds * 1000u;
    for (uint32_t i = 0; i < f->locks && ms < S_MAX_LOCK_MS; i++)
        ms *= 2;
    if (ms > S_MAX_LOCK_MS)
        ms = S_MAX_LOCK_MS;
    f->locks++;
    f->count = 0;
    f->locked_until_ms = now + ms;
    return 1;
}

/* The ID's count across sources: the slow-down, then the lock everywhere. Returns the
 * ACCT_LOCKOUT_EV_ bits of what began: EV_ACCOUNT when this failure locked it
 * everywhere, EV_SLOW when its slow-down began. */
static unsigned s_fail_all(const cmn_config_t *cfg, Dvcid__Store__Failures *f, uint64_t now) {
    f->consecutive++;
    f->count = f->consecutive;
    f->updated_ms = now;
    if (f->consecutive >= (uint32_t)cfg->login_max_consecutive) {
        f->locked_until_ms = now + S_MAX_LOCK_MS;
        f->locks++;
        return ACCT_LOCKOUT_EV_ACCOUNT;
    }
    if (f->consecutive >= (uint32_t)cfg->login_slow_after) {
        uint64_t wait = f->consecutive - (uint32_t)cfg->login_slow_after + 1u;
        if (wait > (uint64_t)cfg->login_slow_max_seconds)
            wait = (uint64_t)cfg->login_slow_max_seconds;
        f->not_before_ms = now + wait * 1000u;
        if (f->consecutive == (uint32_t)cfg->login_slow_after)
            return ACCT_LOCKOUT_EV_SLOW;
    }
    return 0;
}

int acct_lockout_fail(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, const char *id,
                      const char *source, uint64_t now, uint32_t *retry_after, unsigned *events) {
    char pkey[S_KEY_MAX], skey[S_KEY_MAX];
    size_t plen = s_key(pkey, id, source), slen = s_key(skey, "", source);
    Dvcid__Store__Failures pair, all, src;
    *events = 0;
    if (s_read(txn, dbi, pkey, plen, &pair) != 0 || s_read_id(cfg, txn, dbi, id, now, &all) != 0 ||
        s_read(txn, dbi, skey, slen, &src) != 0)
        return -1;
    uint64_t until = pair.locked_until_ms > now ? pair.locked_until_ms : 0;
    if (all.locked_until_ms > until)
        until = all.locked_until_ms;
    if (until > now) {
        /* Guesses that were already in flight when the lock fell: refused as locked,
         * not counted towards the next lock. */
        *retry_after = s_seconds(until, now);
        return 1;
    }
    int locked = s_fail_pair(cfg, &pair, now);
    if (locked)
        *events |= ACCT_LOCKOUT_EV_SOURCE;
    *events |= s_fail_all(cfg, &all, now);
    if (*events & ACCT_LOCKOUT_EV_ACCOUNT)
        locked = 1;
    if (src.window_start_ms + S_HOUR_MS <= now) {
        src.window_start_ms = now;
        src.count = 0;
    }
    src.count++;
    src.updated_ms = now;
    if (locked) {
        until =
            pair.locked_until_ms > all.locked_until_ms ? pair.locked_until_ms : all.locked_until_ms;
        *retry_after = s_seconds(until, now);
    }
    if (cmn_db_put_msg(txn, dbi, pkey, plen, &pair, 0) != CMN_DB_OK ||
        cmn_db_put_msg(txn, dbi, id, strlen(id), &all, 0) != CMN_DB_OK ||
        cmn_db_put_msg(txn, dbi, skey, slen, &src, 0) != CMN_DB_OK)
        return -1;
    return locked;
}

int acct_lockout_clear(MDB_txn *txn, MDB_dbi dbi, const char *id, const char *source) {
    char key[S_KEY_MAX];
    if (cmn_db_del(txn, dbi, id, strlen(id)) == CMN_DB_ERROR)
        return -1;
    return cmn_db_del(txn, dbi, key, s_key(key, id, source)) == CMN_DB_ERROR ? -1 : 0;
}

/* Visits the ID's record of every source ("ID@...") with cmn_db_each. */
static int s_each_source(MDB_txn *txn, MDB_dbi dbi, const char *id, cmn_db_each_fn *fn, void *arg) {
    char prefix[S_KEY_MAX];
    size_t plen = s_key(prefix, id, "");
    return cmn_db_each(txn, dbi, prefix, plen, fn, arg);
}

static int s_delete(const MDB_val *key, const MDB_val *val, void *arg) {
    (void)key;
    (void)val;
    (void)arg;
    return CMN_DB_EACH_DELETE;
}

int acct_lockout_clear_all(MDB_txn *txn, MDB_dbi dbi, const char *id) {
    if (cmn_db_del(txn, dbi, id, strlen(id)) == CMN_DB_ERROR)
        return -1;
    return s_each_source(txn, dbi, id, s_delete, NULL) < 0 ? -1 : 0;
}

/* Stops at a source's record whose lock is still on (arg: the time now). */
static int s_on(const MDB_val *key, const MDB_val *val, void *arg) {
    (void)key;
    Dvcid__Store__Failures *f = dvcid__store__failures__unpack(NULL, val->mv_size, val->mv_data);
    int on = f && f->locked_until_ms > *(const uint64_t *)arg;
    if (f)
        dvcid__store__failures__free_unpacked(f, NULL);
    return on ? CMN_DB_EACH_STOP : CMN_DB_EACH_NEXT;
}

int acct_lockout_any(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, const char *id,
                     uint64_t now) {
    Dvcid__Store__Failures all;
    if (s_read_id(cfg, txn, dbi, id, now, &all) != 0)
        return -1;
    if (s_until(&all, now))
        return 1;
    return s_each_source(txn, dbi, id, s_on, &now);
}

/* A record can go once its lock and slow-down are over and it was not touched for
 * the retention period (cmn_db_expired_fn). Unreadable records go too. */
static int s_expired(const MDB_val *val, uint64_t now, const void *arg) {
    const cmn_config_t *cfg = arg;
    Dvcid__Store__Failures *f = dvcid__store__failures__unpack(NULL, val->mv_size, val->mv_data);
    if (!f)
        return 1;
    uint64_t last = f->updated_ms > f->window_start_ms ? f->updated_ms : f->window_start_ms;
    int gone = s_until(f, now) == 0 && last + (uint64_t)cfg->login_retention_seconds * 1000u <= now;
    dvcid__store__failures__free_unpacked(f, NULL);
    return gone;
}

int acct_lockout_sweep(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, uint64_t now,
                       cmn_db_sweep_pos_t *pos) {
    return cmn_db_sweep(txn, dbi, now, s_expired, cfg, pos);
}

static const char s_locks_help[] = "sign-in locks begun: of an ID from one source, of an ID "
                                   "everywhere, slow-downs of an ID across sources";
static const char s_failures_help[] = "wrong passwords (known and unknown ID numbers)";
static const struct {
    unsigned bit;
    const char *labels;
} s_scopes[] = {{ACCT_LOCKOUT_EV_SOURCE, "scope=\"source\""},
                {ACCT_LOCKOUT_EV_ACCOUNT, "scope=\"account\""},
                {ACCT_LOCKOUT_EV_SLOW, "scope=\"slowdown\""}};
#define S_NSCOPES (sizeof(s_scopes) / sizeof(s_scopes[0]))

void acct_lockout_count(cmn_metrics_t *m, unsigned events) {
    for (size_t i = 0; i < S_NSCOPES; i++)
        if (events & s_scopes[i].bit)
            cmn_metrics_add(m, "dvcid_login_locks_total", s_scopes[i].labels, 1, s_locks_help);
    if (!(events & (ACCT_LOCKOUT_EV_SOURCE | ACCT_LOCKOUT_EV_ACCOUNT)))
        cmn_metrics_add(m, "dvcid_login_failures_total", NULL, 1, s_failures_help);
}

void acct_lockout_metrics_init(cmn_metrics_t *m) {
    for (size_t i = 0; i < S_NSCOPES; i++)
        cmn_metrics_add(m, "dvcid_login_locks_total", s_scopes[i].labels, 0, s_locks_help);
    cmn_metrics_add(m, "dvcid_login_failures_total", NULL, 0, s_failures_help);
    cmn_metrics_add(m, ACCT_UNLOCKS_METRIC, "kind=\"phone\"", 0, ACCT_UNLOCKS_HELP);
    cmn_metrics_add(m, ACCT_UNLOCKS_METRIC, "kind=\"admin\"", 0, ACCT_UNLOCKS_HELP);
}
