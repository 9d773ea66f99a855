/* acct_service: set-up, the route table, captcha and ping handlers, sweeps. */
#include "acct_service.h"

#include <stdio.h>
#include <stdlib.h>

#include "acct_state.h"
#include "cmn_log.h"
#include "cmn_main.h"
#include "cmn_time.h"

struct acct_service {
    acct_state_t st;
};

static const char *const s_db_names[ACCT_NDB] = {"accounts", "registrations", "captchas"};

static int s_on_captcha(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    (void)req;
    acct_state_t *st = ctx->self;
    char id[CMN_ID_HEX], answer[ACCT_CAPTCHA_LEN + 1];
    if (acct_captcha_new(&st->captcha, ctx->txn, cmn_time_now_ms(), id, answer) != 0) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__CaptchaNewReply c = DVCID__CAPTCHA_NEW_REPLY__INIT;
    c.captcha_id = id;
    c.answer = answer;
    r.body_case = DVCID__REPLY__BODY_CAPTCHA;
    r.captcha = &c;
    cmn_call_reply(ctx, &call, &r);
    return 0;
}

/* Ping: ready when otp-svc (and through it sms-worker) answers too. */
static int s_on_pong(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    cmn_call_t *call = arg;
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__Pong pong = DVCID__PONG__INIT;
    pong.service = "account-svc";
    pong.ready = !reply->error && reply->body_case == DVCID__REPLY__BODY_PONG && reply->pong->ready;
    r.body_case = DVCID__REPLY__BODY_PONG;
    r.pong = &pong;
    cmn_call_reply(ctx, &call, &r);
    return 0;
}

static int s_on_ping(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    Dvcid__Request ping = DVCID__REQUEST__INIT;
    Dvcid__Ping body = DVCID__PING__INIT;
    ping.body_case = DVCID__REQUEST__BODY_PING;
    ping.ping = &body;
    cmn_service_ask(ctx, st->otp_peer, &ping, req->trace_id, cmn_call_deadline(call), s_on_pong,
                    call);
    return 0;
}

static int s_sweep(cmn_ctx_t *ctx) {
    acct_state_t *st = ctx->self;
    uint64_t now = cmn_time_now_ms();
    if (acct_captcha_sweep(&st->captcha, ctx->txn, now) < 0 ||
        acct_register_sweep(st, ctx->txn, now) < 0)
        return -1;
    return 0;
}

static const cmn_route_t s_routes[] = {
    {DVCID__REQUEST__BODY_PING, s_on_ping},
    {DVCID__REQUEST__BODY_CAPTCHA_NEW, s_on_captcha},
    {DVCID__REQUEST__BODY_REG_START, acct_register_start},
    {DVCID__REQUEST__BODY_REG_RESEND, acct_register_resend},
    {DVCID__REQUEST__BODY_REG_VERIFY, acct_register_verify},
    {DVCID__REQUEST__BODY_REG_PASSWORD, acct_register_password},
};

acct_service_t *acct_service_new(const cmn_config_t *cfg) {
    acct_service_t *self = calloc(1, sizeof(*self));
    char dir[512], path[600];
    if (!self)
        return NULL;
    acct_state_t *st = &self->st;
    st->cfg = cfg;
    if (cfg->captcha_test_answer[0])
        CMN_WARN(NULL, "captcha.test_answer is set: every captcha passes with it (tests only)");
    if (cmn_main_data_dir(cfg, "account", dir, sizeof(dir)) != 0)
        goto fail;
    snprintf(path, sizeof(path), "%s/captcha.key", dir);
    if (cmn_key_load(path, st->captcha_key) != 0)
        goto fail;
    st->db = cmn_db_new(dir, (size_t)cfg->storage_map_size_mib, s_db_names, ACCT_NDB);
    if (!st->db)
        goto fail;
    st->captcha = (acct_captcha_t){cfg, st->captcha_key, cmn_db_dbi(st->db, ACCT_DB_CAPTCHAS)};
    cmn_service_opts_t opts = {.name = "account-svc",
                               .bind = cfg->account_endpoint,
                               .routes = s_routes,
                               .nroutes = sizeof(s_routes) / sizeof(s_routes[0]),
                               .self = st,
                               .db = st->db,
                               .workers = cfg->account_hash_workers,
                               .worker_queue = cfg->account_hash_queue};
    st->svc = cmn_service_new(&opts);
    if (!st->svc)
        goto fail;
    st->otp_peer = cmn_service_peer(st->svc, "otp-svc", cfg->otp_endpoint);
    if (st->otp_peer < 0 || cmn_service_every(st->svc, 10000, s_sweep) < 0)
        goto fail;
    return self;
fail:
    acct_service_destroy(&self);
    return NULL;
}

void acct_service_destroy(acct_service_t **self_p) {
    if (!self_p || !*self_p)
        return;
    acct_service_t *self = *self_p;
    cmn_service_destroy(&self->st.svc);
    cmn_db_destroy(&self->st.db);
    cmn_wipe(self->st.captcha_key, sizeof(self->st.captcha_key));
    free(self);
    *self_p = NULL;
}

int acct_service_run(acct_service_t *self) { return cmn_service_run(self->st.svc); }
