/* gw_session: the session token from "Authorization: Bearer" and from the Cookie
 * header (several cookies, spaces, quotes, odd values), and the Set-Cookie values
 * that store and delete it. */
#include <string.h>

#include "gw_session.h"
#include "tap.h"

#define TOK "q5V9aH-2_xYz0123456789abcdefABCDEF-_kLmNoPq"

static void test_bearer(void) {
    static const struct {
        const char *header;
        const char *want; /* NULL: refused */
    } rows[] = {
        {"Bearer " TOK, TOK},
        {"bearer " TOK, TOK},
        {"BEARER " TOK, TOK},
        {"BeArEr " TOK, TOK},
        {"Bearer   " TOK "  ", TOK},
        {"  Bearer\t" TOK, TOK},
        {"Bearer abc==", "abc=="},
        {"Bearer a+b/c~d.e", "a+b/c~d.e"},
        {"Bearer 0123abcd", "0123abcd"},
        {"Bearer ", NULL},
        {"Bearer", NULL},
        {"Bearer    ", NULL},
        {"Bearer" TOK, NULL},
        {"Basic dXNlcjpwYXNz", NULL},
        {"Token " TOK, NULL},
        {"Bearer a b", NULL},
        {"Bearer a=b", NULL},
        {"Bearer ==", NULL},
        {"Bearer a;b", NULL},
        {"Bearer a\"b", NULL},
        {"Bearer a,b", NULL},
        {"Bearer \xc3\xa9", NULL},
        {"", NULL},
        {NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char out[GW_SESSION_TOKEN_MAX + 1] = "junk";
        int rc = gw_session_bearer(rows[i].header, out, sizeof(out));
        const char *h = rows[i].header ? rows[i].header : "(null)";
        if (rows[i].want) {
            CHECK(rc == 0, "\"%s\" accepted", h);
            CHECK_STR(out, rows[i].want);
        } else {
            CHECK(rc == -1, "\"%s\" refused", h);
            CHECK_STR(out, "");
        }
    }
}

static void test_bearer_length(void) {
    char header[300], token[GW_SESSION_TOKEN_MAX + 2], out[GW_SESSION_TOKEN_MAX + 1];
    memset(token, 'a', GW_SESSION_TOKEN_MAX);
    token[GW_SESSION_TOKEN_MAX] = '\0';
    snprintf(header, sizeof(header), "Bearer %s", token);
    CHECK(gw_session_bearer(header, out, sizeof(out)) == 0, "a token of the maximum length");
    CHECK_STR(out, token);
    token[GW_SESSION_TOKEN_MAX] = 'a';
    token[GW_SESSION_TOKEN_MAX + 1] = '\0';
    snprintf(header, sizeof(header), "Bearer %s", token);
    CHECK(gw_session_bearer(header, out, sizeof(out)) == -1 && out[0] == '\0',
          "one character more is refused, not cut");
}

static void test_cookie(void) {
    static const struct {
        const char *header;
        const char *want; /* NULL: not found */
    } rows[] = {
        {"dvcid_session=" TOK, TOK},
        {"theme=dark; dvcid_session=" TOK, TOK},
        {"dvcid_session=" TOK "; theme=dark", TOK},
        {"a=1; dvcid_session=" TOK "; b=2", TOK},
        {"a=1;dvcid_session=" TOK ";b=2", TOK},
        {"  a=1 ;  dvcid_session = " TOK " ; b=2  ", TOK},
        {"a=1;\tdvcid_session=" TOK, TOK},
        {"dvcid_session=\"" TOK "\"", TOK},
        {"x=\"q;r\"; dvcid_session=abc", "abc"},     /* a semicolon in another cookie's quotes */
        {"dvcid_session=; dvcid_session=" TOK, TOK}, /* the first good one wins */
        {"dvcid_session=a b; dvcid_session=good", "good"}, /* a bad one is skipped */
        {"dvcid_session=first; dvcid_session=second", "first"},
        {"xdvcid_session=abc", NULL},
        {"dvcid_sessionx=abc", NULL},
        {"dvcid_session_old=abc", NULL},
        {"DVCID_SESSION=abc", NULL}, /* names are case-sensitive */
        {"dvcid_session", NULL},
        {"dvcid_session=", NULL},
        {"dvcid_session=\"\"", NULL},
        {"dvcid_session=\"abc", NULL},
        {"dvcid_session=a,b", NULL},
        {"a=1; b=2", NULL},
        {";;;", NULL},
        {"=abc", NULL},
        {"", NULL},
        {NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char out[GW_SESSION_TOKEN_MAX + 1] = "junk";
        int rc = gw_session_cookie(rows[i].header, GW_SESSION_COOKIE, out, sizeof(out));
        const char *h = rows[i].header ? rows[i].header : "(null)";
        if (rows[i].want) {
            CHECK(rc == 0, "\"%s\" found", h);
            CHECK_STR(out, rows[i].want);
        } else {
            CHECK(rc == -1, "\"%s\" not found", h);
            CHECK_STR(out, "");
        }
    }
}

static void test_set_cookie(void) {
    char c[256];
    CHECK(gw_session_set_cookie(c, sizeof(c), TOK, 86400) == 0, "set");
    CHECK_STR(c, "dvcid_session=" TOK "; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400");
    /* What we write, we read back. */
    char back[GW_SESSION_TOKEN_MAX + 1];
    CHECK(gw_session_cookie(c, GW_SESSION_COOKIE, back, sizeof(back)) == 0, "round trip");
    CHECK_STR(back, TOK);
    /* A value that would break the header is never written. */
    static const char *bad[] = {"", "a;b", "a\r\nSet-Cookie: x=y", "a b", "\"a\""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(gw_session_set_cookie(c, sizeof(c), bad[i], 60) == -1, "refuses \"%s\"", bad[i]);
        CHECK_STR(c, "");
    }
    CHECK(gw_session_set_cookie(c, 20, TOK, 60) == -1 && c[0] == '\0', "too small a buffer");
    gw_session_clear_cookie(c, sizeof(c));
    CHECK_STR(c, "dvcid_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    CHECK(gw_session_cookie(c, GW_SESSION_COOKIE, back, sizeof(back)) == -1,
          "a deleted cookie reads as none");
}

int main(void) {
    test_bearer();
    test_bearer_length();
    test_cookie();
    test_set_cookie();
    return TEST_DONE();
}
