/* gw_captcha: the SVG is well formed (tags balance), drawn with paths, never
 * carries the answer as text, and differs each time. */
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gw_captcha.h"
#include "tap.h"

/* A small XML check: every tag closes in order, attributes are quoted, no text
 * nodes at all (so no letters outside markup). Returns true when well formed. */
static bool s_xmlish(const char *s) {
    char stack[16][16];
    int depth = 0;
    bool root_seen = false;
    while (*s) {
        if (*s != '<')
            return false; /* text outside a tag */
        const char *end = strchr(s, '>');
        if (!end)
            return false;
        bool closing = s[1] == '/', selfclose = end[-1] == '/';
        const char *name = s + (closing ? 2 : 1);
        size_t nlen = strcspn(name, " />");
        if (nlen == 0 || nlen >= 16)
            return false;
        /* quotes balance inside the tag */
        int quotes = 0;
        for (const char *p = s; p < end; p++)
            quotes += *p == '"';
        if (quotes % 2)
            return false;
        if (closing) {
            if (depth == 0 || strncmp(stack[depth - 1], name, nlen) != 0 || stack[depth - 1][nlen])
                return false;
            depth--;
        } else if (!selfclose) {
            if (depth == 16 || (depth == 0 && root_seen))
                return false;
            memcpy(stack[depth], name, nlen);
            stack[depth++][nlen] = '\0';
            root_seen = true;
        }
        s = end + 1;
    }
    return depth == 0 && root_seen;
}

int main(void) {
    if (sodium_init() < 0)
        return 1;
    static const char *answers[] = {"AB3K7Q", "XYZ289", "HJMNPR", "CDEFGL", "STUVW4",
                                    "M2L3",   "2345",   "ZZZZ",   "k7qx3"};
    for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
        char *a = gw_captcha_svg(answers[i]);
        char *b = gw_captcha_svg(answers[i]);
        CHECK(a && b, "renders %s", answers[i]);
        if (!a || !b)
            continue;
        CHECK(strncmp(a, "<svg ", 5) == 0 && strstr(a, "xmlns=\"http://www.w3.org/2000/svg\""),
              "an SVG root");
        CHECK(s_xmlish(a), "well formed: %s", answers[i]);
        CHECK(strstr(a, "<path") != NULL, "drawn with paths");
        CHECK(strstr(a, "<text") == NULL, "no text element");
        CHECK(strstr(a, answers[i]) == NULL, "answer %s not in the SVG", answers[i]);
        CHECK(strcmp(a, b) != 0, "two renders differ");
        CHECK(strlen(a) < 32 * 1024, "small: %zu bytes", strlen(a));
        /* one path per character at least, plus noise */
        size_t paths = 0;
        for (const char *p = a; (p = strstr(p, "<path")); p++)
            paths++;
        CHECK(paths >= strlen(answers[i]) + 2, "paths: %zu", paths);
        free(a);
        free(b);
    }
    char *url = gw_captcha_data_url("AB3K7Q");
    CHECK(url && strncmp(url, "data:image/svg+xml;base64,", 26) == 0, "data URL");
    if (url) {
        const char *b64 = url + 26;
        size_t len = strlen(b64);
        unsigned char *bin = malloc(len);
        size_t binlen = 0;
        CHECK(sodium_base642bin(bin, len, b64, len, NULL, &binlen, NULL,
                                sodium_base64_VARIANT_ORIGINAL) == 0,
              "valid base64");
        CHECK(binlen > 5 && memcmp(bin, "<svg ", 5) == 0, "an SVG inside");
        free(bin);
    }
    free(url);
    return TEST_DONE();
}
