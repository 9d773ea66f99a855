/* cmn_service: the batch loop. See cmn_service.h for the contract; the shape of
 * one turn is: poll, open the batch transaction, handle every ready item in it
 * (cmn_service_batch.c), commit durably, then send what the items staged (the
 * answers of calls, cmn_service_call.c, and the asks to peers). */
#include "cmn_service.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "cmn_asks.h"
#include "cmn_db.h"
#include "cmn_log.h"
#include "cmn_pool.h"
#include "cmn_service_int.h"
#include "cmn_time.h"

/* --- packing ------------------------------------------------------------- */

uint8_t *cmn_service_pack_reply(const Dvcid__Reply *r, size_t *len) {
    *len = dvcid__reply__get_packed_size(r);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (buf)
        dvcid__reply__pack(r, buf);
    return buf;
}

static uint8_t *s_pack_status(uint64_t request_id, Dvcid__Status status, size_t *len) {
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__Error e = DVCID__ERROR__INIT;
    r.request_id = request_id;
    e.status = status;
    r.error = &e;
    return cmn_service_pack_reply(&r, len);
}

/* --- staging ------------------------------------------------------------- */

s_out_t *cmn_service_out_push(cmn_service_t *self) {
    if (self->nout == self->capout) {
        size_t cap = self->capout ? self->capout * 2 : 64;
        s_out_t *n = realloc(self->out, cap * sizeof(*n));
        if (!n)
            return NULL;
        self->out = n;
        self->capout = cap;
    }
    s_out_t *o = &self->out[self->nout++];
    memset(o, 0, sizeof(*o));
    return o;
}

static void s_pending_add(cmn_service_t *self, uint64_t rid, uint64_t deadline, Dvcid__Status fail,
                          cmn_reply_fn *fn, void *arg) {
    cmn_ask_t *p = calloc(1, sizeof(*p));
    assert(p); /* out of memory here would lose a continuation: better to stop */
    p->inst = -1;
    p->request_id = rid;
    p->deadline_ms = deadline;
    p->fail = fail;
    p->fn = fn;
    p->arg = arg;
    int rc = cmn_asks_add(self->asks, p);
    assert(rc == 0); /* the same: only out of memory can fail here */
    (void)rc;
}

/* Turns staged outputs from mark on into failures: replies become errors, asks
 * are failed so their continuations run in the next turn. */
void cmn_service_out_fail(cmn_service_t *self, size_t mark, Dvcid__Status status) {
    for (size_t i = mark; i < self->nout; i++) {
        s_out_t *o = &self->out[i];
        free(o->data);
        o->data = NULL;
        o->cache_origin = 0; /* a failure is not the request's answer: a repeat runs it */
        o->early = 0;
        if (o->kind == S_OUT_REPLY) {
            o->data = s_pack_status(o->request_id, status, &o->len);
        } else if (o->fn) {
            /* Once only: an item's failure and then its batch's rollback both come here,
             * and a second continuation without a function would crash the loop. */
            s_pending_add(self, o->request_id, 0, status, o->fn, o->arg);
            o->fn = NULL;
        }
    }
}

/* Sends a staged ask to an instance of its group; the ask keeps the packed request
 * (o->data moves into it) so it can go to another instance if this one drops. */
static void s_ask_send(cmn_service_t *self, s_out_t *o) {
    cmn_ask_t *a = calloc(1, sizeof(*a));
    assert(a); /* out of memory here would lose a continuation: better to stop */
    a->request_id = o->request_id;
    a->deadline_ms = o->deadline_ms;
    a->fn = o->fn;
    a->arg = o->arg;
    a->peer = o->peer;
    a->pin = o->pin;
    a->data = o->data;
    a->len = o->len;
    o->data = NULL;
    if (cmn_peers_send(self, a, -1) != 0)
        a->fail = DVCID__STATUS__STATUS_UNAVAILABLE;
    int rc = cmn_asks_add(self->asks, a);
    assert(rc == 0);
    (void)rc;
}

static void s_free_data(void *data, void *hint) {
    (void)hint;
    free(data);
}

