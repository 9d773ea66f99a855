/* gw_routes: the route table, path matching, and the generic halves of building
 * and rendering. The builders and renderers of each endpoint live by area
 * (gw_routes_<area>.c, listed in gw_routes_impl.h). Builders only copy fields
 * (typed, length-capped); every rule about their content is the owning service's,
 * so there is one authority per rule. */
#include "gw_routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_errors.h"
#include "gw_flat.h"
#include "gw_metrics.h"
#include "gw_routes_impl.h"

/* --- the table ------------------------------------------------------------------ */

#define POST(pattern, build, render, ok, flags)                                                    \
    { "POST", pattern, build, render, ok, flags, NULL }
#define GET(pattern, build, render, ok, flags)                                                     \
    { "GET", pattern, build, render, ok, flags, NULL }
#define LOCAL(pattern, local)                                                                      \
    { "GET", pattern, NULL, NULL, 200, 0, local }

static const gw_route_t s_routes[] = {
    LOCAL("/", gw_reg_local_page),
    LOCAL("/healthz", gw_reg_local_health),
    GET("/readyz", gw_reg_build_ping, gw_reg_render_ready, 200, GW_ROUTE_OWN_ERRORS),
    GET("/.well-known/jwks.json", gw_oidc_build_jwks, gw_oidc_render_jwks, 200, 0),
    LOCAL("/.well-known/openid-configuration", gw_oidc_local_discovery),
    GET("/metrics", gw_metrics_build, NULL, 200,
        GW_ROUTE_OWN_ERRORS | GW_ROUTE_METRICS | GW_ROUTE_MANAGEMENT),
    POST("/v1/captcha", gw_reg_build_captcha, gw_reg_render_captcha, 201, 0),
    /* registration (flows.md section 1) */
    POST("/v1/registrations", gw_reg_build_start, gw_reg_render_start, 201, 0),
    POST("/v1/registrations/{id}/otp/resend", gw_reg_build_resend, gw_routes_render_otp_sent, 200,
         0),
    POST("/v1/registrations/{id}/otp/verify", gw_reg_build_verify, gw_routes_render_flow_state, 200,
         0),
    POST("/v1/registrations/{id}/password", gw_reg_build_password, gw_reg_render_account, 201, 0),
    /* sign-in (section 2) and lost phone (section 3) */
    POST("/v1/logins", gw_login_build_start, gw_login_render_start, 201, 0),
    POST("/v1/logins/{id}/otp/resend", gw_login_build_resend, gw_routes_render_otp_sent, 200, 0),
    POST("/v1/logins/{id}/otp/method", gw_login_build_method, gw_routes_render_otp_sent, 200, 0),
    POST("/v1/logins/{id}/otp/verify", gw_login_build_verify, gw_login_render_session, 200, 0),
    POST("/v1/logins/{id}/phone", gw_login_build_phone, gw_routes_render_otp_sent, 200, 0),
    POST("/v1/logins/{id}/phone/verify", gw_login_build_phone_verify, gw_login_render_phone_changed,
         200, 0),
    /* forgot password (section 4): 202, the same whether or not the pair matches */
    POST("/v1/password-resets", gw_reset_build_start, gw_reset_render_start, 202, 0),
    POST("/v1/password-resets/{id}/otp/resend", gw_reset_build_resend, gw_routes_render_otp_sent,
         200, 0),
    POST("/v1/password-resets/{id}/otp/verify", gw_reset_build_verify, gw_routes_render_flow_state,
         200, 0),
    POST("/v1/password-resets/{id}/password", gw_reset_build_password, gw_routes_render_flow_state,
         200, 0),
    /* unlock with your phone (issue 21): 202, the same whether or not the ID is a locked
     * account; lifts the sign-in locks, signs nobody in */
    POST("/v1/unlocks", gw_unlock_build_start, gw_unlock_render_start, 202, 0),
    POST("/v1/unlocks/{id}/otp/resend", gw_unlock_build_resend, gw_routes_render_otp_sent, 200, 0),
    POST("/v1/unlocks/{id}/otp/verify", gw_unlock_build_verify, gw_routes_render_flow_state, 200,
         0),
    /* the signed-in user */
    GET("/v1/me", gw_me_build_get, gw_me_render_get, 200, GW_ROUTE_SESSION),
    POST("/v1/me/phones", gw_me_build_add_phone, gw_routes_render_otp_sent, 200, GW_ROUTE_SESSION),
    POST("/v1/me/phones/verify", gw_me_build_add_phone_verify, gw_me_render_phones, 200,
         GW_ROUTE_SESSION),
    POST("/v1/logout", gw_me_build_logout, gw_me_render_logout, 204,
         GW_ROUTE_SESSION | GW_ROUTE_CLEAR_COOKIE),
};

