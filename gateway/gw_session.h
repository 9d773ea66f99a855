/* gw_session: the session token on HTTP. Reading it from "Authorization: Bearer"
 * or from the session cookie, and writing the Set-Cookie that stores or deletes
 * it. A request's Bearer token wins over its cookie (gw_http). The token itself is
 * opaque here: account-svc alone knows whether it lives.
 * Nothing in this file logs; a token is never logged anywhere. */
#ifndef GW_SESSION_H
#define GW_SESSION_H

#include <stddef.h>

#define GW_SESSION_COOKIE "dvcid_session"
#define GW_SESSION_TOKEN_MAX 128 /* characters of a token; longer is no token of ours */

/* The token of "Bearer <token>" (scheme in any case, spaces around the token
 * allowed) into out. Returns 0, or -1 for another scheme, an empty token, a token
 * with characters outside RFC 6750's b64token, or one longer than outlen - 1. */
int gw_session_bearer(const char *authorization, char *out, size_t outlen);

/* The value of the first cookie called name with a non-empty, well-formed value
 * ("; " separated pairs, spaces and tabs trimmed, one pair of double quotes
 * removed) into out. Names compare case-sensitively (RFC 6265). Returns 0 or -1
 * (no such cookie, or a value as refused by gw_session_bearer). */
int gw_session_cookie(const char *cookie_header, const char *name, char *out, size_t outlen);

/* The Set-Cookie value that stores token for max_age seconds (HttpOnly,
 * SameSite=Lax, Path=/). Returns 0, or -1 when it does not fit outlen or token is
 * not a well-formed token (nothing is written then but ""). */
int gw_session_set_cookie(char *out, size_t outlen, const char *token, unsigned max_age);

/* The Set-Cookie value that deletes the session cookie (Max-Age=0). */
void gw_session_clear_cookie(char *out, size_t outlen);

#endif
