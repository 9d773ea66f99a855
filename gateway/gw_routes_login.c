/* gw_routes_login: the endpoints of sign-in (flows.md section 2), the lost OTP
 * phone (section 3); forgot password is gw_routes_reset.c. The sign-in's last step is
 * the one place a session token reaches HTTP: in the body once, and in the
 * session cookie (gw_session). */
#include <string.h>

#include "gw_routes_impl.h"
#include "gw_session.h"

/* --- sign-in ---------------------------------------------------------------------- */

void gw_login_build_start(gw_request_t *req, gw_body_t *body) {
    Dvcid__LoginStart *m = &req->body.login_start;
    dvcid__login_start__init(m);
    m->id_number = gw_body_str(body, "id_number", true);
    m->password = gw_body_str(body, "password", true);
    m->captcha_id = gw_body_str(body, "captcha_id", true);
    m->captcha_answer = gw_body_str(body, "captcha_answer", true);
    GW_SET_BODY(req, login_start, LOGIN_START);
}

static json_t *s_methods_json(Dvcid__Method *const *methods, size_t n) {
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        const Dvcid__Method *m = methods[i];
        if (!m || json_array_append_new(
                      list, json_pack("{s:s, s:s, s:b}", "method_id", m->method_id, "phone_masked",
                                      m->phone_masked, "primary", (int)m->primary)) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

int gw_login_render_start(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    if (reply->body_case != DVCID__REPLY__BODY_LOGIN_START)
        return -1;
    const Dvcid__LoginStartReply *r = reply->login_start;
    return gw_routes_answer(ans, ok,
                            json_pack("{s:s, s:o, s:o}", "login_id", r->login_id, "otp",
                                      gw_routes_otp_json(r->otp), "methods",
                                      s_methods_json(r->methods, r->n_methods)));
}

void gw_login_build_resend(gw_request_t *req, gw_body_t *body) {
    (void)body;
    dvcid__login_resend__init(&req->body.login_resend);
    req->body.login_resend.login_id = req->id;
    GW_SET_BODY(req, login_resend, LOGIN_RESEND);
}

void gw_login_build_method(gw_request_t *req, gw_body_t *body) {
    Dvcid__LoginMethod *m = &req->body.login_method;
    dvcid__login_method__init(m);
    m->login_id = req->id;
    m->method_id = gw_body_str(body, "method_id", true);
    GW_SET_BODY(req, login_method, LOGIN_METHOD);
}

void gw_login_build_verify(gw_request_t *req, gw_body_t *body) {
    Dvcid__LoginVerify *m = &req->body.login_verify;
    dvcid__login_verify__init(m);
    m->login_id = req->id;
    m->code = gw_body_str(body, "code", true);
    GW_SET_BODY(req, login_verify, LOGIN_VERIFY);
}

/* The session in the body (for API clients) and in an HttpOnly cookie (for the web
 * page, whose script then never holds it). A token that could not be a cookie
 * value fails the whole answer rather than half-sign the user in. */
int gw_login_render_session(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    if (reply->body_case != DVCID__REPLY__BODY_SESSION)
        return -1;
    const Dvcid__SessionReply *s = reply->session;
    char cookie[GW_COOKIE_MAX];
    if (!s->token[0] || !s->access_token[0] ||
        gw_session_set_cookie(cookie, sizeof(cookie), s->token, s->expires_in) != 0)
        return -1;
    json_t *obj = json_pack("{s:{s:s, s:I}, s:s, s:s}", "session", "token", s->token, "expires_in",
                            (json_int_t)s->expires_in, "access_token", s->access_token,
                            "token_type", "Bearer");
    if (gw_routes_answer(ans, ok, obj) != 0)
        return -1;
    memcpy(ans->set_cookie, cookie, sizeof(cookie));
    return 0;
}

/* --- lost phone -------------------------------------------------------------------- */

void gw_login_build_phone(gw_request_t *req, gw_body_t *body) {
    Dvcid__LoginPhone *m = &req->body.login_phone;
    dvcid__login_phone__init(m);
    m->login_id = req->id;
    m->new_phone = gw_body_str(body, "new_phone", true);
    GW_SET_BODY(req, login_phone, LOGIN_PHONE);
}

void gw_login_build_phone_verify(gw_request_t *req, gw_body_t *body) {
    Dvcid__LoginPhoneVerify *m = &req->body.login_phone_verify;
    dvcid__login_phone_verify__init(m);
    m->login_id = req->id;
    m->code = gw_body_str(body, "code", true);
    GW_SET_BODY(req, login_phone_verify, LOGIN_PHONE_VERIFY);
}

int gw_login_render_phone_changed(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    if (reply->body_case != DVCID__REPLY__BODY_PHONE_CHANGED)
        return -1;
    const Dvcid__PhoneChangedReply *p = reply->phone_changed;
    /* Waiting out account.phone_change_cooling_off: not changed yet (api.md addition). */
    if (p->pending)
        return gw_routes_answer(ans, ok,
                                json_pack("{s:b, s:b, s:s, s:I}", "changed", 0, "pending", 1,
                                          "phone_masked", p->phone_masked, "effective_in",
                                          (json_int_t)p->effective_in));
    return gw_routes_answer(ans, ok,
                            json_pack("{s:b, s:s}", "changed", 1, "phone_masked", p->phone_masked));
}
