/* acct_lockout: the Failures record and its arithmetic. */
#include "acct_lockout.h"

#include <string.h>

#include "cmn_db.h"
#include "proto/store.pb-c.h"

#define S_MAX_LOCK_MS (30ull * 86400u * 1000u)
#define S_HARD_CAP 100u

/* Reads the record; a missing one reads as zeros. Returns 0 or -1. */
static int s_read(MDB_txn *txn, MDB_dbi dbi, const char *id, Dvcid__Store__Failures *f) {
    MDB_val v;
    dvcid__store__failures__init(f);
    int rc = cmn_db_get(txn, dbi, id, strlen(id), &v);
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
        dvcid__store__failures__free_unpacked(got, NULL);
    }
    return 0;
}

static uint32_t s_seconds(uint64_t until, uint64_t now) {
    return (uint32_t)((until - now + 999) / 1000);
}

int acct_lockout_check(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, const char *id,
                       uint64_t now, uint32_t *retry_after) {
    (void)cfg;
    Dvcid__Store__Failures f;
    if (s_read(txn, dbi, id, &f) != 0)
        return -1;
    if (f.locked_until_ms > now) {
        *retry_after = s_seconds(f.locked_until_ms, now);
        return 1;
    }
    return 0;
}

int acct_lockout_fail(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, const char *id,
                      uint64_t now, uint32_t *retry_after) {
    Dvcid__Store__Failures f;
    if (s_read(txn, dbi, id, &f) != 0)
        return -1;
    if (f.locked_until_ms > now) {
        /* Guesses that were already in flight when the lock fell: refused as locked,
         * not counted towards the next lock. */
        *retry_after = s_seconds(f.locked_until_ms, now);
        return 1;
    }
    if (f.locked_until_ms && f.locked_until_ms <= now) {
        f.count = 0; /* the lock is over: a new round of tries, the next lock longer */
        f.locked_until_ms = 0;
    }
    f.count++;
    f.consecutive++;
    f.updated_ms = now;
    int locked = 0;
    if (f.consecutive >= S_HARD_CAP) {
        f.locked_until_ms = now + S_MAX_LOCK_MS;
        locked = 1;
    } else if (f.count >= (uint32_t)cfg->login_max_failures) {
        uint64_t ms = (uint64_t)cfg->login_lock_seconds * 1000u;
        for (uint32_t i = 0; i < f.locks && ms < S_MAX_LOCK_MS; i++)
            ms *= 2;
        if (ms > S_MAX_LOCK_MS)
            ms = S_MAX_LOCK_MS;
        f.locks++;
        f.count = 0;
        f.locked_until_ms = now + ms;
        locked = 1;
    }
    if (locked)
        *retry_after = s_seconds(f.locked_until_ms, now);
    if (cmn_db_put_msg(txn, dbi, id, strlen(id), &f, 0) != CMN_DB_OK)
        return -1;
    return locked;
}

int acct_lockout_clear(MDB_txn *txn, MDB_dbi dbi, const char *id) {
    return cmn_db_del(txn, dbi, id, strlen(id)) == CMN_DB_ERROR ? -1 : 0;
}
