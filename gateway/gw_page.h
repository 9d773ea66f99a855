/* gw_page: the web page served at GET / and its files at GET /static/<name>. The files
 * of gateway/www/ are compiled in (gateway/www.cmake generates gw_page_files[]), so the
 * page needs no file on disk and always matches the gateway that serves its API.
 * Every answer carries the page's security headers (a strict Content-Security-Policy:
 * scripts and styles only from the page's own files, images also as data: URLs for the
 * captcha) and an ETag, so a browser revalidates with a 304 instead of downloading. */
#ifndef GW_PAGE_H
#define GW_PAGE_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "gw_trace.h"

/* One embedded file. Everything is static and never freed. */
typedef struct {
    const char *name;          /* path under gateway/www/, e.g. "app.js" */
    const char *content_type;  /* e.g. "text/javascript; charset=utf-8" */
    const char *etag;          /* quoted hash of the content: "\"0f3a...\"" */
    const unsigned char *data; /* len bytes followed by a NUL */
    size_t len;
} gw_page_file_t;

/* The table generated from gateway/www/ (sorted by name). */
extern const gw_page_file_t gw_page_files[];
extern const size_t gw_page_files_count;

/* What to answer for one request of the page: status 200 (the file's body), 304 (no
 * body, the browser's copy is current) or 0 (not a page URL: route it as the API). */
typedef struct {
    unsigned status;
    const gw_page_file_t *file; /* set when status is 200 or 304 */
} gw_page_answer_t;

/* Decides the answer for method and url ("/" is index.html; "/static/<name>" is a file;
 * only GET and HEAD) given the request's If-None-Match header (NULL when absent).
 * Pure: safe from any thread. */
gw_page_answer_t gw_page_lookup(const char *method, const char *url, const char *if_none_match);

/* Answers the request on conn when it is for the page: queues the file, or a 304, with
 * its headers. Call it once the request has been read (the access handler's last call):
 * MHD closes the connection after a response queued on the first call, and a browser
 * fetches the page's files over one kept-alive connection. Returns the HTTP status
 * queued; 0 when the request is not the page's (the caller routes it); -1 when MHD
 * refused the response (the caller returns MHD_NO, which closes the connection).
 * tr's ids are sent back (X-Request-Id, traceparent), as on every other answer. */
int gw_page_queue(struct MHD_Connection *conn, const char *method, const char *url,
                  const gw_trace_t *tr);

/* Finds an embedded file by name ("index.html"); NULL when there is none. */
const gw_page_file_t *gw_page_find(const char *name);

/* index.html as a NUL-terminated UTF-8 string; static, never freed. */
const char *gw_page_html(void);

#endif
