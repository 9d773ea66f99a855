/* acct_state: account-svc's state, shared by its handler files (acct_service.c,
 * acct_register.c). Private to account-svc. */
#ifndef ACCT_STATE_H
#define ACCT_STATE_H

#include "acct_captcha.h"
#include "cmn_config.h"
#include "cmn_crypto.h"
#include "cmn_db.h"
#include "cmn_service.h"

enum { ACCT_DB_ACCOUNTS, ACCT_DB_REGISTRATIONS, ACCT_DB_CAPTCHAS, ACCT_NDB };

/* Registration flow states (Registration.state). */
typedef enum { ACCT_REG_OTP_PENDING = 1, ACCT_REG_OTP_VERIFIED = 2 } acct_reg_state_t;

typedef struct {
    const cmn_config_t *cfg;
    cmn_db_t *db;
    cmn_service_t *svc;
    int otp_peer;
    acct_captcha_t captcha;
    uint8_t captcha_key[CMN_KEY_BYTES];
} acct_state_t;

/* Registration handlers (acct_register.c). */
int acct_register_start(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_register_resend(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_register_verify(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_register_password(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
/* Deletes expired registrations (personal data is kept no longer than the flow). */
int acct_register_sweep(acct_state_t *st, MDB_txn *txn, uint64_t now);

#endif
