/* acct_state: account-svc's state (acct_state_t, made by acct_service.c), its
 * databases, and the handlers of each flow's file, which acct_service.c's table
 * dispatches to. Every handler file reads it. Private to account-svc. */
#ifndef ACCT_STATE_H
#define ACCT_STATE_H

#include <sodium.h>

#include "acct_captcha.h"
#include "acct_keys.h"
#include "acct_notice.h"
#include "cmn_config.h"
#include "cmn_crypto.h"
#include "cmn_db.h"
#include "cmn_service.h"
#include "cmn_shard.h"

enum {
    ACCT_DB_ACCOUNTS,
    ACCT_DB_REGISTRATIONS,
    ACCT_DB_CAPTCHAS,
    ACCT_DB_FLOWS,
    ACCT_DB_SESSIONS,
    ACCT_DB_FAILURES,
    ACCT_DB_NOTICES,
    ACCT_DB_LIMITS,
    ACCT_DB_PHONE_CHANGES,
    ACCT_NDB
};

/* The names of those databases, in that order (acct_service.c). */
extern const char *const acct_service_db_names[ACCT_NDB];

/* The states of a registration kept before registrations became flows (Registration.state). */
typedef enum { ACCT_REG_OTP_PENDING = 1, ACCT_REG_OTP_VERIFIED = 2 } acct_reg_state_t;

typedef struct {
    const cmn_config_t *cfg;
    cmn_db_t *db;
    cmn_service_t *svc;
    int otp_peer;
    /* This process's shard among nshards (cmn_shard; 0 of 1 unsharded) and the peer
     * of every sibling shard (-1 for this one): captchas cross shards. */
    int shard, nshards;
    int shard_peer[CMN_SHARD_MAX];
    acct_captcha_t captcha;
    uint8_t captcha_key[CMN_KEY_BYTES];
    acct_keys_t *keys;
    acct_notice_t *notice;
    /* Where each expiry sweep stopped (captchas, registrations, flows, sessions, failures,
     * limits), and the timer that runs them: again at the next turn while one is behind. */
    cmn_db_sweep_pos_t sweeps[6];
    int sweep_timer;
    /* Verified against when the ID number has no account, so an unknown ID costs the
     * same argon2id time as a wrong password (security.md). */
    char dummy_hash[crypto_pwhash_STRBYTES];
} acct_state_t;

/* The handle of one of account-svc's databases. */
#define ACCT_DBI(st, which) cmn_db_dbi((st)->db, (which))

/* Registration handlers (acct_register.c). */
int acct_register_start(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_register_resend(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_register_verify(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_register_password(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
/* Sign-in and lost phone (acct_login.c). */
int acct_login_start(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_login_resend(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_login_method(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_login_verify(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_login_phone(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_login_phone_verify(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);

/* Forgot password (acct_reset.c). */
int acct_reset_start(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_reset_resend(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_reset_verify(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_reset_password(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);

/* Unlock with your phone (acct_unlock.c). */
int acct_unlock_start(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_unlock_resend(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_unlock_verify(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);

/* The signed-in user (acct_me.c). */
int acct_me_get(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_me_add_phone(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_me_add_phone_verify(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_me_logout(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_me_jwks(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);

/* Operations for dvcctl (acct_admin.c). */
int acct_admin_account(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_admin_unlock(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);

/* Moves the registrations kept before registrations became flows (the registrations
 * table) into flows, the expired ones dropped; at start, in its own transaction. Returns
 * how many were moved, or -1. */
int acct_register_migrate(acct_state_t *st);

/* Deletes expired registrations of that table: one an older instance wrote during a
 * rolling upgrade is kept no longer than its flow (personal data). */
int acct_register_sweep(acct_state_t *st, MDB_txn *txn, uint64_t now, cmn_db_sweep_pos_t *pos);

#endif
