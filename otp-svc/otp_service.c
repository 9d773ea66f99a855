/* otp_service: the handlers. Each reads the request, runs otp_challenge in the
 * batch transaction, puts the SMS job in the same transaction and answers. */
#include "otp_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_crypto.h"
#include "cmn_db.h"
#include "cmn_id.h"
#include "cmn_log.h"
#include "cmn_main.h"
#include "cmn_metrics.h"
#include "cmn_time.h"
#include "otp_challenge.h"
#include "otp_guard.h"
#include "otp_outbox.h"

enum {
    S_DB_CHALLENGES,
    S_DB_WINDOWS,
    S_DB_OUTBOX,
    S_DB_PUMP,
    S_DB_BLOCKS,
    S_DB_BUDGET,
    S_DB_SWITCH,
    S_NDB
};
/* Expiry sweeps run a slice per table each second, and every turn while a pass is
 * behind (cmn_db_sweep). */
#define S_SWEEP_MS 1000

static const char *const s_db_names[S_NDB] = {"challenges", "windows", "outbox", "pump",
                                              "blocks",     "budget",  "switch"};

/* The events s_count counts, and the purposes whose series are kept at hand. */
static const char *const s_events[] = {"issued",   "verified", "failed",   "expired",
                                       "exceeded", "limited",  "duplicate"};
#define S_EVENTS (sizeof(s_events) / sizeof(s_events[0]))
#define S_PURPOSES 8

struct otp_service {
    const cmn_config_t *cfg;
    cmn_db_t *db;
    cmn_service_t *svc;
    otp_outbox_t *outbox;
    otp_guard_t *guard; /* pumping defence, budgets, kill switch */
    otp_store_t store;
    int sms_peer;
    uint8_t code_key[CMN_KEY_BYTES];
    uint8_t outbox_key[CMN_KEY_BYTES];
    /* Where the sweeps of challenges and windows stopped; the timer runs again at the
     * next turn while one is behind. */
    cmn_db_sweep_pos_t sweeps[2];
    int sweep_timer;
    /* dvcid_otp_events_total by event (S_EVENTS) and purpose, found once (s_count). */
    cmn_metrics_series_t *events[S_EVENTS][S_PURPOSES];
};

static const char *s_purpose_name(Dvcid__Purpose p) {
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&dvcid__purpose__descriptor, (int)p);
    return v ? v->name : "?";
}

/* Counts an OTP event ("issued", "verified", "failed", "expired", "exceeded",
 * "limited", "duplicate": a repeated resend answered without an SMS) by purpose. */
static void s_count(cmn_ctx_t *ctx, const char *event, Dvcid__Purpose purpose) {
    otp_service_t *self = ctx->self;
    cmn_metrics_t *m = cmn_service_metrics(ctx->svc);
    size_t e = 0;
    while (e < S_EVENTS && strcmp(s_events[e], event) != 0)
        e++;
    int keep = e < S_EVENTS && purpose >= 0 && purpose < S_PURPOSES;
    cmn_metrics_series_t *s = keep ? self->events[e][purpose] : NULL;
    if (!s) { /* first of its kind: the series is found by name, once */
        char labels[96];
        const char *p = s_purpose_name(purpose);
        snprintf(labels, sizeof(labels), "event=\"%s\",purpose=\"%s\"", event,
                 strncmp(p, "PURPOSE_", 8) == 0 ? p + 8 : p);
        s = cmn_metrics_counter(
            m, "dvcid_otp_events_total", labels,
            "OTP challenges issued, verified, failed, expired, exceeded, limited, duplicate");
        if (keep)
            self->events[e][purpose] = s;
    }
    cmn_metrics_series_add(m, s, 1);
}

/* Is phone under otp.test_phone_prefix (load tests: never handed to a provider)? */
static int s_test_number(const cmn_config_t *cfg, const char *phone) {
    size_t n = strlen(cfg->otp_test_phone_prefix);
    return n > 0 && strncmp(phone, cfg->otp_test_phone_prefix, n) == 0;
}

