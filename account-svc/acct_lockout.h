/* acct_lockout: wrong-password counters per ID number, known or not (so 401 and 423
 * reveal nothing about whether an account exists). After login.max_failures the ID
 * is locked for login.lock_seconds, twice as long at each repeat (30 days at most);
 * 100 consecutive failures lock it for 30 days (NIST 800-63B 5.2.2). The counters are
 * in LMDB, so they survive restarts. */
#ifndef ACCT_LOCKOUT_H
#define ACCT_LOCKOUT_H

#include <lmdb.h>
#include <stdint.h>

#include "cmn_config.h"

/* Returns 0 when sign-in may proceed, 1 when locked (*retry_after in seconds), -1 on error. */
int acct_lockout_check(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, const char *id,
                       uint64_t now, uint32_t *retry_after);

/* Counts a wrong password. Returns 1 when this failure locks the ID (*retry_after
 * set), 0 when not, -1 on error. */
int acct_lockout_fail(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, const char *id,
                      uint64_t now, uint32_t *retry_after);

/* Forgets the counters after a success (sign-in or password reset). 0 or -1. */
int acct_lockout_clear(MDB_txn *txn, MDB_dbi dbi, const char *id);

#endif
