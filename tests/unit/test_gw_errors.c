/* gw_errors: every Status has an HTTP status, a code and a Vietnamese message, as
 * api.md's error table says; the error body has the documented shape. */
#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "gw_errors.h"
#include "tap.h"

#define S(x) DVCID__STATUS__STATUS_##x

static void test_table(void) {
    static const struct {
        int status;
        unsigned http;
        const char *code;
    } rows[] = {
        {S(INVALID_REQUEST), 400, "invalid_request"},
        {S(VALIDATION_FAILED), 422, "validation_failed"},
        {S(CAPTCHA_INVALID), 400, "captcha_invalid"},
        {S(ACCOUNT_EXISTS), 409, "account_exists"},
        {S(INVALID_CREDENTIALS), 401, "invalid_credentials"},
        {S(ACCOUNT_LOCKED), 423, "account_locked"},
        {S(OTP_INVALID), 400, "otp_invalid"},
        {S(OTP_EXPIRED), 410, "otp_expired"},
        {S(OTP_ATTEMPTS_EXCEEDED), 429, "otp_attempts_exceeded"},
        {S(RATE_LIMITED), 429, "rate_limited"},
        {S(FLOW_STATE), 409, "flow_state"},
        {S(NOT_FOUND), 404, "not_found"},
        {S(UNAUTHORIZED), 401, "unauthorized"},
        {S(UNAVAILABLE), 503, "unavailable"},
        {S(TIMEOUT), 504, "timeout"},
        {S(INTERNAL), 500, "internal"},
        {S(SMS_PAUSED), 503, "sms_paused"},
        {S(SMS_BUDGET), 429, "sms_budget_exhausted"},
        {S(SMS_PREFIX_BLOCKED), 429, "sms_prefix_blocked"},
        /* not errors, or not known: never a success */
        {S(OK), 500, "internal"},
        {999, 500, "internal"},
        {-1, 500, "internal"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const gw_error_t *e = gw_errors_status(rows[i].status);
        CHECK(e->http == rows[i].http, "status %d: http %u", rows[i].status, e->http);
        CHECK_STR(e->code, rows[i].code);
    }
    /* Every value of the enum, including ones added later, maps somewhere sane. */
    const ProtobufCEnumDescriptor *d = &dvcid__status__descriptor;
    for (unsigned i = 0; i < d->n_values; i++) {
        int v = d->values[i].value;
        const gw_error_t *e = gw_errors_status(v);
        CHECK(e->http >= 400 && e->http < 600, "%s -> %u", d->values[i].name, e->http);
        CHECK(e->message && strlen(e->message) > 5, "%s has a message", d->values[i].name);
        if (v != S(OK) && v != S(INTERNAL))
            CHECK(strcmp(e->code, "internal") != 0, "%s has its own entry", d->values[i].name);
    }
    static const struct {
        gw_http_err_t err;
        unsigned http;
        const char *code;
    } http[] = {{GW_ERR_PAYLOAD_TOO_LARGE, 413, "payload_too_large"},
                {GW_ERR_UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type"},
                {GW_ERR_METHOD_NOT_ALLOWED, 405, "method_not_allowed"}};
    for (size_t i = 0; i < sizeof(http) / sizeof(http[0]); i++) {
        const gw_error_t *e = gw_errors_http(http[i].err);
        CHECK(e->http == http[i].http, "%s", http[i].code);
        CHECK_STR(e->code, http[i].code);
        CHECK(e->message && e->message[0], "%s message", http[i].code);
    }
}

/* Vietnamese, with diacritics: at least one multi-byte UTF-8 character, valid UTF-8. */
static void test_messages(void) {
    for (int s = 1; s <= S(INTERNAL); s++) {
        const char *m = gw_errors_status(s)->message;
        bool multibyte = false;
        for (const unsigned char *p = (const unsigned char *)m; *p; p++)
            multibyte |= *p >= 0x80;
        CHECK(multibyte, "status %d message has diacritics: %s", s, m);
        json_t *str = json_string(m); /* NULL on invalid UTF-8 */
        CHECK(str != NULL, "status %d message is UTF-8", s);
        json_decref(str);
    }
    CHECK(strstr(gw_errors_status(S(ACCOUNT_EXISTS))->message, "Quên mật khẩu") != NULL,
          "account_exists points to forgot password (flows.md 1)");
    CHECK_STR(gw_errors_status(S(OTP_INVALID))->message, "Mã OTP không đúng.");
    CHECK(strstr(gw_errors_status(S(ACCOUNT_LOCKED))->message, "Mở khóa bằng điện thoại") != NULL,
          "account_locked offers the unlock with the phone");
}

static void test_body(void) {
    gw_answer_t ans = {0};
    json_t *details = json_array();
    gw_errors_detail(details, "phone", "required");
    CHECK(gw_errors_answer(&ans, gw_errors_status(S(INVALID_REQUEST)), details, 2, 30) == 0,
          "answer");
    CHECK(ans.status == 400 && ans.retry_after == 30, "status and Retry-After");
    CHECK(ans.content_type && strstr(ans.content_type, "application/json"), "json");
    json_t *j = json_loadb(ans.body, ans.len, 0, NULL);
    json_t *e = json_object_get(j, "error");
    CHECK(json_object_size(j) == 1 && e, "one key: error");
    CHECK_STR(json_string_value(json_object_get(e, "code")), "invalid_request");
    CHECK(json_string_value(json_object_get(e, "message")) != NULL, "message");
    CHECK(json_integer_value(json_object_get(e, "attempts_left")) == 2, "attempts_left");
    CHECK(json_integer_value(json_object_get(e, "retry_after")) == 30, "retry_after");
    CHECK_STR(json_string_value(
                  json_object_get(json_array_get(json_object_get(e, "details"), 0), "code")),
              "required");
    json_decref(j);

    gw_errors_answer_status(&ans, S(TIMEOUT));
    CHECK(ans.status == 504 && ans.retry_after == 0, "timeout");
    j = json_loadb(ans.body, ans.len, 0, NULL);
    e = json_object_get(j, "error");
    CHECK(json_object_size(e) == 2, "only code and message");
    json_decref(j);

    /* a reply's error, counters absent */
    Dvcid__Error pe = DVCID__ERROR__INIT;
    pe.status = S(ACCOUNT_LOCKED);
    Dvcid__Count retry = DVCID__COUNT__INIT;
    retry.value = 900;
    pe.retry_after = &retry;
    gw_errors_answer_reply(&ans, &pe);
    CHECK(ans.status == 423 && ans.retry_after == 900, "locked");
    gw_answer_clear(&ans);
}

int main(void) {
    test_table();
    test_messages();
    test_body();
    return TEST_DONE();
}
