/* gw_page: which URLs are the page's, the embedded table www.cmake generates, and
 * conditional requests by ETag. (Serving over HTTP is tested by tests/browser.) */
#include <string.h>

#include "gw_page.h"
#include "tap.h"

static void test_table(void) {
    CHECK(gw_page_files_count >= 4, "index.html, app.js, app.css, logo.svg at least: %zu",
          gw_page_files_count);
    for (size_t i = 0; i < gw_page_files_count; i++) {
        const gw_page_file_t *f = &gw_page_files[i];
        CHECK(f->len > 0, "%s is not empty", f->name);
        CHECK(f->data[f->len] == '\0', "%s ends with a NUL", f->name);
        CHECK(f->etag[0] == '"' && f->etag[strlen(f->etag) - 1] == '"', "%s etag %s", f->name,
              f->etag);
        CHECK(gw_page_find(f->name) == f, "%s is found", f->name);
        if (i > 0)
            CHECK(strcmp(gw_page_files[i - 1].name, f->name) < 0, "sorted: %s", f->name);
    }
    const gw_page_file_t *js = gw_page_find("app.js");
    CHECK(js && strcmp(js->content_type, "text/javascript; charset=utf-8") == 0, "js type");
    const gw_page_file_t *css = gw_page_find("app.css");
    CHECK(css && strcmp(css->content_type, "text/css; charset=utf-8") == 0, "css type");
    CHECK(gw_page_find("nothing.js") == NULL, "unknown file");
    CHECK(strstr(gw_page_html(), "<html lang=\"vi\">") != NULL, "the page is Vietnamese");
}

static void test_lookup(void) {
    const gw_page_file_t *index = gw_page_find("index.html");
    const gw_page_file_t *js = gw_page_find("app.js");
    static const struct {
        const char *method, *url;
        unsigned status;
        const char *file;
    } rows[] = {
        {"GET", "/", 200, "index.html"},
        {"HEAD", "/", 200, "index.html"},
        {"GET", "/static/app.js", 200, "app.js"},
        {"GET", "/static/app.css", 200, "app.css"},
        {"HEAD", "/static/logo.svg", 200, "logo.svg"},
        {"POST", "/", 0, NULL}, /* the routes answer 405 */
        {"GET", "/static/", 0, NULL},
        {"GET", "/static", 0, NULL},
        {"GET", "/static/../index.html", 0, NULL},
        {"GET", "/static/nothing.js", 0, NULL},
        {"GET", "/index.html", 0, NULL},
        {"GET", "/app.js", 0, NULL},
        {"GET", "//", 0, NULL},
        {"GET", "/v1/me", 0, NULL},
        {"GET", "/healthz", 0, NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        gw_page_answer_t a = gw_page_lookup(rows[i].method, rows[i].url, NULL);
        CHECK(a.status == rows[i].status, "%s %s: %u", rows[i].method, rows[i].url, a.status);
        if (rows[i].file)
            CHECK(a.file && strcmp(a.file->name, rows[i].file) == 0, "%s", rows[i].url);
    }

    char list[256];
    gw_page_answer_t a = gw_page_lookup("GET", "/", index->etag);
    CHECK(a.status == 304 && a.file == index, "same etag: 304");
    snprintf(list, sizeof(list), "\"0000\", W/%s", index->etag);
    CHECK(gw_page_lookup("GET", "/", list).status == 304, "a weak etag in a list: %s", list);
    CHECK(gw_page_lookup("GET", "/", "*").status == 304, "*");
    CHECK(gw_page_lookup("GET", "/", "\"0000\"").status == 200, "another etag");
    CHECK(gw_page_lookup("GET", "/", "").status == 200, "empty header");
    CHECK(gw_page_lookup("GET", "/static/app.js", index->etag).status == 200,
          "index's etag does not match app.js");
    /* An etag followed by more characters is another etag. */
    snprintf(list, sizeof(list), "%sx", js->etag);
    CHECK(gw_page_lookup("GET", "/static/app.js", list).status == 200, "longer: %s", list);
}

int main(void) {
    test_table();
    test_lookup();
    return TEST_DONE();
}
