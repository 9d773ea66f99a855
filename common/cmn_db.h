/* cmn_db: a service's LMDB environment under storage.dir/<service>/. Durable
 * commits only (no MDB_NOSYNC, MDB_NOMETASYNC or MDB_MAPASYNC): speed comes from
 * group commit in cmn_service. Stale reader slots are cleared at open and by
 * cmn_db_reader_check(). Raw LMDB codes do not cross this module: it returns
 * CMN_DB_OK, CMN_DB_NOTFOUND, CMN_DB_EXISTS or CMN_DB_ERROR (logged). */
#ifndef CMN_DB_H
#define CMN_DB_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cmn_db cmn_db_t;

enum { CMN_DB_OK = 0, CMN_DB_NOTFOUND = 1, CMN_DB_EXISTS = 2, CMN_DB_ERROR = -1 };

/* Opens (creating) dir with the named databases. Returns NULL on failure (logged). */
cmn_db_t *cmn_db_new(const char *dir, size_t map_mib, const char *const *names, int nnames);
void cmn_db_destroy(cmn_db_t **self_p);

MDB_env *cmn_db_env(cmn_db_t *self);
/* The handle of the i-th database given to cmn_db_new. */
MDB_dbi cmn_db_dbi(cmn_db_t *self, int i);

/* --- storage limits: the map grows, the disk is the limit --------------------------
 * The map is address space, not disk: LMDB's file is sparse and grows only by the pages
 * written, so a large map costs nothing. cmn_db_grow doubles it (up to max_map) when it
 * is nearly full; the free space of the file system under the environment is what
 * really ends writes: below min_free, cmn_db_writable says no, before the disk fills. */

/* Sets the largest map growth may reach and the free disk space below which writes are
 * refused (bytes; 0 for none). */
void cmn_db_limits_set(cmn_db_t *self, uint64_t max_map, uint64_t min_free);

typedef struct {
    uint64_t used;      /* pages in use (LMDB's high-water mark), in bytes */
    uint64_t map;       /* the map's size */
    uint64_t max_map;   /* how far growth may take it */
    uint64_t disk_free; /* free bytes on the file system, for an unprivileged writer */
    uint64_t disk_size; /* that file system's size */
    uint64_t min_free;  /* the low-water mark */
} cmn_db_usage_t;

/* Fills *u with what is known now (statvfs and mdb_env_info). Returns 0 or -1. */
int cmn_db_usage(cmn_db_t *self, cmn_db_usage_t *u);

/* Grows the map when used passed 80 % of it, or at once with force (after a
 * MDB_MAP_FULL); no transaction of this process may be open. Returns 1 when it grew,
 * 0 when it did not need to or is at max_map, -1 on error (logged). */
int cmn_db_grow(cmn_db_t *self, int force);

/* Whether free disk space is above the low-water mark, measured at most once a
 * second. 1: writes may go on; 0: refuse them. */
int cmn_db_writable(cmn_db_t *self);

/* Whether this turn's work can be answered before its commit: the current map and the
 * disk both have room to spare (CMN_DB_SPARE), so the commit cannot fail for want of
 * space (a batch writes at most a few MiB). */
#define CMN_DB_SPARE ((uint64_t)64 << 20)
int cmn_db_roomy(cmn_db_t *self);

/* Begins a transaction; a map grown by another process on this environment
 * (MDB_MAP_RESIZED) is adopted and the begin tried again. Returns an LMDB code. */
int cmn_db_txn_begin(cmn_db_t *self, MDB_txn *parent, unsigned flags, MDB_txn **txn);

/* LMDB failures of the store itself (full map, full transaction, I/O, no space, a
 * transaction already failed), counted per thread by every cmn_db call that meets one:
 * a caller compares the count before and after a piece of work to learn that it failed
 * for want of storage (answer 503) rather than by a bug. MDB_MAP_FULL also raises the
 * flag cmn_db_map_full_take returns once. */
uint64_t cmn_db_faults(void);
int cmn_db_map_full_take(void);
/* Counts rc as a fault when it is one (for callers that use LMDB directly); returns rc. */
int cmn_db_note(int rc);
/* Writes that went through (puts and deletes of cmn_db_put, _put_msg, _del, _sweep),
 * counted per thread: the service loop compares the count around an item, whose answer
 * may leave before the commit (cmn_call_answer_early) only if the item wrote nothing, and
 * an item may run in the batch transaction itself only while nothing was written in it. */
uint64_t cmn_db_writes(void);
/* Counts a write a caller made with LMDB directly (mdb_cursor_del, say) when rc is 0:
 * every write must be counted, or the loop would take a dirty transaction for a clean
 * one. Returns rc. */
int cmn_db_wrote(int rc);

/* Clears reader slots of dead processes; returns how many, or -1. */
int cmn_db_reader_check(cmn_db_t *self);