/* Sends a staged reply: the routing id, then the packed reply itself, handed to
 * libzmq without a copy (it frees it once written, maybe on its I/O thread). */
void cmn_service_send_reply(cmn_service_t *self, s_out_t *o) {
    if (!o->data || !self->router)
        return;
    void *sock = zsock_resolve(self->router);
    zmq_msg_t m;
    int rc = zmq_send(sock, zframe_data(o->identity), zframe_size(o->identity), ZMQ_SNDMORE);
    if (rc >= 0 && zmq_msg_init_data(&m, o->data, o->len, s_free_data, NULL) == 0) {
        o->data = NULL;
        rc = zmq_msg_send(&m, sock, 0);
        if (rc < 0)
            zmq_msg_close(&m);
    } else {
        rc = -1;
    }
    if (rc < 0)
        CMN_WARN(NULL, "reply %llu dropped: %s", (unsigned long long)o->request_id,
                 zmq_strerror(zmq_errno()));
}

static void s_flush(cmn_service_t *self) {
    for (size_t i = 0; i < self->nout; i++) {
        s_out_t *o = &self->out[i];
        if (o->kind == S_OUT_REPLY) {
            cmn_service_send_reply(self, o);
        } else if (o->fn) {
            s_ask_send(self, o);
        }
        zframe_destroy(&o->identity);
        free(o->data);
    }
    self->nout = 0;
}

/* --- asks and jobs ------------------------------------------------------------ */

void cmn_service_ask(cmn_ctx_t *ctx, int peer, Dvcid__Request *req, const char *trace_id,
                     uint64_t deadline_ms, cmn_reply_fn *fn, void *arg) {
    cmn_service_ask_instance(ctx, peer, -1, req, trace_id, deadline_ms, fn, arg);
}

void cmn_service_ask_instance(cmn_ctx_t *ctx, int peer, int inst, Dvcid__Request *req,
                              const char *trace_id, uint64_t deadline_ms, cmn_reply_fn *fn,
                              void *arg) {
    cmn_service_t *self = ctx->svc;
    assert(peer >= 0 && peer < self->npeers);
    assert(inst < self->peers[peer].ninst);
    s_out_t *o = cmn_service_out_push(self);
    uint64_t rid = ++self->next_request_id;
    if (rid == 0) /* 0 is no key for cmn_asks */
        rid = ++self->next_request_id;
    if (!deadline_ms)
        deadline_ms = cmn_time_now_ms() + S_DEFAULT_DEADLINE_MS;
    if (!o) {
        s_pending_add(self, rid, 0, DVCID__STATUS__STATUS_INTERNAL, fn, arg);
        return;
    }
    req->origin = self->origin;
    req->request_id = rid;
    req->deadline_ms = deadline_ms;
    req->trace_id = (char *)(trace_id ? trace_id : "");
    o->kind = S_OUT_ASK;
    o->request_id = rid;
    o->peer = peer;
    o->pin = inst >= 0 ? inst + 1 : 0;
    o->deadline_ms = deadline_ms;
    o->fn = fn;
    o->arg = arg;
    o->len = dvcid__request__get_packed_size(req);
    o->data = malloc(o->len ? o->len : 1);
    if (o->data)
        dvcid__request__pack(req, o->data);
}

int cmn_service_offload(cmn_ctx_t *ctx, cmn_work_fn *work, cmn_done_fn *done, void *arg) {
    cmn_service_t *self = ctx->svc;
    if (!self->pool)
        return -1;
    s_job_t *job = calloc(1, sizeof(*job));
    if (!job)
        return -1;
    job->work = work;
    job->done = done;
    job->arg = arg;
    if (cmn_pool_submit(self->pool, work, arg, job) != 0) {
        free(job);
        return -1;
    }
    return 0;
}

/* --- the loop ------------------------------------------------------------------ */

static const cmn_route_t *s_route(cmn_service_t *self, Dvcid__Request__BodyCase body) {
    if (body >= 0 && body < S_BODIES)
        return self->route_of[body];
    for (size_t i = 0; i < self->nroutes; i++)
        if (self->routes[i].body == body)
            return &self->routes[i];
    return NULL;
}

