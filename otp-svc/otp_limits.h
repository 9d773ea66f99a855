/* otp_limits: send limits against SMS pumping: per phone, per client IP and per
 * number prefix (the number without its last 4 digits), each a one-hour window
 * in otp-svc's LMDB. Numbers under otp.test_phone_prefix count like any other. */
#ifndef OTP_LIMITS_H
#define OTP_LIMITS_H

#include <lmdb.h>
#include <stdint.h>

#include "cmn_db.h"

#include "cmn_config.h"

/* Checks every window for one more send to phone from ip. Returns 0 when allowed,
 * 1 when limited (*retry_after set, seconds), -1 on a storage error. */
int otp_limits_check(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, const char *phone,
                     const char *ip, uint64_t now, uint32_t *retry_after);

/* Counts one send in every window. Returns 0 or -1. */
int otp_limits_count(const cmn_config_t *cfg, MDB_txn *txn, MDB_dbi dbi, const char *phone,
                     const char *ip, uint64_t now);

/* Deletes windows that ended. Returns how many, or -1. */
int otp_limits_sweep(MDB_txn *txn, MDB_dbi dbi, uint64_t now, cmn_db_sweep_pos_t *pos);

#endif
