/* gw_session: token extraction and the session cookie. Parsing is strict about
 * what a token may contain (RFC 6750's b64token, which covers hex and base64url),
 * so nothing odd ever reaches account-svc or a header we write, and lenient about
 * the spacing clients and proxies put around it. */
#include "gw_session.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool s_space(char c) { return c == ' ' || c == '\t'; }

static bool s_token_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

/* True when [s, s + len) is a b64token: token characters, then only padding. */
static bool s_valid(const char *s, size_t len) {
    size_t i = 0;
    while (i < len && s_token_char(s[i]))
        i++;
    if (i == 0)
        return false;
    while (i < len && s[i] == '=')
        i++;
    return i == len;
}

/* Copies the token [s, s + len) into out when it is well formed and fits. */
static int s_take(const char *s, size_t len, char *out, size_t outlen) {
    if (outlen > 0)
        out[0] = '\0';
    if (len >= outlen || !s_valid(s, len))
        return -1;
    memcpy(out, s, len);
    out[len] = '\0';
    return 0;
}

int gw_session_bearer(const char *authorization, char *out, size_t outlen) {
    static const char scheme[] = "Bearer";
    if (outlen > 0)
        out[0] = '\0';
    if (!authorization)
        return -1;
    const char *s = authorization;
    while (s_space(*s))
        s++;
    if (strncasecmp(s, scheme, sizeof(scheme) - 1) != 0 || !s_space(s[sizeof(scheme) - 1]))
        return -1;
    s += sizeof(scheme) - 1;
    while (s_space(*s))
        s++;
    size_t len = strlen(s);
    while (len > 0 && s_space(s[len - 1]))
        len--;
    return s_take(s, len, out, outlen);
}

int gw_session_cookie(const char *cookie_header, const char *name, char *out, size_t outlen) {
    if (outlen > 0)
        out[0] = '\0';
    if (!cookie_header)
        return -1;
    size_t nlen = strlen(name);
    const char *s = cookie_header;
    while (*s) {
        size_t plen = strcspn(s, ";");
        const char *p = s, *end = s + plen;
        s = *end ? end + 1 : end;
        while (p < end && s_space(*p))
            p++;
        while (end > p && s_space(end[-1]))
            end--;
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (!eq)
            continue;
        const char *n_end = eq;
        while (n_end > p && s_space(n_end[-1]))
            n_end--;
        if ((size_t)(n_end - p) != nlen || memcmp(p, name, nlen) != 0)
            continue;
        const char *v = eq + 1;
        while (v < end && s_space(*v))
            v++;
        if (end - v >= 2 && *v == '"' && end[-1] == '"') {
            v++;
            end--;
        }
        /* A browser may hold two (other paths, or a stale one): the first good one wins. */
        if (s_take(v, (size_t)(end - v), out, outlen) == 0)
            return 0;
    }
    return -1;
}

int gw_session_set_cookie(char *out, size_t outlen, const char *token, unsigned max_age) {
    size_t len = strlen(token);
    if (len > GW_SESSION_TOKEN_MAX || !s_valid(token, len)) {
        if (outlen > 0)
            out[0] = '\0';
        return -1;
    }
    int n = snprintf(out, outlen, "%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%u",
                     GW_SESSION_COOKIE, token, max_age);
    if (n < 0 || (size_t)n >= outlen) {
        if (outlen > 0)
            out[0] = '\0';
        return -1;
    }
    return 0;
}

void gw_session_clear_cookie(char *out, size_t outlen) {
    snprintf(out, outlen, "%s=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0", GW_SESSION_COOKIE);
}
