/* gw_csrf: the Origin / Sec-Fetch-Site rule for state-changing requests. */
#include "gw_csrf.h"

#include <string.h>
#include <strings.h>

/* Is origin one of the comma/space separated entries of list? Compared without case
 * (scheme and host are case-insensitive) and without a trailing slash. */
static bool s_listed(const char *list, const char *origin) {
    size_t n = strlen(origin);
    while (n > 0 && origin[n - 1] == '/')
        n--;
    const char *p = list ? list : "";
    while (*p) {
        p += strspn(p, ", \t");
        size_t len = strcspn(p, ", \t");
        size_t cmp = len;
        while (cmp > 0 && p[cmp - 1] == '/')
            cmp--;
        if (len > 0 && cmp == n && strncasecmp(p, origin, n) == 0)
            return true;
        p += len;
    }
    return false;
}

/* Is origin ("scheme://host[:port]") the gateway's own, the one the Host header names?
 * The scheme is not compared: behind the TLS proxy the gateway itself speaks HTTP. */
static bool s_own(const char *host, const char *origin) {
    if (!host || !host[0])
        return false;
    const char *sep = strstr(origin, "://");
    if (!sep)
        return false;
    const char *authority = sep + 3;
    size_t n = strlen(authority);
    while (n > 0 && authority[n - 1] == '/')
        n--;
    return n == strlen(host) && n > 0 && strncasecmp(authority, host, n) == 0;
}

bool gw_csrf_allowed(const char *allowed, const char *host, const char *origin,
                     const char *sec_fetch_site) {
    bool origin_ok = origin && (s_own(host, origin) || s_listed(allowed, origin));
    if (sec_fetch_site) {
        /* same-origin: the gateway's own page (whatever Host a proxy passed on);
         * "none": the user's own doing (typed, a bookmark). The browser sets this
         * header and no page can. */
        if (strcasecmp(sec_fetch_site, "same-origin") == 0 ||
            strcasecmp(sec_fetch_site, "none") == 0)
            return true;
        /* cross-site or same-site: only a configured front end may. */
        return origin && s_listed(allowed, origin);
    }
    if (origin)
        return origin_ok;
    return true;
}
