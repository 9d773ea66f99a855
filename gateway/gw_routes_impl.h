/* gw_routes_impl: what the route table (gw_routes.c) needs from the files that
 * build and render each area's endpoints: gw_routes_<area>.c exports gw_<area>_*
 * (gw_routes_reg.c: service, captcha, registration and the helpers all areas share;
 * gw_routes_login.c: sign-in, lost phone; gw_routes_reset.c: forgot password;
 * gw_routes_unlock.c: unlock with your phone; gw_routes_me.c: the signed-in user,
 * logout; gw_routes_oidc.c: JWKS, OIDC discovery). Private to the gateway. Builders fill req->msg
 * from the body fields (typed and length-capped by gw_body; content rules are account-svc's);
 * renderers follow gw_render_fn. */
#ifndef GW_ROUTES_IMPL_H
#define GW_ROUTES_IMPL_H

#include <jansson.h>

#include "gw_jw.h"
#include "gw_routes.h"

/* Points req->msg's oneof at the body member of the same name. */
#define GW_SET_BODY(req, field, CASE)                                                              \
    do {                                                                                           \
        (req)->msg.body_case = DVCID__REQUEST__BODY_##CASE;                                        \
        (req)->msg.field = &(req)->body.field;                                                     \
    } while (0)

/* --- shared by the areas (gw_routes_reg.c) -------------------------------------- */

/* The api.md "otp" object; NULL when otp is NULL (so json_pack's "o" fails). */
json_t *gw_routes_otp_json(const Dvcid__OtpInfo *otp);

/* Writes the same "otp" object; fails w when otp is NULL. */
void gw_routes_otp_write(gw_jw_t *w, const Dvcid__OtpInfo *otp);

/* Answers obj with status ok; takes obj. -1 when obj is NULL (a pack that failed
 * because the reply lacked a sub-message) or out of memory. */
int gw_routes_answer(gw_answer_t *ans, unsigned ok, json_t *obj);

gw_render_fn gw_routes_render_otp_sent;   /* {otp} */
gw_render_fn gw_routes_render_flow_state; /* {state} */

/* --- service, captcha, registration (gw_routes_reg.c) --------------------------- */

gw_local_fn gw_reg_local_page;
gw_local_fn gw_reg_local_health;
gw_build_fn gw_reg_build_ping;
gw_render_fn gw_reg_render_ready;
gw_build_fn gw_reg_build_captcha;
gw_render_fn gw_reg_render_captcha;
gw_build_fn gw_reg_build_start;
gw_render_fn gw_reg_render_start;
gw_build_fn gw_reg_build_resend;
gw_build_fn gw_reg_build_verify;
gw_build_fn gw_reg_build_password;
gw_render_fn gw_reg_render_account;

/* --- sign-in, lost phone (gw_routes_login.c) ----------------------------------- */

gw_build_fn gw_login_build_start;
gw_render_fn gw_login_render_start;
gw_build_fn gw_login_build_resend;
gw_build_fn gw_login_build_method;
gw_build_fn gw_login_build_verify;
gw_render_fn gw_login_render_session; /* also sets the session cookie */
gw_build_fn gw_login_build_phone;
gw_build_fn gw_login_build_phone_verify;
gw_render_fn gw_login_render_phone_changed;

/* --- forgot password (gw_routes_reset.c) ---------------------------------------- */

gw_build_fn gw_reset_build_start;
gw_render_fn gw_reset_render_start;
gw_build_fn gw_reset_build_resend;
gw_build_fn gw_reset_build_verify;
gw_build_fn gw_reset_build_password;

/* --- unlock with your phone (gw_routes_unlock.c) -------------------------------- */

gw_build_fn gw_unlock_build_start;
gw_render_fn gw_unlock_render_start;
gw_build_fn gw_unlock_build_resend;
gw_build_fn gw_unlock_build_verify;

/* --- the signed-in user, logout (gw_routes_me.c) -------------------------------- */

gw_build_fn gw_me_build_get;
gw_render_fn gw_me_render_get;
gw_build_fn gw_me_build_add_phone;
gw_build_fn gw_me_build_add_phone_verify;
gw_render_fn gw_me_render_phones;
gw_build_fn gw_me_build_logout;
gw_render_fn gw_me_render_logout; /* 204, no body */

/* --- what relying portals read (gw_routes_oidc.c) ------------------------------- */

gw_build_fn gw_oidc_build_jwks;
gw_render_fn gw_oidc_render_jwks;    /* cacheable: public, max-age=300 */
gw_local_fn gw_oidc_local_discovery; /* the OIDC discovery document (gw_oidc) */

#endif
