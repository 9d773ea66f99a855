/* gw_routes_reset: the endpoints of forgot password (flows.md section 4): a start
 * with ID number, phone and captcha, the OTP's resend and verify, and the new
 * password. */
#include "gw_routes_impl.h"

void gw_reset_build_start(gw_request_t *req, gw_body_t *body) {
    Dvcid__ResetStart *m = &req->body.reset_start;
    dvcid__reset_start__init(m);
    m->id_number = gw_body_str(body, "id_number", true);
    m->phone = gw_body_str(body, "phone", true);
    m->captcha_id = gw_body_str(body, "captcha_id", true);
    m->captcha_answer = gw_body_str(body, "captcha_answer", true);
    GW_SET_BODY(req, reset_start, RESET_START);
}

int gw_reset_render_start(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    if (reply->body_case != DVCID__REPLY__BODY_RESET_START)
        return -1;
    const Dvcid__ResetStartReply *r = reply->reset_start;
    return gw_routes_answer(
        ans, ok,
        json_pack("{s:s, s:o}", "reset_id", r->reset_id, "otp", gw_routes_otp_json(r->otp)));
}

void gw_reset_build_resend(gw_request_t *req, gw_body_t *body) {
    (void)body;
    dvcid__reset_resend__init(&req->body.reset_resend);
    req->body.reset_resend.reset_id = req->id;
    GW_SET_BODY(req, reset_resend, RESET_RESEND);
}

void gw_reset_build_verify(gw_request_t *req, gw_body_t *body) {
    Dvcid__ResetVerify *m = &req->body.reset_verify;
    dvcid__reset_verify__init(m);
    m->reset_id = req->id;
    m->code = gw_body_str(body, "code", true);
    GW_SET_BODY(req, reset_verify, RESET_VERIFY);
}

void gw_reset_build_password(gw_request_t *req, gw_body_t *body) {
    Dvcid__ResetPassword *m = &req->body.reset_password;
    dvcid__reset_password__init(m);
    m->reset_id = req->id;
    m->password = gw_body_str(body, "password", true);
    m->password_confirm = gw_body_str(body, "password_confirm", true);
    GW_SET_BODY(req, reset_password, RESET_PASSWORD);
}
