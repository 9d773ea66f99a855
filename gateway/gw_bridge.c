/* gw_bridge: the job queue (a cmn_chan, whose eventfd wakes the loop) and the asks.
 *
 * Ordering that keeps MHD's contract: a connection is suspended before its job can be
 * answered (MHD_resume_connection on a connection that is not suspended is undefined):
 * submit queues and suspends under our mutex, which every answer takes. It is resumed
 * only once, by whoever answers first: the reply's continuation or gw_bridge_close().
 * Resume happens outside our mutex, which is safe because a suspended connection cannot
 * complete under us. */
#include "gw_bridge.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_chan.h"
#include "cmn_endpoints.h"
#include "cmn_log.h"
#include "cmn_service.h"
#include "cmn_shard.h"
#include "gw_errors.h"
#include "gw_fanout.h"
#include "gw_loop.h"
#include "gw_metrics.h"

struct gw_job {
    gw_bridge_t *bridge;
    struct MHD_Connection *conn;
    gw_loop_thread_t *thread; /* the HTTP thread that runs conn (gw_loop) */
    const gw_route_t *route;
    gw_request_t *req; /* freed once asked (cmn_service_ask packs it at once) */
    char trace[GW_TRACE_MAX + 1];
    gw_answer_t answer; /* valid once answered */
    bool answered;
    bool bridge_holds; /* the bridge's reference: in the live list */
    int refs;
    gw_job_t *prev, *next; /* the live list: every job the bridge holds */
};

struct gw_bridge {
    cmn_service_t *svc;
    int peer[CMN_SHARD_MAX]; /* one per account shard */
    int nshards;
    unsigned next_any;               /* round robin for requests any shard may answer */
    gw_metrics_backends_t *backends; /* every backend process, for dvcid_backend_up */
    cmn_chan_t *queue;               /* jobs not yet asked; each is in the live list too */
    pthread_mutex_t lock;
    bool closed;
    gw_job_t *live;
};

static void s_job_free(gw_job_t *job) {
    gw_request_destroy(&job->req);
    gw_answer_clear(&job->answer);
    free(job);
}

/* Under the lock: drops the bridge's hold. Returns true when the job is to be freed. */
static bool s_unhold_locked(gw_bridge_t *self, gw_job_t *job) {
    if (!job->bridge_holds)
        return false;
    job->bridge_holds = false;
    if (job->prev)
        job->prev->next = job->next;
    else
        self->live = job->next;
    if (job->next)
        job->next->prev = job->prev;
    job->prev = job->next = NULL;
    return --job->refs == 0;
}

/* Under the lock: stores ans as the job's answer unless it already has one.
 * Returns true when the caller must resume the connection (after unlocking). */
static bool s_answer_locked(gw_job_t *job, gw_answer_t *ans) {
    if (job->answered)
        return false;
    gw_answer_move(&job->answer, ans);
    job->answered = true;
    return true;
}

/* Resumes a connection and wakes its HTTP thread, which otherwise would not look at it
 * before its next event (gw_loop.h). */
static void s_resume(struct MHD_Connection *conn, gw_loop_thread_t *thread) {
    MHD_resume_connection(conn);
    gw_loop_wake(thread);
}

/* The continuation of every ask: render, hand over, wake the connection. */
static int s_on_reply(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    gw_job_t *job = arg;
    gw_bridge_t *self = job->bridge;
    gw_answer_t ans = {0};
    int rc = job->route->flags & GW_ROUTE_METRICS
                 ? gw_metrics_answer(cmn_service_metrics(ctx->svc), self->backends, reply, &ans)
             : job->route->flags & GW_ROUTE_READY_DETAILS
                 ? gw_metrics_ready(self->backends, reply, &ans)
                 : gw_routes_render(job->route, reply, &ans);
    if (rc != 0)
        CMN_ERROR(job->trace, "reply to %s %s did not fit (body %d, status %d)", job->route->method,
                  job->route->pattern, (int)reply->body_case,
                  reply->error ? (int)reply->error->status : 0);
    pthread_mutex_lock(&self->lock);
    bool resume = s_answer_locked(job, &ans);
    struct MHD_Connection *conn = job->conn;
    gw_loop_thread_t *thread = job->thread;
    bool dead = s_unhold_locked(self, job);
    pthread_mutex_unlock(&self->lock);
    gw_answer_clear(&ans);
    if (resume)
        s_resume(conn, thread);
    if (dead)
        s_job_free(job);
    return 0;
}

