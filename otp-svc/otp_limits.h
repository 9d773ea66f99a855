/* otp_limits: send limits against SMS pumping: per phone (and purpose: only sign-in
 * codes count against a phone's sign-in sends), per client IP and per number prefix
 * (the number without its last 4 digits), each a one-hour window in otp-svc's LMDB;
 * and wrong codes per phone and purpose across every flow and code (a new code does
 * not reset them). Numbers under otp.test_phone_prefix count like any other.
 * purpose is a Dvcid__Purpose. */
#ifndef OTP_LIMITS_H
#define OTP_LIMITS_H

#include <lmdb.h>
#include <stdint.h>

#include "cmn_db.h"

#include "cmn_config.h"

/* Checks every window for one more send to phone from ip. Returns 0 when allowed,
 * 1 when limited (*retry_after set, seconds), -1 on a storage error. */
int otp_limits_check(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, int purpose,
                     const char *phone, const char *ip, uint64_t now, uint32_t *retry_after);

/* Counts one send in every window. Returns 0 or -1. */
int otp_limits_count(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, int purpose,
                     const char *phone, const char *ip, uint64_t now);

/* Have the codes of this purpose to phone met otp.max_failures_per_phone_hour wrong
 * tries in the window? Returns 1 yes, 0 no, -1 on a storage error. */
int otp_limits_failures_full(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, int purpose,
                             const char *phone, uint64_t now);

/* Counts one wrong code of this purpose to phone. Returns 0 or -1. */
int otp_limits_failed(MDB_txn *txn, MDB_dbi dbi, int purpose, const char *phone, uint64_t now);

/* Deletes windows that ended. Returns how many, or -1. */
int otp_limits_sweep(MDB_txn *txn, MDB_dbi dbi, uint64_t now, cmn_db_sweep_pos_t *pos);

#endif
