/* cmn_service_metrics: what every service counts without being asked (requests by
 * operation and status, their latency, batch sizes, LMDB and queue gauges), and the
 * default MetricsGet handler, which gathers the text of every peer too. */
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmn_asks.h"
#include "cmn_db.h"
#include "cmn_log.h"
#include "cmn_service_int.h"
#include "cmn_time.h"

uint64_t cmn_service_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

cmn_metrics_t *cmn_service_metrics(cmn_service_t *self) { return self->metrics; }

/* "STATUS_OTP_INVALID" -> "otp_invalid". */
static void s_status_name(Dvcid__Status status, char *out, size_t outlen) {
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&dvcid__status__descriptor, (int)status);
    const char *name = v ? v->name : "STATUS_UNKNOWN";
    if (strncmp(name, "STATUS_", 7) == 0)
        name += 7;
    size_t i = 0;
    for (; name[i] && i + 1 < outlen; i++)
        out[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    out[i] = '\0';
}

/* The series of requests of one operation answered with one status, and their latency. */
static void s_request_series(cmn_service_t *self, int op, Dvcid__Status status,
                             cmn_metrics_series_t **count, cmn_metrics_series_t **seconds) {
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&dvcid__request__descriptor, (unsigned)op);
    char name[40], labels[128];
    s_status_name(status, name, sizeof(name));
    const char *opname = f ? f->name : "unknown";
    snprintf(labels, sizeof(labels), "op=\"%s\",status=\"%s\"", opname, name);
    *count = cmn_metrics_counter(self->metrics, "dvcid_requests_total", labels,
                                 "Requests answered, by operation and status");
    snprintf(labels, sizeof(labels), "op=\"%s\"", opname);
    *seconds = cmn_metrics_seconds(self->metrics, "dvcid_request_seconds", labels,
                                   "From a request's arrival to its answer being staged");
}

void cmn_service_count_reply(cmn_service_t *self, const cmn_call_t *call,
                             const Dvcid__Reply *reply) {
    int op = (int)call->req->body_case;
    Dvcid__Status status = reply->error ? reply->error->status : DVCID__STATUS__STATUS_OK;
    double seconds = (double)(cmn_service_now_us() - call->received_us) / 1e6;
    cmn_metrics_series_t *count, *hist;
    /* Every answer counts in two series: found once per (operation, status), not by a
     * key built and hashed twice per request. */
    if (op >= 0 && op < S_BODIES && status >= 0 && status < S_METRIC_STATUSES) {
        cmn_metrics_series_t **c = &self->m_requests[op][status], **h = &self->m_seconds[op];
        if (!*c || !*h)
            s_request_series(self, op, status, c, h);
        count = *c;
        hist = *h;
    } else {
        s_request_series(self, op, status, &count, &hist);
    }
    cmn_metrics_series_add(self->metrics, count, 1);
    cmn_metrics_series_observe(self->metrics, hist, seconds);
}

void cmn_service_count_batch(cmn_service_t *self, uint64_t commit_us, size_t items) {
    if (!self->m_commit)
        self->m_commit = cmn_metrics_seconds(self->metrics, "dvcid_commit_seconds", "",
                                             "Durable LMDB commits of one batch");
    if (!self->m_batch_items)
        self->m_batch_items =
            cmn_metrics_counts(self->metrics, "dvcid_batch_items", "",
                               "Items (requests, replies, jobs, timers) per commit");
    cmn_metrics_series_observe(self->metrics, self->m_commit, (double)commit_us / 1e6);
    cmn_metrics_series_observe(self->metrics, self->m_batch_items, (double)items);
}

/* Gauges read at scrape time. */
static void s_gauges(cmn_service_t *self) {
    cmn_metrics_set(self->metrics, "dvcid_pending_asks", "", (double)cmn_asks_count(self->asks),
                    "Requests to peers waiting for an answer");
    if (self->pool) {
        cmn_metrics_set(self->metrics, "dvcid_pool_depth", "", (double)cmn_pool_depth(self->pool),
                        "Jobs waiting or running on the worker pool");
        cmn_metrics_set(self->metrics, "dvcid_pool_capacity", "",
                        (double)cmn_pool_capacity(self->pool),
                        "Most jobs the worker pool holds (its workers plus account.hash_queue); "
                        "past it a job is refused (503)");
    }
    /* Counters the alerts read with increase(): a series that appears at its first event
     * is no increase to Prometheus, so they exist at 0 from the first scrape. */
    if (self->db) {
        cmn_metrics_add(self->metrics, "dvcid_storage_rollbacks_total", "", 0, CMN_HELP_ROLLBACKS);
        cmn_metrics_add(self->metrics, "dvcid_storage_faults_total", "", 0, CMN_HELP_FAULTS);
    }
    cmn_db_usage_t u;
    if (self->db && cmn_db_usage(self->db, &u) == 0) {
        cmn_metrics_set(self->metrics, "dvcid_lmdb_map_bytes", "", (double)u.map,
                        "LMDB map size (address space; it grows by itself)");
        cmn_metrics_set(self->metrics, "dvcid_lmdb_max_map_bytes", "", (double)u.max_map,
                        "How far the LMDB map may grow (storage.max_map_mib)");
        cmn_metrics_set(self->metrics, "dvcid_lmdb_used_bytes", "", (double)u.used,
                        "LMDB pages in use, in bytes");
        cmn_metrics_set(self->metrics, "dvcid_storage_disk_free_bytes", "", (double)u.disk_free,
                        "Free bytes on the file system of storage.dir");
        cmn_metrics_set(self->metrics, "dvcid_storage_disk_size_bytes", "", (double)u.disk_size,
                        "Size of the file system of storage.dir");
        cmn_metrics_set(self->metrics, "dvcid_storage_min_free_bytes", "", (double)u.min_free,
                        "Free disk space below which writes are refused (storage.min_free_mib)");
        cmn_metrics_set(self->metrics, "dvcid_storage_writable", "", self->writable ? 1 : 0,
                        "1 while writes are taken, 0 while refused for want of disk space");
    }
}

