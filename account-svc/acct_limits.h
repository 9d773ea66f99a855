/* acct_limits: per-address limits against enumeration. Registration start answers
 * account_exists for an ID number that has an account, so a script that asks for ID
 * after ID learns who has one; each ask needs a captcha. Both are counted per client
 * address (an IPv4 address, an IPv6 /64: cmn_ipkey) in one-hour windows (cmn_window,
 * the limiter otp-svc's send limits use): captcha.max_per_ip_hour captchas and
 * account.max_registration_starts_per_ip_hour starts, then 429 rate_limited with
 * retry_after until the window ends. Each shard counts the starts and captchas it
 * serves (as it does a source's sign-in spraying window). Private to account-svc. */
#ifndef ACCT_LIMITS_H
#define ACCT_LIMITS_H

#include "cmn_db.h"
#include "cmn_service.h"

typedef enum {
    ACCT_LIMIT_CAPTCHA = 0,  /* POST /v1/captcha */
    ACCT_LIMIT_REGISTRATION, /* POST /v1/registrations past its captcha */
} acct_limit_kind_t;

/* Counts one event of kind from the call's client address, or answers the call with
 * 429 rate_limited (counted in dvcid_address_limited_total) when its window is full.
 * Returns 0 (counted: go on), 1 (answered), -1 (storage error: answered 503/500). A
 * call without a client address (an internal caller) is not limited. */
int acct_limits_take(cmn_ctx_t *ctx, cmn_call_t **call, acct_limit_kind_t kind);

/* Deletes ended windows, a slice per call. Returns how many, or -1. */
int acct_limits_sweep(MDB_txn *txn, MDB_dbi dbi, uint64_t now, cmn_db_sweep_pos_t *pos);

#endif