/* Answers an otp_result_t that is an error. */
static void s_fail(cmn_ctx_t *ctx, cmn_call_t **call, const otp_result_t *res) {
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__Error e = DVCID__ERROR__INIT;
    Dvcid__Count attempts = DVCID__COUNT__INIT, retry = DVCID__COUNT__INIT;
    e.status = res->status;
    if (res->status == DVCID__STATUS__STATUS_OTP_INVALID ||
        res->status == DVCID__STATUS__STATUS_OTP_ATTEMPTS_EXCEEDED) {
        attempts.value = res->attempts_left;
        e.attempts_left = &attempts;
    }
    if (res->status == DVCID__STATUS__STATUS_RATE_LIMITED) {
        retry.value = res->retry_after;
        e.retry_after = &retry;
    }
    r.error = &e;
    cmn_call_reply(ctx, call, &r);
}

/* A code was written: queue its SMS in the same transaction, note the SMS in the
 * challenge (its verification is counted for it), and answer with the otp object.
 * A duplicate resend has no code: the answer only, its times counting down. */
static int s_sent(otp_service_t *self, cmn_ctx_t *ctx, cmn_call_t **call, ProtobufCBinaryData flow,
                  Dvcid__Purpose purpose, otp_result_t *res) {
    const char *trace = cmn_call_trace(*call);
    char id[CMN_ID_HEX] = "";
    /* A silent (decoy) challenge has no code and sends nothing. The SMS is in the
     * language of the user who asked (Request.lang, from the gateway through account-svc). */
    int rc = res->code[0] ? otp_outbox_put(self->outbox, ctx, trace, NULL, res->phone, purpose,
                                           res->code, cmn_call_request(*call)->lang, id)
                          : 0;
    if (rc == 0 && id[0])
        rc = otp_challenge_note_sms(&self->store, ctx->txn, flow.data, flow.len, id);
    /* A real SMS: it counts in the conversion and the day's budget. */
    if (rc == 0 && res->code[0] && !s_test_number(self->cfg, res->phone))
        rc = otp_guard_sent(self->guard, ctx->txn, res->phone, cmn_time_now_ms());
    cmn_wipe(res->code, sizeof(res->code));
    if (rc != 0) {
        cmn_call_fail(ctx, call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    char masked[16];
    cmn_mask_phone(res->phone, masked, sizeof(masked));
    CMN_DEBUG(trace, "otp sent purpose=%s phone=%s", s_purpose_name(purpose), masked);
    s_count(ctx, res->duplicate ? "duplicate" : "issued", purpose);
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__OtpSentReply sent = DVCID__OTP_SENT_REPLY__INIT;
    Dvcid__OtpInfo info = DVCID__OTP_INFO__INIT;
    info.phone_masked = masked;
    info.length = (uint32_t)self->cfg->otp_length;
    info.expires_in = res->expires_in;
    info.resend_after = res->resend_in;
    sent.otp = &info;
    r.body_case = DVCID__REPLY__BODY_OTP_SENT;
    r.otp_sent = &sent;
    cmn_call_reply(ctx, call, &r);
    return 0;
}

/* Input from another process is checked here, at the entry: a flow id of the size
 * ids have, a purpose that exists, an E.164 Vietnamese number when one is given. A
 * message that fails is refused with a log line. */
static int s_bad_input(cmn_ctx_t *ctx, cmn_call_t **call, ProtobufCBinaryData flow,
                       Dvcid__Purpose purpose, const char *phone, int phone_required) {
    /* phone NULL: the request carries none (verify). */
    int phone_ok = 1;
    if (phone) {
        size_t plen = strlen(phone), digits = 0;
        for (size_t i = 0; i < plen; i++)
            digits += phone[i] >= '0' && phone[i] <= '9';
        /* E.164: a Vietnamese mobile is +84 and 9 digits; another country's number is
         * shaped here and its country judged by otp_guard (otp.allowed_countries). */
        int vn = strncmp(phone, "+84", 3) == 0;
        phone_ok = plen == 0 ? !phone_required
                   : vn      ? plen == 12 && digits == 11
                             : phone[0] == '+' && digits == plen - 1 && digits >= 8 && digits <= 15;
    }
    int coded = (purpose >= DVCID__PURPOSE__PURPOSE_REGISTER &&
                 purpose <= DVCID__PURPOSE__PURPOSE_ADD_PHONE) ||
                purpose == DVCID__PURPOSE__PURPOSE_UNLOCK; /* every purpose but the notice */
    if (flow.len == CMN_ID_BYTES && coded && phone_ok)
        return 0;
    CMN_WARN(cmn_call_trace(*call), "refused a malformed OTP request (flow %zu bytes, purpose %d)",
             flow.len, (int)purpose);
    cmn_call_fail(ctx, call, DVCID__STATUS__STATUS_INVALID_REQUEST);
    return 1;
}

static int s_on_issue(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    otp_service_t *self = ctx->self;
    const Dvcid__OtpIssue *m = req->otp_issue;
    otp_result_t res;
    if (s_bad_input(ctx, &call, m->flow_id, m->purpose, m->phone, 1))
        return 0;
    int admit =
        otp_guard_admit(self->guard, ctx, &call, m->phone, s_test_number(self->cfg, m->phone));
    if (admit != 0)
        return admit < 0 ? -1 : 0;
    if (otp_challenge_issue(&self->store, ctx->txn, m->flow_id.data, m->flow_id.len, m->purpose,
                            m->phone, req->client_ip, cmn_time_now_ms(), m->silent, &res) != 0) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    if (res.status != DVCID__STATUS__STATUS_OK) {
        if (res.status == DVCID__STATUS__STATUS_RATE_LIMITED)
            s_count(ctx, "limited", m->purpose);
        s_fail(ctx, &call, &res);
        return 0;
    }
    return s_sent(self, ctx, &call, m->flow_id, m->purpose, &res);
}

/* The guard of a resend: the phone it names, else the flow's (a flow that is not there
 * goes on to the answer otp_challenge gives it). Returns as otp_guard_admit does. */
static int s_admit_resend(otp_service_t *self, cmn_ctx_t *ctx, cmn_call_t **call,
                          const Dvcid__OtpResend *m) {
    if (m->phone && m->phone[0])
        return otp_guard_admit(self->guard, ctx, call, m->phone,
                               s_test_number(self->cfg, m->phone));
    Dvcid__Store__Challenge *ch = NULL;
    int rc = otp_challenge_get(&self->store, ctx->txn, m->flow_id.data, m->flow_id.len, &ch);
    if (rc == CMN_DB_ERROR) {
        cmn_call_fail(ctx, call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    if (rc != CMN_DB_OK)
        return 0;
    rc = otp_guard_admit(self->guard, ctx, call, ch->phone, s_test_number(self->cfg, ch->phone));
    dvcid__store__challenge__free_unpacked(ch, NULL);
    return rc;
}

static int s_on_resend(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    otp_service_t *self = ctx->self;
    const Dvcid__OtpResend *m = req->otp_resend;
    otp_result_t res;
    if (s_bad_input(ctx, &call, m->flow_id, m->purpose, m->phone, 0))
        return 0;
    int admit = s_admit_resend(self, ctx, &call, m);
    if (admit != 0)
        return admit < 0 ? -1 : 0;
    if (otp_challenge_resend(&self->store, ctx->txn, m->flow_id.data, m->flow_id.len, m->purpose,
                             m->phone, req->client_ip, cmn_time_now_ms(), &res) != 0) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    if (res.status != DVCID__STATUS__STATUS_OK) {
        if (res.status == DVCID__STATUS__STATUS_RATE_LIMITED)
            s_count(ctx, "limited", m->purpose);
        s_fail(ctx, &call, &res);
        return 0;
    }
    return s_sent(self, ctx, &call, m->flow_id, m->purpose, &res);
}

static int s_on_verify(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    otp_service_t *self = ctx->self;
    const Dvcid__OtpVerify *m = req->otp_verify;
    otp_result_t res;
    if (s_bad_input(ctx, &call, m->flow_id, m->purpose, NULL, 0))
        return 0;
    if (otp_challenge_verify(&self->store, ctx->txn, m->flow_id.data, m->flow_id.len, m->purpose,
                             m->code, cmn_time_now_ms(), &res) != 0) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    CMN_DEBUG(cmn_call_trace(call), "otp verify purpose=%s result=%s", s_purpose_name(m->purpose),
              res.status == DVCID__STATUS__STATUS_OK ? "ok" : "refused");
    static const struct {
        Dvcid__Status status;
        const char *event;
    } events[] = {{DVCID__STATUS__STATUS_OK, "verified"},
                  {DVCID__STATUS__STATUS_OTP_INVALID, "failed"},
                  {DVCID__STATUS__STATUS_OTP_EXPIRED, "expired"},
                  {DVCID__STATUS__STATUS_OTP_ATTEMPTS_EXCEEDED, "exceeded"}};
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
        if (events[i].status == res.status)
            s_count(ctx, events[i].event, m->purpose);
    if (res.status != DVCID__STATUS__STATUS_OK) {
        s_fail(ctx, &call, &res);
        return 0;
    }
    /* Conversion: sms-worker counts the SMS whose code this was (load-test numbers
     * never reach a provider, so there is nothing to count for them). */
    if (res.message_id[0] && !s_test_number(self->cfg, res.phone) &&
        (otp_outbox_verified(self->outbox, ctx, cmn_call_trace(call), res.message_id, m->purpose,
                             cmn_time_now_ms()) != 0 ||
         otp_guard_verified(self->guard, ctx->txn, res.phone, cmn_time_now_ms()) != 0)) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__OtpVerifyReply ok = DVCID__OTP_VERIFY_REPLY__INIT;
    ok.phone = res.phone;
    r.body_case = DVCID__REPLY__BODY_OTP_VERIFIED;
    r.otp_verified = &ok;
    cmn_call_reply(ctx, &call, &r);
    return 0;
}

/* A notice without a code (the old phone after a phone change), idempotent by id. */
static int s_on_notice(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    otp_service_t *self = ctx->self;
    const Dvcid__OtpNotice *m = req->otp_notice;
    if (strncmp(m->phone, "+84", 3) != 0 || strlen(m->message_id) != CMN_ID_HEX - 1) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INVALID_REQUEST);
        return 0;
    }
    if (otp_outbox_put(self->outbox, ctx, cmn_call_trace(call), m->message_id, m->phone,
                       DVCID__PURPOSE__PURPOSE_NOTICE, "", m->lang, NULL) != 0) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__OtpNoticeReply ok = DVCID__OTP_NOTICE_REPLY__INIT;
    r.body_case = DVCID__REPLY__BODY_OTP_NOTICE;
    r.otp_notice = &ok;
    cmn_call_reply(ctx, &call, &r);
    return 0;
}

/* dvcctl sms-status --flow: the SMS of one flow, the phone masked. */
static int s_on_flow_get(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    otp_service_t *self = ctx->self;
    const Dvcid__OtpFlowGet *m = req->otp_flow_get;
    if (m->flow_id.len != CMN_ID_BYTES) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INVALID_REQUEST);
        return 0;
    }
    Dvcid__Store__Challenge *ch = NULL;
    int rc = otp_challenge_get(&self->store, ctx->txn, m->flow_id.data, m->flow_id.len, &ch);
    if (rc != CMN_DB_OK) {
        cmn_call_fail(ctx, &call,
                      rc == CMN_DB_NOTFOUND ? DVCID__STATUS__STATUS_NOT_FOUND
                                            : DVCID__STATUS__STATUS_INTERNAL);
        return 0;
    }
    char masked[24];
    cmn_mask_phone(ch->phone, masked, sizeof(masked));
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__OtpFlowReply f = DVCID__OTP_FLOW_REPLY__INIT;
    f.n_message_ids = ch->n_message_ids;
    f.message_ids = ch->message_ids;
    f.purpose = (Dvcid__Purpose)ch->purpose;
    f.phone_masked = masked;
    f.sends = ch->sends;
    f.used = ch->used;
    f.expires_ms = ch->expires_ms;
    r.body_case = DVCID__REPLY__BODY_OTP_FLOW;
    r.otp_flow = &f;
    CMN_INFO(cmn_call_trace(call), "ops looked up the SMS of a flow (%zu)", ch->n_message_ids);
    cmn_call_reply(ctx, &call, &r);
    dvcid__store__challenge__free_unpacked(ch, NULL);
    return 0;
}

