/* acct_step: pending steps and the answers shared by every flow. */
#include "acct_step.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct_limits.h"
#include "acct_state.h"
#include "cmn_log.h"
#include "cmn_metrics.h"
#include "cmn_shard.h"
#include "cmn_time.h"
#include "cmn_validate.h"

acct_step_t *acct_step_new(cmn_call_t *call, const uint8_t *id, const char *id_number) {
    acct_step_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->call = call;
    if (id) {
        memcpy(self->id, id, CMN_ID_BYTES);
    } else {
        cmn_shard_id_make(self->id, cmn_shard_key_of_id_number(id_number));
        snprintf(self->id_number, sizeof(self->id_number), "%s", id_number);
    }
    cmn_id_to_hex(self->id, self->hex);
    return self;
}

void acct_step_destroy(acct_step_t **self_p) {
    if (!self_p || !*self_p)
        return;
    acct_step_t *self = *self_p;
    cmn_call_destroy(&self->call);
    acct_password_job_destroy(&self->job);
    cmn_wipe(self->session, sizeof(self->session));
    free(self);
    *self_p = NULL;
}

void acct_details_add(acct_details_t *d, const char *field, const char *code) {
    if (!code || d->n == ACCT_MAX_DETAILS)
        return;
    Dvcid__FieldError *f = &d->items[d->n];
    dvcid__field_error__init(f);
    f->field = (char *)field;
    f->code = (char *)code;
    d->ptrs[d->n] = f;
    d->n++;
}

int acct_details_password(acct_details_t *d, const char *password, const char *confirm) {
    const char *codes[CMN_PASSWORD_CODES_MAX];
    int n = cmn_valid_password(password, confirm, codes, CMN_PASSWORD_CODES_MAX);
    for (int i = 0; i < n && i < CMN_PASSWORD_CODES_MAX; i++)
        acct_details_add(d, strcmp(codes[i], "mismatch") == 0 ? "password_confirm" : "password",
                         codes[i]);
    return n;
}

void acct_reply_details(cmn_ctx_t *ctx, cmn_call_t **call, acct_details_t *d) {
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__Error e = DVCID__ERROR__INIT;
    e.status = DVCID__STATUS__STATUS_VALIDATION_FAILED;
    e.n_details = d->n;
    e.details = d->ptrs;
    r.error = &e;
    cmn_call_reply(ctx, call, &r);
}

void acct_reply_retry(cmn_ctx_t *ctx, cmn_call_t **call, Dvcid__Status status, uint32_t retry) {
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__Error e = DVCID__ERROR__INIT;
    Dvcid__Count c = DVCID__COUNT__INIT;
    c.value = retry;
    e.status = status;
    e.retry_after = &c;
    r.error = &e;
    cmn_call_reply(ctx, call, &r);
}

int acct_reply_is_otp(const Dvcid__Reply *from) {
    return !from->error && from->body_case == DVCID__REPLY__BODY_OTP_SENT && from->otp_sent->otp;
}

void acct_reply_otp_info(cmn_ctx_t *ctx, cmn_call_t **call, const Dvcid__OtpInfo *otp) {
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__OtpSentReply sent = DVCID__OTP_SENT_REPLY__INIT;
    sent.otp = (Dvcid__OtpInfo *)otp;
    r.body_case = DVCID__REPLY__BODY_OTP_SENT;
    r.otp_sent = &sent;
    cmn_call_reply(ctx, call, &r);
}

void acct_reply_otp(cmn_ctx_t *ctx, cmn_call_t **call, const Dvcid__Reply *from) {
    acct_reply_otp_info(ctx, call, from->otp_sent->otp);
}

int acct_step_reply(cmn_ctx_t *ctx, acct_step_t **s, Dvcid__Reply *reply) {
    cmn_call_reply(ctx, &(*s)->call, reply);
    acct_step_destroy(s);
    return 0;
}

int acct_step_state(cmn_ctx_t *ctx, acct_step_t **s, const char *state) {
    acct_reply_state(ctx, &(*s)->call, state);
    acct_step_destroy(s);
    return 0;
}

int acct_step_otp(cmn_ctx_t *ctx, acct_step_t **s, const Dvcid__Reply *from) {
    acct_reply_otp(ctx, &(*s)->call, from);
    acct_step_destroy(s);
    return 0;
}

