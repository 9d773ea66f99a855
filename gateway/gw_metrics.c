/* gw_metrics: the /metrics route and the HTTP series. */
#include "gw_metrics.h"

#include <stdlib.h>
#include <string.h>

#include "gw_routes_impl.h"
#include "gw_str.h"

void gw_metrics_build(gw_request_t *req, gw_body_t *body) {
    (void)body;
    dvcid__metrics_get__init(&req->body.metrics_get);
    GW_SET_BODY(req, metrics_get, METRICS_GET);
}

int gw_metrics_answer(cmn_metrics_t *own, const Dvcid__Reply *reply, gw_answer_t *ans) {
    size_t n = !reply->error && reply->body_case == DVCID__REPLY__BODY_METRICS
                   ? reply->metrics->n_texts
                   : 0;
    const char **texts = calloc(n + 1, sizeof(*texts));
    char *mine = cmn_metrics_render(own);
    char *all = NULL;
    if (texts && mine) {
        texts[0] = mine;
        for (size_t i = 0; i < n; i++)
            texts[i + 1] = reply->metrics->texts[i];
        all = cmn_metrics_merge(texts, n + 1);
    }
    int rc = all ? gw_answer_text(ans, 200, "text/plain; version=0.0.4; charset=utf-8", all) : -1;
    free(all);
    free(mine);
    free(texts);
    return rc;
}

void gw_metrics_count(cmn_metrics_t *own, const gw_route_t *route, unsigned status,
                      double seconds) {
    /* route="P",status="S", then cut back to route="P": no printf on every request. */
    char labels[160], num[GW_STR_INT_MAX];
    const char *pattern = route ? route->pattern : "other";
    size_t n = gw_str_copy(labels, sizeof(labels), "route=\"");
    n += gw_str_copy(labels + n, sizeof(labels) - n, pattern);
    n += gw_str_copy(labels + n, sizeof(labels) - n, "\"");
    size_t route_end = n;
    n += gw_str_copy(labels + n, sizeof(labels) - n, ",status=\"");
    size_t digits = gw_str_int(num, status);
    if (n + digits + 2 <= sizeof(labels)) {
        memcpy(labels + n, num, digits);
        memcpy(labels + n + digits, "\"", 2);
    }
    cmn_metrics_add(own, "dvcid_http_requests_total", labels, 1,
                    "HTTP requests answered by the gateway, by route pattern and status");
    labels[route_end] = '\0';
    cmn_metrics_observe(own, "dvcid_http_request_seconds", labels, seconds,
                        "HTTP request latency at the gateway, first byte in to answer queued");
}