/* dvcctl sms pause | resume | status (admin role only). */
static int s_on_sms_admin(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    otp_service_t *self = ctx->self;
    return otp_guard_on_admin(self->guard, ctx, call, req);
}

static int s_guard_tick(cmn_ctx_t *ctx) {
    otp_service_t *self = ctx->self;
    return otp_guard_tick(self->guard, ctx);
}

/* Ping: ready when sms-worker answers too. */
/* Ready when sms-worker is. */
static int s_on_ping(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    otp_service_t *self = ctx->self;
    return cmn_service_ping_through(ctx, call, req, self->sms_peer);
}

static int s_sweep(cmn_ctx_t *ctx) {
    otp_service_t *self = ctx->self;
    if (otp_challenge_sweep(&self->store, ctx->txn, cmn_time_now_ms(), self->sweeps) < 0)
        return -1;
    if (self->sweeps[0].behind || self->sweeps[1].behind)
        cmn_service_wake(ctx->svc, self->sweep_timer);
    return 0;
}

static int s_retry(cmn_ctx_t *ctx) {
    otp_service_t *self = ctx->self;
    cmn_metrics_set(cmn_service_metrics(ctx->svc), "dvcid_otp_outbox_in_flight", "",
                    (double)otp_outbox_in_flight(self->outbox),
                    "SMS jobs handed to sms-worker and not yet acknowledged");
    return otp_outbox_retry(self->outbox, ctx);
}

