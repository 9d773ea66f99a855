/* lg_http_parse: the byte-level half of the HTTP/1.1 client: writing a request and parsing a
 * response out of a receive buffer (status line, Content-Length, chunked bodies, Connection:
 * close, bodies that end with the connection). Pure functions on caller buffers, so the
 * unit tests drive them with any split of the bytes. */
#ifndef LG_HTTP_PARSE_H
#define LG_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/* Largest status line plus headers accepted. */
#define LG_HTTP_HEAD_MAX (64 * 1024)

typedef struct {
    int status;   /* 100..599 */
    size_t total; /* bytes of the whole response at the start of the buffer */
    char *body;   /* the body, contiguous (a chunked body is de-chunked in place) */
    size_t body_len;
    bool close; /* the server closes after this response */
} lg_http_resp_t;

/* Parses the response at the start of buf[0..len). eof says the peer has closed (a body
 * without length then ends there). head: the request was HEAD (no body follows).
 * Returns 1 when a whole response is there (out filled; a chunked body is rewritten in
 * place), 0 when more bytes are needed, -1 when the bytes are not an HTTP/1.x response
 * (or the connection ended too early). */
int lg_http_parse(char *buf, size_t len, bool eof, bool head, lg_http_resp_t *out);

/* Writes one request into out[0..cap): request line, Host, Content-Type and Content-Length
 * when a body is given (or Content-Length: 0 for a POST without one), extra_headers (each
 * ending in CRLF; may be NULL), then the body. Returns the length, or -1 when it does not
 * fit. */
int lg_http_request(char *out, size_t cap, const char *method, const char *host, const char *path,
                    const char *extra_headers, const char *body, size_t body_len);

#endif
