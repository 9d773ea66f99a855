/* gw_page: serving the embedded web page. The files are few and small, so a linear
 * search of the table is as fast as anything, and a response points at the static bytes
 * instead of copying them. */
#include "gw_page.h"

#include <string.h>

#define S_STATIC_PREFIX "/static/"

/* The page's own files are the only source of scripts and styles (no inline script, so an
 * injected <script> cannot run); images may also be data: URLs because the captcha comes
 * as one; API calls go to the same origin; nothing may frame the page (clickjacking). */
#define S_CSP                                                                                      \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

static const struct {
    const char *name, *value;
} s_headers[] = {
    {"Content-Security-Policy", S_CSP},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Frame-Options", "DENY"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"},
    /* Revalidate every time: a new gateway build must show its page at once, and the
     * ETag makes an unchanged file cost a 304 with no body. */
    {"Cache-Control", "no-cache"},
};

const gw_page_file_t *gw_page_find(const char *name) {
    for (size_t i = 0; i < gw_page_files_count; i++)
        if (strcmp(gw_page_files[i].name, name) == 0)
            return &gw_page_files[i];
    return NULL;
}

const char *gw_page_html(void) {
    const gw_page_file_t *f = gw_page_find("index.html");
    return f ? (const char *)f->data : "";
}

/* True when the If-None-Match list names etag (a weak W/ form counts, as RFC 9110
 * says for GET) or is "*". */
static bool s_etag_matches(const char *if_none_match, const char *etag) {
    const char *p = if_none_match;
    while (*p == ' ' || *p == '\t')
        p++;
    if (p[0] == '*' && (p[1] == '\0' || p[1] == ' '))
        return true;
    size_t elen = strlen(etag);
    for (const char *hit = strstr(p, etag); hit; hit = strstr(hit + 1, etag)) {
        char after = hit[elen];
        if (after == '\0' || after == ',' || after == ' ' || after == '\t')
            return true;
    }
    return false;
}

gw_page_answer_t gw_page_lookup(const char *method, const char *url, const char *if_none_match) {
    gw_page_answer_t ans = {0, NULL};
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return ans;
    const gw_page_file_t *f = NULL;
    if (strcmp(url, "/") == 0)
        f = gw_page_find("index.html");
    else if (strncmp(url, S_STATIC_PREFIX, sizeof(S_STATIC_PREFIX) - 1) == 0)
        f = gw_page_find(url + sizeof(S_STATIC_PREFIX) - 1); /* exact names: no ".." walk */
    if (!f)
        return ans;
    ans.file = f;
    ans.status = if_none_match && s_etag_matches(if_none_match, f->etag) ? 304 : 200;
    return ans;
}

int gw_page_queue(struct MHD_Connection *conn, const char *method, const char *url,
                  const gw_trace_t *tr) {
    const char *inm =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    gw_page_answer_t a = gw_page_lookup(method, url, inm);
    if (a.status == 0)
        return 0;
    /* The bytes are static: MHD sends them in place. HEAD gets the headers only (MHD). */
    size_t len = a.status == 200 ? a.file->len : 0;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)a.file->data, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return -1;
    bool ok = true;
    if (a.status == 200)
        ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a.file->content_type) ==
             MHD_YES;
    ok = ok && MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, a.file->etag) == MHD_YES;
    ok = ok && MHD_add_response_header(resp, "X-Request-Id", tr->request_id) == MHD_YES;
    if (tr->traceparent[0])
        ok = ok && MHD_add_response_header(resp, "traceparent", tr->traceparent) == MHD_YES;
    for (size_t i = 0; ok && i < sizeof(s_headers) / sizeof(s_headers[0]); i++)
        ok = MHD_add_response_header(resp, s_headers[i].name, s_headers[i].value) == MHD_YES;
    enum MHD_Result rc = ok ? MHD_queue_response(conn, a.status, resp) : MHD_NO;
    MHD_destroy_response(resp);
    return rc == MHD_YES ? (int)a.status : -1;
}
