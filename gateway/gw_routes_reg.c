/* gw_routes_reg: the endpoints of the service itself (page, health, readiness),
 * the captcha and the registration flow (flows.md section 1), and the renderers
 * every flow shares ({otp}, {state}). */
#include <stdlib.h>

#include "gw_captcha.h"
#include "gw_page.h"
#include "gw_routes_impl.h"

/* --- shared --------------------------------------------------------------------- */

json_t *gw_routes_otp_json(const Dvcid__OtpInfo *otp) {
    if (!otp)
        return NULL;
    return json_pack("{s:s, s:I, s:I, s:I}", "phone_masked", otp->phone_masked, "length",
                     (json_int_t)otp->length, "expires_in", (json_int_t)otp->expires_in,
                     "resend_after", (json_int_t)otp->resend_after);
}

void gw_routes_otp_write(gw_jw_t *w, const Dvcid__OtpInfo *otp) {
    if (!otp) {
        w->failed = true;
        return;
    }
    gw_jw_raw(w, "{\"phone_masked\":");
    gw_jw_str(w, otp->phone_masked);
    gw_jw_raw(w, ",\"length\":");
    gw_jw_int(w, (long long)otp->length);
    gw_jw_raw(w, ",\"expires_in\":");
    gw_jw_int(w, (long long)otp->expires_in);
    gw_jw_raw(w, ",\"resend_after\":");
    gw_jw_int(w, (long long)otp->resend_after);
    gw_jw_raw(w, "}");
}

int gw_routes_answer(gw_answer_t *ans, unsigned ok, json_t *obj) {
    if (!obj)
        return -1;
    return gw_answer_json(ans, ok, obj);
}

int gw_routes_render_otp_sent(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    if (reply->body_case != DVCID__REPLY__BODY_OTP_SENT)
        return -1;
    gw_jw_t w;
    gw_jw_init(&w);
    gw_jw_raw(&w, "{\"otp\":");
    gw_routes_otp_write(&w, reply->otp_sent->otp);
    gw_jw_raw(&w, "}");
    return gw_jw_answer(&w, ans, ok);
}

int gw_routes_render_flow_state(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    if (reply->body_case != DVCID__REPLY__BODY_FLOW_STATE)
        return -1;
    gw_jw_t w;
    gw_jw_init(&w);
    gw_jw_raw(&w, "{\"state\":");
    gw_jw_str(&w, reply->flow_state->state);
    gw_jw_raw(&w, "}");
    return gw_jw_answer(&w, ans, ok);
}

/* --- the service ------------------------------------------------------------------ */

void gw_reg_local_page(gw_answer_t *ans, const gw_local_t *in) {
    (void)in;
    gw_answer_text(ans, 200, GW_CT_HTML, gw_page_html());
}

void gw_reg_local_health(gw_answer_t *ans, const gw_local_t *in) {
    (void)in;
    gw_answer_json(ans, 200, json_pack("{s:s}", "status", "ok"));
}

void gw_reg_build_ping(gw_request_t *req, gw_body_t *body) {
    (void)body;
    dvcid__ping__init(&req->body.ping);
    GW_SET_BODY(req, ping, PING);
}

int gw_reg_render_ready(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    bool ready = reply->body_case == DVCID__REPLY__BODY_PONG && reply->pong->ready &&
                 !(reply->error && reply->error->status != DVCID__STATUS__STATUS_OK);
    return gw_routes_answer(ans, ready ? ok : 503,
                            json_pack("{s:s}", "status", ready ? "ready" : "unavailable"));
}

/* --- captcha ---------------------------------------------------------------------- */

void gw_reg_build_captcha(gw_request_t *req, gw_body_t *body) {
    (void)body;
    dvcid__captcha_new__init(&req->body.captcha_new);
    GW_SET_BODY(req, captcha_new, CAPTCHA_NEW);
}

int gw_reg_render_captcha(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    if (reply->body_case != DVCID__REPLY__BODY_CAPTCHA || !reply->captcha->answer[0])
        return -1;
    char *image = gw_captcha_data_url(reply->captcha->answer);
    if (!image)
        return -1;
    json_t *obj = json_pack("{s:s, s:s}", "captcha_id", reply->captcha->captcha_id, "image", image);
    free(image);
    return gw_routes_answer(ans, ok, obj);
}

/* --- registration ----------------------------------------------------------------- */

void gw_reg_build_start(gw_request_t *req, gw_body_t *body) {
    Dvcid__RegStart *m = &req->body.reg_start;
    dvcid__reg_start__init(m);
    m->id_number = gw_body_str(body, "id_number", true);
    m->full_name = gw_body_str(body, "full_name", true);
    m->date_of_birth = gw_body_str(body, "date_of_birth", true);
    m->phone = gw_body_str(body, "phone", true);
    m->email = gw_body_str(body, "email", false);
    m->captcha_id = gw_body_str(body, "captcha_id", true);
    m->captcha_answer = gw_body_str(body, "captcha_answer", true);
    GW_SET_BODY(req, reg_start, REG_START);
}

int gw_reg_render_start(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    if (reply->body_case != DVCID__REPLY__BODY_REG_START)
        return -1;
    const Dvcid__RegStartReply *r = reply->reg_start;
    gw_jw_t w;
    gw_jw_init(&w);
    gw_jw_raw(&w, "{\"registration_id\":");
    gw_jw_str(&w, r->registration_id);
    gw_jw_raw(&w, ",\"otp\":");
    gw_routes_otp_write(&w, r->otp);
    gw_jw_raw(&w, "}");
    return gw_jw_answer(&w, ans, ok);
}

void gw_reg_build_resend(gw_request_t *req, gw_body_t *body) {
    (void)body;
    dvcid__reg_resend__init(&req->body.reg_resend);
    req->body.reg_resend.registration_id = req->id;
    GW_SET_BODY(req, reg_resend, REG_RESEND);
}

void gw_reg_build_verify(gw_request_t *req, gw_body_t *body) {
    Dvcid__RegVerify *m = &req->body.reg_verify;
    dvcid__reg_verify__init(m);
    m->registration_id = req->id;
    m->code = gw_body_str(body, "code", true);
    GW_SET_BODY(req, reg_verify, REG_VERIFY);
}

void gw_reg_build_password(gw_request_t *req, gw_body_t *body) {
    Dvcid__RegPassword *m = &req->body.reg_password;
    dvcid__reg_password__init(m);
    m->registration_id = req->id;
    m->password = gw_body_str(body, "password", true);
    m->password_confirm = gw_body_str(body, "password_confirm", true);
    GW_SET_BODY(req, reg_password, REG_PASSWORD);
}

int gw_reg_render_account(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    if (reply->body_case != DVCID__REPLY__BODY_ACCOUNT)
        return -1;
    const Dvcid__AccountReply *a = reply->account;
    return gw_routes_answer(ans, ok,
                            json_pack("{s:{s:s, s:s}}", "account", "id_number", a->id_number,
                                      "phone_masked", a->phone_masked));
}
