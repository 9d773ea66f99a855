/* gw_routes_login and gw_routes_me, the rendering half: the JSON shape and status
 * of each new endpoint's success, the session cookie (set at sign-in, deleted at
 * logout), the empty 204, the JWKS and its caching, the sign-in errors, and the
 * gateway's own 401. */
#include <jansson.h>
#include <string.h>

#include "gw_routes.h"
#include "tap.h"

static const gw_route_t *s_route(const char *method, const char *path) {
    const gw_route_t *route = NULL;
    char id[GW_ID_MAX + 1], allow[64];
    gw_routes_match(method, path, &route, id, allow, sizeof(allow));
    return route;
}

/* Renders reply for the route; returns the body parsed (NULL when none). */
static json_t *s_render(const char *method, const char *path, const Dvcid__Reply *reply,
                        gw_answer_t *ans, int *rc) {
    const gw_route_t *route = s_route(method, path);
    if (!route) {
        CHECK(route != NULL, "route %s %s", method, path);
        *rc = -2;
        return NULL;
    }
    *rc = gw_routes_render(route, reply, ans);
    return ans->body ? json_loadb(ans->body, ans->len, 0, NULL) : NULL;
}

/* The same when only the answer matters. */
static void s_do(const char *method, const char *path, const Dvcid__Reply *reply, gw_answer_t *ans,
                 int *rc) {
    json_decref(s_render(method, path, reply, ans, rc));
}

static const char *s_str(json_t *obj, const char *key) {
    return json_string_value(json_object_get(obj, key));
}

static Dvcid__OtpInfo s_otp = {.base = PROTOBUF_C_MESSAGE_INIT(&dvcid__otp_info__descriptor),
                               .phone_masked = "091****678",
                               .length = 6,
                               .expires_in = 300,
                               .resend_after = 60};

static bool s_otp_ok(json_t *otp) {
    return json_is_object(otp) && strcmp(s_str(otp, "phone_masked"), "091****678") == 0 &&
           json_integer_value(json_object_get(otp, "length")) == 6 &&
           json_integer_value(json_object_get(otp, "expires_in")) == 300 &&
           json_integer_value(json_object_get(otp, "resend_after")) == 60 &&
           json_object_size(otp) == 4;
}

static void test_login_start(void) {
    gw_answer_t ans = {0};
    int rc;
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__LoginStartReply ls = DVCID__LOGIN_START_REPLY__INIT;
    Dvcid__Method m1 = DVCID__METHOD__INIT, m2 = DVCID__METHOD__INIT, *ms[] = {&m1, &m2};
    m1.method_id = "m1";
    m1.phone_masked = "091****678";
    m1.primary = true;
    m2.method_id = "m2";
    m2.phone_masked = "098****321";
    ls.login_id = "L1";
    ls.otp = &s_otp;
    ls.n_methods = 2;
    ls.methods = ms;
    r.body_case = DVCID__REPLY__BODY_LOGIN_START;
    r.login_start = &ls;
    json_t *j = s_render("POST", "/v1/logins", &r, &ans, &rc);
    CHECK(rc == 0 && ans.status == 201, "201 (%u)", ans.status);
    CHECK_STR(s_str(j, "login_id"), "L1");
    CHECK(s_otp_ok(json_object_get(j, "otp")), "otp object");
    json_t *methods = json_object_get(j, "methods");
    CHECK(json_array_size(methods) == 2, "two methods");
    json_t *a = json_array_get(methods, 0), *b = json_array_get(methods, 1);
    CHECK_STR(s_str(a, "method_id"), "m1");
    CHECK_STR(s_str(a, "phone_masked"), "091****678");
    CHECK(json_is_true(json_object_get(a, "primary")), "first is primary");
    CHECK_STR(s_str(b, "method_id"), "m2");
    CHECK(json_is_false(json_object_get(b, "primary")), "second is not");
    CHECK(ans.set_cookie[0] == '\0', "no cookie before the OTP");
    json_decref(j);

    /* no methods: an empty list, not a missing key */
    ls.n_methods = 0;
    j = s_render("POST", "/v1/logins", &r, &ans, &rc);
    CHECK(json_is_array(json_object_get(j, "methods")) &&
              json_array_size(json_object_get(j, "methods")) == 0,
          "empty methods");
    json_decref(j);
    /* no otp: 500 */
    ls.otp = NULL;
    j = s_render("POST", "/v1/logins", &r, &ans, &rc);
    CHECK(rc != 0 && ans.status == 500, "no otp is 500");
    json_decref(j);
    gw_answer_clear(&ans);
}

