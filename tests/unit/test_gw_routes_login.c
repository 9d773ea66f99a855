/* gw_routes_login and gw_routes_me, the building half: each new endpoint's JSON
 * body (and path id, and session token) into its Request, table-driven. Fields are
 * read back through the protobuf descriptors after a pack/unpack round trip, so
 * the table checks what goes on the wire. */
#include <jansson.h>
#include <string.h>

#include "gw_routes.h"
#include "tap.h"

#define NF 4

typedef struct {
    const char *name, *value;
} s_field_t;

typedef struct {
    const char *method, *path, *body;
    Dvcid__Request__BodyCase want;
    s_field_t fields[NF]; /* string fields of the body message */
} s_ok_row_t;

typedef struct {
    const char *method, *path, *body;
    unsigned status;
    s_field_t details[NF]; /* {field, code} that must be in the error's details */
} s_bad_row_t;

static const gw_route_t *s_match(const char *method, const char *path, char id[GW_ID_MAX + 1]) {
    const gw_route_t *route = NULL;
    char allow[64];
    gw_routes_match(method, path, &route, id, allow, sizeof(allow));
    return route;
}

/* The string field name of the message the oneof body holds; NULL when absent. */
static const char *s_get(const Dvcid__Request *req, const char *name) {
    const ProtobufCFieldDescriptor *bf =
        protobuf_c_message_descriptor_get_field(&dvcid__request__descriptor, req->body_case);
    if (!bf)
        return NULL;
    const ProtobufCMessage *m = *(ProtobufCMessage *const *)((const char *)req + bf->offset);
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
    if (!f || f->type != PROTOBUF_C_TYPE_STRING)
        return NULL;
    return *(char *const *)((const char *)m + f->offset);
}

/* Builds; returns the HTTP status of the error (0 when built) and the request. */
static unsigned s_build(const char *method, const char *path, const char *token, const char *body,
                        gw_request_t **out, json_t **err) {
    char id[GW_ID_MAX + 1];
    const gw_route_t *route = s_match(method, path, id);
    *out = NULL;
    *err = NULL;
    if (!route)
        return 404;
    gw_request_t *req = gw_request_new("0123456789abcdef", "198.51.100.4", id, 0);
    if (token)
        gw_request_set_token(req, token);
    gw_answer_t ans = {0};
    int rc = gw_routes_build(route, req, body, body ? strlen(body) : 0, &ans);
    unsigned status = rc == 0 ? 0 : ans.status;
    if (rc != 0)
        *err = json_loadb(ans.body, ans.len, 0, NULL);
    gw_answer_clear(&ans);
    if (rc == 0)
        *out = req;
    else
        gw_request_destroy(&req);
    return status;
}

#define T "tok_abcdefABCDEF0123456789-_"

