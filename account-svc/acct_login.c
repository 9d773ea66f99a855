/* acct_login: sign-in (flows.md section 2) and the lost-phone change (section 3).
 * start: ID number + password + captcha; the password is checked by argon2id on the
 * pool, against a dummy hash for an unknown ID, and wrong ones are counted for known
 * and unknown IDs alike -> an OTP to the primary phone -> resend / another method ->
 * verify -> a session and an access token. Lost phone: after the password step, a
 * code to the new phone; its verification notifies the account's phones and makes it
 * the primary phone, ending every session, at once or after a cooling-off
 * (acct_phone_change). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct_account.h"
#include "acct_captcha_gate.h"
#include "acct_flow.h"
#include "acct_lockout.h"
#include "acct_phone_change.h"
#include "acct_session.h"
#include "acct_state.h"
#include "acct_step.h"
#include "cmn_log.h"
#include "cmn_metrics.h"
#include "cmn_time.h"
#include "cmn_validate.h"

#define S_LOGIN DVCID__PURPOSE__PURPOSE_LOGIN
#define S_PHONE DVCID__PURPOSE__PURPOSE_PHONE_CHANGE
/* A sign-in waiting for a code: its own, or a new phone's. */
#define S_CODE_PENDING                                                                             \
    (ACCT_STATE_BIT(ACCT_FLOW_OTP_PENDING) | ACCT_STATE_BIT(ACCT_FLOW_PHONE_PENDING))

/* The sign-in flow a request names, in one of states (see acct_step_for_flow). */
static acct_step_t *s_step_for(cmn_ctx_t *ctx, cmn_call_t *call, const char *hex, unsigned states,
                               Dvcid__Store__Flow **flow, int *rc) {
    return acct_step_for_flow(ctx, call, hex, ACCT_FLOW_LOGIN, states, flow, rc);
}

/* --- start ------------------------------------------------------------------------ */

static int s_issued(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    acct_step_t *s = arg;
    acct_state_t *st = ctx->self;
    if (!acct_reply_is_otp(reply))
        return acct_step_unissued(ctx, &s, reply);
    Dvcid__Store__Account *acc = NULL;
    int rc = acct_account_load(ctx->txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), s->id_number, &acc);
    if (rc != 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, rc < 0 ? -1 : 0);
    size_t n = acc->n_phones;
    Dvcid__Method *items = calloc(n ? n : 1, sizeof(*items));
    Dvcid__Method **ptrs = calloc(n ? n : 1, sizeof(Dvcid__Method *));
    char(*ids)[24] = calloc(n ? n : 1, sizeof(*ids));
    char(*masks)[16] = calloc(n ? n : 1, sizeof(*masks));
    if (!items || !ptrs || !ids || !masks) {
        rc = -1;
    } else {
        for (size_t i = 0; i < n; i++) {
            dvcid__method__init(&items[i]);
            snprintf(ids[i], sizeof(ids[i]), "m%zu", i);
            cmn_mask_phone(acc->phones[i]->e164, masks[i], sizeof(masks[i]));
            items[i].method_id = ids[i];
            items[i].phone_masked = masks[i];
            items[i].primary = acc->phones[i]->primary;
            ptrs[i] = &items[i];
        }
        Dvcid__Reply r = DVCID__REPLY__INIT;
        Dvcid__LoginStartReply body = DVCID__LOGIN_START_REPLY__INIT;
        body.login_id = s->hex;
        body.otp = reply->otp_sent->otp;
        body.n_methods = n;
        body.methods = ptrs;
        r.body_case = DVCID__REPLY__BODY_LOGIN_START;
        r.login_start = &body;
        cmn_call_reply(ctx, &s->call, &r);
    }
    free(items);
    free(ptrs);
    free(ids);
    free(masks);
    acct_account_free(&acc);
    if (rc != 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
    acct_step_destroy(&s);
    return 0;
}