static const cmn_route_t s_routes[] = {
    {DVCID__REQUEST__BODY_OTP_ISSUE, s_on_issue},
    {DVCID__REQUEST__BODY_OTP_RESEND, s_on_resend},
    {DVCID__REQUEST__BODY_OTP_VERIFY, s_on_verify},
    {DVCID__REQUEST__BODY_OTP_NOTICE, s_on_notice},
    {DVCID__REQUEST__BODY_OTP_FLOW_GET, s_on_flow_get},
    {DVCID__REQUEST__BODY_OTP_SMS_PAUSE, s_on_sms_admin},
    {DVCID__REQUEST__BODY_OTP_SMS_RESUME, s_on_sms_admin},
    {DVCID__REQUEST__BODY_OTP_SMS_STATUS_GET, s_on_sms_admin},
    {DVCID__REQUEST__BODY_PING, s_on_ping},
};

/* SIGHUP: limits, lifetimes and budgets are read from cfg where they are used; the
 * pumping defence's rules and tables are built again (otp_guard_reload). */
static int s_reload(void *arg, const cmn_config_t *next, char *err, size_t errlen) {
    otp_service_t *self = arg;
    return otp_guard_reload(self->guard, next, err, errlen);
}

int otp_service_config_check(const cmn_config_t *cfg, char *err, size_t errlen) {
    return otp_guard_config_check(cfg, err, errlen);
}