/* A request answered before (its asker sent it again): the stored reply goes back and
 * the handler does not run. Returns 1 when answered so (*call_p freed), else 0. */
static int s_replay(cmn_service_t *self, MDB_txn *txn, cmn_call_t **call_p) {
    cmn_call_t *call = *call_p;
    uint8_t *data = NULL;
    size_t len = 0;
    int found = cmn_service_later_find(self, call->origin, call->request_id, &data, &len);
    if (!found)
        found = cmn_service_replies_get(self, txn, call->origin, call->request_id, &data, &len);
    if (found == 2) {
        CMN_WARN(call->req->trace_id,
                 "request %llu asked again while begun elsewhere (an instance that dropped in "
                 "the middle): answered UNAVAILABLE rather than done twice",
                 (unsigned long long)call->request_id);
        cmn_metrics_add(self->metrics, "dvcid_replies_in_doubt_total", "", 1,
                        "Requests asked again after their instance dropped in the middle");
        s_out_t *o = cmn_service_out_push(self);
        if (o) {
            o->kind = S_OUT_REPLY;
            o->request_id = call->request_id;
            o->identity = call->identity;
            call->identity = NULL;
            o->data = s_pack_status(call->request_id, DVCID__STATUS__STATUS_UNAVAILABLE, &o->len);
        }
        cmn_call_destroy(call_p);
        return 1;
    }
    if (found != 1)
        return 0;
    s_out_t *o = cmn_service_out_push(self);
    if (!o) {
        free(data);
        return 0;
    }
    o->kind = S_OUT_REPLY;
    o->request_id = call->request_id;
    o->identity = call->identity;
    call->identity = NULL;
    o->data = data;
    o->len = len;
    CMN_INFO(call->req->trace_id, "request %llu asked again: answered from the reply cache",
             (unsigned long long)call->request_id);
    cmn_metrics_add(self->metrics, "dvcid_replies_replayed_total", "", 1,
                    "Requests asked again and answered from the reply cache");
    cmn_call_destroy(call_p);
    return 1;
}