/* Asks the shard that owns the job's key, any shard, or every shard (cmn_shard). */
static void s_ask(cmn_ctx_t *ctx, gw_bridge_t *self, gw_job_t *job) {
    Dvcid__Request *msg = &job->req->msg;
    uint16_t key = 0;
    bool metrics = msg->body_case == DVCID__REQUEST__BODY_METRICS_GET;
    cmn_shard_route_t where = metrics ? CMN_SHARD_ALL /* every instance, even of 1 shard */
                              : self->nshards > 1 ? cmn_shard_route(msg, &key)
                                                  : CMN_SHARD_KEYED;
    if (where != CMN_SHARD_ALL) {
        int shard = self->nshards == 1         ? 0
                    : where == CMN_SHARD_KEYED ? cmn_shard_of(key, self->nshards)
                                               : (int)(self->next_any++ % (unsigned)self->nshards);
        cmn_service_ask(ctx, self->peer[shard], msg, job->req->trace, job->req->deadline_ms,
                        s_on_reply, job);
        return;
    }
    int n = 0, full_shard = 0, full_inst = -1;
    for (int s = 0; s < self->nshards; s++) {
        int ninst = metrics ? cmn_service_peer_instances(self->svc, self->peer[s]) : 1;
        for (int i = 0; metrics && i < ninst && full_inst < 0; i++)
            if (cmn_service_peer_instance_live(self->svc, self->peer[s], i)) {
                full_shard = s;
                full_inst = i;
            }
        n += ninst;
    }
    if (full_inst < 0)
        full_inst = 0;
    gw_fanout_t *fan = gw_fanout_start(msg->body_case, n, s_on_reply, job);
    if (!fan) {
        Dvcid__Reply r = DVCID__REPLY__INIT;
        Dvcid__Error e = DVCID__ERROR__INIT;
        e.status = DVCID__STATUS__STATUS_INTERNAL;
        r.error = &e;
        s_on_reply(ctx, &r, job);
        return;
    }
    for (int s = 0; s < self->nshards; s++) {
        if (!metrics) {
            cmn_service_ask(ctx, self->peer[s], msg, job->req->trace, job->req->deadline_ms,
                            gw_fanout_on_reply, fan);
            continue;
        }
        /* Metrics: every instance for its own text (each under its own instance label),
         * and one live instance for otp-svc's and sms-worker's (once, not per shard). */
        for (int i = 0; i < cmn_service_peer_instances(self->svc, self->peer[s]); i++) {
            msg->metrics_get->own_only = s != full_shard || i != full_inst;
            cmn_service_ask_instance(ctx, self->peer[s], i, msg, job->req->trace,
                                     job->req->deadline_ms, gw_fanout_on_reply, fan);
        }
    }
}

/* The queue is readable: ask for every job queued by now. Jobs queued meanwhile wait
 * for the next turn (the queue stays readable), so a flood of requests cannot keep the
 * loop from its replies. */
static int s_on_wake(cmn_ctx_t *ctx, void *arg) {
    gw_bridge_t *self = arg;
    gw_job_t *job;
    for (size_t n = cmn_chan_len(self->queue); n > 0 && (job = cmn_chan_pop(self->queue)); n--) {
        /* Only this thread touches job->req after submit. */
        s_ask(ctx, self, job);
        gw_request_destroy(&job->req);
    }
    return 0;
}

gw_bridge_t *gw_bridge_new(const cmn_config_t *cfg) {
    gw_bridge_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    pthread_mutex_init(&self->lock, NULL);
    cmn_service_opts_t opts = {.name = "gateway", .self = self, .cfg = cfg};
    self->svc = cmn_service_new(&opts);
    if (!self->svc)
        goto fail;
    char err[256];
    cmn_endpoints_t *eps =
        cmn_endpoints_new("[account] endpoint", cfg->account_endpoint, err, sizeof(err));
    if (!eps) {
        CMN_ERROR(NULL, "%s", err);
        goto fail;
    }
    int first = -1;
    self->nshards = cmn_service_peer_shards(self->svc, "account", eps, &first);
    cmn_endpoints_destroy(&eps);
    if (self->nshards < 1 || self->nshards > CMN_SHARD_MAX)
        goto fail;
    for (int s = 0; s < self->nshards; s++)
        self->peer[s] = first + s;
    if (!(self->backends = gw_metrics_backends_new(cfg)))
        goto fail;
    if (!(self->queue = cmn_chan_new(0))) {
        CMN_ERROR(NULL, "gateway: no memory or no eventfd for the job queue");
        goto fail;
    }
    if (cmn_service_watch(self->svc, cmn_chan_fd(self->queue), s_on_wake, self) != 0)
        goto fail;
    return self;
fail:
    gw_bridge_destroy(&self);
    return NULL;
}