/* Every route whose success is {otp}. */
static void test_otp_sent(void) {
    static const char *paths[] = {"/v1/logins/L/otp/resend", "/v1/logins/L/otp/method",
                                  "/v1/logins/L/phone", "/v1/me/phones"};
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__OtpSentReply os = DVCID__OTP_SENT_REPLY__INIT;
    os.otp = &s_otp;
    r.body_case = DVCID__REPLY__BODY_OTP_SENT;
    r.otp_sent = &os;
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        gw_answer_t ans = {0};
        int rc;
        json_t *j = s_render("POST", paths[i], &r, &ans, &rc);
        CHECK(rc == 0 && ans.status == 200, "%s: %u", paths[i], ans.status);
        CHECK(json_object_size(j) == 1 && s_otp_ok(json_object_get(j, "otp")), "%s: {otp}",
              paths[i]);
        json_decref(j);
        gw_answer_clear(&ans);
    }
}

static void test_session(void) {
    gw_answer_t ans = {0};
    int rc;
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__SessionReply s = DVCID__SESSION_REPLY__INIT;
    s.token = "Zm9vYmFyYmF6cXV4MDEyMzQ1Njc4OWFiY2RlZmdoaWo";
    s.expires_in = 28800;
    s.access_token = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln";
    r.body_case = DVCID__REPLY__BODY_SESSION;
    r.session = &s;
    json_t *j = s_render("POST", "/v1/logins/L/otp/verify", &r, &ans, &rc);
    CHECK(rc == 0 && ans.status == 200, "200 (%u)", ans.status);
    json_t *sess = json_object_get(j, "session");
    CHECK_STR(s_str(sess, "token"), s.token);
    CHECK(json_integer_value(json_object_get(sess, "expires_in")) == 28800, "expires_in");
    CHECK_STR(s_str(j, "access_token"), s.access_token);
    CHECK_STR(s_str(j, "token_type"), "Bearer");
    CHECK(json_object_size(j) == 3 && json_object_size(sess) == 2, "nothing more");
    CHECK_STR(ans.set_cookie, "dvcid_session=Zm9vYmFyYmF6cXV4MDEyMzQ1Njc4OWFiY2RlZmdoaWo; Path=/; "
                              "HttpOnly; SameSite=Lax; Max-Age=28800");
    CHECK(ans.cache_control == NULL, "no-store (the default)");
    json_decref(j);

    /* A token that cannot be a cookie, or no token: 500, and no cookie. */
    static const char *bad[] = {"", "a b", "a;b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s.token = (char *)bad[i];
        j = s_render("POST", "/v1/logins/L/otp/verify", &r, &ans, &rc);
        CHECK(rc != 0 && ans.status == 500 && ans.set_cookie[0] == '\0', "token \"%s\"", bad[i]);
        json_decref(j);
    }
    s.token = "abc";
    s.access_token = "";
    j = s_render("POST", "/v1/logins/L/otp/verify", &r, &ans, &rc);
    CHECK(rc != 0 && ans.status == 500 && ans.set_cookie[0] == '\0', "no access token");
    json_decref(j);

    /* A wrong code: the error, no cookie. */
    Dvcid__Reply er = DVCID__REPLY__INIT;
    Dvcid__Error e = DVCID__ERROR__INIT;
    Dvcid__Count left = DVCID__COUNT__INIT;
    left.value = 4;
    e.status = DVCID__STATUS__STATUS_OTP_INVALID;
    e.attempts_left = &left;
    er.error = &e;
    j = s_render("POST", "/v1/logins/L/otp/verify", &er, &ans, &rc);
    CHECK(rc == 0 && ans.status == 400 && ans.set_cookie[0] == '\0', "otp_invalid, no cookie");
    CHECK(json_integer_value(json_object_get(json_object_get(j, "error"), "attempts_left")) == 4,
          "attempts_left");
    json_decref(j);
    gw_answer_clear(&ans);
}

