/* gw_routes: the HTTP API as a table. Each row names a method and a path pattern
 * ("{id}" stands for one opaque path segment), how to build the dvcid Request from
 * the JSON body, and how to render the Reply as the HTTP answer; or, for the few
 * routes that need no backend, how to answer locally. Adding an endpoint is adding
 * a row (and its builder and renderer). */
#ifndef GW_ROUTES_H
#define GW_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "cmn_config.h"
#include "gw_answer.h"
#include "gw_body.h"
#include "gw_request.h"
#include "proto/dvcid.pb-c.h"

/* Fills req->msg's body from the fields read through body (req->id holds the path id). */
typedef void(gw_build_fn)(gw_request_t *req, gw_body_t *body);

/* Renders a successful reply with status ok. Returns 0, or -1 when the reply does
 * not carry what the route expects (the caller answers 500). */
typedef int(gw_render_fn)(const Dvcid__Reply *reply, unsigned ok, gw_answer_t *ans);

/* What a route that asks no backend may read: the Host header (NULL when absent) and
 * the configuration. */
typedef struct {
    const char *host;
    const cmn_config_t *cfg;
} gw_local_t;

/* Answers a route that asks no backend. */
typedef void(gw_local_fn)(gw_answer_t *ans, const gw_local_t *in);

/* Route flags. */
enum {
    GW_ROUTE_OWN_ERRORS = 1u << 0,   /* render sees error replies too (readyz) */
    GW_ROUTE_SESSION = 1u << 1,      /* needs the session token (Bearer or cookie); the
                                      * HTTP layer answers 401 itself when there is none */
    GW_ROUTE_CLEAR_COOKIE = 1u << 2, /* a 204 or 401 also deletes the session cookie */
    GW_ROUTE_METRICS = 1u << 3,      /* answered by gw_metrics with the gateway's own series */
    GW_ROUTE_MANAGEMENT = 1u << 4,   /* only on the management listener (unless
                                      * gateway.public_metrics): 404 on the public one */
    GW_ROUTE_READY_DETAILS = 1u << 5 /* answered by gw_metrics_ready (management /readyz) */
};

typedef struct {
    const char *method;
    const char *pattern;
    gw_build_fn *build; /* NULL: a local route */
    gw_render_fn *render;
    unsigned ok;    /* HTTP status of success */
    unsigned flags; /* GW_ROUTE_* */
    gw_local_fn *local;
} gw_route_t;

typedef enum { GW_MATCH_OK = 0, GW_MATCH_NOT_FOUND, GW_MATCH_BAD_METHOD } gw_match_t;

/* Finds the route for method and path. On GW_MATCH_OK sets *route and copies the
 * {id} segment into id ("" when the pattern has none); on GW_MATCH_BAD_METHOD writes
 * the methods the path accepts into allow ("GET, HEAD"). An {id} longer than
 * GW_ID_MAX or with bytes outside printable ASCII does not match. HEAD matches GET. */
gw_match_t gw_routes_match(const char *method, const char *path, const gw_route_t **route,
                           char id[GW_ID_MAX + 1], char *allow, size_t allowlen);

/* The route of GET /readyz on the management listener: readiness with every backend
 * instance's state (gw_metrics_ready), where the public listener says only the status. */
const gw_route_t *gw_routes_ready_details(void);

/* Parses body (len 0: no body) and builds req's message. Returns 0, or -1 with the
 * 400/422 answer in err. */
int gw_routes_build(const gw_route_t *route, gw_request_t *req, const char *body, size_t len,
                    gw_answer_t *err);

/* Renders reply: an error reply through the error table (unless the route renders
 * its own), else the route's renderer. Returns 0, or -1 when the reply did not fit
 * the route (ans is then a 500 internal). */
int gw_routes_render(const gw_route_t *route, const Dvcid__Reply *reply, gw_answer_t *ans);

/* The 401 unauthorized of a session route asked without a token (cookie deleted
 * when the route says so). */
void gw_routes_unauthorized(const gw_route_t *route, gw_answer_t *ans);

/* The table itself, for tests and docs. */
const gw_route_t *gw_routes_table(size_t *n);

#endif