void gw_bridge_destroy(gw_bridge_t **self_p) {
    if (!self_p || !*self_p)
        return;
    gw_bridge_t *self = *self_p;
    /* The loop forgets its pending asks without calling them: after this, the
     * bridge's holds are the only references left to drop. */
    cmn_service_destroy(&self->svc);
    pthread_mutex_lock(&self->lock);
    self->closed = true;
    gw_job_t *job = self->live;
    self->live = NULL;
    while (job) {
        gw_job_t *next = job->next;
        job->bridge_holds = false;
        job->prev = job->next = NULL;
        if (--job->refs == 0)
            s_job_free(job);
        job = next;
    }
    pthread_mutex_unlock(&self->lock);
    cmn_chan_destroy(&self->queue, NULL); /* its jobs were in the live list */
    gw_metrics_backends_destroy(&self->backends);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

int gw_bridge_run(gw_bridge_t *self) { return cmn_service_run(self->svc); }

void gw_bridge_close(gw_bridge_t *self) {
    pthread_mutex_lock(&self->lock);
    self->closed = true;
    size_t n = 0;
    for (gw_job_t *job = self->live; job; job = job->next)
        n++;
    /* What to resume, copied: once resumed, a connection may complete and free its job. */
    struct {
        struct MHD_Connection *conn;
        gw_loop_thread_t *thread;
    } *wake = calloc(n ? n : 1, sizeof(*wake));
    size_t nwake = 0;
    for (gw_job_t *job = self->live; job; job = job->next) {
        gw_answer_t ans = {0};
        gw_errors_answer_status(&ans, DVCID__STATUS__STATUS_UNAVAILABLE);
        bool resume = s_answer_locked(job, &ans);
        gw_answer_clear(&ans);
        if (resume && wake) {
            wake[nwake].conn = job->conn;
            wake[nwake++].thread = job->thread;
        } else if (resume) {
            s_resume(job->conn, job->thread); /* no memory: resume under the lock */
        }
    }
    pthread_mutex_unlock(&self->lock);
    for (size_t i = 0; i < nwake; i++)
        s_resume(wake[i].conn, wake[i].thread);
    free(wake);
    if (n)
        CMN_INFO(NULL, "answered %zu waiting requests with 503 at shut-down", n);
}

gw_job_t *gw_bridge_submit(gw_bridge_t *self, struct MHD_Connection *conn, gw_loop_thread_t *thread,
                           const gw_route_t *route, gw_request_t **req_p) {
    gw_job_t *job = calloc(1, sizeof(*job));
    if (!job)
        return NULL;
    job->bridge = self;
    job->conn = conn;
    job->thread = thread;
    job->route = route;
    memcpy(job->trace, (*req_p)->trace, sizeof(job->trace));
    job->refs = 2; /* the caller's and the bridge's */
    job->bridge_holds = true;
    job->req = *req_p;
    pthread_mutex_lock(&self->lock);
    /* The loop may ask at once, but nothing answers before we unlock, when conn is
     * suspended and the job live; see the file comment. */
    if (self->closed || cmn_chan_push(self->queue, job) != 0) {
        pthread_mutex_unlock(&self->lock);
        free(job);
        return NULL;
    }
    *req_p = NULL;
    MHD_suspend_connection(conn);
    job->next = self->live;
    if (self->live)
        self->live->prev = job;
    self->live = job;
    pthread_mutex_unlock(&self->lock);
    return job;
}

bool gw_bridge_job_take(gw_job_t *job, gw_answer_t *ans) {
    gw_bridge_t *self = job->bridge;
    pthread_mutex_lock(&self->lock);
    bool ready = job->answered && job->answer.status != 0;
    if (ready)
        gw_answer_move(ans, &job->answer);
    pthread_mutex_unlock(&self->lock);
    return ready;
}

void gw_bridge_job_release(gw_job_t **job_p) {
    if (!job_p || !*job_p)
        return;
    gw_job_t *job = *job_p;
    *job_p = NULL;
    gw_bridge_t *self = job->bridge;
    pthread_mutex_lock(&self->lock);
    bool dead = --job->refs == 0;
    pthread_mutex_unlock(&self->lock);
    if (dead)
        s_job_free(job);
}

cmn_metrics_t *gw_bridge_metrics(gw_bridge_t *self) { return cmn_service_metrics(self->svc); }
