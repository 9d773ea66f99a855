/* gw_routes: the route table, path matching, and the builders and renderers of
 * each endpoint. Builders only copy fields (typed, length-capped); every rule about
 * their content is the owning service's, so there is one authority per rule. */
#include "gw_routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_captcha.h"
#include "gw_errors.h"
#include "gw_page.h"

/* --- local answers ------------------------------------------------------------ */

static void s_local_page(gw_answer_t *ans) { gw_answer_text(ans, 200, GW_CT_HTML, gw_page_html()); }

static void s_local_health(gw_answer_t *ans) {
    gw_answer_json(ans, 200, json_pack("{s:s}", "status", "ok"));
}

/* --- builders ----------------------------------------------------------------- */

#define SET_BODY(req, field, CASE)                                                                 \
    do {                                                                                           \
        (req)->msg.body_case = DVCID__REQUEST__BODY_##CASE;                                        \
        (req)->msg.field = &(req)->body.field;                                                     \
    } while (0)

static void s_build_ping(gw_request_t *req, gw_body_t *body) {
    (void)body;
    dvcid__ping__init(&req->body.ping);
    SET_BODY(req, ping, PING);
}

static void s_build_captcha(gw_request_t *req, gw_body_t *body) {
    (void)body;
    dvcid__captcha_new__init(&req->body.captcha_new);
    SET_BODY(req, captcha_new, CAPTCHA_NEW);
}

static void s_build_reg_start(gw_request_t *req, gw_body_t *body) {
    Dvcid__RegStart *m = &req->body.reg_start;
    dvcid__reg_start__init(m);
    m->id_number = gw_body_str(body, "id_number", true);
    m->full_name = gw_body_str(body, "full_name", true);
    m->date_of_birth = gw_body_str(body, "date_of_birth", true);
    m->phone = gw_body_str(body, "phone", true);
    m->email = gw_body_str(body, "email", false);
    m->captcha_id = gw_body_str(body, "captcha_id", true);
    m->captcha_answer = gw_body_str(body, "captcha_answer", true);
    SET_BODY(req, reg_start, REG_START);
}

static void s_build_reg_resend(gw_request_t *req, gw_body_t *body) {
    (void)body;
    dvcid__reg_resend__init(&req->body.reg_resend);
    req->body.reg_resend.registration_id = req->id;
    SET_BODY(req, reg_resend, REG_RESEND);
}

static void s_build_reg_verify(gw_request_t *req, gw_body_t *body) {
    Dvcid__RegVerify *m = &req->body.reg_verify;
    dvcid__reg_verify__init(m);
    m->registration_id = req->id;
    m->code = gw_body_str(body, "code", true);
    SET_BODY(req, reg_verify, REG_VERIFY);
}

static void s_build_reg_password(gw_request_t *req, gw_body_t *body) {
    Dvcid__RegPassword *m = &req->body.reg_password;
    dvcid__reg_password__init(m);
    m->registration_id = req->id;
    m->password = gw_body_str(body, "password", true);
    m->password_confirm = gw_body_str(body, "password_confirm", true);
    SET_BODY(req, reg_password, REG_PASSWORD);
}

/* --- renderers ---------------------------------------------------------------- */

static json_t *s_otp_json(const Dvcid__OtpInfo *otp) {
    if (!otp)
        return NULL;
    return json_pack("{s:s, s:I, s:I, s:I}", "phone_masked", otp->phone_masked, "length",
                     (json_int_t)otp->length, "expires_in", (json_int_t)otp->expires_in,
                     "resend_after", (json_int_t)otp->resend_after);
}

/* Packs fmt's object and answers it; json_pack fails on a NULL "o", which is how a
 * reply missing its sub-message ends as -1. */
static int s_answer(gw_answer_t *ans, unsigned ok, json_t *obj) {
    if (!obj)
        return -1;
    return gw_answer_json(ans, ok, obj);
}

static int s_render_ready(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    bool ready = reply->body_case == DVCID__REPLY__BODY_PONG && reply->pong->ready &&
                 !(reply->error && reply->error->status != DVCID__STATUS__STATUS_OK);
    return s_answer(ans, ready ? ok : 503,
                    json_pack("{s:s}", "status", ready ? "ready" : "unavailable"));
}

static int s_render_captcha(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    if (reply->body_case != DVCID__REPLY__BODY_CAPTCHA || !reply->captcha->answer[0])
        return -1;
    char *image = gw_captcha_data_url(reply->captcha->answer);
    if (!image)
        return -1;
    json_t *obj = json_pack("{s:s, s:s}", "captcha_id", reply->captcha->captcha_id, "image", image);
    free(image);
    return s_answer(ans, ok, obj);
}

static int s_render_reg_start(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    if (reply->body_case != DVCID__REPLY__BODY_REG_START)
        return -1;
    const Dvcid__RegStartReply *r = reply->reg_start;
    return s_answer(
        ans, ok,
        json_pack("{s:s, s:o}", "registration_id", r->registration_id, "otp", s_otp_json(r->otp)));
}

static int s_render_otp_sent(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    if (reply->body_case != DVCID__REPLY__BODY_OTP_SENT)
        return -1;
    return s_answer(ans, ok, json_pack("{s:o}", "otp", s_otp_json(reply->otp_sent->otp)));
}