static void s_on_request(cmn_service_t *self, zmq_msg_t *f, int nframes) {
    /* The peer's identity (added by the ROUTER) and one Request: every client sends
     * one frame, so anything else is not a dvcid client's. */
    if (nframes != 2) {
        CMN_WARN(NULL, "dropped a message of %d frames (a dvcid Request is one frame)",
                 nframes - 1);
        return;
    }
    Dvcid__Request *req = dvcid__request__unpack(NULL, zmq_msg_size(&f[1]), zmq_msg_data(&f[1]));
    zframe_t *identity = req ? zframe_new(zmq_msg_data(&f[0]), zmq_msg_size(&f[0])) : NULL;
    if (!identity || !req) {
        CMN_WARN(NULL, "dropped a request that is not a dvcid Request");
        zframe_destroy(&identity);
        if (req)
            dvcid__request__free_unpacked(req, NULL);
        return;
    }
    cmn_call_t *call = calloc(1, sizeof(*call));
    assert(call);
    call->identity = identity;
    const cmn_route_t *route = s_route(self, req->body_case);
    /* Read-only routes (Ping and MetricsGet among them) change nothing: no need to
     * remember their answers. */
    int read_only =
        req->body_case >= 0 && req->body_case < S_BODIES && (self->read_only >> req->body_case & 1);
    call->origin = read_only ? 0 : req->origin;
    call->request_id = req->request_id;
    call->deadline_ms = req->deadline_ms;
    call->received_us = cmn_service_now_us();
    call->req = req;
    if (req->deadline_ms && req->deadline_ms < cmn_time_now_ms()) {
        CMN_DEBUG(req->trace_id, "request past its deadline, dropped");
        cmn_call_destroy(&call);
        return;
    }
    call->svc = self;
    /* A peer outside the method's class is refused before anything, the reply cache
     * included: its answer is never cached, nor another peer's replayed to it. */
    unsigned need =
        req->body_case >= 0 && req->body_case < S_BODIES ? self->callers[req->body_case] : 0;
    int refused = need && !(cmn_curve_peer_roles(self->curve, &f[1]) & need);
    if (refused) {
        const char *name = zmq_msg_gets(&f[1], "name");
        CMN_WARN(req->trace_id,
                 "refused request body %d from peer \"%s\": its cert's roles "
                 "do not include the callers of this method",
                 (int)req->body_case, name ? name : "?");
    }
    if (!refused && call->origin && self->txn && self->has_replies &&
        s_replay(self, self->txn, &call))
        return;
    cmn_item_t it;
    if (cmn_service_item_begin(self, &it) != 0) {
        cmn_call_fail(&it.ctx, &call, DVCID__STATUS__STATUS_UNAVAILABLE);
        return;
    }
    /* Below the disk's low-water mark only what changes nothing runs. */
    int low = self->db && !self->writable && !read_only;
    if (refused || low) {
        if (refused)
            cmn_metrics_add(self->metrics, "dvcid_peer_refused_total", "", 1,
                            "Requests refused because the peer's CURVE cert lacks the roles "
                            "of the method ([curve] roles)");
        else
            cmn_metrics_add(self->metrics, "dvcid_storage_refused_total", "", 1,
                            "Writes refused because free disk space is below "
                            "storage.min_free_mib");
        Dvcid__Status st =
            refused ? DVCID__STATUS__STATUS_UNAUTHORIZED : DVCID__STATUS__STATUS_UNAVAILABLE;
        cmn_call_fail(&it.ctx, &call, st);
        cmn_service_out_fail(self, it.mark, st); /* not cached */
        cmn_service_item_end(self, &it, 0);
        return;
    }
    /* call may be gone after */
    uint64_t origin = call->origin, rid = call->request_id, call_deadline = call->deadline_ms;
    cmn_call_t *held = call; /* the struct outlives an answer until the handler returns */
    held->held = 1;
    int rc = self->admit ? self->admit(&it.ctx, &call, req) : 0;
    if (rc != 0)
        rc = rc < 0 ? -1 : 0; /* answered by the admit check */
    else if (route)
        rc = route->fn(&it.ctx, call, req);
    else {
        CMN_WARN(req->trace_id, "no handler for request body %d", (int)req->body_case);
        cmn_call_fail(&it.ctx, &call, DVCID__STATUS__STATUS_INVALID_REQUEST);
        rc = 0;
    }
    int pending = !held->answered && !held->rerun_safe && origin && it.ctx.txn && self->has_replies;
    held->held = 0;
    if (held->answered)
        free(held);
    /* Not answered yet: its first effects commit now, its answer later. The mark goes in
     * the batch transaction, beside them; if it cannot be written, what the item staged
     * fails (its asks' continuations answer the call) and the batch most likely does not
     * commit at all (LMDB refuses a transaction after a failed write). */
    if (cmn_service_item_end(self, &it, rc) == 0 && pending && self->txn == it.parent &&
        cmn_service_replies_pending(self, it.parent, origin, rid, call_deadline) != 0)
        cmn_service_batch_reset(self, "the reply cache refused a begun mark");
}

static void s_run_continuation(cmn_service_t *self, cmn_ask_t *p, const Dvcid__Reply *reply) {
    cmn_item_t it;
    if (cmn_service_item_begin(self, &it) != 0) {
        /* Nowhere to run it now: it runs in a later turn, as failed. */
        cmn_peers_done(self, p);
        s_pending_add(self, p->request_id, 0, DVCID__STATUS__STATUS_UNAVAILABLE, p->fn, p->arg);
        cmn_ask_free(p);
        return;
    }
    cmn_peers_done(self, p);
    int rc = p->fn(&it.ctx, reply, p->arg);
    cmn_service_item_end(self, &it, rc);
    cmn_ask_free(p);
}

int cmn_service_recv(void *sock, zmq_msg_t *f, int max) {
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t spare; /* frames past max: read and dropped */
        memset(&spare, 0, sizeof(spare));
        int keep = n < max;
        zmq_msg_t *m = keep ? &f[n] : &spare;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(m);
            break;
        }
        more = zmq_msg_more(m);
        if (!keep)
            zmq_msg_close(m);
        n++;
    }
    return n;
}

