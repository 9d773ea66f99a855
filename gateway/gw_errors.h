/* gw_errors: the error model of api.md section 3 in one table: each dvcid Status,
 * and each error only HTTP can cause, maps to an HTTP status, a stable code and a
 * Vietnamese message; and the {"error": {...}} body built from them. */
#ifndef GW_ERRORS_H
#define GW_ERRORS_H

#include <jansson.h>

#include "gw_answer.h"
#include "proto/dvcid.pb-c.h"

typedef struct {
    unsigned http;       /* HTTP status */
    const char *code;    /* api.md's code, e.g. "otp_invalid" */
    const char *message; /* Vietnamese, shown to the user */
} gw_error_t;

/* Errors that only the HTTP layer produces. */
typedef enum {
    GW_ERR_PAYLOAD_TOO_LARGE = 0,
    GW_ERR_UNSUPPORTED_MEDIA_TYPE,
    GW_ERR_METHOD_NOT_ALLOWED,
    GW_ERR_CROSS_SITE, /* a POST from another site's page (gw_csrf) */
    GW_ERR_HTTP_COUNT
} gw_http_err_t;

/* The entry for a Status. STATUS_OK and values beyond the table map to "internal"
 * (a reply that claims an error must not pass as a success). Never NULL, static. */
const gw_error_t *gw_errors_status(int status);

/* The entry for an HTTP-only error. Never NULL, static. */
const gw_error_t *gw_errors_http(gw_http_err_t err);

/* Fills ans with {"error": {code, message[, details][, attempts_left][, retry_after]}}.
 * details (a JSON array or NULL) is taken; attempts_left and retry_after are left
 * out when negative; retry_after also sets the Retry-After header. Returns 0 or -1
 * (out of memory: ans is a bare 500). */
int gw_errors_answer(gw_answer_t *ans, const gw_error_t *e, json_t *details, long attempts_left,
                     long retry_after);

/* The same for a Status with no details. */
int gw_errors_answer_status(gw_answer_t *ans, int status);

/* The same for the error a backend replied with (status, details and counters). */
int gw_errors_answer_reply(gw_answer_t *ans, const Dvcid__Error *err);

/* A details array with one {"field", "code"} item; NULL when out of memory. */
json_t *gw_errors_detail(json_t *details, const char *field, const char *code);

#endif
