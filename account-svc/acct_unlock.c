/* acct_unlock: "unlock with your phone" (issue 21). A citizen whose ID number is locked
 * (for one source, everywhere, or slowed down) asks, with a captcha as for sign-in, for
 * a code to the account's primary phone; the code verified, every sign-in lock of the
 * ID is lifted and its consecutive count forgotten. It signs nobody in: the password
 * and the sign-in code still follow.
 * The start answers the same whether the ID has an account, is locked or not: without
 * a locked account the flow is a decoy whose challenge is silent (no SMS, never
 * verifies) but counts against every send limit, on a stand-in phone made from the ID
 * number, so a decoy meets its per-phone limit as a real one does. The answer's otp
 * object names no phone: the masked number would tell a stranger who knows the ID that
 * an account exists, and part of its owner's number. */
#include <stdio.h>
#include <string.h>

#include "acct_account.h"
#include "acct_captcha_gate.h"
#include "acct_flow.h"
#include "acct_lockout.h"
#include "acct_state.h"
#include "acct_step.h"
#include "cmn_log.h"
#include "cmn_metrics.h"
#include "cmn_time.h"
#include "cmn_validate.h"

#define S_UNLOCK DVCID__PURPOSE__PURPOSE_UNLOCK

/* The decoy's stand-in phone: "+849" and 8 digits of a keyed hash of the ID number, the
 * same for every decoy of that ID (so its send windows fill as a real phone's would). */
static void s_stand_in(const acct_state_t *st, const char *id_number, char out[16]) {
    static const char tag[] = "unlock decoy phone";
    const void *parts[] = {tag, id_number};
    const size_t lens[] = {sizeof(tag) - 1, strlen(id_number)};
    uint8_t h[CMN_HASH_BYTES];
    cmn_hash_keyed(st->captcha_key, parts, lens, 2, h);
    uint32_t n =
        ((uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3]) % 100000000u;
    snprintf(out, 16, "+849%08u", (unsigned)n);
}

static int s_issued(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    acct_step_t *s = arg;
    if (!acct_reply_is_otp(reply))
        return acct_step_unissued(ctx, &s, reply);
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__UnlockStartReply body = DVCID__UNLOCK_START_REPLY__INIT;
    Dvcid__OtpInfo otp = *reply->otp_sent->otp;
    otp.phone_masked = ""; /* see the top of the file */
    body.unlock_id = s->hex;
    body.otp = &otp;
    r.body_case = DVCID__REPLY__BODY_UNLOCK_START;
    r.unlock_start = &body;
    return acct_step_reply(ctx, &s, &r);
}

/* After the captcha: a real code when the ID has an account that is locked, else a
 * silent decoy. */
