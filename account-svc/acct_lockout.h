/* acct_lockout: wrong-password counters, kept for ID numbers known or not (so 401 and
 * 423 reveal nothing about whether an account exists), in LMDB so they survive restarts.
 * ID numbers are not secret, so a lock must not be a stranger's weapon against a citizen:
 *   - per ID and source (an IPv4 address or an IPv6 /64): after login.max_failures the
 *     pair is locked for login.lock_seconds, twice as long at each repeat (30 days at
 *     most); the same ID from another address is not locked;
 *   - per ID, all sources together: after login.slow_after consecutive failures each
 *     further try waits a second more (login.slow_max_seconds at most), and at
 *     login.max_consecutive (NIST 800-63B 5.2.2: 100 at most) the ID is locked until a
 *     success elsewhere ends it: the owner's "unlock with your phone", a password reset
 *     or ops' unlock;
 *   - per source across IDs (spraying): login.max_failures_per_ip_hour wrong passwords,
 *     then 429 for the rest of the hour.
 * The consecutive count halves after each quiet login.decay_seconds, and a record unused
 * for login.retention_seconds (its lock over) is swept: no record of a failed ID is kept
 * for ever (personal data, Decree 13). */
#ifndef ACCT_LOCKOUT_H
#define ACCT_LOCKOUT_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "cmn_config.h"
#include "cmn_db.h"
#include "cmn_metrics.h"
#include "proto/dvcid.pb-c.h"

#define ACCT_LOCKOUT_SOURCE_MAX 64

/* Why a sign-in may not go on (acct_lockout_check). */
typedef enum {
    ACCT_LOCKOUT_OK = 0,
    ACCT_LOCKOUT_LOCKED = 1,  /* 423 account_locked */
    ACCT_LOCKOUT_SPRAYING = 2 /* 429 rate_limited: this source failed on too many IDs */
} acct_lockout_verdict_t;

/* The answer to a sign-in (or a re-authentication) a verdict refuses: 423 account_locked,
 * or 429 rate_limited for a source spraying guesses across IDs. */
Dvcid__Status acct_lockout_status(int verdict);

/* The source counters are kept for: client_ip itself for IPv4 (or anything that does not
 * parse), its /64 for IPv6 ("2001:db8:1:2::/64"). out has ACCT_LOCKOUT_SOURCE_MAX bytes. */
void acct_lockout_source(const char *client_ip, char out[ACCT_LOCKOUT_SOURCE_MAX]);

/* May a sign-in of id from source be checked now? Returns an acct_lockout_verdict_t
 * (*retry_after in seconds when not OK), or -1 on error. */
int acct_lockout_check(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, const char *id,
                       const char *source, uint64_t now, uint32_t *retry_after);

/* What one wrong password set off (acct_lockout_fail's *events, a set of these bits), for
 * the lock metrics and logs: a lock storm shows as many of them at once. */
enum {
    ACCT_LOCKOUT_EV_SOURCE = 1u << 0, /* the ID is locked for this source */
    ACCT_LOCKOUT_EV_SLOW = 1u << 1,   /* the ID's slow-down began (login.slow_after reached) */
    ACCT_LOCKOUT_EV_ACCOUNT = 1u << 2 /* the ID is locked everywhere (login.max_consecutive) */
};

/* Counts a wrong password. Returns 1 when this failure locks the ID for this source, or
 * everywhere (*retry_after set), 0 when not, -1 on error. *events receives the
 * ACCT_LOCKOUT_EV_ bits of what this failure began (0 for none). */
int acct_lockout_fail(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, const char *id,
                      const char *source, uint64_t now, uint32_t *retry_after, unsigned *events);

/* Counts one wrong password's events in the lock metrics: dvcid_login_locks_total by
 * scope (source, account, slowdown: what began; a lock storm is many of them at once,
 * alert DvcidLoginLockStorm), or dvcid_login_failures_total when it locked nothing. */
void acct_lockout_count(cmn_metrics_t *m, unsigned events);

/* Locks lifted before their time, by kind: "phone" (unlock with your phone), "admin"
 * (dvcctl unlock). */
#define ACCT_UNLOCKS_METRIC "dvcid_login_unlocks_total"
#define ACCT_UNLOCKS_HELP "sign-in locks lifted: by the owner's phone, by ops"

/* Creates every lock and unlock series at 0, so dashboards and alerts see them before
 * the first lock. */
void acct_lockout_metrics_init(cmn_metrics_t *m);

/* Is the ID locked or slowed down now, for any source or everywhere? Returns 1 yes, 0 no,
 * -1 on error. What "unlock with your phone" sends a real code for. */
int acct_lockout_any(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, const char *id,
                     uint64_t now);

/* After a success from source (sign-in): forgets the ID's consecutive count, its lock
 * everywhere and its record for that source; other sources' locks stay. 0 or -1. */
int acct_lockout_clear(MDB_txn *txn, MDB_dbi dbi, const char *id, const char *source);

/* Forgets every record of the ID, for every source (password reset, ops' unlock). 0 or -1. */
int acct_lockout_clear_all(MDB_txn *txn, MDB_dbi dbi, const char *id);

/* Deletes records whose lock is over and that were not touched for
 * login.retention_seconds, a slice per call (cmn_db_sweep). Returns how many, or -1. */
int acct_lockout_sweep(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, uint64_t now,
                       cmn_db_sweep_pos_t *pos);

/* The ID number a record's key belongs to: its length before '@' (0 for a source's own
 * record, which belongs to no ID). For shard placement. */
size_t acct_lockout_key_id_len(const void *key, size_t klen);

#endif
