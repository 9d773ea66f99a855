/* acct_limits: per-address limits against enumeration. Registration start answers
 * account_exists for an ID number that has an account, so a script that asks for ID
 * after ID learns who has one; each ask needs a captcha. Both are counted per client
 * address (an IPv4 address, an IPv6 /64: cmn_ipkey) in one-hour windows (cmn_window,
 * the limiter otp-svc's send limits use): captcha.max_per_ip_hour captchas and
 * account.max_registration_starts_per_ip_hour starts, then 429 rate_limited with
 * retry_after until the window ends. Each shard counts the starts and captchas it
 * serves (as it does a source's sign-in spraying window).
 * Wrong OTP codes are also counted per account (its ID number), across its phones, its
 * flows and their purposes (sign-in, lost phone, added phone, password reset, unlock):
 * NIST SP 800-63B, a new code does not reset the count, and otp-svc's per-flow and
 * per-phone budgets alone give an account with three phones three phones' worth, and
 * each new sign-in a fresh flow. Past account.max_otp_failures_per_hour in a window of
 * account.otp_failures_window seconds every code for the account, right or wrong, gets
 * 429 rate_limited without asking otp-svc. A decoy flow (an ID without an account)
 * counts the same, so the refusal tells nothing about the ID. Private to account-svc. */
#ifndef ACCT_LIMITS_H
#define ACCT_LIMITS_H

#include "cmn_db.h"
#include "cmn_metrics.h"
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

/* Answers the call with 429 rate_limited (retry_after) when the account of id_number
 * is over its wrong-code window. Returns 0 (go on), 1 (answered), -1 (storage error:
 * answered 500). */
int acct_limits_otp_refused(cmn_ctx_t *ctx, cmn_call_t **call, const char *id_number);

/* Counts one wrong code (or a refused one) for the account of id_number. 0 or -1. */
int acct_limits_otp_failed(cmn_ctx_t *ctx, const char *id_number);

/* Creates every dvcid_address_limited_total series at 0. */
void acct_limits_metrics_init(cmn_metrics_t *m);

/* Deletes ended windows, a slice per call. Returns how many, or -1. */
int acct_limits_sweep(MDB_txn *txn, MDB_dbi dbi, uint64_t now, cmn_db_sweep_pos_t *pos);

#endif
