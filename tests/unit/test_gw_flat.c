/* gw_flat: the in-place reader of flat string-only bodies. Its one promise is that a
 * "yes" is a body jansson (as gw_routes_build calls it) accepts with exactly the same
 * fields; every "no" is jansson's to judge. Checked on fixed cases and on generated and
 * mutated bodies, each compared with jansson. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "gw_flat.h"
#include "tap.h"

/* Parses a copy of text; returns the gw_flat verdict, and checks it against jansson. */
static int s_disagreements;

static bool s_check(const char *text, size_t len) {
    char *copy = malloc(len ? len : 1);
    memcpy(copy, text, len);
    gw_flat_t flat;
    bool yes = gw_flat_parse(&flat, copy, len);
    if (!yes) {
        bool untouched = memcmp(copy, text, len) == 0;
        if (!untouched)
            s_disagreements++;
        free(copy);
        return false;
    }
    json_t *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    bool same = obj && json_is_object(obj) && json_object_size(obj) == flat.n;
    for (size_t i = 0; same && i < flat.n; i++) {
        json_t *v = json_object_getn(obj, flat.field[i].key, flat.field[i].klen);
        same = v && json_is_string(v) && json_string_length(v) == flat.field[i].vlen &&
               memcmp(json_string_value(v), flat.field[i].val, flat.field[i].vlen) == 0 &&
               flat.field[i].val[flat.field[i].vlen] == '\0' &&
               flat.field[i].key[flat.field[i].klen] == '\0';
    }
    if (!same) {
        s_disagreements++;
        fprintf(stderr, "gw_flat said yes, jansson differs: %.*s\n", (int)len, text);
    }
    json_decref(obj);
    free(copy);
    return true;
}

static bool s_yes(const char *text) { return s_check(text, strlen(text)); }

static void test_cases(void) {
    CHECK(s_yes("{}"), "empty object");
    CHECK(s_yes(" \t\r\n{ } \n"), "whitespace");
    CHECK(s_yes("{\"phone\":\"+84901234567\",\"code\":\"123456\"}"), "two fields");
    CHECK(s_yes("{\"full_name\":\"Nguy\xe1\xbb\x85n V\xc4\x83n A\"}"), "Vietnamese");
    CHECK(s_yes("{\"\":\"\"}"), "empty key and value");
    CHECK(s_yes("{\"e\":\"\xf0\x9f\x98\x80\"}"), "4-byte UTF-8");
    const char *no[] = {
        "",
        "[]",
        "\"x\"",
        "{",
        "{\"a\":1}",
        "{\"a\":null}",
        "{\"a\":true}",
        "{\"a\":{}}",
        "{\"a\":[\"x\"]}",
        "{\"a\":\"x\\\"y\"}",        /* an escape: jansson's */
        "{\"a\":\"x\",\"a\":\"y\"}", /* duplicate */
        "{\"a\":\"x\"} x",           /* trailing garbage */
        "{\"a\":\"x\"}{}",
        "{\"a\":\"x\",}",
        "{,\"a\":\"x\"}",
        "{\"a\" \"x\"}",
        "{\"a\":\"x\"",
        "{\"a\":\"\x01\"}",             /* control character */
        "{\"a\":\"\xc0\xaf\"}",         /* overlong */
        "{\"a\":\"\xed\xa0\x80\"}",     /* surrogate */
        "{\"a\":\"\xf4\x90\x80\x80\"}", /* past U+10FFFF */
        "{\"a\":\"\xe1\xbb\"}",         /* cut short */
        "{\"a\":\"\x80\"}",             /* lone continuation */
        "\xef\xbb\xbf{}",               /* BOM */
        "{\"a\":'x'}",
    };
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        CHECK(!s_yes(no[i]), "refuses case %zu: %s", i, no[i]);
    char nul[] = "{\"a\":\"x\0\"}";
    CHECK(!s_check(nul, sizeof(nul) - 1), "NUL inside a string");
    char many[1024] = "{";
    for (int i = 0; i <= GW_FLAT_MAX; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s\"k%d\":\"v\"", i ? "," : "",
                 i);
    snprintf(many + strlen(many), sizeof(many) - strlen(many), "}");
    CHECK(!s_yes(many), "more than GW_FLAT_MAX fields");

    gw_flat_t flat;
    char body[] = "{\"phone\":\"+8490\",\"code\":\"1\"}";
    CHECK(gw_flat_parse(&flat, body, strlen(body)), "parses");
    CHECK(gw_flat_get(&flat, "code") && strcmp(gw_flat_get(&flat, "code")->val, "1") == 0, "get");
    CHECK(gw_flat_get(&flat, "cod") == NULL, "a prefix is not a key");
    CHECK(gw_flat_get(&flat, "missing") == NULL, "missing");
}

/* Random bodies near the flat shape, then random byte edits of them: every "yes" must
 * agree with jansson, and every "no" must leave the buffer as it was. */
static void test_generated(void) {
    static const char *const atoms[] = {
        "{", "}",          "\"",           "\"a\"", "\"bb\"",       ":",
        ",", " ",          "\n",           "\"x\"", "\"\xc3\xa9\"", "\\",
        "1", "null",       "\xe1\xbb\x85", "\x01",  "\xff",         "[",
        "]", "\"a\":\"v\""};
    unsigned seed = 12345;
    int yes = 0;
    for (int round = 0; round < 200000; round++) {
        char buf[256];
        size_t len = 0;
        if (round % 2 == 0) { /* a well-formed flat object, sometimes edited below */
            len = (size_t)snprintf(buf, sizeof(buf), "{");
            int n = (int)(rand_r(&seed) % 5);
            for (int i = 0; i < n; i++)
                len +=
                    (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\"%c\":\"%s\"", i ? "," : "",
                                     'a' + (int)(rand_r(&seed) % 4), atoms[rand_r(&seed) % 20] + 0);
            len += (size_t)snprintf(buf + len, sizeof(buf) - len, "}");
        } else {
            int n = 1 + (int)(rand_r(&seed) % 12);
            for (int i = 0; i < n && len < 200; i++) {
                const char *a = atoms[rand_r(&seed) % (sizeof(atoms) / sizeof(atoms[0]))];
                memcpy(buf + len, a, strlen(a));
                len += strlen(a);
            }
        }
        if (len && rand_r(&seed) % 3 == 0)
            buf[rand_r(&seed) % len] = (char)(rand_r(&seed) % 256);
        yes += s_check(buf, len);
    }
    CHECK(s_disagreements == 0, "%d disagreements with jansson", s_disagreements);
    CHECK(yes > 1000, "the generator reaches the yes side (%d)", yes);
}

int main(void) {
    test_cases();
    test_generated();
    return TEST_DONE();
}
