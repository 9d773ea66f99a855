/* gw_oidc: the discovery document. */
#include "gw_oidc.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool s_is_url(const char *s) {
    return strncasecmp(s, "https://", 8) == 0 || strncasecmp(s, "http://", 7) == 0;
}

/* A Host header worth echoing: a name, IPv4 or bracketed IPv6, and a port. Anything
 * else (a path, spaces, quotes) is someone steering the portal's key fetch. */
static bool s_host_ok(const char *host) {
    size_t n = host ? strlen(host) : 0;
    if (n == 0 || n > 255)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)host[i];
        if (!isalnum(c) && !strchr(".-:[]", c))
            return false;
    }
    return true;
}

bool gw_oidc_base(const char *public_url, const char *issuer, const char *host, char *out,
                  size_t outlen, bool *from_host) {
    *from_host = false;
    int n;
    if (public_url && public_url[0])
        n = snprintf(out, outlen, "%s", public_url);
    else if (issuer && s_is_url(issuer))
        n = snprintf(out, outlen, "%s", issuer);
    else if (s_host_ok(host)) {
        n = snprintf(out, outlen, "http://%s", host);
        *from_host = true;
    } else
        return false;
    if (n < 0 || (size_t)n >= outlen)
        return false;
    while (n > 0 && out[n - 1] == '/')
        out[--n] = '\0';
    return n > 0;
}

int gw_oidc_answer(gw_answer_t *ans, const char *issuer, const char *base, bool from_host) {
    char jwks[GW_OIDC_URL_MAX + 32];
    snprintf(jwks, sizeof(jwks), "%s/.well-known/jwks.json", base);
    /* "public": sub is one opaque account id, the same for every portal. The claims
     * are those account-svc signs (acct_keys_sign). */
    json_t *doc =
        json_pack("{s:s, s:s, s:[s], s:[s], s:[s,s,s,s,s,s]}", "issuer", issuer, "jwks_uri", jwks,
                  "id_token_signing_alg_values_supported", "EdDSA", "subject_types_supported",
                  "public", "claims_supported", "iss", "aud", "sub", "iat", "exp", "amr");
    if (gw_answer_json(ans, 200, doc) != 0)
        return -1;
    /* Derived from the Host header, a shared cache must not hand it to another host. */
    ans->cache_control = from_host ? "no-store" : "public, max-age=300";
    return 0;
}