static int s_start_checked(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    const char *id_number = req->unlock_start->id_number;
    uint64_t now = cmn_time_now_ms();
    Dvcid__Store__Account *acc = NULL;
    int rc = acct_account_load(ctx->txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), id_number, &acc);
    int locked = rc == 0 ? acct_lockout_any(st->cfg, ctx->txn, ACCT_DBI(st, ACCT_DB_FAILURES),
                                            id_number, now)
                         : 0;
    if (rc < 0 || locked < 0) {
        acct_account_free(&acc);
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    const char *primary = rc == 0 ? acct_account_primary(acc) : NULL;
    int real = locked && primary;
    acct_step_t *s = acct_step_new(call, NULL, id_number);
    if (!s) {
        acct_account_free(&acc);
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return 0;
    }
    if (real)
        snprintf(s->phone, sizeof(s->phone), "%s", primary);
    else
        s_stand_in(st, id_number, s->phone);
    acct_account_free(&acc);
    if (acct_step_flow_begin(ctx, s, ACCT_FLOW_UNLOCK, s->phone, NULL, !real) != 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
    char masked[32];
    cmn_mask_id(id_number, masked, sizeof(masked));
    /* The log may say it (ops need it); the answer never does. */
    CMN_INFO(cmn_call_trace(s->call), "unlock %s for id=%s: %s", s->hex, masked,
             real ? "locked, code to the primary phone" : "not a locked account, decoy");
    acct_step_issue(ctx, st->otp_peer, s, S_UNLOCK, s->phone, !real, s_issued);
    return 0;
}

int acct_unlock_start(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    const Dvcid__UnlockStart *m = req->unlock_start;
    acct_details_t d = {.n = 0};
    acct_details_add(&d, "id_number", cmn_valid_id_number(m->id_number, NULL));
    return acct_captcha_gate(ctx, call, &d, m->captcha_id, m->captcha_answer, s_start_checked);
}

/* The unlock flow a request names, waiting for its code. */
static acct_step_t *s_step_for(cmn_ctx_t *ctx, cmn_call_t *call, const char *hex, int *rc) {
    return acct_step_for_flow(ctx, call, hex, ACCT_FLOW_UNLOCK,
                              ACCT_STATE_BIT(ACCT_FLOW_OTP_PENDING), NULL, rc);
}

/* A new code (a decoy's stays silent: the same answer, no SMS), its phone unnamed. */
static int s_resent(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    acct_step_t *s = arg;
    cmn_call_answer_early(s->call); /* forwards otp-svc's answer, writes nothing */
    if (!acct_reply_is_otp(reply))
        return acct_step_forward(ctx, &s, reply);
    Dvcid__OtpInfo otp = *reply->otp_sent->otp;
    otp.phone_masked = "";
    acct_reply_otp_info(ctx, &s->call, &otp);
    acct_step_destroy(&s);
    return 0;
}

int acct_unlock_resend(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    int rc;
    acct_step_t *s = s_step_for(ctx, call, req->unlock_resend->unlock_id, &rc);
    if (!s)
        return rc;
    acct_step_resend(ctx, st->otp_peer, s, S_UNLOCK, NULL, s_resent);
    return 0;
}

/* The code was right: every lock of the ID goes, if the phone that proved it is still
 * the account's. */
static int s_verified(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    acct_step_t *s = arg;
    acct_state_t *st = ctx->self;
    const char *trace = cmn_call_trace(s->call);
    char masked[32];
    cmn_mask_id(s->id_number, masked, sizeof(masked));
    Dvcid__Store__Account *acc = NULL;
    int rc = acct_account_load(ctx->txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), s->id_number, &acc);
    int gone = rc == 0 && acct_account_phone_index(acc, reply->otp_verified->phone) < 0;
    acct_account_free(&acc);
    if (rc < 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
    if (rc == 0 && !gone)
        rc = acct_lockout_clear_all(ctx->txn, ACCT_DBI(st, ACCT_DB_FAILURES), s->id_number);
    else
        rc = 1; /* the phone left the account meanwhile (a lost-phone change), or the account */
    if (rc >= 0 && acct_flow_del(ctx->txn, ACCT_DBI(st, ACCT_DB_FLOWS), s->id) != 0)
        rc = -1;
    if (rc != 0) {
        if (rc > 0)
            CMN_INFO(trace, "unlock %s refused: its phone left the account", s->hex);
        return acct_step_fail_load(ctx, &s, rc);
    }
    CMN_INFO(trace, "unlocked with the phone: id=%s, every sign-in lock lifted", masked);
    cmn_metrics_add(cmn_service_metrics(ctx->svc), ACCT_UNLOCKS_METRIC, "kind=\"phone\"", 1,
                    ACCT_UNLOCKS_HELP);
    return acct_step_state(ctx, &s, "unlocked");
}

int acct_unlock_verify(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    int rc;
    acct_step_t *s = s_step_for(ctx, call, req->unlock_verify->unlock_id, &rc);
    if (!s)
        return rc;
    return acct_step_verify(ctx, st->otp_peer, s, S_UNLOCK, req->unlock_verify->code, s_verified);
}
