/* gw_lang: the body's lang is "vi" or "en" exactly; Accept-Language picks the one of vi
 * and en with the higher q (the earlier at equal q), subtags count for their language,
 * q=0 refuses one, and a header naming neither (or none) gives "". */
#include <string.h>

#include "gw_lang.h"
#include "tap.h"

int main(void) {
    CHECK(gw_lang_valid("vi") && gw_lang_valid("en"), "vi and en are languages");
    const char *bad[] = {"", "EN", "en-US", "fr", "vie", "e", NULL};
    for (size_t i = 0; bad[i]; i++)
        CHECK(!gw_lang_valid(bad[i]), "\"%s\" is refused", bad[i]);
    CHECK(!gw_lang_valid(NULL), "NULL is refused");

    static const struct {
        const char *header, *want;
    } rows[] = {
        {NULL, ""},
        {"", ""},
        {"en", "en"},
        {"vi", "vi"},
        {"en-US,en;q=0.9", "en"},
        {"vi-VN, vi;q=0.9, en;q=0.8", "vi"},
        {"fr-FR, en-GB;q=0.8, vi;q=0.5", "en"},
        {"en;q=0.3, vi", "vi"},
        {"en, vi", "en"},
        {"vi, en", "vi"},
        {"EN-us", "en"},
        {"en;q=0, vi;q=0.1", "vi"},
        {"en;q=0", ""},
        {"fr, de;q=0.5, *", ""},
        {"eng, vie", ""},
        {"en;q=0.25, vi;q=0.251", "vi"},
        {"  en ;q=1.0 , vi", "en"},
        {"zh;q=1, en;q=0.005", "en"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char out[GW_LANG_MAX];
        memset(out, 'x', sizeof(out));
        gw_lang_accept(rows[i].header, out);
        CHECK(strcmp(out, rows[i].want) == 0, "Accept-Language \"%s\" gives \"%s\" (got \"%s\")",
              rows[i].header ? rows[i].header : "(none)", rows[i].want, out);
    }
    return TEST_DONE();
}
