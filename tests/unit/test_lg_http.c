/* lg_http_parse: responses parsed from any split of their bytes (Content-Length, chunked,
 * to the end of the connection, no body), keep-alive and close, malformed input refused;
 * requests written with the right headers. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lg_http_parse.h"
#include "tap.h"

/* Parses text fed one byte more at a time: incomplete until the last byte, then complete. */
static void s_bytewise(const char *text, int status, const char *body, bool close) {
    char buf[2048];
    size_t len = strlen(text);
    lg_http_resp_t r;
    int early = 0;
    for (size_t n = 0; n < len; n++) {
        memcpy(buf, text, n);
        early += lg_http_parse(buf, n, false, false, &r) != 0;
    }
    CHECK(early == 0, "%d early verdicts for %.20s", early, text);
    memcpy(buf, text, len);
    int rc = lg_http_parse(buf, len, false, false, &r);
    CHECK(rc == 1, "complete: %d", rc);
    if (rc != 1)
        return;
    CHECK(r.status == status, "status %d", r.status);
    CHECK(r.total == len, "total %zu of %zu", r.total, len);
    CHECK(r.body_len == strlen(body) && memcmp(r.body, body, r.body_len) == 0, "body %.*s",
          (int)r.body_len, r.body);
    CHECK(r.close == close, "close %d", r.close);
}

static void s_parse(void) {
    s_bytewise("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 200, "{}", false);
    s_bytewise("HTTP/1.1 201 Created\r\ncontent-length:  5 \r\nConnection: close\r\n\r\nhello", 201,
               "hello", true);
    s_bytewise("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               "4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\n\r\n",
               200, "Wikipedia in \r\n\r\nchunks.", false);
    s_bytewise("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n\r\n", 200, "",
               false);
    s_bytewise("HTTP/1.1 204 No Content\r\n\r\n", 204, "", false);
    s_bytewise("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", 200, "x", true);
    s_bytewise("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx", 200, "x",
               false);
    s_bytewise("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n", 429,
               "", false);

    /* A body without a length ends with the connection. */
    char buf[256];
    lg_http_resp_t r;
    snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n\r\nuntil eof");
    CHECK(lg_http_parse(buf, strlen(buf), false, false, &r) == 0, "waits for the end");
    CHECK(lg_http_parse(buf, strlen(buf), true, false, &r) == 1 && r.body_len == 9 && r.close,
          "ends at eof");
    /* HEAD: headers only, whatever Content-Length says. */
    snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n");
    CHECK(lg_http_parse(buf, strlen(buf), false, true, &r) == 1 && r.body_len == 0, "HEAD");
    /* Bytes after the response (a pipelined one) are not part of it. */
    snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1");
    CHECK(lg_http_parse(buf, strlen(buf), false, false, &r) == 1 && r.total == 39, "total %zu",
          r.total);

    /* Refused: not HTTP, bad status, conflicting lengths, bad chunk, early end. */
    const char *bad[] = {
        "SSH-2.0-OpenSSH\r\n\r\n",
        "HTTP/1.1 2x0 OK\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(buf, sizeof(buf), "%s", bad[i]);
        CHECK(lg_http_parse(buf, strlen(buf), false, false, &r) == -1, "refused: %s", bad[i]);
    }
    snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab");
    CHECK(lg_http_parse(buf, strlen(buf), true, false, &r) == -1, "closed mid-body");
    CHECK(lg_http_parse(buf, 0, true, false, &r) == -1, "closed before anything");
}

static void s_request(void) {
    char out[512];
    int n = lg_http_request(out, sizeof(out), "POST", "127.0.0.1:8080", "/v1/registrations", NULL,
                            "{\"a\":1}", 7);
    CHECK(n > 0, "fits");
    out[n > 0 ? n : 0] = '\0'; /* the body is copied as bytes, unterminated */
    CHECK_STR(out, "POST /v1/registrations HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                   "Content-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
    CHECK(n == (int)strlen(out), "length %d", n);
    n = lg_http_request(out, sizeof(out), "POST", "h", "/v1/captcha", NULL, NULL, 0);
    out[n > 0 ? n : 0] = '\0';
    CHECK_STR(out, "POST /v1/captcha HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
    n = lg_http_request(out, sizeof(out), "GET", "h", "/ping", "X-A: b\r\n", NULL, 0);
    out[n > 0 ? n : 0] = '\0';
    CHECK_STR(out, "GET /ping HTTP/1.1\r\nHost: h\r\nX-A: b\r\n\r\n");
    CHECK(lg_http_request(out, 40, "POST", "h", "/p", NULL, "{\"long\":\"body\"}", 15) == -1,
          "too small");
}

int main(void) {
    s_parse();
    s_request();
    return TEST_DONE();
}