static int s_render_flow_state(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    if (reply->body_case != DVCID__REPLY__BODY_FLOW_STATE)
        return -1;
    return s_answer(ans, ok, json_pack("{s:s}", "state", reply->flow_state->state));
}

static int s_render_account(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    if (reply->body_case != DVCID__REPLY__BODY_ACCOUNT)
        return -1;
    const Dvcid__AccountReply *a = reply->account;
    return s_answer(ans, ok,
                    json_pack("{s:{s:s, s:s}}", "account", "id_number", a->id_number,
                              "phone_masked", a->phone_masked));
}

/* --- the table ------------------------------------------------------------------ */

static const gw_route_t s_routes[] = {
    {"GET", "/", NULL, NULL, 200, false, s_local_page},
    {"GET", "/healthz", NULL, NULL, 200, false, s_local_health},
    {"GET", "/readyz", s_build_ping, s_render_ready, 200, true, NULL},
    {"POST", "/v1/captcha", s_build_captcha, s_render_captcha, 201, false, NULL},
    {"POST", "/v1/registrations", s_build_reg_start, s_render_reg_start, 201, false, NULL},
    {"POST", "/v1/registrations/{id}/otp/resend", s_build_reg_resend, s_render_otp_sent, 200, false,
     NULL},
    {"POST", "/v1/registrations/{id}/otp/verify", s_build_reg_verify, s_render_flow_state, 200,
     false, NULL},
    {"POST", "/v1/registrations/{id}/password", s_build_reg_password, s_render_account, 201, false,
     NULL},
};

#define S_NROUTES (sizeof(s_routes) / sizeof(s_routes[0]))

const gw_route_t *gw_routes_table(size_t *n) {
    *n = S_NROUTES;
    return s_routes;
}

static bool s_id_ok(const char *seg, size_t len) {
    if (len == 0 || len > GW_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)seg[i] <= 0x20 || (unsigned char)seg[i] >= 0x7f)
            return false;
    return true;
}

/* Matches path against pattern segment by segment; copies the {id} segment. */
static bool s_path_match(const char *pattern, const char *path, char id[GW_ID_MAX + 1]) {
    id[0] = '\0';
    while (*pattern && *path) {
        if (*pattern != '/' || *path != '/')
            return false;
        pattern++, path++;
        size_t plen = strcspn(pattern, "/"), slen = strcspn(path, "/");
        if (plen == 4 && memcmp(pattern, "{id}", 4) == 0) {
            if (!s_id_ok(path, slen))
                return false;
            memcpy(id, path, slen);
            id[slen] = '\0';
        } else if (plen != slen || memcmp(pattern, path, plen) != 0) {
            return false;
        }
        pattern += plen, path += slen;
    }
    return *pattern == '\0' && *path == '\0';
}

gw_match_t gw_routes_match(const char *method, const char *path, const gw_route_t **route,
                           char id[GW_ID_MAX + 1], char *allow, size_t allowlen) {
    const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
    bool path_found = false;
    char tmp[GW_ID_MAX + 1];
    if (allowlen > 0)
        allow[0] = '\0';
    *route = NULL;
    for (size_t i = 0; i < S_NROUTES; i++) {
        if (!s_path_match(s_routes[i].pattern, path, tmp))
            continue;
        if (strcmp(s_routes[i].method, want) == 0) {
            *route = &s_routes[i];
            memcpy(id, tmp, sizeof(tmp));
            return GW_MATCH_OK;
        }
        path_found = true;
        size_t used = strlen(allow);
        if (!strstr(allow, s_routes[i].method))
            snprintf(allow + used, allowlen - used, "%s%s%s", used ? ", " : "", s_routes[i].method,
                     strcmp(s_routes[i].method, "GET") == 0 ? ", HEAD" : "");
    }
    return path_found ? GW_MATCH_BAD_METHOD : GW_MATCH_NOT_FOUND;
}

int gw_routes_build(const gw_route_t *route, gw_request_t *req, const char *body, size_t len,
                    gw_answer_t *err) {
    if (!route->build)
        return 0;
    if (len > 0) {
        json_error_t jerr;
        /* jansson refuses invalid UTF-8, NUL in strings and trailing garbage. */
        json_t *obj = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!obj || !json_is_object(obj)) {
            json_decref(obj);
            gw_errors_answer_status(err, DVCID__STATUS__STATUS_INVALID_REQUEST);
            return -1;
        }
        json_decref(req->json);
        req->json = obj;
    }
    gw_body_t fields;
    gw_body_init(&fields, req->json);
    route->build(req, &fields);
    return gw_body_finish(&fields, err);
}

int gw_routes_render(const gw_route_t *route, const Dvcid__Reply *reply, gw_answer_t *ans) {
    if (!route->own_errors && reply->error && reply->error->status != DVCID__STATUS__STATUS_OK)
        return gw_errors_answer_reply(ans, reply->error) == 0 ? 0 : -1;
    if (!route->render || route->render(reply, route->ok, ans) != 0) {
        gw_errors_answer_status(ans, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    return 0;
}
