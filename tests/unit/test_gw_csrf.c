/* gw_csrf: which POSTs may go on, from the browser's Origin and Sec-Fetch-Site. */
#include <stddef.h>

#include "gw_csrf.h"
#include "tap.h"

int main(void) {
    static const char *allowed = "https://dichvucong.gov.vn, https://portal.example.vn/";
    static const char *host = "127.0.0.1:8080";
    static const struct {
        const char *origin, *site;
        bool ok;
    } rows[] = {
        {NULL, NULL, true}, /* curl, another server: no browser, no victim's cookie */
        {"http://127.0.0.1:8080", NULL, true},
        {"HTTP://127.0.0.1:8080/", NULL, true},
        {"http://127.0.0.1:8080", "same-origin", true},
        {NULL, "same-origin", true},
        {NULL, "none", true},
        {"https://dichvucong.gov.vn", "cross-site", true},
        {"https://portal.example.vn", "same-site", true},
        {"https://dichvucong.gov.vn", NULL, true},
        {"http://127.0.0.1:8081", NULL, false},
        {"http://127.0.0.1", NULL, false},
        {"http://127.0.0.1:8080.evil.vn", NULL, false},
        {"null", NULL, false},
        {"https://evil.vn", NULL, false},
        {"https://evil.vn", "cross-site", false},
        {NULL, "cross-site", false},
        {NULL, "same-site", false},
        {"http://127.0.0.1:8080", "same-site", false}, /* a sibling subdomain's page */
        {"https://dichvucong.gov.vn.evil.vn", "cross-site", false},
        {"https://evil.vn", "unheard-of", false},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        CHECK(gw_csrf_allowed(allowed, host, rows[i].origin, rows[i].site) == rows[i].ok,
              "origin %s, Sec-Fetch-Site %s: %s expected", rows[i].origin ? rows[i].origin : "-",
              rows[i].site ? rows[i].site : "-", rows[i].ok ? "allowed" : "refused");
    CHECK(!gw_csrf_allowed("", NULL, "http://127.0.0.1:8080", NULL), "no Host: not ours");
    CHECK(gw_csrf_allowed(NULL, host, NULL, NULL), "no list");
    return TEST_DONE();
}
