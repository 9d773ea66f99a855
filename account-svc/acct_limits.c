/* acct_limits: "c:" and "r:" windows keyed by the client's cmn_ipkey, "o:" windows keyed
 * by an ID number. */
#include "acct_limits.h"

#include <stdio.h>

#include "acct_state.h"
#include "acct_step.h"
#include "cmn_ipkey.h"
#include "cmn_log.h"
#include "cmn_metrics.h"
#include "cmn_time.h"
#include "cmn_window.h"

typedef struct {
    char prefix;
    const char *label; /* dvcid_address_limited_total{what} */
} s_kind_t;

static const s_kind_t s_kinds[] = {
    [ACCT_LIMIT_CAPTCHA] = {'c', "what=\"captcha\""},
    [ACCT_LIMIT_REGISTRATION] = {'r', "what=\"registration\""},
};

static const char s_help[] = "requests refused by an hourly limit: captchas and registration "
                             "starts of a client address (IPv6 /64), OTP codes of an account";
static const char s_otp_label[] = "what=\"otp_account\"";

static uint32_t s_max(const cmn_config_t *cfg, acct_limit_kind_t kind) {
    return (uint32_t)(kind == ACCT_LIMIT_CAPTCHA
                          ? cfg->captcha_max_per_ip_hour
                          : cfg->account_max_registration_starts_per_ip_hour);
}

int acct_limits_take(cmn_ctx_t *ctx, cmn_call_t **call, acct_limit_kind_t kind) {
    acct_state_t *st = ctx->self;
    const char *ip = cmn_call_client_ip(*call);
    if (!ip || !ip[0])
        return 0;
    char ipkey[CMN_IPKEY_MAX], key[CMN_IPKEY_MAX + 4];
    cmn_ipkey(ip, ipkey, sizeof(ipkey));
    snprintf(key, sizeof(key), "%c:%s", s_kinds[kind].prefix, ipkey);
    MDB_dbi dbi = ACCT_DBI(st, ACCT_DB_LIMITS);
    uint64_t now = cmn_time_now_ms();
    uint32_t retry = 0;
    int full =
        cmn_window_full(ctx->txn, dbi, key, now, CMN_WINDOW_HOUR_MS, s_max(st->cfg, kind), &retry);
    if (full == 0 && cmn_window_add(ctx->txn, dbi, key, now, CMN_WINDOW_HOUR_MS) != 0)
        full = -1;
    if (full < 0) {
        cmn_call_fail(ctx, call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    if (full == 0)
        return 0;
    CMN_INFO(cmn_call_trace(*call), "%s refused: %s is over its hourly limit",
             kind == ACCT_LIMIT_CAPTCHA ? "captcha" : "registration start", ipkey);
    cmn_metrics_add(cmn_service_metrics(ctx->svc), "dvcid_address_limited_total",
                    s_kinds[kind].label, 1, s_help);
    acct_reply_retry(ctx, call, DVCID__STATUS__STATUS_RATE_LIMITED, retry);
    return 1;
}

/* The account's wrong-code window: its key and span. */
static uint64_t s_otp_key(const cmn_config_t *cfg, const char *id_number, char *key, size_t size) {
    snprintf(key, size, "o:%s", id_number);
    return (uint64_t)cfg->account_otp_failures_window * 1000u;
}

int acct_limits_otp_refused(cmn_ctx_t *ctx, cmn_call_t **call, const char *id_number) {
    acct_state_t *st = ctx->self;
    char key[40];
    uint64_t span = s_otp_key(st->cfg, id_number, key, sizeof(key));
    uint32_t retry = 0;
    int full = cmn_window_full(ctx->txn, ACCT_DBI(st, ACCT_DB_LIMITS), key, cmn_time_now_ms(), span,
                               (uint32_t)st->cfg->account_max_otp_failures_per_hour, &retry);
    if (full < 0) {
        cmn_call_fail(ctx, call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    if (full == 0)
        return 0;
    char masked[32];
    cmn_mask_id(id_number, masked, sizeof(masked));
    CMN_INFO(cmn_call_trace(*call), "OTP code refused: id=%s is over its wrong-code limit", masked);
    cmn_metrics_add(cmn_service_metrics(ctx->svc), "dvcid_address_limited_total", s_otp_label, 1,
                    s_help);
    acct_reply_retry(ctx, call, DVCID__STATUS__STATUS_RATE_LIMITED, retry);
    return 1;
}

int acct_limits_otp_failed(cmn_ctx_t *ctx, const char *id_number) {
    acct_state_t *st = ctx->self;
    char key[40];
    uint64_t span = s_otp_key(st->cfg, id_number, key, sizeof(key));
    return cmn_window_add(ctx->txn, ACCT_DBI(st, ACCT_DB_LIMITS), key, cmn_time_now_ms(), span);
}

void acct_limits_metrics_init(cmn_metrics_t *m) {
    for (size_t i = 0; i < sizeof(s_kinds) / sizeof(s_kinds[0]); i++)
        cmn_metrics_add(m, "dvcid_address_limited_total", s_kinds[i].label, 0, s_help);
    cmn_metrics_add(m, "dvcid_address_limited_total", s_otp_label, 0, s_help);
}

int acct_limits_sweep(MDB_txn *txn, MDB_dbi dbi, uint64_t now, cmn_db_sweep_pos_t *pos) {
    return cmn_window_sweep(txn, dbi, now, CMN_WINDOW_HOUR_MS, pos);
}