/* Reads key; on CMN_DB_OK *val points into the map and lives until txn ends. */
int cmn_db_get(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, MDB_val *val);
/* How a put treats the key: with CMN_DB_NOOVER an existing key gives CMN_DB_EXISTS;
 * with CMN_DB_APPEND too the key must sort after every key of dbi (else CMN_DB_EXISTS),
 * and LMDB fills each leaf before it starts the next (bulk loads written in key order:
 * dense pages, no page split). 0 overwrites. */
enum { CMN_DB_NOOVER = 1, CMN_DB_APPEND = 2 };

/* Writes key; noover is 0 or CMN_DB_NOOVER / CMN_DB_APPEND (above). */
int cmn_db_put(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const void *val,
               size_t vlen, int noover);
/* Deletes key; a missing key gives CMN_DB_NOTFOUND. */
int cmn_db_del(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen);

/* Says whether a record can go (1) or stays (0); arg is the caller's. */
typedef int(cmn_db_expired_fn)(const MDB_val *val, uint64_t now, const void *arg);

/* Where a sweep of one database stopped, and how to sweep it. A sweep scans a slice of
 * at most CMN_DB_SWEEP_BUDGET records per call and goes on from here at the next, so no
 * turn of a service loop walks a whole table: tables of a million records took 100-200 ms
 * to scan, and every request of that turn waited (docs/BENCHMARKS.md).
 *
 * Tables keyed by time-ordered ids (cmn_id) expire roughly in key order: with `ordered`
 * a pass ends at the first record that stays, so it reads only what expired and never
 * maps the live part of the table in (resident memory). Records that expire out of order
 * (a resend extends a challenge) wait for a later pass; readers check expiry anyway. With
 * `group_len` too, keys are ordered only within groups sharing their first group_len
 * bytes (the reply cache: per asking process), and a record that stays skips the sweep
 * to the next group. Set the fields once and zero the rest to start. */
#define CMN_DB_SWEEP_BUDGET 512
#define CMN_DB_SWEEP_LAP_MS 10000 /* default time from the end of one pass to the next */
#define CMN_DB_KEY_MAX 511        /* LMDB's default largest key */
typedef struct {
    int ordered;                 /* records expire in key order (within groups) */
    size_t group_len;            /* with ordered: the key prefix of a group, 0 for one group */
    uint64_t lap_ms;             /* from the end of one pass to the next; 0: CMN_DB_SWEEP_LAP_MS */
    uint8_t key[CMN_DB_KEY_MAX]; /* the first record not yet looked at */
    size_t klen;
    int started;          /* key is set: go on from it, else a new pass begins */
    int behind;           /* the last call stopped on its budget, with records left */
    uint64_t next_lap_ms; /* no new pass before this time */
} cmn_db_sweep_pos_t;

/* Deletes the records of dbi that expired() says can go: a slice of at most
 * CMN_DB_SWEEP_BUDGET records from *pos on, a pass ending at the end of dbi (or, ordered,
 * at the first record that stays) and the next beginning lap_ms later (calls in between
 * scan nothing); or the whole of dbi when pos is NULL (tests, tools). pos->behind tells
 * the caller to call again soon. Returns how many it deleted, or -1. */
int cmn_db_sweep(MDB_txn *txn, MDB_dbi dbi, uint64_t now, cmn_db_expired_fn *expired,
                 const void *arg, cmn_db_sweep_pos_t *pos);

/* --- walking a database ------------------------------------------------------------ */

/* What a cmn_db_each visitor answers for a record: go on, delete it (a counted write;
 * the walk goes on with the record after it), or stop; or -1, an error of the visitor's
 * own, which ends the walk with -1. key and val point into the map and live only until
 * the visitor returns: copy what it keeps. */
enum { CMN_DB_EACH_NEXT = 0, CMN_DB_EACH_DELETE = 1, CMN_DB_EACH_STOP = 2 };
typedef int(cmn_db_each_fn)(const MDB_val *key, const MDB_val *val, void *arg);

/* Visits the records of dbi whose key starts with prefix (plen bytes; plen 0: every
 * record) in key order, calling fn(key, val, arg) for each. Returns 0 when it reached the
 * end (MDB_NOTFOUND ends a walk, it is no error), 1 when fn stopped it, -1 when fn
 * returned -1 or LMDB failed (counted by cmn_db_note and logged; after a failed delete
 * the transaction is dead). */
int cmn_db_each(MDB_txn *txn, MDB_dbi dbi, const void *prefix, size_t plen, cmn_db_each_fn *fn,
                void *arg);

/* Packs a protobuf-c message and puts it. */
int cmn_db_put_msg(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen,
                   const void *msg /* ProtobufCMessage */, int noover);

#endif