void cmn_service_recv_close(zmq_msg_t *f, int n, int max) {
    for (int i = 0; i < n && i < max; i++)
        zmq_msg_close(&f[i]);
}

void cmn_service_on_peer_reply(cmn_service_t *self, zmq_msg_t *f, int nframes) {
    if (nframes != 1) { /* a service's ROUTER answers with one frame */
        CMN_WARN(NULL, "dropped a reply of %d frames (a dvcid Reply is one frame)", nframes);
        return;
    }
    Dvcid__Reply *reply = dvcid__reply__unpack(NULL, zmq_msg_size(&f[0]), zmq_msg_data(&f[0]));
    if (!reply) {
        CMN_WARN(NULL, "dropped a reply that is not a dvcid Reply");
        return;
    }
    if (reply->request_id == 0) { /* asks are numbered from 1 */
        CMN_WARN(NULL, "dropped a reply without a request id");
        dvcid__reply__free_unpacked(reply, NULL);
        return;
    }
    cmn_ask_t *p = cmn_asks_take(self->asks, reply->request_id);
    if (p)
        s_run_continuation(self, p, reply);
    else
        CMN_DEBUG(NULL, "late reply %llu ignored", (unsigned long long)reply->request_id);
    dvcid__reply__free_unpacked(reply, NULL);
}

/* Fails asks whose deadline passed or that could not be sent. */
static void s_expire(cmn_service_t *self, uint64_t now) {
    cmn_ask_t *p;
    while (cmn_service_batch_open(self) && (p = cmn_asks_due(self->asks, now))) {
        Dvcid__Reply r = DVCID__REPLY__INIT;
        Dvcid__Error e = DVCID__ERROR__INIT;
        e.status = p->fail;
        r.error = &e;
        r.request_id = p->request_id;
        s_run_continuation(self, p, &r);
    }
}

/* Runs finished jobs while the batch takes work. A job taken when no transaction could
 * begin is held for the next turn; jobs_left makes that turn come at once (the pool's
 * eventfd was read already). */
static void s_run_jobs(cmn_service_t *self) {
    self->jobs_left = 1;
    while (cmn_service_batch_open(self)) {
        void *arg = self->held_arg, *tag = self->held_tag;
        self->held_tag = NULL;
        if (!tag && !cmn_pool_take(self->pool, &arg, &tag)) {
            self->jobs_left = 0;
            break;
        }
        s_job_t *job = tag;
        cmn_item_t it;
        if (cmn_service_item_begin(self, &it) != 0) {
            self->held_arg = arg;
            self->held_tag = tag;
            break;
        }
        int rc = job->done(&it.ctx, arg);
        cmn_service_item_end(self, &it, rc);
        free(job);
    }
}

static int s_timeout_ms(cmn_service_t *self) {
    uint64_t mono = cmn_time_mono_ms(), now = cmn_time_now_ms();
    /* Awake often enough to pet systemd's watchdog every half period. */
    int64_t t = self->wd_poll_ms > 0 && self->wd_poll_ms < 1000 ? self->wd_poll_ms : 1000;
    for (int i = 0; i < self->ntimers; i++) {
        int64_t d = (int64_t)self->timers[i].due_mono - (int64_t)mono;
        if (d < t)
            t = d;
    }
    if (self->jobs_left && self->pool)
        t = 0;
    int64_t d = cmn_asks_next_ms(self->asks, now);
    if (d >= 0 && d < t)
        t = d;
    return t < 0 ? 0 : (int)t;
}

/* Drains up to S_BATCH_MAX requests from the ROUTER, read into zmq_msg_t frames on
 * the stack (no zmsg/zframe to allocate per message). */
static void s_drain(cmn_service_t *self) {
    void *sock = zsock_resolve(self->router);
    zmq_msg_t f[2];
    /* Without a batch transaction (none could begin) each request is answered 503 at
     * once; after an item failed for want of storage the rest wait for the next turn. */
    for (int n = 0; n < S_BATCH_MAX && !self->turn_stop; n++) {
        int k = cmn_service_recv(sock, f, 2);
        if (k == 0)
            break;
        s_on_request(self, f, k);
        cmn_service_recv_close(f, k, 2);
    }
}