static int s_checked(cmn_ctx_t *ctx, void *arg) {
    acct_step_t *s = arg;
    acct_step_count_hash(ctx, s);
    acct_state_t *st = ctx->self;
    const char *trace = cmn_call_trace(s->call);
    uint64_t now = cmn_time_now_ms();
    char masked[32];
    cmn_mask_id(s->id_number, masked, sizeof(masked));
    uint32_t retry = 0;
    char source[ACCT_LOCKOUT_SOURCE_MAX];
    acct_lockout_source(cmn_call_client_ip(s->call), source);
    int locked = acct_lockout_check(st->cfg, ctx->txn, ACCT_DBI(st, ACCT_DB_FAILURES), s->id_number,
                                    source, now, &retry);
    if (locked != 0) {
        /* A concurrent guess locked the ID while this one was hashing. */
        if (locked < 0)
            return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
        return acct_step_retry(ctx, &s, acct_lockout_status(locked), retry);
    }
    Dvcid__Store__Account *acc = NULL;
    int rc = s->has_account && s->job->ok
                 ? acct_account_load(ctx->txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), s->id_number, &acc)
                 : 1;
    if (rc < 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
    if (rc == 1) {
        unsigned events = 0;
        locked = acct_lockout_fail(st->cfg, ctx->txn, ACCT_DBI(st, ACCT_DB_FAILURES), s->id_number,
                                   source, now, &retry, &events);
        if (locked < 0)
            return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
        CMN_INFO(trace, "sign-in refused: id=%s wrong credentials%s%s", masked,
                 events & ACCT_LOCKOUT_EV_ACCOUNT  ? ", now locked from every address"
                 : events & ACCT_LOCKOUT_EV_SOURCE ? ", now locked here"
                                                   : "",
                 events & ACCT_LOCKOUT_EV_SLOW ? ", now slowed down" : "");
        acct_lockout_count(cmn_service_metrics(ctx->svc), events);
        if (locked)
            return acct_step_retry(ctx, &s, DVCID__STATUS__STATUS_ACCOUNT_LOCKED, retry);
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INVALID_CREDENTIALS, 0);
    }
    if (acct_lockout_clear(ctx->txn, ACCT_DBI(st, ACCT_DB_FAILURES), s->id_number, source) != 0)
        rc = -1;
    if (rc == 0 && s->job->rehashed) {
        char *own = acc->password_hash;
        acc->password_hash = s->job->hash; /* points into the job only while saving */
        rc = acct_account_save(ctx->txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), s->id_number, acc);
        acc->password_hash = own;
        CMN_INFO(trace, "password hash of %s upgraded to the configured parameters", masked);
    }
    const char *primary = rc == 0 ? acct_account_primary(acc) : NULL;
    if (!primary) {
        acct_account_free(&acc);
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
    }
    snprintf(s->phone, sizeof(s->phone), "%s", primary);
    acct_account_free(&acc);
    if (acct_step_flow_begin(ctx, s, ACCT_FLOW_LOGIN, s->phone, NULL, 0) != 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
    CMN_INFO(trace, "sign-in %s: password accepted for id=%s", s->hex, masked);
    acct_step_issue(ctx, st->otp_peer, s, S_LOGIN, s->phone, 0, s_issued);
    return 0;
}

/* After the captcha: the lockout, then the password on the hashing pool. */
static int s_start_checked(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    const Dvcid__LoginStart *m = req->login_start;
    uint64_t now = cmn_time_now_ms();
    uint32_t retry = 0;
    char source[ACCT_LOCKOUT_SOURCE_MAX];
    acct_lockout_source(req->client_ip, source);
    int locked = acct_lockout_check(st->cfg, ctx->txn, ACCT_DBI(st, ACCT_DB_FAILURES), m->id_number,
                                    source, now, &retry);
    if (locked != 0) {
        if (locked < 0) {
            cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
            return -1;
        }
        if (locked == ACCT_LOCKOUT_SPRAYING)
            cmn_metrics_add(cmn_service_metrics(ctx->svc), "dvcid_login_spraying_refused_total",
                            NULL, 1, "sign-ins refused: their source failed on too many IDs");
        acct_reply_retry(ctx, &call, acct_lockout_status(locked), retry);
        return 0;
    }
    Dvcid__Store__Account *acc = NULL;
    int rc = acct_account_load(ctx->txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), m->id_number, &acc);
    if (rc < 0) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    acct_step_t *s = acct_step_new(call, NULL, m->id_number);
    if (!s) {
        acct_account_free(&acc);
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_UNAVAILABLE);
        return 0;
    }
    s->has_account = rc == 0;
    rc = acct_step_check(ctx, s, m->password, acc ? acc->password_hash : st->dummy_hash, s_checked);
    acct_account_free(&acc);
    return rc;
}

