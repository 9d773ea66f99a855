/* cmn_window: the one rate-limit primitive every service counts with: a fixed window
 * per key in an LMDB table (a Window record: its start and its count), starting at its
 * first event and lasting span_ms; a full window refuses until it ends. otp-svc counts
 * SMS sends and wrong codes with it, account-svc captchas and registration starts per
 * client address (cmn_ipkey). An unreadable record reads as empty: a damaged counter
 * must not lock a phone or an address out for ever. */
#ifndef CMN_WINDOW_H
#define CMN_WINDOW_H

#include <lmdb.h>
#include <stdint.h>

#include "cmn_db.h"

#define CMN_WINDOW_HOUR_MS 3600000u

/* Reads the window under key: *start and *count of the live window, or now and 0 when
 * there is none or it ended. Returns 0 or -1 (storage error). */
int cmn_window_read(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t now, uint64_t span_ms,
                    uint64_t *start, uint32_t *count);

/* Has the window under key met max? Returns 1 (*retry_after: seconds until it ends,
 * at least 1), 0 when there is room, -1 on a storage error. */
int cmn_window_full(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t now, uint64_t span_ms,
                    uint32_t max, uint32_t *retry_after);

/* Counts one event under key (a new window when none is live). Returns 0 or -1. */
int cmn_window_add(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t now, uint64_t span_ms);

/* Deletes the windows of dbi that ended (all of dbi's records are windows of span_ms
 * or shorter), a slice per call (cmn_db_sweep). Returns how many, or -1. */
int cmn_window_sweep(MDB_txn *txn, MDB_dbi dbi, uint64_t now, uint64_t span_ms,
                     cmn_db_sweep_pos_t *pos);

#endif
