/* gw_routes_me: the endpoints of the signed-in user (/v1/me, adding a phone) and
 * logout (the JWKS and OIDC discovery are gw_routes_oidc.c).
 * The session token comes from the HTTP layer (req->token, see gw_session); the
 * routes here never see how it arrived. */
#include "gw_routes_impl.h"

/* --- the signed-in user ------------------------------------------------------------ */

static json_t *s_phones_json(Dvcid__PhoneInfo *const *phones, size_t n) {
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        const Dvcid__PhoneInfo *p = phones[i];
        if (!p ||
            json_array_append_new(list, json_pack("{s:s, s:b}", "phone_masked", p->phone_masked,
                                                  "primary", (int)p->primary)) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

void gw_me_build_get(gw_request_t *req, gw_body_t *body) {
    (void)body;
    dvcid__me_get__init(&req->body.me_get);
    req->body.me_get.token = req->token;
    GW_SET_BODY(req, me_get, ME_GET);
}

int gw_me_render_get(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    if (reply->body_case != DVCID__REPLY__BODY_ME)
        return -1;
    const Dvcid__MeReply *me = reply->me;
    return gw_routes_answer(ans, ok,
                            json_pack("{s:s, s:s, s:o}", "id_number", me->id_number, "full_name",
                                      me->full_name, "phones",
                                      s_phones_json(me->phones, me->n_phones)));
}

void gw_me_build_add_phone(gw_request_t *req, gw_body_t *body) {
    Dvcid__MeAddPhone *m = &req->body.me_add_phone;
    dvcid__me_add_phone__init(m);
    m->token = req->token;
    m->phone = gw_body_str(body, "phone", true);
    m->password = gw_body_str(body, "password", false); /* re-authentication, when asked */
    GW_SET_BODY(req, me_add_phone, ME_ADD_PHONE);
}

void gw_me_build_add_phone_verify(gw_request_t *req, gw_body_t *body) {
    Dvcid__MeAddPhoneVerify *m = &req->body.me_add_phone_verify;
    dvcid__me_add_phone_verify__init(m);
    m->token = req->token;
    m->code = gw_body_str(body, "code", true);
    GW_SET_BODY(req, me_add_phone_verify, ME_ADD_PHONE_VERIFY);
}

int gw_me_render_phones(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    if (reply->body_case != DVCID__REPLY__BODY_PHONES)
        return -1;
    const Dvcid__PhonesReply *p = reply->phones;
    return gw_routes_answer(ans, ok,
                            json_pack("{s:o}", "phones", s_phones_json(p->phones, p->n_phones)));
}

/* --- logout ------------------------------------------------------------------------ */

void gw_me_build_logout(gw_request_t *req, gw_body_t *body) {
    (void)body;
    dvcid__logout__init(&req->body.logout);
    req->body.logout.token = req->token;
    GW_SET_BODY(req, logout, LOGOUT);
}

/* The cookie itself is deleted by the route's GW_ROUTE_CLEAR_COOKIE. */
int gw_me_render_logout(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    if (reply->body_case != DVCID__REPLY__BODY_LOGOUT)
        return -1;
    gw_answer_empty(ans, ok);
    return 0;
}
