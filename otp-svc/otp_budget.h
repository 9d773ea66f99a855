/* otp_budget: how many SMS otp-svc may send: a hard budget per day (Vietnam time,
 * UTC+7: the day an operator bills) for the whole service (otp.daily_budget) and for
 * each number prefix (otp.daily_budget_per_prefix), and the kill switch that stops
 * every SMS until it is lifted (dvcctl sms pause / resume).
 *
 * Both are in otp-svc's LMDB, so they survive a restart and are shared by every
 * instance on the environment: the day's counts are cmn_window records in the
 * "budget" table (keys "dYYYYMMDD" and "dYYYYMMDD:PREFIX"), the switch an SmsPause
 * record in the "switch" table. */
#ifndef OTP_BUDGET_H
#define OTP_BUDGET_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "cmn_config.h"
#include "cmn_db.h"

/* The day of now in Vietnam as YYYYMMDD, and seconds until it ends (at least 1). */
void otp_budget_day(uint64_t now, char out[16]);
uint32_t otp_budget_day_left(uint64_t now);

/* Is the day's budget spent, for the service or prefix? Returns 0 room, 1 spent
 * (*retry_after: seconds to the day's end; *scope "service" or "prefix"), -1 on a
 * storage error. A budget of 0 is none. */
int otp_budget_check(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, const char *prefix,
                     uint64_t now, uint32_t *retry_after, const char **scope);

/* Counts one SMS to prefix today. Returns 0 or -1. */
int otp_budget_count(MDB_txn *txn, MDB_dbi dbi, const char *prefix, uint64_t now);

/* Today's count of the service (prefix NULL) or of prefix. Returns 0 or -1. */
int otp_budget_used(MDB_txn *txn, MDB_dbi dbi, const char *prefix, uint64_t now, uint32_t *count);

/* Calls fn for today's prefixes (in key order, at most max); returns how many or -1. */
typedef void(otp_budget_prefix_fn)(const char *prefix, uint32_t count, void *arg);
int otp_budget_prefixes(MDB_txn *txn, MDB_dbi dbi, uint64_t now, size_t max,
                        otp_budget_prefix_fn *fn, void *arg);

/* Deletes the counts of past days, a slice per call. Returns how many, or -1. */
int otp_budget_sweep(MDB_txn *txn, MDB_dbi dbi, uint64_t now, cmn_db_sweep_pos_t *pos);

/* The kill switch. paused: 1 paused (*since_ms when not NULL), 0 not, -1 error.
 * pause keeps the first since_ms of a pause already on; resume of none is no error. */
int otp_budget_paused(MDB_txn *txn, MDB_dbi sw, uint64_t *since_ms);
int otp_budget_pause(MDB_txn *txn, MDB_dbi sw, uint64_t now);
int otp_budget_resume(MDB_txn *txn, MDB_dbi sw);

#endif
