/* gw_routes_build / gw_body: JSON bodies into Requests. Shape errors are 400
 * invalid_request with details (required/type), too long strings 422 too_long;
 * content is left to account-svc. */
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

/* Builds body for the route; returns the HTTP status of the error, or 0. */
static unsigned s_build(const char *path, const char *id, const char *body, gw_request_t **out,
                        json_t **err) {
    gw_request_t *req = gw_request_new("0123456789abcdef", "203.0.113.7", id, 0);
    gw_answer_t ans = {0};
    int rc = gw_routes_build(s_route("POST", path), req, body, body ? strlen(body) : 0, &ans);
    unsigned status = rc == 0 ? 0 : ans.status;
    *err = rc == 0 ? NULL : json_loadb(ans.body, ans.len, 0, NULL);
    gw_answer_clear(&ans);
    if (out)
        *out = req;
    else
        gw_request_destroy(&req);
    return status;
}

static const char *s_code(json_t *err) {
    return json_string_value(json_object_get(json_object_get(err, "error"), "code"));
}

/* True when details has {field, code}. */
static bool s_has(json_t *err, const char *field, const char *code) {
    json_t *d = json_object_get(json_object_get(err, "error"), "details");
    for (size_t i = 0; i < json_array_size(d); i++) {
        json_t *x = json_array_get(d, i);
        if (strcmp(json_string_value(json_object_get(x, "field")), field) == 0 &&
            strcmp(json_string_value(json_object_get(x, "code")), code) == 0)
            return true;
    }
    return false;
}

static const char *s_full =
    "{\"id_number\":\"001099012345\",\"full_name\":\"Nguyễn Văn A\",\"date_of_birth\":"
    "\"1999-01-02\",\"phone\":\"0912345678\",\"captcha_id\":\"c1\",\"captcha_answer\":\"AB3K\"}";

static void test_reg_start(void) {
    gw_request_t *req;
    json_t *err;
    CHECK(s_build("/v1/registrations", NULL, s_full, &req, &err) == 0, "valid body");
    CHECK(req->msg.body_case == DVCID__REQUEST__BODY_REG_START, "body case");
    CHECK_STR(req->msg.reg_start->id_number, "001099012345");
    CHECK_STR(req->msg.reg_start->full_name, "Nguyễn Văn A");
    CHECK_STR(req->msg.reg_start->email, "");
    CHECK_STR(req->msg.reg_start->captcha_answer, "AB3K");
    CHECK_STR(req->msg.client_ip, "203.0.113.7");
    CHECK_STR(req->msg.trace_id, "0123456789abcdef");
    /* It packs and unpacks as the same message. */
    size_t len = dvcid__request__get_packed_size(&req->msg);
    uint8_t buf[1024];
    CHECK(len < sizeof(buf), "small");
    dvcid__request__pack(&req->msg, buf);
    Dvcid__Request *back = dvcid__request__unpack(NULL, len, buf);
    CHECK(back && back->body_case == DVCID__REQUEST__BODY_REG_START &&
              strcmp(back->reg_start->phone, "0912345678") == 0,
          "round trip");
    dvcid__request__free_unpacked(back, NULL);
    gw_request_destroy(&req);

    /* email optional, null allowed, wrong type refused */
    CHECK(s_build("/v1/registrations", NULL,
                  "{\"id_number\":\"1\",\"full_name\":\"a\",\"date_of_birth\":\"d\",\"phone\":"
                  "\"p\",\"email\":null,\"captcha_id\":\"c\",\"captcha_answer\":\"x\"}",
                  NULL, &err) == 0,
          "email null");
    CHECK(s_build("/v1/registrations", NULL,
                  "{\"id_number\":12,\"full_name\":\"a\",\"date_of_birth\":\"d\",\"phone\":"
                  "[\"p\"],\"email\":5,\"captcha_answer\":\"x\"}",
                  NULL, &err) == 400,
          "types");
    CHECK_STR(s_code(err), "invalid_request");
    CHECK(s_has(err, "id_number", "type"), "id_number type");
    CHECK(s_has(err, "phone", "type"), "phone type");
    CHECK(s_has(err, "email", "type"), "email type");
    CHECK(s_has(err, "captcha_id", "required"), "captcha_id required");
    CHECK(!s_has(err, "full_name", "type"), "full_name fine");
    json_decref(err);

    /* empty body: every required field reported */
    CHECK(s_build("/v1/registrations", NULL, NULL, NULL, &err) == 400, "empty");
    CHECK(s_has(err, "id_number", "required") && s_has(err, "captcha_answer", "required") &&
              !s_has(err, "email", "required"),
          "required list");
    json_decref(err);
    CHECK(s_build("/v1/registrations", NULL, "{}", NULL, &err) == 400, "{}");
    json_decref(err);
}