int acct_step_fail(cmn_ctx_t *ctx, acct_step_t **s, Dvcid__Status status, int rc) {
    cmn_call_fail(ctx, &(*s)->call, status);
    acct_step_destroy(s);
    return rc;
}

int acct_step_retry(cmn_ctx_t *ctx, acct_step_t **s, Dvcid__Status status, uint32_t retry) {
    acct_reply_retry(ctx, &(*s)->call, status, retry);
    acct_step_destroy(s);
    return 0;
}

int acct_step_forward(cmn_ctx_t *ctx, acct_step_t **s, const Dvcid__Reply *reply) {
    cmn_call_forward_error(ctx, &(*s)->call, reply);
    acct_step_destroy(s);
    return 0;
}

int acct_step_forward_early(cmn_ctx_t *ctx, acct_step_t **s, const Dvcid__Reply *reply) {
    cmn_call_answer_early((*s)->call);
    return acct_step_forward(ctx, s, reply);
}

int acct_step_fail_load(cmn_ctx_t *ctx, acct_step_t **s, int rc) {
    return acct_step_fail(ctx, s,
                          rc < 0 ? DVCID__STATUS__STATUS_INTERNAL : DVCID__STATUS__STATUS_NOT_FOUND,
                          rc < 0 ? -1 : 0);
}

int acct_step_sent(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    acct_step_t *s = arg;
    cmn_call_answer_early(s->call);
    if (!acct_reply_is_otp(reply))
        return acct_step_forward(ctx, &s, reply);
    return acct_step_otp(ctx, &s, reply);
}

int acct_step_unissued(cmn_ctx_t *ctx, acct_step_t **s, const Dvcid__Reply *reply) {
    acct_state_t *st = ctx->self;
    if (acct_flow_del(ctx->txn, ACCT_DBI(st, ACCT_DB_FLOWS), (*s)->id) != 0)
        return acct_step_fail(ctx, s, DVCID__STATUS__STATUS_INTERNAL, -1);
    return acct_step_forward(ctx, s, reply);
}

void acct_reply_state(cmn_ctx_t *ctx, cmn_call_t **call, const char *state) {
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__FlowStateReply fs = DVCID__FLOW_STATE_REPLY__INIT;
    fs.state = (char *)state;
    r.body_case = DVCID__REPLY__BODY_FLOW_STATE;
    r.flow_state = &fs;
    cmn_call_reply(ctx, call, &r);
}

const char *acct_step_lang(const cmn_call_t *call) {
    const char *lang = cmn_call_request(call)->lang;
    return lang && (strcmp(lang, "vi") == 0 || strcmp(lang, "en") == 0) ? lang : "";
}

void acct_step_envelope(Dvcid__Request *ask, const cmn_call_t *call, const char *fallback_lang) {
    const char *lang = acct_step_lang(call);
    ask->client_ip = (char *)cmn_call_client_ip(call);
    ask->lang = (char *)(lang[0] || !fallback_lang ? lang : fallback_lang);
}

static void s_ask(cmn_ctx_t *ctx, int peer, acct_step_t *s, Dvcid__Request *ask, cmn_reply_fn *fn) {
    acct_step_envelope(ask, s->call, s->lang);
    cmn_service_ask(ctx, peer, ask, cmn_call_trace(s->call), cmn_call_deadline(s->call), fn, s);
}

void acct_step_issue(cmn_ctx_t *ctx, int peer, acct_step_t *s, Dvcid__Purpose purpose,
                     const char *phone, int silent, cmn_reply_fn *fn) {
    Dvcid__Request ask = DVCID__REQUEST__INIT;
    Dvcid__OtpIssue m = DVCID__OTP_ISSUE__INIT;
    m.flow_id.data = s->id;
    m.flow_id.len = CMN_ID_BYTES;
    m.purpose = purpose;
    m.phone = (char *)phone;
    m.silent = silent != 0;
    ask.body_case = DVCID__REQUEST__BODY_OTP_ISSUE;
    ask.otp_issue = &m;
    s_ask(ctx, peer, s, &ask, fn);
}