/* A list of strings (texts, instances) that grows. */
typedef struct {
    char **v;
    size_t n, cap;
} s_list_t;

typedef struct {
    cmn_call_t *call;
    int waiting;
    s_list_t texts, instances;
} s_gather_t;

static void s_list_add(s_list_t *l, const char *text) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **t = realloc(l->v, cap * sizeof(*t));
        if (!t)
            return;
        l->v = t;
        l->cap = cap;
    }
    char *copy = strdup(text);
    if (copy)
        l->v[l->n++] = copy;
}

static void s_list_free(s_list_t *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

char *cmn_service_metrics_render(cmn_service_t *self) {
    s_gauges(self);
    return cmn_metrics_render(self->metrics);
}

static void s_gather_finish(cmn_ctx_t *ctx, s_gather_t *g) {
    char *own = cmn_service_metrics_render(ctx->svc);
    if (own) {
        char id[128];
        s_list_add(&g->texts, own);
        s_list_add(&g->instances, cmn_metrics_identity(ctx->svc->metrics, id, sizeof(id)));
        free(own);
    }
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__MetricsReply m = DVCID__METRICS_REPLY__INIT;
    m.n_texts = g->texts.n;
    m.texts = g->texts.v;
    m.n_instances = g->instances.n;
    m.instances = g->instances.v;
    r.body_case = DVCID__REPLY__BODY_METRICS;
    r.metrics = &m;
    cmn_call_reply(ctx, &g->call, &r);
    s_list_free(&g->texts);
    s_list_free(&g->instances);
    free(g);
}

static int s_on_peer_metrics(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    s_gather_t *g = arg;
    if (!reply->error && reply->body_case == DVCID__REPLY__BODY_METRICS) {
        for (size_t i = 0; i < reply->metrics->n_texts; i++)
            s_list_add(&g->texts, reply->metrics->texts[i]);
        for (size_t i = 0; i < reply->metrics->n_instances; i++)
            s_list_add(&g->instances, reply->metrics->instances[i]);
    }
    if (--g->waiting == 0)
        s_gather_finish(ctx, g);
    return 0;
}

int cmn_service_on_metrics(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    return cmn_service_metrics_gather(ctx, call, req, NULL, ctx->svc->npeers);
}

/* The instance of group p whose backends are asked too: the first live one (0 when none
 * is), so one dead instance costs only its own text. */
static int s_full_instance(cmn_service_t *svc, int p) {
    for (int i = 0; i < cmn_service_peer_instances(svc, p); i++)
        if (cmn_service_peer_instance_live(svc, p, i))
            return i;
    return 0;
}

int cmn_service_metrics_gather(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req,
                               const int *peers, int npeers) {
    s_gather_t *g = calloc(1, sizeof(*g));
    if (!g) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return 0;
    }
    if (req->body_case == DVCID__REQUEST__BODY_METRICS_GET && req->metrics_get->own_only)
        npeers = 0;
    g->call = call;
    for (int i = 0; i < npeers; i++)
        g->waiting += cmn_service_peer_instances(ctx->svc, peers ? peers[i] : i);
    if (g->waiting == 0) {
        s_gather_finish(ctx, g);
        return 0;
    }
    /* Every instance of every peer, each asked for its own text (no failover: another
     * instance's counters under its name would seem to reset), and one of each group for
     * its backends' too. A peer that does not answer in time costs only its own part. */
    uint64_t now = cmn_time_now_ms(), deadline = cmn_call_deadline(call);
    /* A quarter of the time left is kept for the answer: a backend that dropped with the
     * ask in flight times out here before the asker gives up on this whole text. */
    if (deadline > now)
        deadline = now + (deadline - now) * 3 / 4;
    for (int i = 0; i < npeers; i++) {
        int p = peers ? peers[i] : i, full = s_full_instance(ctx->svc, p);
        for (int k = 0; k < cmn_service_peer_instances(ctx->svc, p); k++) {
            Dvcid__Request ask = DVCID__REQUEST__INIT;
            Dvcid__MetricsGet body = DVCID__METRICS_GET__INIT;
            body.own_only = k != full;
            ask.body_case = DVCID__REQUEST__BODY_METRICS_GET;
            ask.metrics_get = &body;
            cmn_service_ask_instance(ctx, p, k, &ask, req->trace_id, deadline, s_on_peer_metrics,
                                     g);
        }
    }
    /* g now belongs to the continuations: the last one to run replies and frees it. */
    return 0; // NOLINT(clang-analyzer-unix.Malloc)
}
