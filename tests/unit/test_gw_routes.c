/* gw_routes: path and method matching (404, 405 with Allow, {id} rules) and the
 * rendering of replies into HTTP answers. */
#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "cmn_shard.h"
#include "gw_page.h"
#include "gw_routes.h"
#include "proto/dvcid_shard.h"
#include "tap.h"

static void test_match(void) {
    static const struct {
        const char *method, *path;
        gw_match_t want;
        const char *pattern; /* of the route found */
        const char *id;
        const char *allow;
    } rows[] = {
        {"GET", "/", GW_MATCH_OK, "/", "", NULL},
        {"HEAD", "/", GW_MATCH_OK, "/", "", NULL},
        {"POST", "/", GW_MATCH_BAD_METHOD, NULL, NULL, "GET, HEAD"},
        {"GET", "/healthz", GW_MATCH_OK, "/healthz", "", NULL},
        {"GET", "/readyz", GW_MATCH_OK, "/readyz", "", NULL},
        {"DELETE", "/readyz", GW_MATCH_BAD_METHOD, NULL, NULL, "GET, HEAD"},
        {"POST", "/v1/captcha", GW_MATCH_OK, "/v1/captcha", "", NULL},
        {"GET", "/v1/captcha", GW_MATCH_BAD_METHOD, NULL, NULL, "POST"},
        {"POST", "/v1/captcha/", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        {"POST", "/v1/registrations", GW_MATCH_OK, "/v1/registrations", "", NULL},
        {"PUT", "/v1/registrations", GW_MATCH_BAD_METHOD, NULL, NULL, "POST"},
        {"POST", "/v1/registrations/abc123/otp/resend", GW_MATCH_OK,
         "/v1/registrations/{id}/otp/resend", "abc123", NULL},
        {"POST", "/v1/registrations/abc123/otp/verify", GW_MATCH_OK,
         "/v1/registrations/{id}/otp/verify", "abc123", NULL},
        {"POST", "/v1/registrations/0123456789abcdef0123456789abcdef/password", GW_MATCH_OK,
         "/v1/registrations/{id}/password", "0123456789abcdef0123456789abcdef", NULL},
        {"GET", "/v1/registrations/x/password", GW_MATCH_BAD_METHOD, NULL, NULL, "POST"},
        {"POST", "/v1/registrations//password", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        {"POST", "/v1/registrations/x/otp", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        {"POST", "/v1/registrations/x/otp/verify/more", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        {"POST", "/v1/registrations/a b/password", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        {"POST", "/v1/registrations/\xc3\xa9/password", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        {"GET", "/nope", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        {"GET", "", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        {"GET", "//", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        {"POST", "/v1", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        /* sign-in and lost phone */
        {"POST", "/v1/logins", GW_MATCH_OK, "/v1/logins", "", NULL},
        {"GET", "/v1/logins", GW_MATCH_BAD_METHOD, NULL, NULL, "POST"},
        {"POST", "/v1/logins/", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        {"POST", "/v1/logins/L1", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        {"POST", "/v1/logins/L1/otp/resend", GW_MATCH_OK, "/v1/logins/{id}/otp/resend", "L1", NULL},
        {"POST", "/v1/logins/L1/otp/method", GW_MATCH_OK, "/v1/logins/{id}/otp/method", "L1", NULL},
        {"POST", "/v1/logins/L1/otp/verify", GW_MATCH_OK, "/v1/logins/{id}/otp/verify", "L1", NULL},
        {"GET", "/v1/logins/L1/otp/verify", GW_MATCH_BAD_METHOD, NULL, NULL, "POST"},
        {"POST", "/v1/logins/L1/otp", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        {"POST", "/v1/logins/L1/otp/methods", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        {"POST", "/v1/logins/L1/phone", GW_MATCH_OK, "/v1/logins/{id}/phone", "L1", NULL},
        {"PUT", "/v1/logins/L1/phone", GW_MATCH_BAD_METHOD, NULL, NULL, "POST"},
        {"POST", "/v1/logins/L1/phone/verify", GW_MATCH_OK, "/v1/logins/{id}/phone/verify", "L1",
         NULL},
        {"POST", "/v1/logins/L1/phone/resend", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        {"POST", "/v1/logins//otp/verify", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        /* forgot password */
        {"POST", "/v1/password-resets", GW_MATCH_OK, "/v1/password-resets", "", NULL},
        {"GET", "/v1/password-resets", GW_MATCH_BAD_METHOD, NULL, NULL, "POST"},
        {"POST", "/v1/password-resets/R1/otp/verify", GW_MATCH_OK,
         "/v1/password-resets/{id}/otp/verify", "R1", NULL},
        {"POST", "/v1/password-resets/R1/otp/resend", GW_MATCH_OK,
         "/v1/password-resets/{id}/otp/resend", "R1", NULL},
        {"POST", "/v1/password-resets/R1/password", GW_MATCH_OK,
         "/v1/password-resets/{id}/password", "R1", NULL},
        {"PATCH", "/v1/password-resets/R1/password", GW_MATCH_BAD_METHOD, NULL, NULL, "POST"},
        {"POST", "/v1/password_resets", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        /* the signed-in user, logout, JWKS */
        {"GET", "/v1/me", GW_MATCH_OK, "/v1/me", "", NULL},
        {"HEAD", "/v1/me", GW_MATCH_OK, "/v1/me", "", NULL},
        {"POST", "/v1/me", GW_MATCH_BAD_METHOD, NULL, NULL, "GET, HEAD"},
        {"DELETE", "/v1/me", GW_MATCH_BAD_METHOD, NULL, NULL, "GET, HEAD"},
        {"GET", "/v1/me/", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        {"POST", "/v1/me/phones", GW_MATCH_OK, "/v1/me/phones", "", NULL},
        {"GET", "/v1/me/phones", GW_MATCH_BAD_METHOD, NULL, NULL, "POST"},
        {"POST", "/v1/me/phones/verify", GW_MATCH_OK, "/v1/me/phones/verify", "", NULL},
        {"POST", "/v1/me/phones/x/verify", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        {"POST", "/v1/logout", GW_MATCH_OK, "/v1/logout", "", NULL},
        {"GET", "/v1/logout", GW_MATCH_BAD_METHOD, NULL, NULL, "POST"},
        {"DELETE", "/v1/logout", GW_MATCH_BAD_METHOD, NULL, NULL, "POST"},
        {"GET", "/.well-known/jwks.json", GW_MATCH_OK, "/.well-known/jwks.json", "", NULL},
        {"HEAD", "/.well-known/jwks.json", GW_MATCH_OK, "/.well-known/jwks.json", "", NULL},
        {"POST", "/.well-known/jwks.json", GW_MATCH_BAD_METHOD, NULL, NULL, "GET, HEAD"},
        {"GET", "/.well-known/jwks", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
        {"GET", "/v1/.well-known/jwks.json", GW_MATCH_NOT_FOUND, NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const gw_route_t *route = NULL;
        char id[GW_ID_MAX + 1] = "?", allow[64] = "?";
        gw_match_t m =
            gw_routes_match(rows[i].method, rows[i].path, &route, id, allow, sizeof(allow));
        CHECK(m == rows[i].want, "%s %s: match %d, want %d", rows[i].method, rows[i].path, (int)m,
              (int)rows[i].want);
        if (m == GW_MATCH_OK && rows[i].want == GW_MATCH_OK) {
            CHECK_STR(route->pattern, rows[i].pattern);
            CHECK_STR(id, rows[i].id);
        }
        if (rows[i].allow && m == GW_MATCH_BAD_METHOD)
            CHECK_STR(allow, rows[i].allow);
        if (m != GW_MATCH_OK)
            CHECK(route == NULL, "%s: no route on a miss", rows[i].path);
    }
}

static void test_id_length(void) {
    char path[256], id64[GW_ID_MAX + 2];
    memset(id64, 'a', GW_ID_MAX);
    id64[GW_ID_MAX] = '\0';
    const gw_route_t *route;
    char id[GW_ID_MAX + 1], allow[64];
    snprintf(path, sizeof(path), "/v1/registrations/%s/otp/verify", id64);
    CHECK(gw_routes_match("POST", path, &route, id, allow, sizeof(allow)) == GW_MATCH_OK,
          "a 64-character id matches");
    CHECK_STR(id, id64);
    id64[GW_ID_MAX] = 'a';
    id64[GW_ID_MAX + 1] = '\0';
    snprintf(path, sizeof(path), "/v1/registrations/%s/otp/verify", id64);
    CHECK(gw_routes_match("POST", path, &route, id, allow, sizeof(allow)) == GW_MATCH_NOT_FOUND,
          "a 65-character id is 404");
}

/* Every row of the table is reachable through its own method and pattern. */
static void test_table(void) {
    size_t n;
    const gw_route_t *t = gw_routes_table(&n);
    CHECK(n >= 8, "at least the routes of the registration flow");
    for (size_t i = 0; i < n; i++) {
        char path[256], *p = path;
        for (const char *s = t[i].pattern; *s;) {
            if (strncmp(s, "{id}", 4) == 0) {
                p += sprintf(p, "someid");
                s += 4;
            } else {
                *p++ = *s++;
            }
        }
        *p = '\0';
        const gw_route_t *route;
        char id[GW_ID_MAX + 1], allow[64];
        CHECK(gw_routes_match(t[i].method, path, &route, id, allow, sizeof(allow)) == GW_MATCH_OK &&
                  route == &t[i],
              "%s %s", t[i].method, path);
        CHECK(t[i].build ? t[i].render != NULL || (t[i].flags & GW_ROUTE_METRICS)
                         : t[i].local != NULL,
              "%s has a way to answer", t[i].pattern);
    }
}

/* Every route that asks account-svc goes to a shard its shape implies, as dvcid.proto
 * states for the case its builder sets (proto/dvcid_shard.h): a path {id} is the id
 * the shard made, a session route follows its token, a route with neither keys by the
 * body's ID number or has no key; none asks with a case account-svc does not serve. */
static void test_shards(void) {
    size_t n;
    const gw_route_t *t = gw_routes_table(&n);
    uint8_t idb[CMN_ID_BYTES];
    char hex[CMN_ID_HEX];
    cmn_shard_id_make(idb, 0x0102);
    cmn_id_to_hex(idb, hex);
    const char *token = "ASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4mrze8"; /* key 0x0123 */
    const char *body = "{\"id_number\": \"001090000001\"}";
    size_t asked = 0;
    for (size_t i = 0; i < n; i++) {
        if (!t[i].build)
            continue;
        bool has_id = strstr(t[i].pattern, "{id}") != NULL;
        bool session = (t[i].flags & GW_ROUTE_SESSION) != 0;
        gw_request_t *req = gw_request_new("t", "198.51.100.4", has_id ? hex : "", 0);
        if (!req)
            continue;
        if (session)
            gw_request_set_token(req, token);
        gw_answer_t err = {0};
        gw_routes_build(&t[i], req, body, strlen(body), &err); /* a refusal still sets the case */
        gw_answer_clear(&err);
        const char *field;
        dvcid_shard_by_t by = dvcid_shard_field(&req->msg, &field);
        uint16_t key;
        cmn_shard_route_t where = cmn_shard_route(&req->msg, &key);
        if (has_id)
            CHECK(by == DVCID_SHARD_BY_ID && field == req->id && where == CMN_SHARD_KEYED &&
                      key == 0x0102,
                  "%s %s by its path id", t[i].method, t[i].pattern);
        else if (session)
            CHECK(by == DVCID_SHARD_BY_TOKEN && field == req->token && where == CMN_SHARD_KEYED &&
                      key == 0x0123,
                  "%s %s by its session", t[i].method, t[i].pattern);
        else
            CHECK(by == DVCID_SHARD_BY_ALL || by == DVCID_SHARD_BY_ANY ||
                      (by == DVCID_SHARD_BY_ID_NUMBER && strcmp(field, "001090000001") == 0 &&
                       key == cmn_shard_key_of_id_number("001090000001")),
                  "%s %s: all, any or by the body's ID number (%d)", t[i].method, t[i].pattern,
                  (int)by);
        asked++;
        gw_request_destroy(&req);
    }
    CHECK(asked >= 25, "the routes that ask account-svc (%zu)", asked);
}

/* Exactly the routes that need a session say so; the rest never look for one. */
static void test_session_flags(void) {
    size_t n;
    const gw_route_t *t = gw_routes_table(&n);
    size_t session = 0, clear = 0;
    for (size_t i = 0; i < n; i++) {
        bool me =
            strncmp(t[i].pattern, "/v1/me", 6) == 0 || strcmp(t[i].pattern, "/v1/logout") == 0;
        CHECK(((t[i].flags & GW_ROUTE_SESSION) != 0) == me, "%s session flag", t[i].pattern);
        session += (t[i].flags & GW_ROUTE_SESSION) != 0;
        if (t[i].flags & GW_ROUTE_CLEAR_COOKIE) {
            clear++;
            CHECK_STR(t[i].pattern, "/v1/logout");
        }
    }
    CHECK(session == 4 && clear == 1, "four session routes (%zu), one clears the cookie (%zu)",
          session, clear);
    /* every endpoint of api.md section 3 */
    static const char *const api[][2] = {
        {"POST", "/v1/captcha"},
        {"POST", "/v1/registrations"},
        {"POST", "/v1/registrations/{id}/otp/resend"},
        {"POST", "/v1/registrations/{id}/otp/verify"},
        {"POST", "/v1/registrations/{id}/password"},
        {"POST", "/v1/logins"},
        {"POST", "/v1/logins/{id}/otp/resend"},
        {"POST", "/v1/logins/{id}/otp/method"},
        {"POST", "/v1/logins/{id}/otp/verify"},
        {"POST", "/v1/logins/{id}/phone"},
        {"POST", "/v1/logins/{id}/phone/verify"},
        {"POST", "/v1/password-resets"},
        {"POST", "/v1/password-resets/{id}/otp/verify"},
        {"POST", "/v1/password-resets/{id}/password"},
        {"GET", "/v1/me"},
        {"POST", "/v1/me/phones"},
        {"POST", "/v1/me/phones/verify"},
        {"POST", "/v1/logout"},
        {"GET", "/.well-known/jwks.json"},
        {"GET", "/healthz"},
        {"GET", "/readyz"},
        {"GET", "/"},
    };
    for (size_t a = 0; a < sizeof(api) / sizeof(api[0]); a++) {
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
            found = strcmp(t[i].method, api[a][0]) == 0 && strcmp(t[i].pattern, api[a][1]) == 0;
        CHECK(found, "%s %s is in the table", api[a][0], api[a][1]);
    }
    static const struct {
        const char *pattern;
        unsigned ok;
    } oks[] = {{"/v1/logins", 201},          {"/v1/logins/{id}/otp/verify", 200},
               {"/v1/password-resets", 202}, {"/v1/password-resets/{id}/password", 200},
               {"/v1/logout", 204},          {"/.well-known/jwks.json", 200}};
    for (size_t o = 0; o < sizeof(oks) / sizeof(oks[0]); o++)
        for (size_t i = 0; i < n; i++)
            if (strcmp(t[i].pattern, oks[o].pattern) == 0)
                CHECK(t[i].ok == oks[o].ok, "%s answers %u", oks[o].pattern, t[i].ok);
}

static const gw_route_t *s_route(const char *method, const char *path) {
    const gw_route_t *route = NULL;
    char id[GW_ID_MAX + 1], allow[64];
    gw_routes_match(method, path, &route, id, allow, sizeof(allow));
    return route;
}

static json_t *s_body(const gw_answer_t *ans) {
    return ans->body ? json_loadb(ans->body, ans->len, 0, NULL) : NULL;
}

static void test_render(void) {
    gw_answer_t ans = {0};
    /* reg_start success */
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__RegStartReply rs = DVCID__REG_START_REPLY__INIT;
    Dvcid__OtpInfo otp = DVCID__OTP_INFO__INIT;
    otp.phone_masked = "091****678";
    otp.length = 6;
    otp.expires_in = 300;
    otp.resend_after = 60;
    rs.registration_id = "r1";
    rs.otp = &otp;
    r.body_case = DVCID__REPLY__BODY_REG_START;
    r.reg_start = &rs;
    CHECK(gw_routes_render(s_route("POST", "/v1/registrations"), &r, &ans) == 0, "renders");
    CHECK(ans.status == 201, "status %u", ans.status);
    json_t *j = s_body(&ans);
    CHECK_STR(json_string_value(json_object_get(j, "registration_id")), "r1");
    json_t *o = json_object_get(j, "otp");
    CHECK_STR(json_string_value(json_object_get(o, "phone_masked")), "091****678");
    CHECK(json_integer_value(json_object_get(o, "length")) == 6, "length");
    CHECK(json_integer_value(json_object_get(o, "expires_in")) == 300, "expires_in");
    CHECK(json_integer_value(json_object_get(o, "resend_after")) == 60, "resend_after");
    json_decref(j);

    /* missing otp: 500, not a half answer */
    rs.otp = NULL;
    CHECK(gw_routes_render(s_route("POST", "/v1/registrations"), &r, &ans) != 0, "no otp");
    CHECK(ans.status == 500, "status %u", ans.status);

    /* a reply of the wrong kind: 500 */
    Dvcid__Reply wrong = DVCID__REPLY__INIT;
    CHECK(gw_routes_render(s_route("POST", "/v1/registrations/x/otp/verify"), &wrong, &ans) != 0,
          "wrong body");
    CHECK(ans.status == 500, "status %u", ans.status);

    /* an error reply with details and counters */
    Dvcid__Reply er = DVCID__REPLY__INIT;
    Dvcid__Error e = DVCID__ERROR__INIT;
    Dvcid__FieldError fe = DVCID__FIELD_ERROR__INIT, *fes[] = {&fe};
    Dvcid__Count left = DVCID__COUNT__INIT, retry = DVCID__COUNT__INIT;
    fe.field = "phone";
    fe.code = "invalid";
    e.status = DVCID__STATUS__STATUS_VALIDATION_FAILED;
    e.n_details = 1;
    e.details = fes;
    er.error = &e;
    CHECK(gw_routes_render(s_route("POST", "/v1/registrations"), &er, &ans) == 0, "error");
    CHECK(ans.status == 422, "status %u", ans.status);
    j = s_body(&ans);
    json_t *err = json_object_get(j, "error");
    CHECK_STR(json_string_value(json_object_get(err, "code")), "validation_failed");
    json_t *d0 = json_array_get(json_object_get(err, "details"), 0);
    CHECK_STR(json_string_value(json_object_get(d0, "field")), "phone");
    CHECK_STR(json_string_value(json_object_get(d0, "code")), "invalid");
    CHECK(json_object_get(err, "attempts_left") == NULL, "no attempts_left");
    json_decref(j);

    e.status = DVCID__STATUS__STATUS_OTP_INVALID;
    e.n_details = 0;
    left.value = 3;
    e.attempts_left = &left;
    gw_routes_render(s_route("POST", "/v1/registrations/x/otp/verify"), &er, &ans);
    CHECK(ans.status == 400 && ans.retry_after == 0, "otp_invalid");
    j = s_body(&ans);
    err = json_object_get(j, "error");
    CHECK_STR(json_string_value(json_object_get(err, "code")), "otp_invalid");
    CHECK(json_integer_value(json_object_get(err, "attempts_left")) == 3, "attempts_left");
    CHECK(json_object_get(err, "details") == NULL, "no empty details");
    json_decref(j);

    e.status = DVCID__STATUS__STATUS_RATE_LIMITED;
    e.attempts_left = NULL;
    retry.value = 42;
    e.retry_after = &retry;
    gw_routes_render(s_route("POST", "/v1/registrations/x/otp/resend"), &er, &ans);
    CHECK(ans.status == 429 && ans.retry_after == 42, "rate_limited %u %u", ans.status,
          ans.retry_after);
    j = s_body(&ans);
    CHECK(json_integer_value(json_object_get(json_object_get(j, "error"), "retry_after")) == 42,
          "retry_after in the body");
    json_decref(j);

    /* readyz renders its own errors as {"status": "unavailable"} */
    e.status = DVCID__STATUS__STATUS_TIMEOUT;
    e.retry_after = NULL;
    gw_routes_render(s_route("GET", "/readyz"), &er, &ans);
    CHECK(ans.status == 503 && ans.body && strstr(ans.body, "\"unavailable\""), "readyz down");
    Dvcid__Reply pr = DVCID__REPLY__INIT;
    Dvcid__Pong pong = DVCID__PONG__INIT;
    pong.ready = true;
    pr.body_case = DVCID__REPLY__BODY_PONG;
    pr.pong = &pong;
    gw_routes_render(s_route("GET", "/readyz"), &pr, &ans);
    CHECK(ans.status == 200 && ans.body && strstr(ans.body, "\"ready\""), "readyz up");
    pong.ready = false;
    gw_routes_render(s_route("GET", "/readyz"), &pr, &ans);
    CHECK(ans.status == 503, "readyz not ready");

    /* captcha: an image made here, the answer not in it */
    Dvcid__Reply cr = DVCID__REPLY__INIT;
    Dvcid__CaptchaNewReply c = DVCID__CAPTCHA_NEW_REPLY__INIT;
    c.captcha_id = "c1";
    c.answer = "K7QX3";
    cr.body_case = DVCID__REPLY__BODY_CAPTCHA;
    cr.captcha = &c;
    gw_routes_render(s_route("POST", "/v1/captcha"), &cr, &ans);
    CHECK(ans.status == 201, "captcha status %u", ans.status);
    j = s_body(&ans);
    CHECK_STR(json_string_value(json_object_get(j, "captcha_id")), "c1");
    const char *img = json_string_value(json_object_get(j, "image"));
    CHECK(img && strncmp(img, "data:image/svg+xml;base64,", 26) == 0, "data URL");
    CHECK(json_object_get(j, "answer") == NULL, "the answer is not sent");
    json_decref(j);

    /* the other successes */
    Dvcid__Reply fr = DVCID__REPLY__INIT;
    Dvcid__FlowStateReply fs = DVCID__FLOW_STATE_REPLY__INIT;
    fs.state = "otp_verified";
    fr.body_case = DVCID__REPLY__BODY_FLOW_STATE;
    fr.flow_state = &fs;
    gw_routes_render(s_route("POST", "/v1/registrations/x/otp/verify"), &fr, &ans);
    CHECK(ans.status == 200 && strcmp(ans.body, "{\"state\":\"otp_verified\"}") == 0, "%s",
          ans.body);
    Dvcid__Reply ar = DVCID__REPLY__INIT;
    Dvcid__AccountReply acc = DVCID__ACCOUNT_REPLY__INIT;
    acc.id_number = "001099012345";
    acc.phone_masked = "091****678";
    ar.body_case = DVCID__REPLY__BODY_ACCOUNT;
    ar.account = &acc;
    gw_routes_render(s_route("POST", "/v1/registrations/x/password"), &ar, &ans);
    CHECK(ans.status == 201 &&
              strcmp(ans.body, "{\"account\":{\"id_number\":\"001099012345\",\"phone_masked\":"
                               "\"091****678\"}}") == 0,
          "%s", ans.body);
    Dvcid__Reply or = DVCID__REPLY__INIT;
    Dvcid__OtpSentReply os = DVCID__OTP_SENT_REPLY__INIT;
    otp.expires_in = 299;
    os.otp = &otp;
    or.body_case = DVCID__REPLY__BODY_OTP_SENT;
    or.otp_sent = &os;
    gw_routes_render(s_route("POST", "/v1/registrations/x/otp/resend"), & or, &ans);
    CHECK(ans.status == 200 && strstr(ans.body, "\"expires_in\":299"), "%s", ans.body);
    gw_answer_clear(&ans);
}

static void test_local(void) {
    gw_answer_t ans = {0};
    const gw_route_t *r = s_route("GET", "/healthz");
    CHECK(r && !r->build && r->local, "healthz is local");
    if (!r)
        return;
    gw_local_t in = {"127.0.0.1:8080", NULL};
    r->local(&ans, &in);
    CHECK(ans.status == 200 && strcmp(ans.body, "{\"status\":\"ok\"}") == 0, "healthz");
    r = s_route("GET", "/");
    if (!r)
        return;
    r->local(&ans, &in);
    /* The page's content is gw_page's (tested there); the route serves it as HTML. */
    CHECK(ans.status == 200 && strstr(ans.content_type, "text/html") &&
              strcmp(ans.body, gw_page_html()) == 0,
          "page");
    gw_answer_clear(&ans);
}

int main(void) {
    if (sodium_init() < 0)
        return 1;
    test_match();
    test_id_length();
    test_table();
    test_session_flags();
    test_shards();
    test_render();
    test_local();
    return TEST_DONE();
}
