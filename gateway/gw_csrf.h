/* gw_csrf: may a state-changing request (every POST) come from where the browser says
 * it comes from? A body with the JSON type cannot be sent across origins without a CORS
 * preflight, which the gateway never grants; but a POST without a body (resend, logout,
 * captcha) needs no content type at all, so a form or fetch on another site, or on a
 * sibling subdomain (same-site, so SameSite=Lax cookies go along), could send one. The
 * browser's own headers tell: Sec-Fetch-Site (not settable by a page) and Origin.
 * Requests with neither (curl, servers) are let through: they carry no victim's cookie. */
#ifndef GW_CSRF_H
#define GW_CSRF_H

#include <stdbool.h>

/* True when the request may go on. sec_fetch_site, origin and host are the request's
 * headers (NULL when absent); allowed is gateway.allowed_origins, a comma/space
 * separated list of origins ("https://dichvucong.gov.vn") that may post besides the
 * gateway's own (an Origin whose host[:port] is the Host header). Refused:
 * Sec-Fetch-Site cross-site or same-site (or any value but same-origin and none) from an
 * origin not allowed, and an Origin (including "null") that is neither ours nor allowed. */
bool gw_csrf_allowed(const char *allowed, const char *host, const char *origin,
                     const char *sec_fetch_site);

#endif
