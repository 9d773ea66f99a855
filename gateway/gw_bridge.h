/* gw_bridge: where HTTP threads meet the ZeroMQ loop. An HTTP thread hands over a
 * finished Request and suspends its connection; the bridge (the cmn_service loop,
 * on the main thread) asks account-svc, renders the reply into an answer and
 * resumes the connection; the HTTP thread then sends the answer. No HTTP thread
 * ever waits on a backend.
 *
 * A job is shared by the two sides and reference counted under the bridge's mutex:
 * it lives until the bridge is done with it (reply, deadline or shut-down) and MHD
 * has completed the request (answered, or the client went away). */
#ifndef GW_BRIDGE_H
#define GW_BRIDGE_H

#include <microhttpd.h>
#include <stdbool.h>

#include "cmn_config.h"
#include "gw_answer.h"
#include "gw_loop.h"
#include "gw_request.h"
#include "gw_routes.h"

typedef struct gw_bridge gw_bridge_t;
typedef struct gw_job gw_job_t;

/* Creates the loop (no bind, no LMDB), its peer "account" at cfg->account_endpoint
 * and the wake-up eventfd. cfg is read now only. Returns NULL on failure (logged). */
gw_bridge_t *gw_bridge_new(const cmn_config_t *cfg);

/* Frees the loop and any job the bridge still holds; nullifies *self_p. Call after
 * gw_bridge_close() and after the HTTP server has stopped. Tolerates NULL. */
void gw_bridge_destroy(gw_bridge_t **self_p);

/* Runs the loop on this thread until SIGINT/SIGTERM. Returns 0 or -1. */
int gw_bridge_run(gw_bridge_t *self);

/* After the loop: refuses new jobs, answers every unanswered one 503 unavailable
 * and resumes its connection, so the HTTP server can stop. */
void gw_bridge_close(gw_bridge_t *self);

/* Suspends conn (call from the access handler only) and queues *req_p for route;
 * takes *req_p and nullifies it. thread is conn's HTTP thread (gw_loop_thread_of), woken
 * after the connection is resumed. Returns the job, holding one
 * reference for the caller, or NULL when the bridge is closed or out of memory: then conn is not
 * suspended and *req_p stays the caller's. */
gw_job_t *gw_bridge_submit(gw_bridge_t *self, struct MHD_Connection *conn, gw_loop_thread_t *thread,
                           const gw_route_t *route, gw_request_t **req_p);

/* Moves the job's answer into ans once the bridge has made it. Returns false while
 * there is none yet (or after it was taken). */
bool gw_bridge_job_take(gw_job_t *job, gw_answer_t *ans);

/* Drops the caller's reference (frees the job with the last one); nullifies *job_p.
 * Tolerates NULL. */
void gw_bridge_job_release(gw_job_t **job_p);

/* The gateway's metrics registry (thread-safe): HTTP threads count into it. */
typedef struct cmn_metrics cmn_metrics_t;
cmn_metrics_t *gw_bridge_metrics(gw_bridge_t *self);

#endif