int acct_login_start(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    const Dvcid__LoginStart *m = req->login_start;
    acct_details_t d = {.n = 0};
    acct_details_add(&d, "id_number", cmn_valid_id_number(m->id_number, NULL));
    if (!m->password[0])
        acct_details_add(&d, "password", "required");
    return acct_captcha_gate(ctx, call, &d, m->captcha_id, m->captcha_answer, s_start_checked);
}

/* --- resend, another method -------------------------------------------------------- */

int acct_login_resend(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    Dvcid__Store__Flow *flow = NULL;
    int rc;
    acct_step_t *s = s_step_for(ctx, call, req->login_resend->login_id, S_CODE_PENDING, &flow, &rc);
    if (!s)
        return rc;
    /* The code goes again where the last one went, for the same purpose. */
    Dvcid__Purpose purpose = flow->state == ACCT_FLOW_PHONE_PENDING ? S_PHONE : S_LOGIN;
    acct_flow_free(&flow);
    acct_step_resend(ctx, st->otp_peer, s, purpose, NULL, acct_step_sent);
    return 0;
}

int acct_login_method(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    const Dvcid__LoginMethod *m = req->login_method;
    Dvcid__Store__Flow *flow = NULL;
    int rc;
    acct_step_t *s =
        s_step_for(ctx, call, m->login_id, ACCT_STATE_BIT(ACCT_FLOW_OTP_PENDING), &flow, &rc);
    if (!s)
        return rc;
    acct_flow_free(&flow);
    Dvcid__Store__Account *acc = NULL;
    rc = acct_account_load(ctx->txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), s->id_number, &acc);
    if (rc != 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, rc < 0 ? -1 : 0);
    char *end = NULL;
    long idx = m->method_id[0] == 'm' ? strtol(m->method_id + 1, &end, 10) : -1;
    if (idx < 0 || !end || *end || end == m->method_id + 1 || (size_t)idx >= acc->n_phones) {
        acct_account_free(&acc);
        acct_details_t d = {.n = 0};
        acct_details_add(&d, "method_id", m->method_id[0] ? "invalid" : "required");
        acct_reply_details(ctx, &s->call, &d);
        acct_step_destroy(&s);
        return 0;
    }
    snprintf(s->phone, sizeof(s->phone), "%s", acc->phones[idx]->e164);
    acct_account_free(&acc);
    acct_step_resend(ctx, st->otp_peer, s, S_LOGIN, s->phone, acct_step_sent);
    return 0;
}

/* --- verify: the session ------------------------------------------------------------- */

static int s_verified(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    acct_step_t *s = arg;
    acct_state_t *st = ctx->self;
    uint64_t now = cmn_time_now_ms();
    Dvcid__Store__Account *acc = NULL;
    int rc = acct_account_load(ctx->txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), s->id_number, &acc);
    if (rc != 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, rc < 0 ? -1 : 0);
    char token[ACCT_TOKEN_MAX], sub[CMN_ID_HEX];
    char *jwt = NULL;
    if (acc->account_id.len == CMN_ID_BYTES)
        cmn_id_to_hex(acc->account_id.data, sub);
    else
        rc = -1;
    uint32_t ttl = (uint32_t)st->cfg->token_session_ttl;
    if (rc == 0) /* a code to one of the account's phones: its owner cancels a pending change */
        rc = acct_phone_change_cancel(ctx, cmn_call_trace(s->call), s->id_number, acc,
                                      reply->otp_verified->phone);
    if (rc == 0)
        rc = acct_session_start(ctx->txn, ACCT_DBI(st, ACCT_DB_SESSIONS), s->id_number,
                                acc->session_gen, now, ttl, token);
    if (rc == 0) /* its owner's language, for the notices it gets from now on */
        rc = acct_account_set_lang(ctx->txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), s->id_number,
                                   acct_step_lang(s->call));
    if (rc == 0)
        rc = acct_keys_sign(st->keys, st->cfg, sub, now, &jwt);
    if (rc == 0)
        rc = acct_flow_del(ctx->txn, ACCT_DBI(st, ACCT_DB_FLOWS), s->id);
    acct_account_free(&acc);
    if (rc != 0) {
        free(jwt);
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
    }
    char masked[32];
    cmn_mask_id(s->id_number, masked, sizeof(masked));
    CMN_INFO(cmn_call_trace(s->call), "signed in: id=%s sign-in %s", masked, s->hex);
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__SessionReply body = DVCID__SESSION_REPLY__INIT;
    body.token = token;
    body.expires_in = ttl;
    body.access_token = jwt;
    r.body_case = DVCID__REPLY__BODY_SESSION;
    r.session = &body;
    rc = acct_step_reply(ctx, &s, &r);
    cmn_wipe(token, sizeof(token));
    free(jwt);
    return rc;
}

