/* acct_reset: forgot password (flows.md section 4). The answer to the start is the
 * same whether or not the ID number and phone match an account: without a match the
 * flow is a decoy whose challenge is silent (no SMS, never verifies) but counts
 * against every send limit, so neither the answer nor a later 429 tells them apart.
 * With the code verified, a new password under the rule ends every session. */
#include <stdio.h>
#include <string.h>

#include "acct_account.h"
#include "acct_captcha_gate.h"
#include "acct_flow.h"
#include "acct_lockout.h"
#include "acct_state.h"
#include "acct_step.h"
#include "cmn_log.h"
#include "cmn_validate.h"

#define S_RESET DVCID__PURPOSE__PURPOSE_PASSWORD_RESET

static int s_issued(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    acct_step_t *s = arg;
    if (!acct_reply_is_otp(reply))
        return acct_step_unissued(ctx, &s, reply);
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__ResetStartReply body = DVCID__RESET_START_REPLY__INIT;
    body.reset_id = s->hex;
    body.otp = reply->otp_sent->otp;
    r.body_case = DVCID__REPLY__BODY_RESET_START;
    r.reset_start = &body;
    return acct_step_reply(ctx, &s, &r);
}

/* After the captcha: the pair is looked up and a code (or a silent decoy) goes out. */
static int s_start_checked(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    const Dvcid__ResetStart *m = req->reset_start;
    char phone[CMN_PHONE_E164_MAX];
    if (cmn_valid_phone(m->phone, phone) != NULL) { /* checked before the captcha */
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return 0;
    }
    Dvcid__Store__Account *acc = NULL;
    int rc = acct_account_load(ctx->txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), m->id_number, &acc);
    if (rc < 0) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    /* Any OTP phone of the account will do (api.md). */
    int match = rc == 0 && acct_account_phone_index(acc, phone) >= 0;
    acct_account_free(&acc);
    acct_step_t *s = acct_step_new(call, NULL, m->id_number);
    if (!s) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return 0;
    }
    snprintf(s->phone, sizeof(s->phone), "%s", phone);
    if (acct_step_flow_begin(ctx, s, ACCT_FLOW_RESET, s->phone, NULL, !match) != 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
    char masked[32];
    cmn_mask_id(m->id_number, masked, sizeof(masked));
    /* The log may say it (ops need it); the answer never does. */
    CMN_INFO(cmn_call_trace(s->call), "password reset %s for id=%s: %s", s->hex, masked,
             match ? "matches" : "no match, decoy");
    acct_step_issue(ctx, st->otp_peer, s, S_RESET, s->phone, !match, s_issued);
    return 0;
}

int acct_reset_start(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    const Dvcid__ResetStart *m = req->reset_start;
    char phone[CMN_PHONE_E164_MAX];
    acct_details_t d = {.n = 0};
    acct_details_add(&d, "id_number", cmn_valid_id_number(m->id_number, NULL));
    acct_details_add(&d, "phone", cmn_valid_phone(m->phone, phone));
    return acct_captcha_gate(ctx, call, &d, m->captcha_id, m->captcha_answer, s_start_checked);
}

/* The reset flow a request names, in state want (see acct_step_for_flow). */
static acct_step_t *s_step_for(cmn_ctx_t *ctx, cmn_call_t *call, const char *hex,
                               acct_flow_state_t want, int *rc) {
    return acct_step_for_flow(ctx, call, hex, ACCT_FLOW_RESET, ACCT_STATE_BIT(want), NULL, rc);
}

/* A new code (a decoy's stays silent: the same answer, no SMS). */
int acct_reset_resend(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    int rc;
    acct_step_t *s = s_step_for(ctx, call, req->reset_resend->reset_id, ACCT_FLOW_OTP_PENDING, &rc);
    if (!s)
        return rc;
    acct_step_resend(ctx, st->otp_peer, s, S_RESET, NULL, acct_step_sent);
    return 0;
}

int acct_reset_verify(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    int rc;
    acct_step_t *s = s_step_for(ctx, call, req->reset_verify->reset_id, ACCT_FLOW_OTP_PENDING, &rc);
    if (!s)
        return rc;
    return acct_step_verify(ctx, st->otp_peer, s, S_RESET, req->reset_verify->code,
                            acct_step_verified);
}

static int s_hashed(cmn_ctx_t *ctx, void *arg) {
    acct_step_t *s = arg;
    acct_step_count_hash(ctx, s);
    acct_state_t *st = ctx->self;
    if (s->job->failed)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
    /* A twin request of this flow may have finished first, or the flow expired meanwhile. */
    Dvcid__Store__Flow *flow = NULL;
    int rc = acct_step_reload(ctx, &s, ACCT_STATE_BIT(ACCT_FLOW_OTP_VERIFIED), &flow);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    char phone[sizeof(s->phone)];
    snprintf(phone, sizeof(phone), "%s", flow->phone);
    acct_flow_free(&flow);
    Dvcid__Store__Account *acc = NULL;
    rc = acct_account_load(ctx->txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), s->id_number, &acc);
    if (rc == 0 && acct_account_phone_index(acc, phone) < 0) {
        /* The phone that proved this reset left the account meanwhile (a lost-phone
         * change): whoever holds it no longer speaks for the account. */
        acct_account_free(&acc);
        CMN_INFO(cmn_call_trace(s->call), "password reset %s refused: its phone left the account",
                 s->hex);
        rc = acct_flow_del(ctx->txn, ACCT_DBI(st, ACCT_DB_FLOWS), s->id);
        return acct_step_fail_load(ctx, &s, rc < 0 ? -1 : 1);
    }
    if (rc == 0) {
        char *own = acc->password_hash;
        acc->password_hash = s->job->hash;
        acc->session_gen++; /* every session of the account ends */
        rc = acct_account_save(ctx->txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), s->id_number, acc);
        acc->password_hash = own;
        if (rc == 0) /* every phone of the account hears of it */
            rc = acct_notice_put_all(st->notice, ctx, cmn_call_trace(s->call), s->id_number, acc,
                                     NULL);
        acct_account_free(&acc);
    }
    if (rc == 0)
        rc = acct_lockout_clear_all(ctx->txn, ACCT_DBI(st, ACCT_DB_FAILURES), s->id_number);
    if (rc == 0)
        rc = acct_flow_del(ctx->txn, ACCT_DBI(st, ACCT_DB_FLOWS), s->id);
    if (rc != 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
    char masked[32];
    cmn_mask_id(s->id_number, masked, sizeof(masked));
    CMN_INFO(cmn_call_trace(s->call), "password reset done: id=%s; sessions ended", masked);
    return acct_step_state(ctx, &s, "done");
}

int acct_reset_password(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    const Dvcid__ResetPassword *m = req->reset_password;
    acct_details_t d = {.n = 0};
    if (acct_details_password(&d, m->password, m->password_confirm) > 0) {
        acct_reply_details(ctx, &call, &d);
        return 0;
    }
    int rc;
    acct_step_t *s = s_step_for(ctx, call, m->reset_id, ACCT_FLOW_OTP_VERIFIED, &rc);
    if (!s)
        return rc;
    return acct_step_hash(ctx, s, m->password, s_hashed);
}