static void test_phone_and_reset(void) {
    gw_answer_t ans = {0};
    int rc;
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__PhoneChangedReply pc = DVCID__PHONE_CHANGED_REPLY__INIT;
    pc.phone_masked = "098****321";
    r.body_case = DVCID__REPLY__BODY_PHONE_CHANGED;
    r.phone_changed = &pc;
    s_do("POST", "/v1/logins/L/phone/verify", &r, &ans, &rc);
    CHECK(rc == 0 && ans.status == 200 &&
              strcmp(ans.body, "{\"changed\":true,\"phone_masked\":\"098****321\"}") == 0,
          "%s", ans.body ? ans.body : "(none)");

    Dvcid__Reply rr = DVCID__REPLY__INIT;
    Dvcid__ResetStartReply rs = DVCID__RESET_START_REPLY__INIT;
    rs.reset_id = "R1";
    rs.otp = &s_otp;
    rr.body_case = DVCID__REPLY__BODY_RESET_START;
    rr.reset_start = &rs;
    json_t *j = s_render("POST", "/v1/password-resets", &rr, &ans, &rc);
    CHECK(rc == 0 && ans.status == 202, "202 (%u)", ans.status);
    CHECK_STR(s_str(j, "reset_id"), "R1");
    CHECK(s_otp_ok(json_object_get(j, "otp")) && json_object_size(j) == 2, "{reset_id, otp}");
    json_decref(j);

    Dvcid__Reply fr = DVCID__REPLY__INIT;
    Dvcid__FlowStateReply fs = DVCID__FLOW_STATE_REPLY__INIT;
    fs.state = "otp_verified";
    fr.body_case = DVCID__REPLY__BODY_FLOW_STATE;
    fr.flow_state = &fs;
    s_do("POST", "/v1/password-resets/R1/otp/verify", &fr, &ans, &rc);
    CHECK(rc == 0 && ans.status == 200 && strcmp(ans.body, "{\"state\":\"otp_verified\"}") == 0,
          "reset verify");
    fs.state = "done";
    s_do("POST", "/v1/password-resets/R1/password", &fr, &ans, &rc);
    CHECK(rc == 0 && ans.status == 200 && strcmp(ans.body, "{\"state\":\"done\"}") == 0,
          "reset password");
    /* the reply of another step: 500 */
    s_do("POST", "/v1/password-resets/R1/password", &rr, &ans, &rc);
    CHECK(rc != 0 && ans.status == 500, "wrong reply kind");

    /* unlock with your phone: 202 {unlock_id, otp}, then {state: "unlocked"} */
    Dvcid__Reply ur = DVCID__REPLY__INIT;
    Dvcid__UnlockStartReply us = DVCID__UNLOCK_START_REPLY__INIT;
    us.unlock_id = "U1";
    us.otp = &s_otp;
    ur.body_case = DVCID__REPLY__BODY_UNLOCK_START;
    ur.unlock_start = &us;
    j = s_render("POST", "/v1/unlocks", &ur, &ans, &rc);
    CHECK(rc == 0 && ans.status == 202, "unlock 202 (%u)", ans.status);
    CHECK_STR(s_str(j, "unlock_id"), "U1");
    CHECK(s_otp_ok(json_object_get(j, "otp")) && json_object_size(j) == 2, "{unlock_id, otp}");
    json_decref(j);
    s_do("POST", "/v1/unlocks", &rr, &ans, &rc);
    CHECK(rc != 0 && ans.status == 500, "unlock start: a reset's reply is the wrong kind");
    fs.state = "unlocked";
    s_do("POST", "/v1/unlocks/U1/otp/verify", &fr, &ans, &rc);
    CHECK(rc == 0 && ans.status == 200 && strcmp(ans.body, "{\"state\":\"unlocked\"}") == 0,
          "unlock verify");
    gw_answer_clear(&ans);
}

