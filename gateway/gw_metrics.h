/* gw_metrics: GET /metrics. The gateway counts HTTP requests by route pattern and
 * status with their latency; the reply to MetricsGet brings the text of every instance
 * of account-svc, otp-svc and sms-worker, and the answer is all of it merged into one
 * Prometheus exposition, with dvcid_backend_up saying which instances answered. */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include "cmn_config.h"
#include "cmn_metrics.h"
#include "gw_request.h"
#include "gw_routes.h"

/* Every backend process the configuration names (each instance of each shard of
 * account-svc, of otp-svc and of sms-worker), by identity (`service="S",instance="I"`). */
typedef struct gw_metrics_backends gw_metrics_backends_t;
/* NULL on a bad endpoint list (logged) or out of memory. */
gw_metrics_backends_t *gw_metrics_backends_new(const cmn_config_t *cfg);
void gw_metrics_backends_destroy(gw_metrics_backends_t **self_p);

/* Builds the MetricsGet request (the route's builder). */
void gw_metrics_build(gw_request_t *req, gw_body_t *body);

/* The answer of /metrics: own's text plus the texts in reply (none when reply is an
 * error: the gateway's own metrics still answer), and dvcid_backend_up for every one of
 * backends: 1 when its text is in reply, 0 when not (down, or too late), so a dead
 * instance shows instead of leaving a hole. Returns 0 or -1. */
int gw_metrics_answer(cmn_metrics_t *own, const gw_metrics_backends_t *backends,
                      const Dvcid__Reply *reply, gw_answer_t *ans);

/* The answer of GET /readyz on the management listener, from the reply to MetricsGet:
 * 200 {"status":"ready","backends":[{"service","instance","up"}...]} when every group
 * (a service, or one shard of account-svc) has an instance that answered, else 503
 * {"status":"unavailable",...}. Returns 0 or -1. */
int gw_metrics_ready(const gw_metrics_backends_t *backends, const Dvcid__Reply *reply,
                     gw_answer_t *ans);

/* Counts one finished HTTP request (route NULL: no route matched). */
void gw_metrics_count(cmn_metrics_t *own, const gw_route_t *route, unsigned status, double seconds);

#endif
