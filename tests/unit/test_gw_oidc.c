/* gw_oidc: the discovery document names the issuer and a jwks_uri under the right base
 * (gateway.public_url, else an issuer that is a URL, else the Host of a dev stack), only
 * fields that are true, and is cacheable unless it was built from the request's Host. */
#include <jansson.h>
#include <string.h>

#include "gw_oidc.h"
#include "tap.h"

static json_t *s_doc(const char *issuer, const char *base, bool from_host, gw_answer_t *ans) {
    CHECK(gw_oidc_answer(ans, issuer, base, from_host) == 0, "answered");
    CHECK(ans->status == 200, "200 (%u)", ans->status);
    return json_loadb(ans->body, ans->len, 0, NULL);
}

int main(void) {
    char base[GW_OIDC_URL_MAX];
    bool from_host = true;
    CHECK(gw_oidc_base("https://id.example.vn/", "dvcid", "evil.example", base, sizeof(base),
                       &from_host) &&
              !from_host,
          "public_url wins");
    CHECK_STR(base, "https://id.example.vn");
    CHECK(gw_oidc_base("", "https://dvc.gov.vn", "h:1", base, sizeof(base), &from_host) &&
              !from_host,
          "an issuer that is a URL is the base");
    CHECK_STR(base, "https://dvc.gov.vn");
    CHECK(gw_oidc_base("", "dvcid", "127.0.0.1:8080", base, sizeof(base), &from_host) && from_host,
          "else the Host");
    CHECK_STR(base, "http://127.0.0.1:8080");
    CHECK(gw_oidc_base("", "dvcid", "[::1]:8080", base, sizeof(base), &from_host), "IPv6 host");
    CHECK(!gw_oidc_base("", "dvcid", "evil.example/x?", base, sizeof(base), &from_host),
          "a Host with a path is refused");
    CHECK(!gw_oidc_base("", "dvcid", "a\"b", base, sizeof(base), &from_host), "quotes refused");
    CHECK(!gw_oidc_base("", "dvcid", NULL, base, sizeof(base), &from_host), "no Host, no base");
    CHECK(!gw_oidc_base("", "dvcid", "", base, sizeof(base), &from_host), "empty Host");
    char tiny[8];
    CHECK(!gw_oidc_base("https://id.example.vn", "dvcid", NULL, tiny, sizeof(tiny), &from_host),
          "a base that does not fit is refused, not cut");

    gw_answer_t ans = {0};
    json_t *doc = s_doc("dvcid", "http://127.0.0.1:8080", true, &ans);
    CHECK(doc != NULL, "JSON");
    CHECK_STR(json_string_value(json_object_get(doc, "issuer")), "dvcid");
    CHECK_STR(json_string_value(json_object_get(doc, "jwks_uri")),
              "http://127.0.0.1:8080/.well-known/jwks.json");
    json_t *algs = json_object_get(doc, "id_token_signing_alg_values_supported");
    CHECK(json_array_size(algs) == 1 &&
              strcmp(json_string_value(json_array_get(algs, 0)), "EdDSA") == 0,
          "EdDSA only");
    CHECK(json_array_size(json_object_get(doc, "subject_types_supported")) == 1, "public");
    CHECK(json_array_size(json_object_get(doc, "claims_supported")) == 6, "the six claims");
    /* No endpoint dvcid does not have. */
    const char *absent[] = {"authorization_endpoint", "token_endpoint", "userinfo_endpoint",
                            "registration_endpoint", "end_session_endpoint"};
    for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
        CHECK(json_object_get(doc, absent[i]) == NULL, "no %s", absent[i]);
    CHECK_STR(ans.cache_control, "no-store");
    json_decref(doc);
    gw_answer_clear(&ans);

    doc = s_doc("https://dvc.gov.vn", "https://dvc.gov.vn", false, &ans);
    CHECK_STR(json_string_value(json_object_get(doc, "jwks_uri")),
              "https://dvc.gov.vn/.well-known/jwks.json");
    CHECK_STR(ans.cache_control, "public, max-age=300");
    json_decref(doc);
    gw_answer_clear(&ans);
    return TEST_DONE();
}