static void test_build_ok(void) {
    static const s_ok_row_t rows[] = {
        {"POST",
         "/v1/logins",
         "{\"id_number\":\"001099012345\",\"password\":\"Tr0ng!Dong\",\"captcha_id\":\"c1\","
         "\"captcha_answer\":\"K7QX\"}",
         DVCID__REQUEST__BODY_LOGIN_START,
         {{"id_number", "001099012345"},
          {"password", "Tr0ng!Dong"},
          {"captcha_id", "c1"},
          {"captcha_answer", "K7QX"}}},
        {"POST",
         "/v1/logins/L1/otp/resend",
         NULL,
         DVCID__REQUEST__BODY_LOGIN_RESEND,
         {{"login_id", "L1"}}},
        {"POST",
         "/v1/logins/L1/otp/resend",
         "{}",
         DVCID__REQUEST__BODY_LOGIN_RESEND,
         {{"login_id", "L1"}}},
        {"POST",
         "/v1/logins/L2/otp/method",
         "{\"method_id\":\"m2\"}",
         DVCID__REQUEST__BODY_LOGIN_METHOD,
         {{"login_id", "L2"}, {"method_id", "m2"}}},
        {"POST",
         "/v1/logins/L3/otp/verify",
         "{\"code\":\"012345\"}",
         DVCID__REQUEST__BODY_LOGIN_VERIFY,
         {{"login_id", "L3"}, {"code", "012345"}}},
        {"POST",
         "/v1/logins/L4/phone",
         "{\"new_phone\":\"+84 912 345 678\"}",
         DVCID__REQUEST__BODY_LOGIN_PHONE,
         {{"login_id", "L4"}, {"new_phone", "+84 912 345 678"}}},
        {"POST",
         "/v1/logins/L5/phone/verify",
         "{\"code\":\"999999\"}",
         DVCID__REQUEST__BODY_LOGIN_PHONE_VERIFY,
         {{"login_id", "L5"}, {"code", "999999"}}},
        {"POST",
         "/v1/password-resets",
         "{\"id_number\":\"001099012345\",\"phone\":\"0912345678\",\"captcha_id\":\"c2\","
         "\"captcha_answer\":\"AB3K\",\"extra\":[1]}",
         DVCID__REQUEST__BODY_RESET_START,
         {{"id_number", "001099012345"},
          {"phone", "0912345678"},
          {"captcha_id", "c2"},
          {"captcha_answer", "AB3K"}}},
        {"POST",
         "/v1/password-resets/R1/otp/verify",
         "{\"code\":\"111111\"}",
         DVCID__REQUEST__BODY_RESET_VERIFY,
         {{"reset_id", "R1"}, {"code", "111111"}}},
        {"POST",
         "/v1/password-resets/R2/password",
         "{\"password\":\"M\xe1\xbb\x9bi!Pass9\",\"password_confirm\":\"x\"}",
         DVCID__REQUEST__BODY_RESET_PASSWORD,
         {{"reset_id", "R2"}, {"password", "M\xe1\xbb\x9bi!Pass9"}, {"password_confirm", "x"}}},
        {"POST",
         "/v1/unlocks",
         "{\"id_number\":\"001099012345\",\"captcha_id\":\"c3\",\"captcha_answer\":\"QX7K\"}",
         DVCID__REQUEST__BODY_UNLOCK_START,
         {{"id_number", "001099012345"}, {"captcha_id", "c3"}, {"captcha_answer", "QX7K"}}},
        {"POST",
         "/v1/unlocks/U1/otp/resend",
         NULL,
         DVCID__REQUEST__BODY_UNLOCK_RESEND,
         {{"unlock_id", "U1"}}},
        {"POST",
         "/v1/unlocks/U2/otp/verify",
         "{\"code\":\"654321\"}",
         DVCID__REQUEST__BODY_UNLOCK_VERIFY,
         {{"unlock_id", "U2"}, {"code", "654321"}}},
        {"GET", "/v1/me", NULL, DVCID__REQUEST__BODY_ME_GET, {{"token", T}}},
        {"HEAD", "/v1/me", NULL, DVCID__REQUEST__BODY_ME_GET, {{"token", T}}},
        {"POST",
         "/v1/me/phones",
         "{\"phone\":\"0987654321\"}",
         DVCID__REQUEST__BODY_ME_ADD_PHONE,
         {{"token", T}, {"phone", "0987654321"}}},
        {"POST",
         "/v1/me/phones/verify",
         "{\"code\":\"424242\"}",
         DVCID__REQUEST__BODY_ME_ADD_PHONE_VERIFY,
         {{"token", T}, {"code", "424242"}}},
        {"POST", "/v1/logout", NULL, DVCID__REQUEST__BODY_LOGOUT, {{"token", T}}},
        {"GET", "/.well-known/jwks.json", NULL, DVCID__REQUEST__BODY_JWKS_GET, {{NULL, NULL}}},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        gw_request_t *req;
        json_t *err;
        unsigned st = s_build(rows[i].method, rows[i].path, T, rows[i].body, &req, &err);
        CHECK(st == 0, "%s %s builds (%u)", rows[i].method, rows[i].path, st);
        json_decref(err);
        if (!req)
            continue;
        uint8_t buf[2048];
        size_t len = dvcid__request__get_packed_size(&req->msg);
        CHECK(len < sizeof(buf), "small");
        dvcid__request__pack(&req->msg, buf);
        Dvcid__Request *back = dvcid__request__unpack(NULL, len, buf);
        CHECK(back && back->body_case == rows[i].want, "%s %s: body case %d, want %d",
              rows[i].method, rows[i].path, back ? (int)back->body_case : -1, (int)rows[i].want);
        for (size_t f = 0; back && back->body_case == rows[i].want && f < NF; f++) {
            if (!rows[i].fields[f].name)
                break;
            CHECK_STR(s_get(back, rows[i].fields[f].name), rows[i].fields[f].value);
        }
        if (back) {
            CHECK_STR(back->trace_id, "0123456789abcdef");
            CHECK_STR(back->client_ip, "198.51.100.4");
        }
        dvcid__request__free_unpacked(back, NULL);
        gw_request_destroy(&req);
    }
}

/* True when err's details hold {field, code}. */
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

