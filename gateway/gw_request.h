/* gw_request: one dvcid Request built from one HTTP request, with room for its
 * body message and the strings it points to (the parsed JSON, the path id, the
 * session token, the client address, the trace id), so the whole thing is one
 * allocation plus the JSON (or the body read in place) and dies in one call. */
#ifndef GW_REQUEST_H
#define GW_REQUEST_H

#include <jansson.h>
#include <stdint.h>

#include "gw_client_ip.h"
#include "gw_lang.h"
#include "gw_session.h"
#include "gw_trace.h"
#include "proto/dvcid.pb-c.h"

#define GW_ID_MAX 64 /* longer path ids are answered 404 without asking anyone */

typedef struct {
    Dvcid__Request msg; /* what goes on the wire; its strings point into this struct */
    union {
        Dvcid__Ping ping;
        Dvcid__CaptchaNew captcha_new;
        Dvcid__RegStart reg_start;
        Dvcid__RegResend reg_resend;
        Dvcid__RegVerify reg_verify;
        Dvcid__RegPassword reg_password;
        Dvcid__LoginStart login_start;
        Dvcid__LoginResend login_resend;
        Dvcid__LoginMethod login_method;
        Dvcid__LoginVerify login_verify;
        Dvcid__LoginPhone login_phone;
        Dvcid__LoginPhoneVerify login_phone_verify;
        Dvcid__ResetStart reset_start;
        Dvcid__ResetResend reset_resend;
        Dvcid__ResetVerify reset_verify;
        Dvcid__ResetPassword reset_password;
        Dvcid__UnlockStart unlock_start;
        Dvcid__UnlockResend unlock_resend;
        Dvcid__UnlockVerify unlock_verify;
        Dvcid__MeGet me_get;
        Dvcid__MeAddPhone me_add_phone;
        Dvcid__MeAddPhoneVerify me_add_phone_verify;
        Dvcid__Logout logout;
        Dvcid__JwksGet jwks_get;
        Dvcid__MetricsGet metrics_get;
    } body;
    json_t *json; /* the parsed HTTP body, or NULL; owned */
    char *raw;    /* or the body itself, parsed in place (gw_flat); owned */
    size_t raw_len;
    uint64_t deadline_ms; /* unix ms after which nobody waits for the answer */
    char id[GW_ID_MAX + 1];
    char token[GW_SESSION_TOKEN_MAX + 1]; /* session routes only; wiped at destroy */
    char client_ip[GW_IP_MAX];
    char trace[GW_TRACE_MAX + 1];
    char lang[GW_LANG_MAX]; /* the user's language (gw_lang): "vi", "en" or "" */
} gw_request_t;

/* A Request carrying trace and client_ip, with its path id (may be NULL) kept for
 * the builder. Returns NULL when out of memory. */
gw_request_t *gw_request_new(const char *trace, const char *client_ip, const char *id,
                             uint64_t deadline_ms);

/* Keeps the session token for the builder. Returns 0, or -1 when it is too long
 * (token is then ""). */
int gw_request_set_token(gw_request_t *self, const char *token);

/* The language Accept-Language prefers (header NULL: none); a body's "lang" overrides
 * it (gw_routes_build). */
void gw_request_set_accept_language(gw_request_t *self, const char *header);

/* Frees the request, its JSON and body; nullifies *self_p. Tolerates NULL. */
void gw_request_destroy(gw_request_t **self_p);

#endif