void acct_step_resend(cmn_ctx_t *ctx, int peer, acct_step_t *s, Dvcid__Purpose purpose,
                      const char *phone, cmn_reply_fn *fn) {
    Dvcid__Request ask = DVCID__REQUEST__INIT;
    Dvcid__OtpResend m = DVCID__OTP_RESEND__INIT;
    m.flow_id.data = s->id;
    m.flow_id.len = CMN_ID_BYTES;
    m.purpose = purpose;
    m.phone = (char *)(phone ? phone : "");
    ask.body_case = DVCID__REQUEST__BODY_OTP_RESEND;
    ask.otp_resend = &m;
    s_ask(ctx, peer, s, &ask, fn);
}

/* otp-svc's answer to a code: a wrong one (or one refused because the flow or the phone
 * spent its tries) counts against the account before the answer; it is written, so the
 * answer waits for the commit. Any other refusal writes nothing and leaves at once. */
static int s_verify_reply(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    acct_step_t *s = arg;
    if (!reply->error && reply->body_case == DVCID__REPLY__BODY_OTP_VERIFIED)
        return s->verified(ctx, reply, s);
    if (!s->id_number[0] || !reply->error ||
        (reply->error->status != DVCID__STATUS__STATUS_OTP_INVALID &&
         reply->error->status != DVCID__STATUS__STATUS_OTP_ATTEMPTS_EXCEEDED))
        return acct_step_forward_early(ctx, &s, reply);
    if (acct_limits_otp_failed(ctx, s->id_number) != 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
    return acct_step_forward(ctx, &s, reply);
}

int acct_step_verify(cmn_ctx_t *ctx, int peer, acct_step_t *s, Dvcid__Purpose purpose,
                     const char *code, cmn_reply_fn *fn) {
    int refused = s->id_number[0] ? acct_limits_otp_refused(ctx, &s->call, s->id_number) : 0;
    if (refused != 0) {
        acct_step_destroy(&s);
        return refused < 0 ? -1 : 0;
    }
    Dvcid__Request ask = DVCID__REQUEST__INIT;
    Dvcid__OtpVerify m = DVCID__OTP_VERIFY__INIT;
    m.flow_id.data = s->id;
    m.flow_id.len = CMN_ID_BYTES;
    m.purpose = purpose;
    m.code = (char *)code;
    ask.body_case = DVCID__REQUEST__BODY_OTP_VERIFY;
    ask.otp_verify = &m;
    s->verified = fn;
    s_ask(ctx, peer, s, &ask, s_verify_reply);
    return 0;
}

acct_step_t *acct_step_for_flow(cmn_ctx_t *ctx, cmn_call_t *call, const char *hex,
                                acct_flow_kind_t kind, unsigned states, Dvcid__Store__Flow **flow,
                                int *rc) {
    acct_state_t *st = ctx->self;
    uint8_t id[CMN_ID_BYTES];
    Dvcid__Store__Flow *f = NULL;
    *rc = 0;
    int r =
        acct_flow_load(ctx->txn, ACCT_DBI(st, ACCT_DB_FLOWS), hex, kind, cmn_time_now_ms(), id, &f);
    if (r != 0) {
        *rc = r < 0 ? -1 : 0;
        cmn_call_fail(ctx, &call,
                      r < 0 ? DVCID__STATUS__STATUS_INTERNAL : DVCID__STATUS__STATUS_NOT_FOUND);
        return NULL;
    }
    if (!(states & ACCT_STATE_BIT(f->state))) {
        acct_flow_free(&f);
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_FLOW_STATE);
        return NULL;
    }
    acct_step_t *s = acct_step_new(call, id, NULL);
    if (!s) {
        acct_flow_free(&f);
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return NULL;
    }
    /* A registration's ID has no account yet: no wrong code of it counts against one
     * (acct_step_verify counts for steps with an ID number). */
    if (kind != ACCT_FLOW_REGISTER)
        snprintf(s->id_number, sizeof(s->id_number), "%s", f->id_number);
    snprintf(s->lang, sizeof(s->lang), "%s", f->lang);
    s->kind = kind;
    s->has_account = !f->decoy;
    if (flow)
        *flow = f;
    else
        acct_flow_free(&f);
    return s;
}