otp_service_t *otp_service_new(const cmn_config_t *cfg) {
    otp_service_t *self = calloc(1, sizeof(*self));
    char dir[512], path[600];
    if (!self)
        return NULL;
    self->cfg = cfg;
    if (cmn_main_data_dir(cfg, "otp", dir, sizeof(dir)) != 0)
        goto fail;
    snprintf(path, sizeof(path), "%s/code.key", dir);
    if (cmn_key_load(path, self->code_key) != 0)
        goto fail;
    snprintf(path, sizeof(path), "%s/outbox.key", dir);
    if (cmn_key_load(path, self->outbox_key) != 0)
        goto fail;
    self->db = cmn_db_new(dir, (size_t)cfg->storage_map_size_mib, s_db_names, S_NDB);
    if (!self->db)
        goto fail;
    self->store = (otp_store_t){cfg, self->code_key, cmn_db_dbi(self->db, S_DB_CHALLENGES),
                                cmn_db_dbi(self->db, S_DB_WINDOWS)};
    otp_guard_dbs_t gdbs = {cmn_db_dbi(self->db, S_DB_PUMP), cmn_db_dbi(self->db, S_DB_BLOCKS),
                            cmn_db_dbi(self->db, S_DB_BUDGET), cmn_db_dbi(self->db, S_DB_SWITCH)};
    self->guard = otp_guard_new(cfg, &gdbs);
    if (!self->guard)
        goto fail;
    cmn_service_opts_t opts = {.name = "otp-svc",
                               .bind = cfg->otp_endpoint,
                               .bind_key = "[otp] endpoint",
                               .cfg = cfg,
                               .routes = s_routes,
                               .nroutes = sizeof(s_routes) / sizeof(s_routes[0]),
                               .self = self,
                               .db = self->db,
                               .reload = s_reload};
    self->svc = cmn_service_new(&opts);
    /* Challenges are keyed by their flows' time-ordered ids; windows by phone or address,
     * and they last an hour: a pass a minute is enough. */
    self->sweeps[0].ordered = 1;
    self->sweeps[1].lap_ms = 60000;
    /* Method classes (issue 19.5): codes and notices only for account-svc, a flow's SMS
     * only for dvcctl. */
    static const cmn_caller_t callers[] = {
        {DVCID__REQUEST__BODY_OTP_ISSUE, CMN_ROLE_ACCOUNT},
        {DVCID__REQUEST__BODY_OTP_RESEND, CMN_ROLE_ACCOUNT},
        {DVCID__REQUEST__BODY_OTP_VERIFY, CMN_ROLE_ACCOUNT},
        {DVCID__REQUEST__BODY_OTP_NOTICE, CMN_ROLE_ACCOUNT},
        {DVCID__REQUEST__BODY_OTP_FLOW_GET, CMN_ROLE_ADMIN},
        {DVCID__REQUEST__BODY_OTP_SMS_PAUSE, CMN_ROLE_ADMIN},
        {DVCID__REQUEST__BODY_OTP_SMS_RESUME, CMN_ROLE_ADMIN},
        {DVCID__REQUEST__BODY_OTP_SMS_STATUS_GET, CMN_ROLE_ADMIN}};
    if (!self->svc || cmn_service_read_only(self->svc, DVCID__REQUEST__BODY_OTP_FLOW_GET) != 0 ||
        cmn_service_read_only(self->svc, DVCID__REQUEST__BODY_OTP_SMS_STATUS_GET) != 0 ||
        cmn_service_callers(self->svc, callers, sizeof(callers) / sizeof(callers[0])) != 0)
        goto fail;
    self->sms_peer = cmn_service_peer(self->svc, "sms-worker", cfg->sms_endpoint);
    if (self->sms_peer < 0)
        goto fail;
    self->outbox =
        otp_outbox_new(cmn_db_dbi(self->db, S_DB_OUTBOX), self->sms_peer, self->outbox_key);
    if (!self->outbox ||
        (self->sweep_timer = cmn_service_every(self->svc, S_SWEEP_MS, s_sweep)) < 0 ||
        cmn_service_every(self->svc, 1000, s_retry) < 0 ||
        cmn_service_every(self->svc, 1000, s_guard_tick) < 0)
        goto fail;
    return self;
fail:
    otp_service_destroy(&self);
    return NULL;
}

void otp_service_destroy(otp_service_t **self_p) {
    if (!self_p || !*self_p)
        return;
    otp_service_t *self = *self_p;
    cmn_service_destroy(&self->svc);
    otp_outbox_destroy(&self->outbox);
    otp_guard_destroy(&self->guard);
    cmn_db_destroy(&self->db);
    cmn_wipe(self->code_key, sizeof(self->code_key));
    cmn_wipe(self->outbox_key, sizeof(self->outbox_key));
    free(self);
    *self_p = NULL;
}

int otp_service_run(otp_service_t *self) { return cmn_service_run(self->svc); }