static void test_not_json(void) {
    static const char *bad[] = {
        "not json",
        "[1,2]",
        "\"str\"",
        "42",
        "null",
        "{\"a\":1",
        "{\"a\":1} x",
        "   ",
        "{\"phone\":\"\xff\xfe\"}",          /* invalid UTF-8 */
        "{\"phone\":\"a\\u0000b\"}",         /* NUL inside a string */
        "{\"phone\":\"a\",\"phone\":\"b\"}", /* duplicate key */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *err;
        CHECK(s_build("/v1/registrations", NULL, bad[i], NULL, &err) == 400, "%s", bad[i]);
        CHECK_STR(s_code(err), "invalid_request");
        json_decref(err);
    }
}

static void test_too_long(void) {
    char body[4096], big[1100];
    memset(big, 'x', 1025);
    big[1025] = '\0';
    snprintf(body, sizeof(body),
             "{\"id_number\":\"1\",\"full_name\":\"%s\",\"date_of_birth\":\"d\",\"phone\":\"p\","
             "\"captcha_id\":\"c\",\"captcha_answer\":\"x\"}",
             big);
    json_t *err;
    CHECK(s_build("/v1/registrations", NULL, body, NULL, &err) == 422, "too long");
    CHECK_STR(s_code(err), "validation_failed");
    CHECK(s_has(err, "full_name", "too_long"), "too_long detail");
    json_decref(err);
    big[1024] = '\0'; /* exactly the cap passes */
    snprintf(body, sizeof(body),
             "{\"id_number\":\"1\",\"full_name\":\"%s\",\"date_of_birth\":\"d\",\"phone\":\"p\","
             "\"captcha_id\":\"c\",\"captcha_answer\":\"x\"}",
             big);
    CHECK(s_build("/v1/registrations", NULL, body, NULL, &err) == 0, "1024 bytes pass");
    /* shape errors come first: a wrong type and a long string give 400 */
    big[1024] = 'x';
    snprintf(body, sizeof(body), "{\"id_number\":1,\"full_name\":\"%s\"}", big);
    CHECK(s_build("/v1/registrations", NULL, body, NULL, &err) == 400, "400 before 422");
    CHECK(!s_has(err, "full_name", "too_long"), "only shape details");
    json_decref(err);
}

static void test_steps(void) {
    gw_request_t *req;
    json_t *err;
    CHECK(s_build("/v1/registrations/rid1/otp/verify", "rid1", "{\"code\":\"123456\"}", &req,
                  &err) == 0,
          "verify");
    CHECK(req->msg.body_case == DVCID__REQUEST__BODY_REG_VERIFY, "case");
    CHECK_STR(req->msg.reg_verify->registration_id, "rid1");
    CHECK_STR(req->msg.reg_verify->code, "123456");
    gw_request_destroy(&req);
    CHECK(s_build("/v1/registrations/rid1/otp/verify", "rid1", "{\"code\":123456}", NULL, &err) ==
              400,
          "numeric code is a type error");
    CHECK(s_has(err, "code", "type"), "code type");
    json_decref(err);

    CHECK(s_build("/v1/registrations/rid2/otp/resend", "rid2", NULL, &req, &err) == 0,
          "resend without body");
    CHECK(req->msg.body_case == DVCID__REQUEST__BODY_REG_RESEND, "case");
    CHECK_STR(req->msg.reg_resend->registration_id, "rid2");
    gw_request_destroy(&req);
    CHECK(s_build("/v1/registrations/rid2/otp/resend", "rid2", "{}", NULL, &err) == 0,
          "resend with {}");
    CHECK(s_build("/v1/registrations/rid2/otp/resend", "rid2", "[]", NULL, &err) == 400,
          "resend with an array");
    json_decref(err);

    CHECK(s_build("/v1/registrations/r/password", "r",
                  "{\"password\":\"Abc!2345\",\"password_confirm\":\"Abc!2345\"}", &req, &err) == 0,
          "password");
    CHECK_STR(req->msg.reg_password->password_confirm, "Abc!2345");
    gw_request_destroy(&req);
    CHECK(s_build("/v1/registrations/r/password", "r", "{\"password\":\"x\"}", NULL, &err) == 400,
          "confirm missing");
    CHECK(s_has(err, "password_confirm", "required"), "required");
    json_decref(err);

    CHECK(s_build("/v1/captcha", NULL, NULL, &req, &err) == 0, "captcha");
    CHECK(req->msg.body_case == DVCID__REQUEST__BODY_CAPTCHA_NEW, "case");
    gw_request_destroy(&req);
}

int main(void) {
    test_reg_start();
    test_not_json();
    test_too_long();
    test_steps();
    return TEST_DONE();
}