static void test_me(void) {
    gw_answer_t ans = {0};
    int rc;
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__MeReply me = DVCID__ME_REPLY__INIT;
    Dvcid__PhoneInfo p1 = DVCID__PHONE_INFO__INIT, p2 = DVCID__PHONE_INFO__INIT, *ps[] = {&p1, &p2};
    p1.phone_masked = "091****678";
    p1.primary = true;
    p2.phone_masked = "098****321";
    me.id_number = "001099012345";
    me.full_name = "Nguyễn Văn An";
    me.n_phones = 2;
    me.phones = ps;
    r.body_case = DVCID__REPLY__BODY_ME;
    r.me = &me;
    json_t *j = s_render("GET", "/v1/me", &r, &ans, &rc);
    CHECK(rc == 0 && ans.status == 200, "200 (%u)", ans.status);
    CHECK_STR(s_str(j, "id_number"), "001099012345");
    CHECK_STR(s_str(j, "full_name"), "Nguyễn Văn An");
    json_t *phones = json_object_get(j, "phones");
    CHECK(json_array_size(phones) == 2, "two phones");
    CHECK_STR(s_str(json_array_get(phones, 0), "phone_masked"), "091****678");
    CHECK(json_is_true(json_object_get(json_array_get(phones, 0), "primary")), "primary");
    CHECK(json_is_false(json_object_get(json_array_get(phones, 1), "primary")), "not primary");
    CHECK(json_object_size(json_array_get(phones, 1)) == 2, "{phone_masked, primary}");
    json_decref(j);

    Dvcid__Reply pr = DVCID__REPLY__INIT;
    Dvcid__PhonesReply ph = DVCID__PHONES_REPLY__INIT;
    ph.n_phones = 2;
    ph.phones = ps;
    pr.body_case = DVCID__REPLY__BODY_PHONES;
    pr.phones = &ph;
    s_do("POST", "/v1/me/phones/verify", &pr, &ans, &rc);
    CHECK(rc == 0 && ans.status == 200 &&
              strcmp(ans.body, "{\"phones\":[{\"phone_masked\":\"091****678\",\"primary\":true},"
                               "{\"phone_masked\":\"098****321\",\"primary\":false}]}") == 0,
          "%s", ans.body ? ans.body : "(none)");

    /* A dead session: 401 unauthorized, and /v1/me keeps whatever cookie there is. */
    Dvcid__Reply er = DVCID__REPLY__INIT;
    Dvcid__Error e = DVCID__ERROR__INIT;
    e.status = DVCID__STATUS__STATUS_UNAUTHORIZED;
    er.error = &e;
    j = s_render("GET", "/v1/me", &er, &ans, &rc);
    CHECK(rc == 0 && ans.status == 401, "401 (%u)", ans.status);
    CHECK_STR(s_str(json_object_get(j, "error"), "code"), "unauthorized");
    CHECK(ans.set_cookie[0] == '\0', "no Set-Cookie from /v1/me");
    json_decref(j);
    gw_answer_clear(&ans);
}

static void test_logout(void) {
    gw_answer_t ans = {0};
    int rc;
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__LogoutReply lo = DVCID__LOGOUT_REPLY__INIT;
    r.body_case = DVCID__REPLY__BODY_LOGOUT;
    r.logout = &lo;
    json_t *j = s_render("POST", "/v1/logout", &r, &ans, &rc);
    CHECK(rc == 0 && ans.status == 204, "204 (%u)", ans.status);
    CHECK(ans.body == NULL && ans.len == 0 && j == NULL, "no body");
    CHECK_STR(ans.set_cookie, "dvcid_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");

    /* The session was dead already: 401, and the cookie goes too. */
    Dvcid__Reply er = DVCID__REPLY__INIT;
    Dvcid__Error e = DVCID__ERROR__INIT;
    e.status = DVCID__STATUS__STATUS_UNAUTHORIZED;
    er.error = &e;
    j = s_render("POST", "/v1/logout", &er, &ans, &rc);
    CHECK(rc == 0 && ans.status == 401, "401 (%u)", ans.status);
    CHECK_STR(s_str(json_object_get(j, "error"), "code"), "unauthorized");
    CHECK(strstr(ans.set_cookie, "Max-Age=0") != NULL, "cookie deleted on 401");
    json_decref(j);

    /* A backend down: the session may live, so the cookie stays for a retry. */
    e.status = DVCID__STATUS__STATUS_UNAVAILABLE;
    j = s_render("POST", "/v1/logout", &er, &ans, &rc);
    CHECK(ans.status == 503 && ans.set_cookie[0] == '\0', "503 keeps the cookie");
    json_decref(j);

    /* The gateway's own 401 (no token at all), for logout and for /v1/me. */
    gw_routes_unauthorized(s_route("POST", "/v1/logout"), &ans);
    CHECK(ans.status == 401 && strstr(ans.body, "\"unauthorized\"") &&
              strstr(ans.set_cookie, "Max-Age=0"),
          "logout without a token");
    gw_routes_unauthorized(s_route("GET", "/v1/me"), &ans);
    CHECK(ans.status == 401 && strstr(ans.body, "\"unauthorized\"") && ans.set_cookie[0] == '\0',
          "/v1/me without a token");
    gw_answer_clear(&ans);
}

