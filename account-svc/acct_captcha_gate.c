/* acct_captcha_gate: the captcha step that ends every start's validation (sign-in,
 * reset, unlock, registration). A captcha is spent on the shard that made it: this
 * shard when the id's shard key is its own, else it asks that shard (CaptchaCheck),
 * which answers with acct_captcha_check. */
#include "acct_captcha_gate.h"

#include <stdlib.h>

#include "acct_state.h"
#include "cmn_shard.h"
#include "cmn_time.h"

typedef struct {
    cmn_call_t *call;
    cmn_handler_fn *next;
} s_gate_t;

static int s_consume(cmn_ctx_t *ctx, const char *id, const char *answer, Dvcid__Status *status) {
    acct_state_t *st = ctx->self;
    int c = acct_captcha_consume(&st->captcha, ctx->txn, cmn_time_now_ms(), id, answer);
    *status = c == 0  ? DVCID__STATUS__STATUS_OK
              : c > 0 ? DVCID__STATUS__STATUS_CAPTCHA_INVALID
                      : DVCID__STATUS__STATUS_INTERNAL;
    return c < 0 ? -1 : 0;
}

static int s_gate_checked(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    s_gate_t *g = arg;
    cmn_call_t *call = g->call;
    cmn_handler_fn *next = g->next;
    free(g);
    if (reply->error && reply->error->status != DVCID__STATUS__STATUS_OK) {
        cmn_call_forward_error(ctx, &call, reply);
        return 0;
    }
    return next(ctx, call, cmn_call_request(call));
}

int acct_captcha_gate(cmn_ctx_t *ctx, cmn_call_t *call, acct_details_t *d, const char *id,
                      const char *answer, cmn_handler_fn *next) {
    acct_state_t *st = ctx->self;
    if (!id[0])
        acct_details_add(d, "captcha_id", "required");
    if (!answer[0])
        acct_details_add(d, "captcha_answer", "required");
    if (d->n) {
        acct_reply_details(ctx, &call, d);
        return 0;
    }
    uint16_t key;
    int owner = st->shard;
    if (st->nshards > 1 && cmn_shard_hex_key(id, &key))
        owner = cmn_shard_of(key, st->nshards);
    if (owner == st->shard) {
        Dvcid__Status status;
        int rc = s_consume(ctx, id, answer, &status);
        if (status != DVCID__STATUS__STATUS_OK) {
            cmn_call_fail(ctx, &call, status);
            return rc;
        }
        return next(ctx, call, cmn_call_request(call));
    }
    s_gate_t *g = malloc(sizeof(*g));
    if (!g) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return 0;
    }
    *g = (s_gate_t){call, next};
    Dvcid__Request ask = DVCID__REQUEST__INIT;
    Dvcid__CaptchaCheck body = DVCID__CAPTCHA_CHECK__INIT;
    body.captcha_id = (char *)id;
    body.answer = (char *)answer;
    ask.body_case = DVCID__REQUEST__BODY_CAPTCHA_CHECK;
    ask.captcha_check = &body;
    cmn_service_ask(ctx, st->shard_peer[owner], &ask, cmn_call_trace(call), cmn_call_deadline(call),
                    s_gate_checked, g);
    return 0;
}

int acct_captcha_check(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    Dvcid__Status status;
    int rc = s_consume(ctx, req->captcha_check->captcha_id, req->captcha_check->answer, &status);
    if (status != DVCID__STATUS__STATUS_OK) {
        cmn_call_fail(ctx, &call, status);
        return rc;
    }
    Dvcid__Reply r = DVCID__REPLY__INIT;
    cmn_call_reply(ctx, &call, &r);
    return 0;
}
