/* gw_trace: the ids that tie one HTTP request to the log lines of every process it
 * crosses. A caller's W3C `traceparent` (Trace Context, level 1) gives the trace id;
 * else its `X-Request-Id`; else the gateway makes a W3C trace id. That trace goes into
 * the envelope's trace_id (every hop logs it) and the answer carries `X-Request-Id` (the
 * caller's, else the trace) and, when the trace is a W3C one, a `traceparent` with the
 * gateway's own span. A header that is not well formed is ignored, never echoed: a log
 * line or an answer header never holds what the client chose beyond a plain token. */
#ifndef GW_TRACE_H
#define GW_TRACE_H

#include <stdbool.h>

#define GW_TRACE_MAX 64   /* characters of an X-Request-Id taken as the trace */
#define GW_TRACE_LEN 32   /* hex characters of a W3C trace id */
#define GW_TRACEPARENT 55 /* characters of a version-00 traceparent */

typedef struct {
    char trace[GW_TRACE_MAX + 1];         /* the envelope's trace_id and the logs' */
    char request_id[GW_TRACE_MAX + 1];    /* the answer's X-Request-Id */
    char traceparent[GW_TRACEPARENT + 1]; /* the answer's traceparent; "" for none */
} gw_trace_t;

/* Fills t from the request's headers (either may be NULL). */
void gw_trace_from(gw_trace_t *t, const char *request_id, const char *traceparent);

/* Is id a request id worth keeping: 1 to GW_TRACE_MAX of A-Z a-z 0-9 . _ - : */
bool gw_trace_request_id_ok(const char *id);

/* Parses a traceparent as W3C Trace Context says: version 00 is exactly
 * 00-<32 hex>-<16 hex>-<2 hex>, lowercase, ids not all zero; a later version may add
 * "-..." after those; version ff is invalid. On success copies the trace id (33 bytes
 * with the NUL) and the flags (3 bytes). */
bool gw_trace_parent_parse(const char *tp, char trace_id[GW_TRACE_LEN + 1], char flags[3]);

#endif