static void test_jwks(void) {
    gw_answer_t ans = {0};
    int rc;
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__JwksReply jw = DVCID__JWKS_REPLY__INIT;
    Dvcid__Jwk k1 = DVCID__JWK__INIT, k2 = DVCID__JWK__INIT, *ks[] = {&k1, &k2};
    k1.kid = "2026-11-a";
    k1.x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    k2.kid = "2026-12-b";
    k2.x = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    jw.n_keys = 2;
    jw.keys = ks;
    r.body_case = DVCID__REPLY__BODY_JWKS;
    r.jwks = &jw;
    json_t *j = s_render("GET", "/.well-known/jwks.json", &r, &ans, &rc);
    CHECK(rc == 0 && ans.status == 200, "200 (%u)", ans.status);
    CHECK_STR(ans.cache_control, "public, max-age=300");
    CHECK(json_object_size(j) == 1, "only keys");
    json_t *keys = json_object_get(j, "keys");
    CHECK(json_array_size(keys) == 2, "two keys");
    json_t *a = json_array_get(keys, 0);
    CHECK_STR(s_str(a, "kty"), "OKP");
    CHECK_STR(s_str(a, "crv"), "Ed25519");
    CHECK_STR(s_str(a, "alg"), "EdDSA");
    CHECK_STR(s_str(a, "use"), "sig");
    CHECK_STR(s_str(a, "kid"), "2026-11-a");
    CHECK_STR(s_str(a, "x"), "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
    CHECK(json_object_size(a) == 6, "no private part, nothing else");
    CHECK_STR(s_str(json_array_get(keys, 1), "kid"), "2026-12-b");
    json_decref(j);

    /* A key without its x: 500, never a half key set; errors are not cacheable. */
    k2.x = "";
    s_do("GET", "/.well-known/jwks.json", &r, &ans, &rc);
    CHECK(rc != 0 && ans.status == 500 && ans.cache_control == NULL, "bad key");
    Dvcid__Reply er = DVCID__REPLY__INIT;
    Dvcid__Error e = DVCID__ERROR__INIT;
    e.status = DVCID__STATUS__STATUS_TIMEOUT;
    er.error = &e;
    s_do("GET", "/.well-known/jwks.json", &er, &ans, &rc);
    CHECK(ans.status == 504 && ans.cache_control == NULL, "timeout not cached");
    gw_answer_clear(&ans);
}

/* Sign-in errors: the same 401 for an unknown ID and a wrong password (one entry),
 * and 423 with retry_after in body and header. */
static void test_errors(void) {
    gw_answer_t ans = {0};
    int rc;
    Dvcid__Reply er = DVCID__REPLY__INIT;
    Dvcid__Error e = DVCID__ERROR__INIT;
    Dvcid__Count retry = DVCID__COUNT__INIT;
    er.error = &e;
    e.status = DVCID__STATUS__STATUS_INVALID_CREDENTIALS;
    json_t *j = s_render("POST", "/v1/logins", &er, &ans, &rc);
    json_t *err = json_object_get(j, "error");
    CHECK(ans.status == 401 && ans.retry_after == 0, "401 (%u)", ans.status);
    CHECK_STR(s_str(err, "code"), "invalid_credentials");
    const char *msg = s_str(err, "message");
    CHECK(msg && strstr(msg, "hoặc mật khẩu không đúng"), "%s", msg ? msg : "(none)");
    CHECK(json_object_size(err) == 2, "code and message only");
    json_decref(j);

    e.status = DVCID__STATUS__STATUS_ACCOUNT_LOCKED;
    retry.value = 900;
    e.retry_after = &retry;
    j = s_render("POST", "/v1/logins", &er, &ans, &rc);
    err = json_object_get(j, "error");
    CHECK(ans.status == 423 && ans.retry_after == 900, "423 (%u, %u)", ans.status, ans.retry_after);
    CHECK_STR(s_str(err, "code"), "account_locked");
    CHECK(json_integer_value(json_object_get(err, "retry_after")) == 900, "retry_after");
    msg = s_str(err, "message");
    CHECK(msg && !strstr(msg, "Tài khoản"), "the lock message does not say an account exists");
    json_decref(j);
    gw_answer_clear(&ans);
}

int main(void) {
    test_login_start();
    test_otp_sent();
    test_session();
    test_phone_and_reset();
    test_me();
    test_logout();
    test_jwks();
    test_errors();
    return TEST_DONE();
}
