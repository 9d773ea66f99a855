/* gw_jw: the answer writer writes exactly what json_dumps(JSON_COMPACT) writes for the
 * same object, escapes and UTF-8 included, and fails where json_pack fails. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "gw_jw.h"
#include "tap.h"

/* {"k": s, "n": v} written both ways. */
static void s_same(const char *s, long long v) {
    gw_jw_t w;
    gw_jw_init(&w);
    gw_jw_raw(&w, "{\"k\":");
    gw_jw_str(&w, s);
    gw_jw_raw(&w, ",\"n\":");
    gw_jw_int(&w, v);
    gw_jw_raw(&w, "}");
    gw_answer_t ans = {0};
    int rc = gw_jw_answer(&w, &ans, 200);
    json_t *obj = json_pack("{s:s, s:I}", "k", s, "n", (json_int_t)v);
    char *want = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    CHECK((rc == 0) == (want != NULL), "fails where json_pack fails: %s", s ? s : "(null)");
    if (rc == 0 && want) {
        CHECK(ans.len == strlen(want) && memcmp(ans.body, want, ans.len) == 0, "got %.*s want %s",
              (int)ans.len, ans.body, want);
        CHECK(ans.status == 200 && ans.body[ans.len] == '\0', "status and NUL");
    }
    free(want);
    json_decref(obj);
    gw_answer_clear(&ans);
}

int main(void) {
    s_same("plain", 0);
    s_same("", -1);
    s_same("quote \" backslash \\ slash / del \x7f", 9223372036854775807LL);
    s_same("\b\f\n\r\t\x01\x1f", -9223372036854775807LL - 1);
    s_same("Mã OTP không đúng. “Gửi lại OTP” \xf0\x9f\x98\x80", 42);
    s_same("\xc0\xaf", 1);         /* overlong: refused */
    s_same("\xed\xa0\x80", 1);     /* surrogate: refused */
    s_same("\xf4\x90\x80\x80", 1); /* past U+10FFFF */
    s_same("\xe1\xbb", 1);         /* cut short */
    s_same("a\x80", 1);
    s_same(NULL, 1);
    /* Every single byte and every two-byte pair, as strings. */
    for (int a = 1; a < 256; a++) {
        char s1[2] = {(char)a, 0};
        s_same(s1, a);
        for (int b = 1; b < 256; b += 7) {
            char s2[3] = {(char)a, (char)b, 0};
            s_same(s2, b);
        }
    }
    gw_jw_t w;
    gw_jw_init(&w);
    for (int i = 0; i < 1000; i++)
        gw_jw_raw(&w, "0123456789");
    gw_answer_t ans = {0};
    CHECK(gw_jw_answer(&w, &ans, 201) == 0 && ans.len == 10000, "grows past the first buffer");
    gw_answer_clear(&ans);
    return TEST_DONE();
}
