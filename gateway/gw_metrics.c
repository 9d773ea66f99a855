/* gw_metrics: the /metrics route and the HTTP series. */
#include "gw_metrics.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_endpoints.h"
#include "cmn_log.h"
#include "gw_routes_impl.h"
#include "gw_str.h"

typedef struct {
    char service[16];
    int shard, inst;
    char id[96]; /* service="S",instance="shard-inst" */
} s_backend_t;

struct gw_metrics_backends {
    s_backend_t *b;
    int n;
};

/* Adds the identity of every instance of every shard of list (key: its config key). */
static int s_backends_add(gw_metrics_backends_t *self, const char *service, const char *key,
                          const char *list) {
    char err[256];
    cmn_endpoints_t *eps = cmn_endpoints_new(key, list, err, sizeof(err));
    if (!eps) {
        CMN_ERROR(NULL, "%s", err);
        return -1;
    }
    int rc = 0;
    for (int s = 0; s < cmn_endpoints_shards(eps) && rc == 0; s++)
        for (int i = 0; i < cmn_endpoints_instances(eps, s) && rc == 0; i++) {
            s_backend_t *b = realloc(self->b, (size_t)(self->n + 1) * sizeof(*b));
            if (!b) {
                rc = -1;
                break;
            }
            self->b = b;
            b += self->n++;
            snprintf(b->service, sizeof(b->service), "%s", service);
            b->shard = s;
            b->inst = i;
            snprintf(b->id, sizeof(b->id), "service=\"%s\",instance=\"%d-%d\"", service, s, i);
        }
    cmn_endpoints_destroy(&eps);
    return rc;
}

gw_metrics_backends_t *gw_metrics_backends_new(const cmn_config_t *cfg) {
    gw_metrics_backends_t *self = calloc(1, sizeof(*self));
    if (self &&
        s_backends_add(self, "account-svc", "[account] endpoint", cfg->account_endpoint) == 0 &&
        s_backends_add(self, "otp-svc", "[otp] endpoint", cfg->otp_endpoint) == 0 &&
        s_backends_add(self, "sms-worker", "[sms] endpoint", cfg->sms_endpoint) == 0)
        return self;
    gw_metrics_backends_destroy(&self);
    return NULL;
}

void gw_metrics_backends_destroy(gw_metrics_backends_t **self_p) {
    if (!self_p || !*self_p)
        return;
    free((*self_p)->b);
    free(*self_p);
    *self_p = NULL;
}

/* Whether backend b's identity is one of the n in got. */
static bool s_answered(const s_backend_t *b, char *const *got, size_t n) {
    for (size_t k = 0; k < n; k++)
        if (strcmp(got[k], b->id) == 0)
            return true;
    return false;
}

/* dvcid_backend_up of every backend: 1 when one of the n identities in got is its. */
static char *s_backends_up(const gw_metrics_backends_t *self, char *const *got, size_t n) {
    size_t cap = 256 + (size_t)self->n * 128;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t len = (size_t)snprintf(out, cap,
                                  "# HELP dvcid_backend_up 1 when the backend instance answered "
                                  "this scrape, 0 when it did not (down, or too late)\n"
                                  "# TYPE dvcid_backend_up gauge\n");
    for (int b = 0; b < self->n && len < cap; b++)
        len += (size_t)snprintf(out + len, cap - len, "dvcid_backend_up{%s} %d\n", self->b[b].id,
                                s_answered(&self->b[b], got, n));
    return out;
}

void gw_metrics_build(gw_request_t *req, gw_body_t *body) {
    (void)body;
    dvcid__metrics_get__init(&req->body.metrics_get);
    GW_SET_BODY(req, metrics_get, METRICS_GET);
}

int gw_metrics_answer(cmn_metrics_t *own, const gw_metrics_backends_t *backends,
                      const Dvcid__Reply *reply, gw_answer_t *ans) {
    bool got = !reply->error && reply->body_case == DVCID__REPLY__BODY_METRICS;
    size_t n = got ? reply->metrics->n_texts : 0;
    const char **texts = calloc(n + 2, sizeof(*texts));
    char *mine = cmn_metrics_render(own);
    char *up = s_backends_up(backends, got ? reply->metrics->instances : NULL,
                             got ? reply->metrics->n_instances : 0);
    char *all = NULL;
    if (texts && mine && up) {
        texts[0] = mine;
        texts[1] = up;
        for (size_t i = 0; i < n; i++)
            texts[i + 2] = reply->metrics->texts[i];
        all = cmn_metrics_merge(texts, n + 2);
    }
    int rc = all ? gw_answer_text(ans, 200, "text/plain; version=0.0.4; charset=utf-8", all) : -1;
    free(all);
    free(up);
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

int gw_metrics_ready(const gw_metrics_backends_t *backends, const Dvcid__Reply *reply,
                     gw_answer_t *ans) {
    bool got = !reply->error && reply->body_case == DVCID__REPLY__BODY_METRICS;
    char *const *ids = got ? reply->metrics->instances : NULL;
    size_t nids = got ? reply->metrics->n_instances : 0;
    json_t *list = json_array();
    bool ready = got;
    for (int i = 0; list && i < backends->n; i++) {
        const s_backend_t *b = &backends->b[i];
        bool up = s_answered(b, ids, nids);
        char inst[24];
        snprintf(inst, sizeof(inst), "%d-%d", b->shard, b->inst);
        json_array_append_new(
            list, json_pack("{s:s, s:s, s:b}", "service", b->service, "instance", inst, "up", up));
        /* Ready when each group (a service, or a shard of it) has an instance up. */
        bool group_up = up;
        for (int k = 0; !group_up && k < backends->n; k++)
            group_up = strcmp(backends->b[k].service, b->service) == 0 &&
                       backends->b[k].shard == b->shard && s_answered(&backends->b[k], ids, nids);
        ready = ready && group_up;
    }
    if (!list)
        return -1;
    return gw_routes_answer(
        ans, ready ? 200 : 503,
        json_pack("{s:s, s:o}", "status", ready ? "ready" : "unavailable", "backends", list));
}
