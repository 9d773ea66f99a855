/* gw_routes_unlock: the endpoints of "unlock with your phone" (issue 21): a code to the
 * primary phone of a locked ID lifts its sign-in locks. The rules (captcha, decoys,
 * send limits) are account-svc's (acct_unlock.c); here the fields are only copied. */
#include "gw_routes_impl.h"

void gw_unlock_build_start(gw_request_t *req, gw_body_t *body) {
    Dvcid__UnlockStart *m = &req->body.unlock_start;
    dvcid__unlock_start__init(m);
    m->id_number = gw_body_str(body, "id_number", true);
    m->captcha_id = gw_body_str(body, "captcha_id", true);
    m->captcha_answer = gw_body_str(body, "captcha_answer", true);
    GW_SET_BODY(req, unlock_start, UNLOCK_START);
}

int gw_unlock_render_start(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    if (reply->body_case != DVCID__REPLY__BODY_UNLOCK_START)
        return -1;
    const Dvcid__UnlockStartReply *r = reply->unlock_start;
    return gw_routes_answer(
        ans, ok,
        json_pack("{s:s, s:o}", "unlock_id", r->unlock_id, "otp", gw_routes_otp_json(r->otp)));
}

void gw_unlock_build_resend(gw_request_t *req, gw_body_t *body) {
    (void)body;
    dvcid__unlock_resend__init(&req->body.unlock_resend);
    req->body.unlock_resend.unlock_id = req->id;
    GW_SET_BODY(req, unlock_resend, UNLOCK_RESEND);
}

void gw_unlock_build_verify(gw_request_t *req, gw_body_t *body) {
    Dvcid__UnlockVerify *m = &req->body.unlock_verify;
    dvcid__unlock_verify__init(m);
    m->unlock_id = req->id;
    m->code = gw_body_str(body, "code", true);
    GW_SET_BODY(req, unlock_verify, UNLOCK_VERIFY);
}
