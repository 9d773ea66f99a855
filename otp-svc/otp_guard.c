/* otp_guard: the checks before an SMS, their counts, the admin commands and gauges. */
#include "otp_guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_log.h"
#include "cmn_metrics.h"
#include "cmn_time.h"
#include "otp_budget.h"
#include "otp_pump.h"

#define S_STATUS_BLOCKS 50
#define S_STATUS_PREFIXES 20
#define S_PREFIX_SCAN 10000 /* today's prefixes the status looks at for the busiest */

struct otp_guard {
    const cmn_config_t *cfg;
    otp_guard_dbs_t dbs;
    otp_pump_t *pump;
    cmn_db_sweep_pos_t sweeps[3]; /* pump counts, pump blocks, budget */
};

otp_guard_t *otp_guard_new(const cmn_config_t *cfg, const otp_guard_dbs_t *dbs) {
    otp_guard_t *self = calloc(1, sizeof(*self));
    char err[256] = "out of memory";
    if (self)
        self->pump = otp_pump_new(cfg, dbs->counts, dbs->blocks, err, sizeof(err));
    if (!self || !self->pump) {
        CMN_ERROR(NULL, "otp-svc: %s", err);
        otp_guard_destroy(&self);
        return NULL;
    }
    self->cfg = cfg;
    self->dbs = *dbs;
    /* Counts and budgets are keyed by bucket or day, blocks by prefix: a pass a minute. */
    for (int i = 0; i < 3; i++)
        self->sweeps[i].lap_ms = 60000;
    return self;
}

void otp_guard_destroy(otp_guard_t **self_p) {
    if (!self_p || !*self_p)
        return;
    otp_pump_destroy(&(*self_p)->pump);
    free(*self_p);
    *self_p = NULL;
}

int otp_guard_reload(otp_guard_t *self, const cmn_config_t *next, char *err, size_t errlen) {
    otp_pump_t *pump = otp_pump_new(next, self->dbs.counts, self->dbs.blocks, err, errlen);
    if (!pump)
        return -1;
    otp_pump_destroy(&self->pump);
    self->pump = pump;
    return 0;
}

int otp_guard_config_check(const cmn_config_t *cfg, char *err, size_t errlen) {
    otp_pump_t *pump = otp_pump_new(cfg, 0, 0, err, errlen); /* parses, opens nothing */
    int ok = pump != NULL;
    otp_pump_destroy(&pump);
    return ok ? 0 : -1;
}

static void s_refused(cmn_ctx_t *ctx, const char *reason) {
    char labels[48];
    snprintf(labels, sizeof(labels), "reason=\"%s\"", reason);
    cmn_metrics_add(cmn_service_metrics(ctx->svc), "dvcid_otp_sms_refused_total", labels, 1,
                    "Codes refused before any SMS: paused, country, prefix_blocked, "
                    "budget_service, budget_prefix");
}

/* Answers status, with retry_after when known (> 0) and the detail when given. */
static void s_answer(cmn_ctx_t *ctx, cmn_call_t **call, Dvcid__Status status, uint32_t retry,
                     const char *field, const char *code) {
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__Error e = DVCID__ERROR__INIT;
    Dvcid__Count c = DVCID__COUNT__INIT;
    Dvcid__FieldError fe = DVCID__FIELD_ERROR__INIT;
    Dvcid__FieldError *details[1] = {&fe};
    e.status = status;
    if (retry) {
        c.value = retry;
        e.retry_after = &c;
    }
    if (field) {
        fe.field = (char *)field;
        fe.code = (char *)code;
        e.details = details;
        e.n_details = 1;
    }
    r.error = &e;
    cmn_call_reply(ctx, call, &r);
}