static void test_build_bad(void) {
    static const s_bad_row_t rows[] = {
        {"POST",
         "/v1/logins",
         NULL,
         400,
         {{"id_number", "required"},
          {"password", "required"},
          {"captcha_id", "required"},
          {"captcha_answer", "required"}}},
        {"POST",
         "/v1/logins",
         "{\"id_number\":1099012345,\"password\":null,\"captcha_id\":[],\"captcha_answer\":{}}",
         400,
         {{"id_number", "type"},
          {"password", "required"},
          {"captcha_id", "type"},
          {"captcha_answer", "type"}}},
        {"POST", "/v1/logins", "[\"id_number\"]", 400, {{NULL, NULL}}},
        {"POST", "/v1/logins", "{\"id_number\":", 400, {{NULL, NULL}}},
        {"POST", "/v1/logins/L/otp/method", "{}", 400, {{"method_id", "required"}}},
        {"POST", "/v1/logins/L/otp/method", "{\"method_id\":2}", 400, {{"method_id", "type"}}},
        {"POST", "/v1/logins/L/otp/verify", "{\"code\":123456}", 400, {{"code", "type"}}},
        {"POST", "/v1/logins/L/otp/verify", "{}", 400, {{"code", "required"}}},
        {"POST",
         "/v1/logins/L/phone",
         "{\"phone\":\"0912345678\"}",
         400,
         {{"new_phone", "required"}}},
        {"POST", "/v1/logins/L/phone/verify", "{\"code\":true}", 400, {{"code", "type"}}},
        {"POST",
         "/v1/password-resets",
         "{\"id_number\":\"001099012345\"}",
         400,
         {{"phone", "required"}, {"captcha_id", "required"}, {"captcha_answer", "required"}}},
        {"POST", "/v1/password-resets/R/otp/verify", NULL, 400, {{"code", "required"}}},
        {"POST",
         "/v1/password-resets/R/password",
         "{\"password\":[\"x\"]}",
         400,
         {{"password", "type"}, {"password_confirm", "required"}}},
        {"POST",
         "/v1/unlocks",
         "{\"id_number\":\"001099012345\",\"password\":\"x\"}",
         400,
         {{"captcha_id", "required"}, {"captcha_answer", "required"}}},
        {"POST", "/v1/unlocks/U/otp/verify", "{\"code\":42}", 400, {{"code", "type"}}},
        {"POST", "/v1/me/phones", "{}", 400, {{"phone", "required"}}},
        {"POST", "/v1/me/phones/verify", "{\"code\":1}", 400, {{"code", "type"}}},
        {"POST", "/v1/logout", "\"x\"", 400, {{NULL, NULL}}},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        gw_request_t *req;
        json_t *err;
        unsigned st = s_build(rows[i].method, rows[i].path, T, rows[i].body, &req, &err);
        CHECK(st == rows[i].status, "%s %s %s: %u, want %u", rows[i].method, rows[i].path,
              rows[i].body ? rows[i].body : "(none)", st, rows[i].status);
        CHECK_STR(json_string_value(json_object_get(json_object_get(err, "error"), "code")),
                  "invalid_request");
        for (size_t f = 0; f < NF && rows[i].details[f].name; f++)
            CHECK(s_has(err, rows[i].details[f].name, rows[i].details[f].value), "%s: %s %s",
                  rows[i].path, rows[i].details[f].name, rows[i].details[f].value);
        json_decref(err);
        gw_request_destroy(&req);
    }
}

/* A password over the length cap is 422 too_long, as for registration. */
static void test_too_long(void) {
    char big[1100], body[1300];
    memset(big, 'A', 1025);
    big[1025] = '\0';
    snprintf(body, sizeof(body),
             "{\"id_number\":\"001099012345\",\"password\":\"%s\",\"captcha_id\":\"c\","
             "\"captcha_answer\":\"x\"}",
             big);
    gw_request_t *req;
    json_t *err;
    CHECK(s_build("POST", "/v1/logins", T, body, &req, &err) == 422, "too long");
    CHECK(s_has(err, "password", "too_long"), "password too_long");
    json_decref(err);
}

/* A token is kept whole or not at all. */
static void test_token(void) {
    gw_request_t *req = gw_request_new("t", "ip", "", 0);
    char big[GW_SESSION_TOKEN_MAX + 2];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CHECK(gw_request_set_token(req, big) == -1 && req->token[0] == '\0', "too long a token");
    big[GW_SESSION_TOKEN_MAX] = '\0';
    CHECK(gw_request_set_token(req, big) == 0, "the longest token");
    CHECK_STR(req->token, big);
    gw_request_destroy(&req);
    CHECK(req == NULL, "destroy nulls");
}

int main(void) {
    test_build_ok();
    test_build_bad();
    test_too_long();
    test_token();
    return TEST_DONE();
}
