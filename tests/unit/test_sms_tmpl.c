/* Unit test of sms_tmpl: every placeholder in each escaping context (URL query,
 * form field, JSON string, as it is), unknown placeholders, literal braces of a
 * JSON body, overflow, and the escaping a Content-Type calls for. Table-driven. */
#include <string.h>

#include "sms_tmpl.h"
#include "tap.h"

typedef struct {
    const char *tmpl;
    sms_esc_t esc;
    const char *want; /* NULL: expansion must fail */
} row_t;

int main(void) {
    sms_tmpl_vars_t v = {.to = "+84912345678",
                         .text = "Mã OTP: 123456 & \"đừng\" chia sẻ\n\\ ~ok",
                         .message_id = "01ab-ff",
                         .sender = "DVCQG",
                         .coding = "2",
                         .dlr_url = "http://127.0.0.1:8093/dlr?id=01ab-ff&type=%d"};
    const row_t rows[] = {
        {"to={to}&d={to_digits}", SMS_ESC_URL, "to=%2B84912345678&d=84912345678"},
        {"t={text}", SMS_ESC_URL,
         "t=M%C3%A3%20OTP%3A%20123456%20%26%20%22%C4%91%E1%BB%ABng%22%20chia%20s%E1%BA%BB%0A%5C"
         "%20~ok"},
        {"t={text}", SMS_ESC_FORM,
         "t=M%C3%A3+OTP%3A+123456+%26+%22%C4%91%E1%BB%ABng%22+chia+s%E1%BA%BB%0A%5C+~ok"},
        {"{\"text\":\"{text}\"}", SMS_ESC_JSON,
         "{\"text\":\"Mã OTP: 123456 & \\\"đừng\\\" chia sẻ\\n\\\\ ~ok\"}"},
        {"{\"to\":\"{to}\",\"id\":\"{message_id}\",\"x\":{}}", SMS_ESC_JSON,
         "{\"to\":\"+84912345678\",\"id\":\"01ab-ff\",\"x\":{}}"},
        {"{sender}/{coding}", SMS_ESC_NONE, "DVCQG/2"},
        {"u={dlr_url}", SMS_ESC_URL,
         "u=http%3A%2F%2F127.0.0.1%3A8093%2Fdlr%3Fid%3D01ab-ff%26type%3D%25d"},
        {"{to} {TO} {1} {to", SMS_ESC_NONE, "+84912345678 {TO} {1} {to"},
        {"", SMS_ESC_URL, ""},
        {"{phone}", SMS_ESC_URL, NULL},
    };
    char out[512];
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int n = sms_tmpl_expand(rows[i].tmpl, rows[i].esc, &v, out, sizeof(out));
        if (!rows[i].want) {
            CHECK(n == -1 && out[0] == '\0', "row %zu: expanded to %s", i, out);
            continue;
        }
        CHECK(n == (int)strlen(rows[i].want), "row %zu: length %d", i, n);
        CHECK_STR(out, rows[i].want);
    }

    /* Control characters in JSON become \u escapes; NULL values are empty. */
    sms_tmpl_vars_t c = {.text = "a\tb\x01", .to = NULL};
    CHECK(sms_tmpl_expand("{text}|{to}|{to_digits}", SMS_ESC_JSON, &c, out, sizeof(out)) > 0,
          "controls");
    CHECK_STR(out, "a\\u0009b\\u0001||");

    /* Too small an output fails cleanly, never a truncated request. */
    CHECK(sms_tmpl_expand("to={to}", SMS_ESC_URL, &v, out, 10) == -1, "overflow accepted");
    CHECK(out[0] == '\0', "overflow left text");
    CHECK(sms_tmpl_expand("to={to}", SMS_ESC_URL, &v, out, 0) == -1, "size 0");

    /* Checking: the first unknown placeholder is pointed at. */
    const char *bad = NULL;
    CHECK(sms_tmpl_check("x={to}&y={text}&z={message_id}", &bad) == 0, "known refused");
    CHECK(sms_tmpl_check("{\"a\":{\"b\":1}}", &bad) == 0, "JSON braces refused");
    const char *t = "x={to}&y={txt}";
    CHECK(sms_tmpl_check(t, &bad) == -1 && bad == t + 9, "unknown not found");
    CHECK(sms_tmpl_check(NULL, &bad) == 0, "NULL template");

    /* The body's escaping from its Content-Type. */
    CHECK(sms_tmpl_body_esc("application/json") == SMS_ESC_JSON, "json");
    CHECK(sms_tmpl_body_esc("application/vnd.api+json; charset=utf-8") == SMS_ESC_JSON, "+json");
    CHECK(sms_tmpl_body_esc("application/x-www-form-urlencoded") == SMS_ESC_FORM, "form");
    CHECK(sms_tmpl_body_esc("Application/X-WWW-Form-Urlencoded; charset=UTF-8") == SMS_ESC_FORM,
          "form, case and parameters");
    CHECK(sms_tmpl_body_esc("text/plain") == SMS_ESC_NONE, "text");
    CHECK(sms_tmpl_body_esc(NULL) == SMS_ESC_NONE, "NULL");
    return TEST_DONE();
}