int otp_guard_admit(otp_guard_t *self, cmn_ctx_t *ctx, cmn_call_t **call, const char *phone,
                    int test_number) {
    const char *trace = cmn_call_trace(*call);
    uint64_t now = cmn_time_now_ms();
    int rc = otp_budget_paused(ctx->txn, self->dbs.sw, NULL);
    if (rc == 1) {
        s_refused(ctx, "paused");
        CMN_DEBUG(trace, "code refused: SMS paused");
        s_answer(ctx, call, DVCID__STATUS__STATUS_SMS_PAUSED, 0, NULL, NULL);
        return 1;
    }
    if (rc == 0 && !otp_pump_country_allowed(self->pump, phone)) {
        s_refused(ctx, "country");
        CMN_INFO(trace, "refused a code request: the destination country is not in "
                        "otp.allowed_countries");
        s_answer(ctx, call, DVCID__STATUS__STATUS_VALIDATION_FAILED, 0, "phone",
                 "country_not_allowed");
        return 1;
    }
    if (rc == 0 && !test_number) {
        otp_pump_verdict_t v;
        rc = otp_pump_check(self->pump, ctx->txn, phone, now, &v);
        if (rc == 1) {
            if (v.new_block) {
                cmn_metrics_add(cmn_service_metrics(ctx->svc), "dvcid_otp_pump_blocks_total", "", 1,
                                "Prefixes blocked by the pumping defence (each block)");
                CMN_WARN(trace, "sms pumping: prefix %s (%s) blocked for %u s, level %u: %s",
                         v.prefix, otp_pump_operator(self->pump, phone), v.retry_after, v.level,
                         v.reason);
            }
            s_refused(ctx, "prefix_blocked");
            s_answer(ctx, call, DVCID__STATUS__STATUS_SMS_PREFIX_BLOCKED, v.retry_after, NULL,
                     NULL);
            return 1;
        }
        uint32_t retry = 0;
        const char *scope = NULL;
        if (rc == 0)
            rc = otp_budget_check(self->cfg, ctx->txn, self->dbs.budget, v.prefix, now, &retry,
                                  &scope);
        if (rc == 1) {
            char reason[32];
            snprintf(reason, sizeof(reason), "budget_%s", scope);
            s_refused(ctx, reason);
            CMN_INFO(trace, "code refused: the day's SMS budget of the %s is spent (%s)", scope,
                     scope[0] == 'p' ? v.prefix : "all");
            s_answer(ctx, call, DVCID__STATUS__STATUS_SMS_BUDGET, retry, NULL, NULL);
            return 1;
        }
    }
    if (rc < 0) {
        cmn_call_fail(ctx, call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    return 0;
}

int otp_guard_sent(otp_guard_t *self, MDB_txn *txn, const char *phone, uint64_t now) {
    char prefix[OTP_PUMP_PREFIX_MAX];
    otp_pump_prefix(phone, prefix);
    return otp_pump_sent(self->pump, txn, phone, now) == 0 &&
                   otp_budget_count(txn, self->dbs.budget, prefix, now) == 0
               ? 0
               : -1;
}

int otp_guard_verified(otp_guard_t *self, MDB_txn *txn, const char *phone, uint64_t now) {
    return otp_pump_verified(self->pump, txn, phone, now);
}

/* --- status ----------------------------------------------------------------- */

typedef struct {
    Dvcid__OtpSmsBlock items[S_STATUS_BLOCKS];
    Dvcid__OtpSmsBlock *ptrs[S_STATUS_BLOCKS];
    char prefix[S_STATUS_BLOCKS][OTP_PUMP_PREFIX_MAX];
    char reason[S_STATUS_BLOCKS][160];
    size_t n;
    const otp_pump_t *pump;
} s_blocks_t;

static void s_block(const char *prefix, uint32_t level, uint64_t until_ms, const char *reason,
                    void *arg) {
    s_blocks_t *b = arg;
    Dvcid__OtpSmsBlock *it = &b->items[b->n];
    dvcid__otp_sms_block__init(it);
    snprintf(b->prefix[b->n], sizeof(b->prefix[0]), "%s", prefix);
    snprintf(b->reason[b->n], sizeof(b->reason[0]), "%s", reason);
    it->prefix = b->prefix[b->n];
    it->reason = b->reason[b->n];
    it->operator_ = (char *)otp_pump_operator(b->pump, prefix);
    it->until_ms = until_ms;
    it->level = level;
    b->ptrs[b->n] = it;
    b->n++;
}

typedef struct {
    Dvcid__OtpSmsCount items[S_STATUS_PREFIXES];
    Dvcid__OtpSmsCount *ptrs[S_STATUS_PREFIXES];
    char name[S_STATUS_PREFIXES][32];
    size_t n;
    uint64_t limit;
} s_top_t;

/* Keeps the busiest prefixes, busiest first. */
static void s_top(const char *prefix, uint32_t count, void *arg) {
    s_top_t *t = arg;
    size_t at = t->n;
    while (at > 0 && t->items[at - 1].sent < count)
        at--;
    if (at >= S_STATUS_PREFIXES)
        return;
    size_t last = t->n < S_STATUS_PREFIXES ? t->n : S_STATUS_PREFIXES - 1;
    for (size_t i = last; i > at; i--) {
        t->items[i] = t->items[i - 1];
        memcpy(t->name[i], t->name[i - 1], sizeof(t->name[0]));
    }
    dvcid__otp_sms_count__init(&t->items[at]);
    snprintf(t->name[at], sizeof(t->name[0]), "%s", prefix);
    t->items[at].sent = count;
    t->items[at].limit = t->limit;
    if (t->n < S_STATUS_PREFIXES)
        t->n++;
}

static int s_status(otp_guard_t *self, cmn_ctx_t *ctx, cmn_call_t **call) {
    static s_blocks_t blocks; /* large; only the service thread answers admin requests */
    static s_top_t top;
    MDB_txn *txn = ctx->txn;
    uint64_t now = cmn_time_now_ms(), since = 0;
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__OtpSmsStatusReply st = DVCID__OTP_SMS_STATUS_REPLY__INIT;
    Dvcid__OtpSmsCount service = DVCID__OTP_SMS_COUNT__INIT;
    Dvcid__OtpSmsCount ops[OTP_PUMP_OPERATORS_MAX], *opp[OTP_PUMP_OPERATORS_MAX];
    const char *names[OTP_PUMP_OPERATORS_MAX];
    char day[16], iso[16];
    uint32_t used = 0;
    int paused = otp_budget_paused(txn, self->dbs.sw, &since);
    memset(&blocks, 0, sizeof(blocks));
    memset(&top, 0, sizeof(top));
    blocks.pump = self->pump;
    top.limit = (uint64_t)self->cfg->otp_daily_budget_per_prefix;
    if (paused < 0 || otp_budget_used(txn, self->dbs.budget, NULL, now, &used) != 0 ||
        otp_pump_blocks(self->pump, txn, now, S_STATUS_BLOCKS, s_block, &blocks) < 0 ||
        otp_budget_prefixes(txn, self->dbs.budget, now, S_PREFIX_SCAN, s_top, &top) < 0) {
        cmn_call_fail(ctx, call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    size_t nops = otp_pump_operators(self->pump, names, OTP_PUMP_OPERATORS_MAX);
    for (size_t i = 0; i < nops; i++) {
        double sent = 0, verified = 0;
        if (otp_pump_operator_counts(self->pump, txn, names[i], now, &sent, &verified) != 0) {
            cmn_call_fail(ctx, call, DVCID__STATUS__STATUS_INTERNAL);
            return -1;
        }
        dvcid__otp_sms_count__init(&ops[i]);
        ops[i].name = (char *)names[i];
        ops[i].sent = (uint64_t)(sent + 0.5);
        ops[i].verified = (uint64_t)(verified + 0.5);
        opp[i] = &ops[i];
    }
    for (size_t i = 0; i < top.n; i++) {
        top.items[i].name = top.name[i];
        top.ptrs[i] = &top.items[i];
    }
    otp_budget_day(now, day);
    snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2s", day, day + 4, day + 6);
    st.paused = paused == 1;
    st.paused_ms = since;
    service.name = "service";
    service.sent = used;
    service.limit = (uint64_t)self->cfg->otp_daily_budget;
    st.service = &service;
    st.n_prefixes = top.n;
    st.prefixes = top.ptrs;
    st.n_blocks = blocks.n;
    st.blocks = blocks.ptrs;
    st.n_operators = nops;
    st.operators = opp;
    st.day = iso;
    r.body_case = DVCID__REPLY__BODY_OTP_SMS_STATUS;
    r.otp_sms_status = &st;
    cmn_call_reply(ctx, call, &r);
    return 0;
}

int otp_guard_on_admin(otp_guard_t *self, cmn_ctx_t *ctx, cmn_call_t *call,
                       const Dvcid__Request *req) {
    const char *trace = cmn_call_trace(call);
    int rc = 0;
    cmn_metrics_t *m = cmn_service_metrics(ctx->svc);
    switch (req->body_case) {
    case DVCID__REQUEST__BODY_OTP_SMS_PAUSE:
        rc = otp_budget_pause(ctx->txn, self->dbs.sw, cmn_time_now_ms());
        if (rc == 0) {
            CMN_WARN(trace, "SMS paused (dvcctl sms pause): no code is sent until resumed");
            cmn_metrics_set(m, "dvcid_otp_sms_paused", "", 1, "1 while every SMS is paused");
        }
        break;
    case DVCID__REQUEST__BODY_OTP_SMS_RESUME:
        rc = otp_budget_resume(ctx->txn, self->dbs.sw);
        if (rc == 0) {
            CMN_WARN(trace, "SMS resumed (dvcctl sms resume)");
            cmn_metrics_set(m, "dvcid_otp_sms_paused", "", 0, "1 while every SMS is paused");
        }
        break;
    default:
        break;
    }
    if (rc != 0) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    return s_status(self, ctx, &call);
}

/* --- gauges and sweeps ------------------------------------------------------- */

static void s_ignore(const char *prefix, uint32_t level, uint64_t until_ms, const char *reason,
                     void *arg) {
    (void)prefix, (void)level, (void)until_ms, (void)reason, (void)arg;
}

int otp_guard_tick(otp_guard_t *self, cmn_ctx_t *ctx) {
    cmn_metrics_t *m = cmn_service_metrics(ctx->svc);
    MDB_txn *txn = ctx->txn;
    uint64_t now = cmn_time_now_ms();
    uint32_t used = 0;
    int paused = otp_budget_paused(txn, self->dbs.sw, NULL);
    int blocked = otp_pump_blocks(self->pump, txn, now, 0, s_ignore, NULL);
    if (paused < 0 || blocked < 0 || otp_budget_used(txn, self->dbs.budget, NULL, now, &used) != 0)
        return -1;
    cmn_metrics_set(m, "dvcid_otp_sms_paused", "", paused, "1 while every SMS is paused");
    cmn_metrics_set(m, "dvcid_otp_pump_blocked_prefixes", "", blocked,
                    "Number prefixes the pumping defence blocks now");
    cmn_metrics_set(m, "dvcid_otp_sms_budget_used", "scope=\"service\"", used,
                    "SMS counted today (Vietnam time) against otp.daily_budget");
    cmn_metrics_set(m, "dvcid_otp_sms_budget_limit", "scope=\"service\"",
                    self->cfg->otp_daily_budget, "otp.daily_budget (0: none)");
    const char *names[OTP_PUMP_OPERATORS_MAX];
    size_t nops = otp_pump_operators(self->pump, names, OTP_PUMP_OPERATORS_MAX);
    for (size_t i = 0; i < nops; i++) {
        double sent = 0, verified = 0;
        char labels[64];
        if (otp_pump_operator_counts(self->pump, txn, names[i], now, &sent, &verified) != 0)
            return -1;
        snprintf(labels, sizeof(labels), "operator=\"%s\"", names[i]);
        cmn_metrics_set(m, "dvcid_otp_pump_sent", labels, sent,
                        "SMS sent per operator over otp.pump_window (sliding)");
        cmn_metrics_set(m, "dvcid_otp_pump_verified", labels, verified,
                        "Codes verified per operator over otp.pump_window (sliding)");
    }
    if (otp_pump_sweep(self->pump, txn, now, self->sweeps) < 0 ||
        otp_budget_sweep(txn, self->dbs.budget, now, &self->sweeps[2]) < 0)
        return -1;
    return 0;
}
