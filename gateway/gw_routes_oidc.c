/* gw_routes_oidc: what relying portals read: the JWKS that lets them verify access
 * tokens offline, and the OIDC discovery document (gw_oidc) that points their
 * libraries at it. */
#include "gw_routes_impl.h"

#include "gw_errors.h"
#include "gw_oidc.h"

/* --- JWKS (RFC 7517; OKP keys, RFC 8037) ------------------------------------------- */

void gw_oidc_build_jwks(gw_request_t *req, gw_body_t *body) {
    (void)body;
    dvcid__jwks_get__init(&req->body.jwks_get);
    GW_SET_BODY(req, jwks_get, JWKS_GET);
}

/* Relying portals fetch this often; five minutes of caching spares account-svc,
 * and key rotation publishes the next key well before it signs anything. */
int gw_oidc_render_jwks(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans) {
    if (reply->body_case != DVCID__REPLY__BODY_JWKS)
        return -1;
    const Dvcid__JwksReply *r = reply->jwks;
    json_t *keys = json_array();
    for (size_t i = 0; keys && i < r->n_keys; i++) {
        const Dvcid__Jwk *k = r->keys[i];
        if (!k || !k->kid[0] || !k->x[0] ||
            json_array_append_new(keys, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "OKP",
                                                  "crv", "Ed25519", "alg", "EdDSA", "use", "sig",
                                                  "kid", k->kid, "x", k->x)) != 0) {
            json_decref(keys);
            keys = NULL;
        }
    }
    if (gw_routes_answer(ans, ok, json_pack("{s:o}", "keys", keys)) != 0)
        return -1;
    ans->cache_control = "public, max-age=300";
    return 0;
}

/* --- OIDC discovery (gw_oidc) ------------------------------------------------------ */

void gw_oidc_local_discovery(gw_answer_t *ans, const gw_local_t *in) {
    char base[GW_OIDC_URL_MAX];
    bool from_host;
    if (!gw_oidc_base(in->cfg->gateway_public_url, in->cfg->token_issuer, in->host, base,
                      sizeof(base), &from_host)) {
        gw_errors_answer_status(ans, DVCID__STATUS__STATUS_INVALID_REQUEST);
        return;
    }
    if (gw_oidc_answer(ans, in->cfg->token_issuer, base, from_host) != 0)
        gw_errors_answer_status(ans, DVCID__STATUS__STATUS_INTERNAL);
}
