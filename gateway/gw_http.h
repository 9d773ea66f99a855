/* gw_http: the HTTP/1.1 server (libmicrohttpd, on gw_loop's threads). It owns the
 * per-request state: route match, HTTP-level checks (size 413, media type 415,
 * 404/405, 401 for a session route without a session token), the body buffer, the
 * session token (gw_session), the trace id and client address; it builds the
 * Request, hands it to the bridge with the connection suspended, and sends the
 * answer when resumed. One log line per request (method, path, status, time): debug,
 * or warn for 5xx, slow answers and connections ended before their answer. */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <stdbool.h>
#include <sys/socket.h>

#include "cmn_config.h"
#include "gw_bridge.h"
#include "gw_client_ip.h"

#define GW_HTTP_BODY_MAX (64 * 1024) /* bytes of a request body */

typedef struct gw_http gw_http_t;

/* Starts listening on cfg->gateway_listen with cfg->gateway_threads threads.
 * bridge and ips are borrowed and must outlive the server. Returns NULL on failure
 * (logged). */
gw_http_t *gw_http_new(const cmn_config_t *cfg, gw_bridge_t *bridge, const gw_client_ip_t *ips);

/* Stops accepting, gives requests in progress up to a second to finish (their
 * answers are already made), then stops the server (every connection is closed
 * and completed) and frees it; nullifies *self_p. Call gw_bridge_close() first:
 * MHD cannot stop with suspended connections. Tolerates NULL. */
void gw_http_destroy(gw_http_t **self_p);

/* Parses "host:port", "[v6]:port" or "*:port" into addr. Returns 0 or -1. */
int gw_http_listen_addr(const char *listen, struct sockaddr_storage *addr, socklen_t *len);

/* True for "application/json" with no charset or charset=utf-8 (any case). */
bool gw_http_is_json(const char *content_type);

#endif
