/* cmn_service_ping: readiness. The default Ping handler answers ready; a service that
 * needs another is ready when that one is (cmn_service_ping_through): account-svc asks
 * otp-svc, which asks sms-worker, so the gateway's /readyz sees the whole chain in one
 * request. */
#include "cmn_service_int.h"

static int s_on_pong(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    cmn_call_t *call = arg;
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__Pong pong = DVCID__PONG__INIT;
    pong.service = ctx->svc->name;
    pong.ready = !reply->error && reply->body_case == DVCID__REPLY__BODY_PONG && reply->pong->ready;
    r.body_case = DVCID__REPLY__BODY_PONG;
    r.pong = &pong;
    cmn_call_reply(ctx, &call, &r);
    return 0;
}

int cmn_service_on_ping(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    (void)req;
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__Pong pong = DVCID__PONG__INIT;
    pong.service = ctx->svc->name;
    pong.ready = true;
    r.body_case = DVCID__REPLY__BODY_PONG;
    r.pong = &pong;
    cmn_call_reply(ctx, &call, &r);
    return 0;
}

int cmn_service_ping_through(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req,
                             int peer) {
    Dvcid__Request ping = DVCID__REQUEST__INIT;
    Dvcid__Ping body = DVCID__PING__INIT;
    ping.body_case = DVCID__REQUEST__BODY_PING;
    ping.ping = &body;
    cmn_service_ask(ctx, peer, &ping, req->trace_id, cmn_call_deadline(call), s_on_pong, call);
    return 0;
}
