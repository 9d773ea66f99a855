/* lg_http_parse: response parsing and request writing for the load generator's HTTP/1.1
 * client (lg_http_parse.h). Lenient where servers differ harmlessly (header case, spaces,
 * reason phrases), strict where a mistake would desynchronise a keep-alive connection
 * (lengths, chunk sizes). */
#include "lg_http_parse.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Does the comma-separated header value v[0..n) hold token (case-insensitive)? */
static bool s_has_token(const char *v, size_t n, const char *token) {
    size_t tl = strlen(token);
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t start = i;
        while (i < n && v[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
            end--;
        if (end - start == tl && strncasecmp(v + start, token, tl) == 0)
            return true;
    }
    return false;
}

/* Parses the decimal n-byte value; -1 when it is not a plain non-negative number. */
static long long s_decimal(const char *v, size_t n) {
    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (n == 0 || n > 15)
        return -1;
    long long x = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)v[i]))
            return -1;
        x = x * 10 + (v[i] - '0');
    }
    return x;
}

/* Walks a chunked body at b[0..n). Returns the bytes it spans when complete (and, if
 * compact, moves the data of every chunk to the front of b and sets *data_len), 0 when
 * incomplete, -1 when malformed. */
static long long s_chunked(char *b, size_t n, bool compact, size_t *data_len) {
    size_t pos = 0, out = 0;
    for (;;) {
        const char *eol = memmem(b + pos, n - pos, "\r\n", 2);
        if (!eol)
            return n - pos > 1024 ? -1 : 0;
        size_t size = 0, i = pos, digits = 0;
        while (i < (size_t)(eol - b) && isxdigit((unsigned char)b[i])) {
            int c = tolower((unsigned char)b[i]);
            size = size * 16 + (size_t)(isdigit(c) ? c - '0' : c - 'a' + 10);
            if (++digits > 12)
                return -1;
            i++;
        }
        if (digits == 0 || (i < (size_t)(eol - b) && b[i] != ';' && b[i] != ' '))
            return -1;
        pos = (size_t)(eol - b) + 2;
        if (size == 0) {
            /* Trailers, if any, then the empty line. */
            for (;;) {
                const char *end = memmem(b + pos, n - pos, "\r\n", 2);
                if (!end)
                    return 0;
                size_t line = (size_t)(end - (b + pos));
                pos += line + 2;
                if (line == 0) {
                    if (compact)
                        *data_len = out;
                    return (long long)pos;
                }
            }
        }
        if (n - pos < size + 2)
            return 0;
        if (b[pos + size] != '\r' || b[pos + size + 1] != '\n')
            return -1;
        if (compact) {
            memmove(b + out, b + pos, size);
            out += size;
        }
        pos += size + 2;
    }
}

int lg_http_parse(char *buf, size_t len, bool eof, bool head, lg_http_resp_t *out) {
    memset(out, 0, sizeof(*out));
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end) {
        if (len > LG_HTTP_HEAD_MAX || eof)
            return -1;
        return 0;
    }
    size_t head_len = (size_t)(end - buf) + 4;
    if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || (buf[7] != '0' && buf[7] != '1') ||
        buf[8] != ' ' || !isdigit((unsigned char)buf[9]) || !isdigit((unsigned char)buf[10]) ||
        !isdigit((unsigned char)buf[11]))
        return -1;
    int status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
    if (status < 100 || status > 599)
        return -1;
    bool http10 = buf[7] == '0';
    bool keep_alive = false, close = false, chunked = false;
    long long clen = -1;

    const char *line = (const char *)memchr(buf, '\n', head_len) + 1;
    const char *stop = buf + head_len - 2; /* the final empty line */
    while (line < stop) {
        const char *eol = memmem(line, (size_t)(stop + 2 - line), "\r\n", 2);
        if (!eol)
            return -1;
        const char *colon = memchr(line, ':', (size_t)(eol - line));
        if (colon) {
            size_t nlen = (size_t)(colon - line);
            const char *v = colon + 1;
            size_t vlen = (size_t)(eol - v);
            if (nlen == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
                long long x = s_decimal(v, vlen);
                if (x < 0 || (clen >= 0 && clen != x))
                    return -1;
                clen = x;
            } else if (nlen == 17 && strncasecmp(line, "Transfer-Encoding", 17) == 0) {
                chunked = s_has_token(v, vlen, "chunked");
            } else if (nlen == 10 && strncasecmp(line, "Connection", 10) == 0) {
                close = close || s_has_token(v, vlen, "close");
                keep_alive = keep_alive || s_has_token(v, vlen, "keep-alive");
            }
        }
        line = eol + 2;
    }

    out->status = status;
    out->close = close || (http10 && !keep_alive);
    char *body = buf + head_len;
    size_t avail = len - head_len;
    if (head || status < 200 || status == 204 || status == 304) {
        out->body = body;
        out->total = head_len;
        return 1;
    }
    if (chunked) {
        long long span = s_chunked(body, avail, false, NULL);
        if (span < 0)
            return -1;
        if (span == 0)
            return eof ? -1 : 0;
        size_t data_len = 0;
        (void)s_chunked(body, avail, true, &data_len);
        out->body = body;
        out->body_len = data_len;
        out->total = head_len + (size_t)span;
        return 1;
    }
    if (clen >= 0) {
        if (avail < (size_t)clen)
            return eof ? -1 : 0;
        out->body = body;
        out->body_len = (size_t)clen;
        out->total = head_len + (size_t)clen;
        return 1;
    }
    /* No length: the body runs to the end of the connection. */
    if (!eof)
        return 0;
    out->body = body;
    out->body_len = avail;
    out->total = len;
    out->close = true;
    return 1;
}

int lg_http_request(char *out, size_t cap, const char *method, const char *host, const char *path,
                    const char *extra_headers, const char *body, size_t body_len) {
    int n;
    if (body)
        n = snprintf(out, cap,
                     "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n%s\r\n",
                     method, path, host, body_len, extra_headers ? extra_headers : "");
    else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)
        n = snprintf(out, cap, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\n%s\r\n", method,
                     path, host, extra_headers ? extra_headers : "");
    else
        n = snprintf(out, cap, "%s %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", method, path, host,
                     extra_headers ? extra_headers : "");
    if (n < 0 || (size_t)n >= cap || cap - (size_t)n < body_len)
        return -1;
    if (body && body_len)
        memcpy(out + n, body, body_len);
    return n + (int)body_len;
}