static const gw_route_t s_ready_details =
    GET("/readyz", gw_metrics_build, NULL, 200, GW_ROUTE_OWN_ERRORS | GW_ROUTE_READY_DETAILS);

const gw_route_t *gw_routes_ready_details(void) { return &s_ready_details; }

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

/* The body's optional "lang" (every route: the SMS a step sends follows it) over the
 * Accept-Language the request already has. */
static void s_lang(gw_request_t *req, gw_body_t *fields) {
    const char *lang = gw_body_str(fields, "lang", false);
    if (!lang[0])
        return;
    if (!gw_lang_valid(lang)) {
        gw_body_invalid(fields, "lang");
        return;
    }
    memcpy(req->lang, lang, GW_LANG_MAX);
}

int gw_routes_build(const gw_route_t *route, gw_request_t *req, const char *body, size_t len,
                    gw_answer_t *err) {
    if (!route->build)
        return 0;
    gw_flat_t flat;
    if (len > 0 && !req->raw && !req->json) {
        /* The common body, read in place in a copy the request keeps (its strings are
         * the message's); anything else goes to jansson below. */
        char *copy = malloc(len);
        if (copy)
            memcpy(copy, body, len);
        if (copy && gw_flat_parse(&flat, copy, len)) {
            req->raw = copy;
            req->raw_len = len;
            gw_body_t fields;
            gw_body_init_flat(&fields, &flat);
            route->build(req, &fields);
            s_lang(req, &fields);
            return gw_body_finish(&fields, err);
        }
        free(copy);
    }
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
    s_lang(req, &fields);
    return gw_body_finish(&fields, err);
}

/* Logout deletes the cookie when the session is gone (204, or 401: it was dead
 * already), and keeps it on 5xx, when the session may still live and a retry
 * should still carry it. */
static void s_finish(const gw_route_t *route, gw_answer_t *ans) {
    if ((route->flags & GW_ROUTE_CLEAR_COOKIE) && (ans->status == 204 || ans->status == 401))
        gw_session_clear_cookie(ans->set_cookie, sizeof(ans->set_cookie));
}

int gw_routes_render(const gw_route_t *route, const Dvcid__Reply *reply, gw_answer_t *ans) {
    int rc = 0;
    if (!(route->flags & GW_ROUTE_OWN_ERRORS) && reply->error &&
        reply->error->status != DVCID__STATUS__STATUS_OK) {
        rc = gw_errors_answer_reply(ans, reply->error) == 0 ? 0 : -1;
    } else if (!route->render || route->render(reply, route->ok, ans) != 0) {
        gw_errors_answer_status(ans, DVCID__STATUS__STATUS_INTERNAL);
        rc = -1;
    }
    s_finish(route, ans);
    return rc;
}

void gw_routes_unauthorized(const gw_route_t *route, gw_answer_t *ans) {
    gw_errors_answer_status(ans, DVCID__STATUS__STATUS_UNAUTHORIZED);
    s_finish(route, ans);
}
