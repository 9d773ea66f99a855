/* gw_captcha: the SVG is well formed (tags balance), drawn with paths, never
 * carries the answer as text, and differs each time; and it cannot be read off its
 * markup: the letter paths come in no left-to-right order, letters are cut into
 * several pieces, and decoys look exactly like pieces of letters. */
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
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

/* The paths drawn like letters (round joins): their count, whether all share one
 * form of tag (attribute names and order, one-decimal numbers, M then L only, width
 * in the letters' range), and whether their first x coordinates rise left to right. */
typedef struct {
    int n;
    bool one_form;
    bool sorted;
} s_letters_t;

static s_letters_t s_letters(const char *svg) {
    s_letters_t r = {0, true, true};
    double last_x = -1e9;
    for (const char *p = svg; (p = strstr(p, "<path ")); p++) {
        const char *end = strstr(p, "/>");
        if (!end)
            break;
        if (!strstr(p, "stroke-linejoin") || strstr(p, "stroke-linejoin") > end)
            continue;
        r.n++;
        /* The tag up to its path data with every number as '#': one form for all. */
        static const char form[] = "<path fill=\"none\" stroke=\"rgb(#,#,#)\" stroke-width=\"#\" "
                                   "stroke-linecap=\"round\" stroke-linejoin=\"round\" d=\"M # # ";
        char shape[sizeof(form) + 8];
        size_t k = 0;
        const char *q = p;
        while (q < end && k < sizeof(shape) - 1 && strncmp(q, "d=\"M ", 5) != 0) {
            bool num = (*q >= '0' && *q <= '9') || *q == '.';
            if (num) {
                while (q < end && ((*q >= '0' && *q <= '9') || *q == '.'))
                    q++;
                shape[k++] = '#';
            } else {
                shape[k++] = *q++;
            }
        }
        const char *wtext = strstr(p, "stroke-width=\"");
        double width = wtext ? strtod(wtext + 14, NULL) : 0;
        char *after = NULL;
        double x = strtod(q + 5, &after);
        (void)strtod(after, &after); /* y */
        int written = snprintf(shape + k, sizeof(shape) - k, "d=\"M # # ");
        if (written < 0 || strcmp(shape, form) != 0 || width < 2.0 || width > 2.8) {
            r.one_form = false;
            continue;
        }
        size_t used = (size_t)(after - p);
        for (const char *c = p + used; c < end - 1; c++)
            if (*c == 'M' || *c == 'C' || *c == 'Q')
                r.one_form = false;
        if (x < last_x)
            r.sorted = false;
        last_x = x;
    }
    return r;
}

static void test_unreadable_markup(void) {
    /* "LLLL": four letters of one stroke each; with the pieces they are cut into and
     * at least 3 decoys, more paths than letters, all of one form. */
    int sorted = 0, more = 0;
    const int runs = 40;
    for (int i = 0; i < runs; i++) {
        char *svg = gw_captcha_svg(i % 2 ? "LLLL" : "AB3K7Q");
        CHECK(svg != NULL, "renders");
        if (!svg)
            continue;
        s_letters_t l = s_letters(svg);
        CHECK(l.one_form, "every letter-like path has one form (decoys look the same)");
        if (i % 2)
            CHECK(l.n >= 4 + 3, "LLLL: %d letter-like paths, 4 strokes and 3 decoys at least", l.n);
        else
            CHECK(l.n >= 6 + 3 + 6, "AB3K7Q: %d letter-like paths", l.n);
        more += l.n > (i % 2 ? 4 + 3 : 6 + 3 + 6);
        sorted += l.sorted;
        free(svg);
    }
    /* Pieces in text order would give rising x nearly always; shuffled almost never. */
    CHECK(sorted <= 1, "paths in left-to-right order in %d of %d renders", sorted, runs);
    CHECK(more >= runs / 2, "strokes are cut into pieces: %d of %d renders beyond the minimum",
          more, runs);
}

int main(void) {
    if (sodium_init() < 0)
        return 1;
    test_unreadable_markup();
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