/* Logs refused handshakes on the ROUTER (CURVE keys not allowed, wrong server key,
 * no CURVE): each kind at once, then one line per kind per 10 s at most. */
static void s_router_events(cmn_service_t *self) {
    unsigned ev, val;
    char addr[256];
    while (cmn_peers_event(self->router_monitor, &ev, &val, addr, sizeof(addr)) == 0) {
        cmn_metrics_add(self->metrics, "dvcid_handshake_failures_total", "side=\"server\"", 1,
                        "ZeroMQ handshakes that failed (CURVE keys, mechanism mismatch)");
        const char *why = cmn_curve_event(ev, val);
        int kind = 0;
        while (kind < S_FAIL_KINDS - 1 && self->fail_kind[kind] && self->fail_kind[kind] != why)
            kind++;
        self->fail_kind[kind] = why;
        uint64_t now = cmn_time_mono_ms();
        if (self->fail_log_mono[kind] && now - self->fail_log_mono[kind] < 10000) {
            self->fail_quiet[kind]++;
            continue;
        }
        CMN_WARN(NULL, "refused a connection on %s: %s%s", addr, why,
                 self->fail_quiet[kind] ? " (and earlier ones not logged)" : "");
        self->fail_log_mono[kind] = now;
        self->fail_quiet[kind] = 0;
    }
}