int acct_login_verify(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    Dvcid__Store__Flow *flow = NULL;
    int rc;
    acct_step_t *s = s_step_for(ctx, call, req->login_verify->login_id,
                                ACCT_STATE_BIT(ACCT_FLOW_OTP_PENDING), &flow, &rc);
    if (!s)
        return rc;
    acct_flow_free(&flow);
    return acct_step_verify(ctx, st->otp_peer, s, S_LOGIN, req->login_verify->code, s_verified);
}

/* --- lost phone ------------------------------------------------------------------------ */

static int s_phone_sent(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    acct_step_t *s = arg;
    acct_state_t *st = ctx->self;
    if (!acct_reply_is_otp(reply))
        return acct_step_forward_early(ctx, &s, reply);
    Dvcid__Store__Flow *flow = NULL;
    int rc = acct_step_reload(ctx, &s, S_CODE_PENDING, &flow);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    char *old = flow->new_phone;
    flow->state = ACCT_FLOW_PHONE_PENDING;
    flow->new_phone = s->phone;
    rc = acct_flow_save(ctx->txn, ACCT_DBI(st, ACCT_DB_FLOWS), s->id, flow);
    flow->new_phone = old;
    acct_flow_free(&flow);
    if (rc != 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
    return acct_step_otp(ctx, &s, reply);
}

int acct_login_phone(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    const Dvcid__LoginPhone *m = req->login_phone;
    char phone[CMN_PHONE_E164_MAX];
    const char *bad = cmn_valid_phone(m->new_phone, phone);
    if (bad) {
        acct_details_t d = {.n = 0};
        acct_details_add(&d, "new_phone", bad);
        acct_reply_details(ctx, &call, &d);
        return 0;
    }
    Dvcid__Store__Flow *flow = NULL;
    int rc;
    acct_step_t *s = s_step_for(ctx, call, m->login_id, S_CODE_PENDING, &flow, &rc);
    if (!s)
        return rc;
    acct_flow_free(&flow);
    snprintf(s->phone, sizeof(s->phone), "%s", phone);
    acct_step_resend(ctx, st->otp_peer, s, S_PHONE, s->phone, s_phone_sent);
    return 0;
}

static int s_phone_verified(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    acct_step_t *s = arg;
    acct_state_t *st = ctx->self;
    /* The phone the verified code went to is the one that becomes primary, now or after
     * the cooling-off (acct_phone_change). */
    const char *phone = reply->otp_verified->phone;
    uint32_t effective_in = 0;
    int rc =
        acct_phone_change_start(ctx, cmn_call_trace(s->call), s->id_number, phone, &effective_in);
    if (rc == 0)
        rc = acct_flow_del(ctx->txn, ACCT_DBI(st, ACCT_DB_FLOWS), s->id);
    if (rc != 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, rc < 0 ? -1 : 0);
    char masked[16];
    cmn_mask_phone(phone, masked, sizeof(masked));
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__PhoneChangedReply body = DVCID__PHONE_CHANGED_REPLY__INIT;
    body.phone_masked = masked;
    body.pending = effective_in > 0;
    body.effective_in = effective_in;
    r.body_case = DVCID__REPLY__BODY_PHONE_CHANGED;
    r.phone_changed = &body;
    return acct_step_reply(ctx, &s, &r);
}

int acct_login_phone_verify(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    Dvcid__Store__Flow *flow = NULL;
    int rc;
    acct_step_t *s = s_step_for(ctx, call, req->login_phone_verify->login_id,
                                ACCT_STATE_BIT(ACCT_FLOW_PHONE_PENDING), &flow, &rc);
    if (!s)
        return rc;
    acct_flow_free(&flow);
    return acct_step_verify(ctx, st->otp_peer, s, S_PHONE, req->login_phone_verify->code,
                            s_phone_verified);
}