int acct_step_reload(cmn_ctx_t *ctx, acct_step_t **s, unsigned states, Dvcid__Store__Flow **flow) {
    acct_state_t *st = ctx->self;
    int rc = acct_flow_load_id(ctx->txn, ACCT_DBI(st, ACCT_DB_FLOWS), (*s)->id, (*s)->kind,
                               cmn_time_now_ms(), flow);
    if (rc == 0 && !(states & ACCT_STATE_BIT((*flow)->state))) {
        acct_flow_free(flow);
        rc = 1;
    }
    if (rc != 0)
        return acct_step_fail_load(ctx, s, rc) < 0 ? -1 : 1;
    return 0;
}

int acct_step_verified(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    (void)reply; /* the code was right (acct_step_verify): the flow's phone is proved */
    acct_step_t *s = arg;
    acct_state_t *st = ctx->self;
    Dvcid__Store__Flow *flow = NULL;
    int rc = acct_step_reload(
        ctx, &s, ACCT_STATE_BIT(ACCT_FLOW_OTP_PENDING) | ACCT_STATE_BIT(ACCT_FLOW_OTP_VERIFIED),
        &flow);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    flow->state = ACCT_FLOW_OTP_VERIFIED;
    rc = acct_flow_save(ctx->txn, ACCT_DBI(st, ACCT_DB_FLOWS), s->id, flow);
    acct_flow_free(&flow);
    if (rc != 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
    CMN_DEBUG(cmn_call_trace(s->call), "flow %s: its code verified", s->hex);
    return acct_step_state(ctx, &s, "otp_verified");
}

int acct_step_flow_begin(cmn_ctx_t *ctx, const acct_step_t *s, acct_flow_kind_t kind,
                         const char *phone, const char *new_phone, int decoy) {
    acct_state_t *st = ctx->self;
    Dvcid__Store__Flow flow = DVCID__STORE__FLOW__INIT;
    flow.kind = kind;
    flow.lang = (char *)acct_step_lang(s->call);
    flow.id_number = (char *)s->id_number;
    flow.state = ACCT_FLOW_OTP_PENDING;
    flow.phone = (char *)(phone ? phone : "");
    flow.new_phone = (char *)(new_phone ? new_phone : "");
    flow.decoy = decoy != 0;
    flow.expires_ms = cmn_time_now_ms() + (uint64_t)st->cfg->account_flow_ttl * 1000u;
    return acct_flow_save(ctx->txn, ACCT_DBI(st, ACCT_DB_FLOWS), s->id, &flow);
}

/* Pool work: the step carries the job. */
static void s_job_work(void *arg) { acct_password_job_run(((acct_step_t *)arg)->job); }

int acct_step_offload(cmn_ctx_t *ctx, acct_step_t *s, cmn_done_fn *done) {
    return s->job ? cmn_service_offload(ctx, s_job_work, done, s) : -1;
}

/* Runs a password job of the step on the pool (s->job = job); 503 at once when the
 * queue is full (or there is no job: out of memory). */
static int s_job_offload(cmn_ctx_t *ctx, acct_step_t *s, acct_password_job_t *job,
                         cmn_done_fn *done) {
    s->job = job;
    if (acct_step_offload(ctx, s, done) != 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_UNAVAILABLE, 0);
    return 0;
}

int acct_step_check(cmn_ctx_t *ctx, acct_step_t *s, const char *password, const char *hash,
                    cmn_done_fn *done) {
    acct_state_t *st = ctx->self;
    return s_job_offload(ctx, s,
                         acct_password_job_verify(password, hash, st->cfg->account_argon2_ops,
                                                  st->cfg->account_argon2_mem_mib),
                         done);
}

int acct_step_hash(cmn_ctx_t *ctx, acct_step_t *s, const char *password, cmn_done_fn *done) {
    acct_state_t *st = ctx->self;
    return s_job_offload(ctx, s,
                         acct_password_job_new(password, st->cfg->account_argon2_ops,
                                               st->cfg->account_argon2_mem_mib),
                         done);
}

void acct_step_count_hash(cmn_ctx_t *ctx, const acct_step_t *s) {
    if (s->job)
        cmn_metrics_observe(cmn_service_metrics(ctx->svc), "dvcid_argon2_seconds",
                            s->job->verify ? "op=\"verify\"" : "op=\"hash\"", s->job->seconds,
                            "argon2id time of one password job on the pool");
}