static int s_turn(cmn_service_t *self, zmq_pollitem_t *items, int nitems) {
    cmn_service_batch_begin(self);
    int no_txn = self->db && !self->txn;
    int i = 0;
    if (self->router && (items[i++].revents & ZMQ_POLLIN))
        s_drain(self);
    if (self->router_monitor && (items[i++].revents & ZMQ_POLLIN))
        s_router_events(self);
    cmn_peers_turn(self, items + i);
    i += cmn_peers_nitems(self);
    if (self->pool && ((items[i++].revents & ZMQ_POLLIN) || self->jobs_left || self->held_tag))
        s_run_jobs(self);
    for (int w = 0; w < self->nwatches && i < nitems; w++, i++) {
        if ((items[i].revents & ZMQ_POLLIN) && cmn_service_batch_open(self)) {
            cmn_item_t it;
            if (cmn_service_item_begin(self, &it) != 0)
                break;
            int rc = self->watches[w].fn(&it.ctx, self->watches[w].arg);
            cmn_service_item_end(self, &it, rc);
        }
    }
    s_expire(self, cmn_time_now_ms());
    uint64_t mono = cmn_time_mono_ms();
    for (int t = 0; t < self->ntimers && cmn_service_batch_open(self); t++) {
        if (self->timers[t].due_mono <= mono) {
            cmn_item_t it;
            if (cmn_service_item_begin(self, &it) != 0)
                break;
            self->timers[t].due_mono = mono + (uint64_t)self->timers[t].interval_ms;
            int rc = self->timers[t].fn(&it.ctx);
            cmn_service_item_end(self, &it, rc);
        }
    }
    cmn_service_batch_commit(self, 0);
    s_flush(self);
    if (no_txn) {
        /* The store refuses even to begin (an I/O error, say): answer what came and
         * breathe instead of spinning on it. */
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return 0;
}

/* One batch of what is left at shutdown: finished jobs and failed asks. */
static void s_final_batch(cmn_service_t *self) {
    cmn_service_batch_begin(self);
    if (self->pool)
        s_run_jobs(self);
    s_expire(self, cmn_time_now_ms());
    cmn_service_batch_commit(self, 1);
    s_flush(self);
}

/* At a stop, work in flight still gets an end: running and queued jobs finish
 * (a few seconds at most) and every ask still waiting is answered UNAVAILABLE, so
 * each continuation runs once, replies, and frees what it holds. */
static void s_finish(cmn_service_t *self) {
    uint64_t until = cmn_time_mono_ms() + 5000;
    while (self->pool && cmn_pool_depth(self->pool) > 0 && cmn_time_mono_ms() < until) {
        zmq_pollitem_t pi = {NULL, cmn_pool_fd(self->pool), ZMQ_POLLIN, 0};
        zmq_poll(&pi, 1, 100);
        s_final_batch(self);
    }
    for (int round = 0; round < 3 && (cmn_asks_count(self->asks) || self->pool); round++) {
        cmn_asks_fail_all(self->asks, DVCID__STATUS__STATUS_UNAVAILABLE);
        s_final_batch(self);
    }
    if (self->nlater)
        s_final_batch(self); /* the reply-cache entries still waiting */
}

/* Pets systemd's watchdog while the loop waits for LMDB's write lock: a process held
 * up by another instance's transaction is not hung. A frozen process (SIGSTOP) stops
 * this thread too, and a loop stuck anywhere else is not vouched for. */
static void *s_watchdog_thread(void *arg) {
    cmn_service_t *self = arg;
    while (!atomic_load(&self->wd_thread_stop)) {
        if (atomic_load(&self->lock_wait))
            sd_notify(0, "WATCHDOG=1");
        struct timespec ts = {0, (long)self->wd_poll_ms * 1000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

int cmn_service_run(cmn_service_t *self) {
    self->capitems = 4 + cmn_peers_nitems(self) + S_MAX_WATCHES;
    self->items = calloc((size_t)self->capitems, sizeof(*self->items));
    if (!self->items)
        return -1;
    uint64_t wd_usec = 0;
    int watchdog = sd_watchdog_enabled(0, &wd_usec) > 0;
    self->wd_poll_ms = watchdog ? (int64_t)(wd_usec / 4000) : 0;
    pthread_t wd_thread;
    int wd_started = watchdog && self->db && self->wd_poll_ms > 0 &&
                     pthread_create(&wd_thread, NULL, s_watchdog_thread, self) == 0;
    uint64_t last_wd = 0;
    sd_notifyf(0, "READY=1\nSTATUS=%s serving", self->name);
    CMN_INFO(NULL, "%s ready", self->name);
    int rc = 0;
    zmq_pollitem_t *items = self->items;
    while (!cmn_service_stopping()) {
        cmn_service_reload(self); /* after a SIGHUP, between two batches */
        int n = 0;
        if (self->router)
            items[n++] = (zmq_pollitem_t){zsock_resolve(self->router), 0, ZMQ_POLLIN, 0};
        if (self->router_monitor)
            items[n++] = (zmq_pollitem_t){zsock_resolve(self->router_monitor), 0, ZMQ_POLLIN, 0};
        n += cmn_peers_fill(self, items + n);
        if (self->pool)
            items[n++] = (zmq_pollitem_t){NULL, cmn_pool_fd(self->pool), ZMQ_POLLIN, 0};
        for (int w = 0; w < self->nwatches; w++)
            items[n++] = (zmq_pollitem_t){NULL, self->watches[w].fd, ZMQ_POLLIN, 0};
        if (cmn_service_reload_fd() >= 0) /* last: s_turn reads the items before it */
            items[n++] = (zmq_pollitem_t){NULL, cmn_service_reload_fd(), ZMQ_POLLIN, 0};
        int prc = zmq_poll(items, n, s_timeout_ms(self));
        if (prc < 0 && zmq_errno() != EINTR) {
            CMN_ERROR(NULL, "poll: %s", zmq_strerror(zmq_errno()));
            rc = -1;
            break;
        }
        if (prc < 0)
            continue;
        if (s_turn(self, items, n) != 0) {
            rc = -1;
            break;
        }
        uint64_t mono = cmn_time_mono_ms();
        if (watchdog && (mono - last_wd) * 2000 >= wd_usec) {
            sd_notify(0, "WATCHDOG=1");
            last_wd = mono;
        }
        if (self->db && mono - self->last_reader_check > 60000) {
            cmn_db_reader_check(self->db);
            self->last_reader_check = mono;
        }
    }
    if (wd_started) {
        atomic_store(&self->wd_thread_stop, 1);
        pthread_join(wd_thread, NULL);
    }
    sd_notify(0, "STOPPING=1");
    CMN_INFO(NULL, "%s stopping", self->name);
    s_finish(self);
    return rc;
}
