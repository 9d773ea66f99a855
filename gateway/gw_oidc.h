/* gw_oidc: the OpenID Connect discovery document (OpenID Connect Discovery 1.0,
 * section 3) at /.well-known/openid-configuration, so a portal's standard library
 * finds the keys that sign access tokens from the issuer alone. dvcid is not an
 * authorization server for portals (no authorize or token endpoint): the document
 * names only what is true, the issuer, jwks_uri, the signing algorithm, the subject
 * type and the claims of the token. */
#ifndef GW_OIDC_H
#define GW_OIDC_H

#include <stdbool.h>
#include <stddef.h>

#include "gw_answer.h"

#define GW_OIDC_URL_MAX 512

/* The base URL the document's URLs start with: public_url (gateway.public_url) when
 * set, else issuer when it is an http(s) URL, else "http://" + host (the Host header,
 * for a dev stack). Writes it without a trailing '/' into out. Returns false when
 * there is none usable (no base and a Host that is not a host[:port]), or when it
 * does not fit. *from_host tells the caller that the answer depends on the request. */
bool gw_oidc_base(const char *public_url, const char *issuer, const char *host, char *out,
                  size_t outlen, bool *from_host);

/* Answers the discovery document for issuer (token.issuer, the "iss" of every access
 * token) with its URLs under base (gw_oidc_base). Cacheable like the JWKS, unless
 * from_host. Returns 0, or -1 when out of memory. */
int gw_oidc_answer(gw_answer_t *ans, const char *issuer, const char *base, bool from_host);

#endif
