/* acct_service: set-up, the route table, captcha and ping handlers, sweeps. */
#include "acct_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct_captcha_gate.h"
#include "acct_flow.h"
#include "acct_limits.h"
#include "acct_lockout.h"
#include "acct_phone_change.h"
#include "acct_session.h"
#include "acct_shard.h"
#include "acct_state.h"
#include "cmn_endpoints.h"
#include "cmn_log.h"
#include "cmn_main.h"
#include "cmn_metrics.h"
#include "cmn_time.h"

struct acct_service {
    acct_state_t st;
};

/* Expiry sweeps run a slice per table each second, and every turn while a pass is
 * behind (cmn_db_sweep). */
#define S_SWEEP_MS 1000

const char *const acct_service_db_names[ACCT_NDB] = {"accounts", "registrations", "captchas",
                                                     "flows",    "sessions",      "failures",
                                                     "notices",  "limits",        "phone_changes"};

static int s_on_captcha(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    (void)req;
    acct_state_t *st = ctx->self;
    int limited = acct_limits_take(ctx, &call, ACCT_LIMIT_CAPTCHA);
    if (limited != 0)
        return limited < 0 ? -1 : 0;
    char id[CMN_ID_HEX], answer[ACCT_CAPTCHA_LEN + 1];
    /* Its id names this shard, where it will be checked whichever shard asks. */
    uint16_t key = cmn_shard_key_random(st->shard, st->nshards);
    if (acct_captcha_issue(&st->captcha, ctx->txn, cmn_time_now_ms(), key, id, answer) != 0) {
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

/* Ping: ready when otp-svc (and through it sms-worker) answers too, and, with
 * several shards, when every sibling shard is reachable: a start whose captcha was
 * made on another shard is checked there. */
static int s_on_ping(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    for (int s = 0; s < st->nshards; s++) {
        if (st->shard_peer[s] < 0 || cmn_service_peer_live(st->svc, st->shard_peer[s]) > 0)
            continue;
        Dvcid__Reply r = DVCID__REPLY__INIT;
        Dvcid__Pong pong = DVCID__PONG__INIT;
        pong.service = "account-svc";
        pong.ready = false;
        r.body_case = DVCID__REPLY__BODY_PONG;
        r.pong = &pong;
        cmn_call_reply(ctx, &call, &r);
        return 0;
    }
    return cmn_service_ping_through(ctx, call, req, st->otp_peer);
}

/* Metrics: this shard's own text and its backends' (otp-svc and, through it,
 * sms-worker), never its sibling shards'. */
static int s_on_metrics(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    return cmn_service_metrics_gather(ctx, call, req, &st->otp_peer, 1);
}

static int s_sweep(cmn_ctx_t *ctx) {
    acct_state_t *st = ctx->self;
    uint64_t now = cmn_time_now_ms();
    if (acct_captcha_sweep(&st->captcha, ctx->txn, now, &st->sweeps[0]) < 0 ||
        acct_register_sweep(st, ctx->txn, now, &st->sweeps[1]) < 0 ||
        acct_flow_sweep(ctx->txn, ACCT_DBI(st, ACCT_DB_FLOWS), now, &st->sweeps[2]) < 0 ||
        acct_session_sweep(ctx->txn, ACCT_DBI(st, ACCT_DB_SESSIONS), now, &st->sweeps[3]) < 0 ||
        acct_lockout_sweep(st->cfg, ctx->txn, ACCT_DBI(st, ACCT_DB_FAILURES), now, &st->sweeps[4]) <
            0 ||
        acct_limits_sweep(ctx->txn, ACCT_DBI(st, ACCT_DB_LIMITS), now, &st->sweeps[5]) < 0 ||
        acct_phone_change_due(ctx) < 0)
        return -1;
    for (int i = 0; i < 6; i++)
        if (st->sweeps[i].behind)
            cmn_service_wake(ctx->svc, st->sweep_timer);
    return 0;
}

static int s_notices(cmn_ctx_t *ctx) {
    acct_state_t *st = ctx->self;
    return acct_notice_retry(st->notice, ctx);
}

static const cmn_route_t s_routes[] = {
    {DVCID__REQUEST__BODY_PING, s_on_ping},
    {DVCID__REQUEST__BODY_CAPTCHA_NEW, s_on_captcha},
    {DVCID__REQUEST__BODY_REG_START, acct_register_start},
    {DVCID__REQUEST__BODY_REG_RESEND, acct_register_resend},
    {DVCID__REQUEST__BODY_REG_VERIFY, acct_register_verify},
    {DVCID__REQUEST__BODY_REG_PASSWORD, acct_register_password},
    {DVCID__REQUEST__BODY_LOGIN_START, acct_login_start},
    {DVCID__REQUEST__BODY_LOGIN_RESEND, acct_login_resend},
    {DVCID__REQUEST__BODY_LOGIN_METHOD, acct_login_method},
    {DVCID__REQUEST__BODY_LOGIN_VERIFY, acct_login_verify},
    {DVCID__REQUEST__BODY_LOGIN_PHONE, acct_login_phone},
    {DVCID__REQUEST__BODY_LOGIN_PHONE_VERIFY, acct_login_phone_verify},
    {DVCID__REQUEST__BODY_RESET_START, acct_reset_start},
    {DVCID__REQUEST__BODY_RESET_RESEND, acct_reset_resend},
    {DVCID__REQUEST__BODY_RESET_VERIFY, acct_reset_verify},
    {DVCID__REQUEST__BODY_RESET_PASSWORD, acct_reset_password},
    {DVCID__REQUEST__BODY_UNLOCK_START, acct_unlock_start},
    {DVCID__REQUEST__BODY_UNLOCK_RESEND, acct_unlock_resend},
    {DVCID__REQUEST__BODY_UNLOCK_VERIFY, acct_unlock_verify},
    {DVCID__REQUEST__BODY_ME_GET, acct_me_get},
    {DVCID__REQUEST__BODY_ME_ADD_PHONE, acct_me_add_phone},
    {DVCID__REQUEST__BODY_ME_ADD_PHONE_VERIFY, acct_me_add_phone_verify},
    {DVCID__REQUEST__BODY_LOGOUT, acct_me_logout},
    {DVCID__REQUEST__BODY_JWKS_GET, acct_me_jwks},
    {DVCID__REQUEST__BODY_ADMIN_ACCOUNT_GET, acct_admin_account},
    {DVCID__REQUEST__BODY_ADMIN_UNLOCK, acct_admin_unlock},
    {DVCID__REQUEST__BODY_METRICS_GET, s_on_metrics},
    {DVCID__REQUEST__BODY_CAPTCHA_CHECK, acct_captcha_check},
    {DVCID__REQUEST__BODY_SHARD_STATS, acct_shard_stats},
    {DVCID__REQUEST__BODY_SHARD_PRUNE, acct_shard_prune},
};

/* A peer group per shard, at every instance of it: captchas cross shards. (This
 * shard's own group is made too and never asked.) 0 or -1. */
static int s_shard_peers(acct_state_t *st, const cmn_endpoints_t *eps) {
    if (st->nshards == 1) {
        st->shard_peer[0] = -1;
        return 0;
    }
    int first = -1;
    if (cmn_service_peer_shards(st->svc, "account-svc", eps, &first) != st->nshards)
        return -1;
    for (int s = 0; s < st->nshards; s++)
        st->shard_peer[s] = s == st->shard ? -1 : first + s;
    return 0;
}

int acct_service_data_dir(const cmn_config_t *cfg, int shard, char *out, size_t outlen) {
    char err[256], sub[32];
    cmn_endpoints_t *eps =
        cmn_endpoints_new("[account] endpoint", cfg->account_endpoint, err, sizeof(err));
    if (!eps) {
        CMN_ERROR(NULL, "%s", err);
        return -1;
    }
    /* One LMDB environment per shard: a host may hold several, and a split copies one
     * whole directory to the new shard's (docs/SHARDING.md). */
    cmn_shard_dir("account", shard, cmn_endpoints_shards(eps), sub, sizeof(sub));
    cmn_endpoints_destroy(&eps);
    return cmn_main_data_dir(cfg, sub, out, outlen);
}

cmn_db_t *acct_service_db_open(const cmn_config_t *cfg, int shard) {
    char dir[512];
    if (acct_service_data_dir(cfg, shard, dir, sizeof(dir)) != 0)
        return NULL;
    return cmn_db_new(dir, (size_t)cfg->storage_map_size_mib, acct_service_db_names, ACCT_NDB);
}

/* SIGHUP: the signing keys are read again, so a key made by dvcctl rotate-key signs from
 * now on and is in the JWKS without a restart. Limits, TTLs and token claims need nothing
 * here: they are read from cfg where they are used. */
static int s_reload(void *self, const cmn_config_t *next, char *err, size_t errlen) {
    acct_state_t *st = self;
    char dir[512], path[600];
    if (acct_service_data_dir(next, st->shard, dir, sizeof(dir)) != 0) {
        snprintf(err, errlen, "cannot find this shard's data directory (logged above)");
        return -1;
    }
    snprintf(path, sizeof(path), "%s/keys", dir);
    acct_keys_t *keys = acct_keys_new(path);
    if (!keys) {
        snprintf(err, errlen, "%s: cannot load the signing keys (logged above)", path);
        return -1;
    }
    acct_keys_destroy(&st->keys);
    st->keys = keys;
    return 0;
}

acct_service_t *acct_service_new(const cmn_config_t *cfg) {
    acct_service_t *self = calloc(1, sizeof(*self));
    cmn_endpoints_t *eps = NULL;
    char dir[512], path[600];
    if (!self)
        return NULL;
    acct_state_t *st = &self->st;
    st->cfg = cfg;
    if (cfg->captcha_test_answer[0])
        CMN_WARN(NULL, "captcha.test_answer is set: every captcha passes with it (tests only)");
    char err[256];
    eps = cmn_endpoints_new("[account] endpoint", cfg->account_endpoint, err, sizeof(err));
    if (!eps) {
        CMN_ERROR(NULL, "%s", err);
        goto fail;
    }
    st->nshards = cmn_endpoints_shards(eps);
    st->shard = cfg->proc_shard;
    if (st->shard >= st->nshards) {
        CMN_ERROR(NULL, "--shard %d: [account] endpoint names %d shard(s)", st->shard, st->nshards);
        goto fail;
    }
    if (acct_service_data_dir(cfg, st->shard, dir, sizeof(dir)) != 0)
        goto fail;
    snprintf(path, sizeof(path), "%s/captcha.key", dir);
    if (cmn_key_load(path, st->captcha_key) != 0)
        goto fail;
    snprintf(path, sizeof(path), "%s/keys", dir);
    st->keys = acct_keys_new(path);
    if (!st->keys)
        goto fail;
    st->db = acct_service_db_open(cfg, st->shard);
    if (!st->db || acct_register_migrate(st) < 0)
        goto fail;
    /* A hash of a random password with today's parameters: what an unknown ID number's
     * sign-in is checked against. */
    {
        uint8_t junk[32];
        char pw[65];
        randombytes_buf(junk, sizeof(junk));
        sodium_bin2hex(pw, sizeof(pw), junk, sizeof(junk));
        int bad = crypto_pwhash_str(st->dummy_hash, pw, strlen(pw),
                                    (unsigned long long)cfg->account_argon2_ops,
                                    (size_t)cfg->account_argon2_mem_mib * 1024u * 1024u);
        cmn_wipe(pw, sizeof(pw));
        if (bad)
            goto fail;
    }
    st->captcha = (acct_captcha_t){cfg, st->captcha_key, cmn_db_dbi(st->db, ACCT_DB_CAPTCHAS)};
    cmn_service_opts_t opts = {.name = "account-svc",
                               .bind = cfg->account_endpoint,
                               .bind_key = "[account] endpoint",
                               .cfg = cfg,
                               .routes = s_routes,
                               .nroutes = sizeof(s_routes) / sizeof(s_routes[0]),
                               .self = st,
                               .db = st->db,
                               .workers = cfg->account_hash_workers,
                               .worker_queue = cfg->account_hash_queue,
                               .admit = acct_shard_admit,
                               .reload = s_reload};
    st->svc = cmn_service_new(&opts);
    /* Captchas, registrations and flows are keyed by time-ordered ids; session keys are
     * random. */
    st->sweeps[0].ordered = st->sweeps[1].ordered = st->sweeps[2].ordered = 1;
    if (!st->svc)
        goto fail;
    /* Lookups: nothing to remember of their answers (which carry personal data). */
    static const Dvcid__Request__BodyCase read_only[] = {
        DVCID__REQUEST__BODY_ME_GET, DVCID__REQUEST__BODY_JWKS_GET,
        DVCID__REQUEST__BODY_ADMIN_ACCOUNT_GET, DVCID__REQUEST__BODY_SHARD_STATS};
    for (size_t i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++)
        if (cmn_service_read_only(st->svc, read_only[i]) != 0)
            goto fail;
    /* Method classes (issue 19.5): administration only from dvcctl's key; a captcha of
     * another shard only from account-svc; the citizens' routes from the gateway. */
    static const cmn_caller_t callers[] = {
        {DVCID__REQUEST__BODY_ADMIN_ACCOUNT_GET, CMN_ROLE_ADMIN},
        {DVCID__REQUEST__BODY_ADMIN_UNLOCK, CMN_ROLE_ADMIN},
        {DVCID__REQUEST__BODY_SHARD_STATS, CMN_ROLE_ADMIN},
        {DVCID__REQUEST__BODY_SHARD_PRUNE, CMN_ROLE_ADMIN},
        {DVCID__REQUEST__BODY_CAPTCHA_CHECK, CMN_ROLE_ACCOUNT},
        {DVCID__REQUEST__BODY_CAPTCHA_NEW, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_REG_START, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_REG_RESEND, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_REG_VERIFY, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_REG_PASSWORD, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_LOGIN_START, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_LOGIN_RESEND, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_LOGIN_METHOD, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_LOGIN_VERIFY, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_LOGIN_PHONE, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_LOGIN_PHONE_VERIFY, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_RESET_START, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_RESET_RESEND, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_RESET_VERIFY, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_RESET_PASSWORD, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_UNLOCK_START, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_UNLOCK_RESEND, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_UNLOCK_VERIFY, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_ME_GET, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_ME_ADD_PHONE, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_ME_ADD_PHONE_VERIFY, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_LOGOUT, CMN_ROLE_GATEWAY},
        {DVCID__REQUEST__BODY_JWKS_GET, CMN_ROLE_GATEWAY}};
    if (cmn_service_callers(st->svc, callers, sizeof(callers) / sizeof(callers[0])) != 0)
        goto fail;
    if (st->nshards > 1) {
        char labels[32];
        snprintf(labels, sizeof(labels), "shard=\"%d\"", st->shard);
        cmn_metrics_add_labels(cmn_service_metrics(st->svc), labels);
    }
    acct_lockout_metrics_init(cmn_service_metrics(st->svc));
    acct_limits_metrics_init(cmn_service_metrics(st->svc));
    st->otp_peer = cmn_service_peer(st->svc, "otp-svc", cfg->otp_endpoint);
    if (st->otp_peer < 0 || s_shard_peers(st, eps) != 0 ||
        (st->sweep_timer = cmn_service_every(st->svc, S_SWEEP_MS, s_sweep)) < 0)
        goto fail;
    cmn_endpoints_destroy(&eps);
    st->notice = acct_notice_new(ACCT_DBI(st, ACCT_DB_NOTICES), st->otp_peer);
    if (!st->notice || cmn_service_every(st->svc, 2000, s_notices) < 0)
        goto fail;
    return self;
fail:
    cmn_endpoints_destroy(&eps);
    acct_service_destroy(&self);
    return NULL;
}

void acct_service_destroy(acct_service_t **self_p) {
    if (!self_p || !*self_p)
        return;
    acct_service_t *self = *self_p;
    cmn_service_destroy(&self->st.svc);
    acct_notice_destroy(&self->st.notice);
    acct_keys_destroy(&self->st.keys);
    cmn_db_destroy(&self->st.db);
    cmn_wipe(self->st.captcha_key, sizeof(self->st.captcha_key));
    free(self);
    *self_p = NULL;
}

int acct_service_run(acct_service_t *self) { return cmn_service_run(self->st.svc); }
