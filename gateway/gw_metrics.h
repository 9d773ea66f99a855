/* gw_metrics: GET /metrics. The gateway counts HTTP requests by route pattern and
 * status with their latency; the reply to MetricsGet brings the text of account-svc,
 * otp-svc and sms-worker, and the answer is all of it merged into one Prometheus
 * exposition. */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include "cmn_metrics.h"
#include "gw_request.h"
#include "gw_routes.h"

/* Builds the MetricsGet request (the route's builder). */
void gw_metrics_build(gw_request_t *req, gw_body_t *body);

/* The answer of /metrics: own's text plus the texts in reply (none when reply is an
 * error: the gateway's own metrics still answer). Returns 0 or -1. */
int gw_metrics_answer(cmn_metrics_t *own, const Dvcid__Reply *reply, gw_answer_t *ans);

/* Counts one finished HTTP request (route NULL: no route matched). */
void gw_metrics_count(cmn_metrics_t *own, const gw_route_t *route, unsigned status, double seconds);

#endif
