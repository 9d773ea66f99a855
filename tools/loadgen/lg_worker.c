/* lg_worker: the per-thread engine of a load run (lg_worker.h). One loop: start the flows
 * that are due, wait on epoll, hand each finished response to its flow, send the flow's
 * next step on the same connection at once (no think time), and every few milliseconds
 * fail the requests that passed their deadline. Slots are never freed during a run; idle
 * ones are kept on a stack so the most recently used connections are reused first. */
#include "lg_worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "lg_clock.h"
#include "lg_http.h"
#include "lg_sched.h"

#define S_EVENTS 256
#define S_TICK_NS 5000000ull     /* longest wait in epoll: the end and deadlines are checked */
#define S_SCAN_NS 5000000ull     /* deadline scan period */
#define S_BACKOFF_NS 20000000ull /* closed loop: pause of a slot after a transport failure */
#define S_PREPARE_MAX_NS (900ull * 1000000000ull)
#define S_PREPARE_CONNS 16 /* registrations under way at once while preparing, all threads */

typedef struct {
    lg_conn_t *conn;
    lg_flow_t flow;
    bool busy;              /* a flow is in progress */
    bool waiting;           /* closed loop: paused after a failure until resume_ns */
    uint64_t flow_intended; /* intended start of the flow */
    uint64_t step_intended; /* intended start of the current step */
    uint64_t deadline;      /* of the request out */
    uint64_t resume_ns;
    char xff[48]; /* --sources: the X-Forwarded-For header of this flow's client */
} s_slot_t;

struct lg_worker {
    lg_run_t *run;
    const lg_opts_t *o;
    int index, nthreads;
    int epfd;
    int max_slots; /* this worker's share of --connections */
    s_slot_t *slots;
    int nslots;
    int *idle;
    int nidle;
    int busy;
    bool prepare; /* the phase now running */
    lg_stats_t *stats, *prep_stats;
    uint64_t ident_next;
    int mix_current[LG_NFLOWS];
    int mix_total;
    char (*accounts)[LG_ID_LEN + 1];
    size_t naccounts, cap_accounts, next_account;
    uint64_t prep_target, prep_made, prep_failed;
    int failed;
    bool no_pwait2; /* the kernel has no epoll_pwait2: millisecond waits */
    lg_sched_t sched;
    bool ticking;               /* the main thread takes interval tallies (--csv, --steps) */
    pthread_mutex_t tally_lock; /* tally is shared with the main thread */
    lg_tally_t tally;
    _Atomic uint64_t p_requests, p_failures, p_flows;
    _Atomic uint64_t p_max; /* largest step latency since the progress line last read it */
    char request[16384];    /* the request being sent; for get flows, the one request */
    size_t get_len;
    char path[1024];
    char body[8192];
    char err[LG_ERR_KEY_MAX];
};

lg_worker_t *lg_worker_new(lg_run_t *run, int index) {
    lg_worker_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->run = run;
    self->o = run->opts;
    self->index = index;
    self->nthreads = self->o->threads;
    self->max_slots = self->o->connections / self->nthreads +
                      (index < self->o->connections % self->nthreads ? 1 : 0);
    self->epfd = epoll_create1(EPOLL_CLOEXEC);
    self->slots = calloc((size_t)self->max_slots, sizeof(*self->slots));
    self->idle = calloc((size_t)self->max_slots, sizeof(*self->idle));
    self->stats = lg_stats_new();
    self->prep_stats = lg_stats_new();
    for (int k = 0; k < LG_NFLOWS; k++)
        self->mix_total += self->o->weights[k];
    self->ticking = self->o->csv_path || self->o->nsteps > 0;
    pthread_mutex_init(&self->tally_lock, NULL);
    if (self->epfd < 0 || !self->slots || !self->idle || !self->stats || !self->prep_stats ||
        lg_tally_init(&self->tally) != 0)
        lg_worker_destroy(&self);
    return self;
}

void lg_worker_destroy(lg_worker_t **self) {
    if (!self || !*self)
        return;
    lg_worker_t *w = *self;
    for (int i = 0; i < w->nslots; i++)
        lg_conn_destroy(&w->slots[i].conn);
    if (w->epfd >= 0)
        close(w->epfd);
    free(w->slots);
    free(w->idle);
    free(w->accounts);
    lg_tally_free(&w->tally);
    pthread_mutex_destroy(&w->tally_lock);
    lg_stats_destroy(&w->stats);
    lg_stats_destroy(&w->prep_stats);
    free(w);
    *self = NULL;
}

int lg_worker_add_account(lg_worker_t *self, const char *id_number) {
    if (self->naccounts == self->cap_accounts) {
        size_t cap = self->cap_accounts ? self->cap_accounts * 2 : 256;
        void *bigger = realloc(self->accounts, cap * sizeof(*self->accounts));
        if (!bigger)
            return -1;
        self->accounts = bigger;
        self->cap_accounts = cap;
    }
    snprintf(self->accounts[self->naccounts++], LG_ID_LEN + 1, "%s", id_number);
    return 0;
}

size_t lg_worker_accounts(const lg_worker_t *self) { return self->naccounts; }

const char *lg_worker_account(const lg_worker_t *self, size_t i) {
    return i < self->naccounts ? self->accounts[i] : NULL;
}

const lg_stats_t *lg_worker_stats(const lg_worker_t *self) { return self->stats; }

const lg_stats_t *lg_worker_prepare_stats(const lg_worker_t *self) { return self->prep_stats; }

int lg_worker_failed(const lg_worker_t *self) { return self->failed; }

void lg_worker_progress(lg_worker_t *self, uint64_t *requests, uint64_t *failures, uint64_t *flows,
                        uint64_t *max_latency) {
    *requests = atomic_load_explicit(&self->p_requests, memory_order_relaxed);
    *failures = atomic_load_explicit(&self->p_failures, memory_order_relaxed);
    *flows = atomic_load_explicit(&self->p_flows, memory_order_relaxed);
    *max_latency = atomic_exchange_explicit(&self->p_max, 0, memory_order_relaxed);
}

void lg_worker_take_tally(lg_worker_t *self, lg_tally_t *into) {
    pthread_mutex_lock(&self->tally_lock);
    lg_tally_merge(into, &self->tally);
    lg_tally_reset(&self->tally);
    pthread_mutex_unlock(&self->tally_lock);
}

uint64_t lg_worker_connects(const lg_worker_t *self) {
    uint64_t n = 0;
    for (int i = 0; i < self->nslots; i++)
        n += lg_conn_connects(self->slots[i].conn);
    return n;
}

static void s_bump(_Atomic uint64_t *counter) {
    atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

static uint64_t s_end(const lg_worker_t *self) {
    return atomic_load_explicit(&self->run->end_ns, memory_order_relaxed);
}

/* Is a step intended at t counted? Every arrival intended inside the window is, however
 * late its answer (no coordinated omission). Prepare counts everything (in its own stats). */
static bool s_counted(const lg_worker_t *self, uint64_t t) {
    return self->prepare || (t >= self->run->measure_ns && t < s_end(self));
}

/* Is a flow that ends now counted? Those started inside the window are, once they end:
 * flows under way at the end run to their end (the drain), so none is cut short, and the
 * count of an open-loop run is exactly its arrivals. In a steady closed loop, starts and
 * ends in a window differ by at most one per connection, either way. */
static bool s_flow_counted(const lg_worker_t *self, const s_slot_t *slot) {
    return s_counted(self, slot->flow_intended);
}

/* The next flow kind of the mix: smooth weighted round robin (as nginx balances upstreams),
 * so the kinds interleave evenly and every run is the same sequence. */
static lg_flow_kind_t s_next_kind(lg_worker_t *self) {
    if (self->prepare)
        return LG_FLOW_REGISTER;
    int best = -1;
    for (int k = 0; k < LG_NFLOWS; k++) {
        if (!self->o->weights[k])
            continue;
        self->mix_current[k] += self->o->weights[k];
        if (best < 0 || self->mix_current[k] > self->mix_current[best])
            best = k;
    }
    self->mix_current[best] -= self->mix_total;
    return (lg_flow_kind_t)best;
}

/* What is counted in lg_stats goes into the interval tally too, so the CSV rows add up to
 * the totals. One uncontended lock per answer, and only when the rows are asked for. */
static void s_tick(lg_worker_t *self, int what, uint64_t latency, const char *key) {
    if (!self->ticking || self->prepare)
        return;
    pthread_mutex_lock(&self->tally_lock);
    if (what == 0)
        lg_tally_ok(&self->tally, latency);
    else if (what == 1)
        lg_tally_fail(&self->tally, key);
    else
        self->tally.flows++;
    pthread_mutex_unlock(&self->tally_lock);
}

static void s_send_step(lg_worker_t *self, s_slot_t *slot, uint64_t now);

/* --sources: flow k comes from address k mod N of the block. */
static void s_source(const lg_worker_t *self, s_slot_t *slot, uint64_t k) {
    if (!self->o->sources) {
        slot->xff[0] = '\0';
        return;
    }
    uint32_t a = self->o->src_base + (uint32_t)(k % self->o->sources);
    snprintf(slot->xff, sizeof(slot->xff), "X-Forwarded-For: %u.%u.%u.%u\r\n", a >> 24,
             (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* Starts a new flow on slot, intended at the given time. */
static void s_start_flow(lg_worker_t *self, s_slot_t *slot, uint64_t intended, uint64_t now) {
    lg_flow_kind_t kind = s_next_kind(self);
    char id[LG_ID_LEN + 1] = "", dob[11] = "", phone[LG_PHONE_LEN + 1] = "";
    if (kind == LG_FLOW_LOGIN && self->naccounts == 0)
        kind = LG_FLOW_REGISTER; /* nobody to sign in yet: make someone first */
    uint64_t k = (uint64_t)self->index + (uint64_t)self->nthreads * self->ident_next++;
    if (kind == LG_FLOW_LOGIN) {
        snprintf(id, sizeof(id), "%s", self->accounts[self->next_account++ % self->naccounts]);
    } else if (kind != LG_FLOW_GET) {
        lg_ident_person(self->run->ident, k, id, dob);
        lg_ident_phone(self->run->ident, k, phone);
    }
    lg_flow_begin(&slot->flow, &self->o->flow, kind, id, dob, phone, self->run->t0_ns ^ (k << 1));
    s_source(self, slot, k);
    slot->busy = true;
    slot->waiting = false;
    self->busy++;
    slot->flow_intended = intended;
    slot->step_intended = intended;
    s_send_step(self, slot, now);
}

/* The flow on slot is over (done, failed or cut at the end). Closed loop: start the next
 * one (after a pause if the connection failed); open loop: the slot goes idle. */
static void s_flow_over(lg_worker_t *self, s_slot_t *slot, uint64_t now, bool transport_failed) {
    slot->busy = false;
    self->busy--;
    int i = (int)(slot - self->slots);
    if (self->prepare) {
        if (self->prep_made + (uint64_t)self->busy >= self->prep_target || self->failed)
            return;
    } else if (self->o->rate > 0 || now >= s_end(self)) {
        if (self->o->rate > 0)
            self->idle[self->nidle++] = i;
        return;
    }
    if (transport_failed) {
        slot->waiting = true;
        slot->resume_ns = now + S_BACKOFF_NS;
        return;
    }
    s_start_flow(self, slot, now, now);
}

/* Prepare gives up after more failed registrations than it had to make (plus 100). */
static void s_prepare_failed(lg_worker_t *self, const char *key) {
    if (!self->prepare || self->failed || ++self->prep_failed <= 100 + self->prep_target)
        return;
    fprintf(stderr, "dvcid-load: prepare: too many failed registrations (last: %s)\n", key);
    self->failed = 1;
}

/* The current step failed with reason key (no usable answer, or an unexpected one). */
static void s_step_failed(lg_worker_t *self, s_slot_t *slot, const char *key, uint64_t now,
                          bool transport) {
    lg_stats_t *st = self->prepare ? self->prep_stats : self->stats;
    if (s_counted(self, slot->step_intended)) {
        lg_stats_fail(st, lg_flow_step(&slot->flow), key);
        s_tick(self, 1, 0, key);
    }
    if (s_flow_counted(self, slot))
        lg_stats_flow(st, slot->flow.kind, 0, 0);
    s_bump(&self->p_requests);
    s_bump(&self->p_failures);
    s_prepare_failed(self, key);
    s_flow_over(self, slot, now, transport);
}

static void s_send_step(lg_worker_t *self, s_slot_t *slot, uint64_t now) {
    slot->deadline = now + (uint64_t)self->o->timeout_ms * 1000000u;
    if (slot->flow.kind == LG_FLOW_GET && self->get_len > 0 && !self->o->sources) {
        /* The ceiling run: one constant request, written once. */
        if (lg_conn_send(slot->conn, self->request, self->get_len, false) != 0)
            s_step_failed(self, slot, lg_conn_error(slot->conn), now, true);
        return;
    }
    const char *method;
    size_t body_len = 0;
    if (lg_flow_request(&slot->flow, &self->o->flow, &method, self->path, sizeof(self->path),
                        self->body, sizeof(self->body), &body_len) != 0) {
        s_step_failed(self, slot, "request too large", now, false);
        return;
    }
    int n = lg_http_request(self->request, sizeof(self->request), method, self->o->target.host,
                            self->path, slot->xff[0] ? slot->xff : NULL,
                            body_len ? self->body : NULL, body_len);
    if (n < 0) {
        s_step_failed(self, slot, "request too large", now, false);
        return;
    }
    if (slot->flow.kind == LG_FLOW_GET)
        self->get_len = (size_t)n;
    if (lg_conn_send(slot->conn, self->request, (size_t)n, false) != 0)
        s_step_failed(self, slot, lg_conn_error(slot->conn), now, true);
}

/* A whole response arrived for slot's current step. */
static void s_on_response(lg_worker_t *self, s_slot_t *slot, const lg_http_resp_t *resp,
                          uint64_t now) {
    lg_stats_t *st = self->prepare ? self->prep_stats : self->stats;
    lg_step_t step = lg_flow_step(&slot->flow);
    lg_flow_result_t r = lg_flow_answer(&slot->flow, resp->status, resp->body, resp->body_len,
                                        self->err, sizeof(self->err));
    lg_conn_finish(slot->conn);
    s_bump(&self->p_requests);
    if (r == LG_FLOW_FAILED) {
        if (s_counted(self, slot->step_intended)) {
            lg_stats_fail(st, step, self->err);
            s_tick(self, 1, 0, self->err);
        }
        if (s_flow_counted(self, slot))
            lg_stats_flow(st, slot->flow.kind, 0, 0);
        s_bump(&self->p_failures);
        s_prepare_failed(self, self->err);
        s_flow_over(self, slot, now, false);
        return;
    }
    uint64_t latency = lg_sched_latency(slot->step_intended, now);
    if (s_counted(self, slot->step_intended)) {
        lg_stats_ok(st, step, latency);
        s_tick(self, 0, latency, NULL);
    }
    /* Only this thread raises it and the progress line only resets it: a lost race costs
     * one sample of one line. */
    if (latency > atomic_load_explicit(&self->p_max, memory_order_relaxed))
        atomic_store_explicit(&self->p_max, latency, memory_order_relaxed);
    if (r == LG_FLOW_NEXT) {
        /* A flow under way at the end runs to its end (its late steps are not counted),
         * so every flow started is either done or failed. */
        slot->step_intended = now;
        s_send_step(self, slot, now);
        return;
    }
    /* DONE */
    if (s_flow_counted(self, slot)) {
        lg_stats_flow(st, slot->flow.kind, 1, lg_sched_latency(slot->flow_intended, now));
        s_tick(self, 2, 0, NULL);
    }
    s_bump(&self->p_flows);
    if (slot->flow.kind == LG_FLOW_REGISTER) {
        if (lg_worker_add_account(self, slot->flow.id_number) == 0 && self->prepare)
            self->prep_made++;
    }
    s_flow_over(self, slot, now, false);
}

/* A new slot with its (still closed) connection; -1 at the limit or out of memory. */
static int s_new_slot(lg_worker_t *self) {
    if (self->nslots == self->max_slots)
        return -1;
    s_slot_t *slot = &self->slots[self->nslots];
    memset(slot, 0, sizeof(*slot));
    slot->conn = lg_conn_new(&self->o->target, self->epfd, (uint64_t)self->nslots);
    if (!slot->conn)
        return -1;
    return self->nslots++;
}

/* Open loop: starts every due arrival that can get a slot. */
static void s_start_due(lg_worker_t *self, uint64_t now) {
    uint64_t end = s_end(self), at;
    while ((at = lg_sched_next(&self->sched)) <= now && at < end) {
        int i;
        if (self->nidle > 0)
            i = self->idle[--self->nidle];
        else if ((i = s_new_slot(self)) < 0)
            break; /* every connection busy: the arrival waits, and is charged the wait */
        lg_sched_take(&self->sched);
        s_start_flow(self, &self->slots[i], at, now);
    }
}

/* Fails requests past their deadline; restarts paused closed-loop slots. */
static void s_scan(lg_worker_t *self, uint64_t now) {
    for (int i = 0; i < self->nslots; i++) {
        s_slot_t *slot = &self->slots[i];
        if (slot->busy && now >= slot->deadline && lg_conn_busy(slot->conn)) {
            lg_conn_close(slot->conn);
            s_step_failed(self, slot, "timeout", now, true);
        } else if (slot->waiting && now >= slot->resume_ns) {
            slot->waiting = false;
            bool more = self->prepare ? self->prep_made + (uint64_t)self->busy < self->prep_target
                                      : now < s_end(self);
            if (more && !self->failed)
                s_start_flow(self, slot, now, now);
        }
    }
}

/* The drain after the end is over: flows still under way fail as unfinished. */
static void s_abandon(lg_worker_t *self, uint64_t now) {
    for (int i = 0; i < self->nslots; i++) {
        s_slot_t *slot = &self->slots[i];
        if (!slot->busy)
            continue;
        lg_conn_close(slot->conn);
        s_step_failed(self, slot, "unfinished at the end", now, true);
    }
}

/* Any slot paused (closed loop) that may still start a flow? */
static bool s_any_waiting(const lg_worker_t *self) {
    for (int i = 0; i < self->nslots; i++)
        if (self->slots[i].waiting)
            return true;
    return false;
}

/* epoll_wait with a nanosecond timeout (epoll_pwait2), so an open-loop arrival is sent at
 * its time rather than up to a millisecond late; epoll_wait where the kernel lacks it. */
static int s_wait(lg_worker_t *self, struct epoll_event *evs, uint64_t timeout_ns) {
    if (!self->no_pwait2) {
        struct timespec ts = {(time_t)(timeout_ns / 1000000000u), (long)(timeout_ns % 1000000000u)};
        int n = epoll_pwait2(self->epfd, evs, S_EVENTS, &ts, NULL);
        if (n >= 0 || errno != ENOSYS)
            return n;
        self->no_pwait2 = true;
    }
    return epoll_wait(self->epfd, evs, S_EVENTS, (int)((timeout_ns + 999999u) / 1000000u));
}

/* The loop, for either phase; returns when the phase is over. */
static void s_loop(lg_worker_t *self) {
    struct epoll_event evs[S_EVENTS];
    uint64_t last_scan = lg_clock_ns();
    uint64_t prep_deadline = last_scan + S_PREPARE_MAX_NS;
    bool open = self->o->rate > 0 && !self->prepare;
    for (;;) {
        uint64_t now = lg_clock_ns();
        if (atomic_load_explicit(&self->run->stop, memory_order_relaxed))
            break;
        uint64_t end = s_end(self);
        if (self->prepare) {
            if (self->busy == 0 &&
                (self->failed || self->prep_made >= self->prep_target || !s_any_waiting(self)))
                break;
            if (now > prep_deadline) {
                fprintf(stderr, "dvcid-load: prepare: gave up after %llu s\n",
                        (unsigned long long)(S_PREPARE_MAX_NS / 1000000000u));
                self->failed = 1;
                break;
            }
        } else if (now >= end) {
            if (self->busy == 0)
                break;
            if (now >= end + (uint64_t)self->o->timeout_ms * 1000000u) {
                s_abandon(self, now);
                break;
            }
        }
        if (open)
            s_start_due(self, now);
        uint64_t timeout = S_TICK_NS;
        if (open && self->nidle + (self->max_slots - self->nslots) > 0 && now < end) {
            uint64_t w = lg_sched_wait_ns(&self->sched, now);
            timeout = w < timeout ? w : timeout;
        }
        int n = s_wait(self, evs, timeout);
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "dvcid-load: epoll_wait: %s\n", strerror(errno));
            self->failed = 1;
            break;
        }
        for (int e = 0; e < n; e++) {
            s_slot_t *slot = &self->slots[evs[e].data.u64];
            lg_http_resp_t resp;
            lg_conn_status_t st = lg_conn_event(slot->conn, evs[e].events, &resp);
            if (!slot->busy)
                continue;
            now = lg_clock_ns();
            if (st == LG_CONN_DONE)
                s_on_response(self, slot, &resp, now);
            else if (st == LG_CONN_FAIL)
                s_step_failed(self, slot, lg_conn_error(slot->conn), now, true);
        }
        now = lg_clock_ns();
        if (now - last_scan >= S_SCAN_NS) {
            s_scan(self, now);
            last_scan = now;
        }
    }
}

void *lg_worker_prepare(void *arg) {
    lg_worker_t *self = arg;
    const lg_opts_t *o = self->o;
    self->prepare = true;
    uint64_t share = (uint64_t)o->prepare / (uint64_t)self->nthreads +
                     ((uint64_t)self->index < (uint64_t)o->prepare % (uint64_t)self->nthreads);
    self->prep_target = share;
    /* Every registration hashes a password: a few at a time keep the cores busy, more only
     * fill the server's hash queue (503) and its timeouts (504). */
    int conc = S_PREPARE_CONNS / self->nthreads > 0 ? S_PREPARE_CONNS / self->nthreads : 1;
    if (conc > self->max_slots)
        conc = self->max_slots;
    uint64_t now = lg_clock_ns();
    for (uint64_t i = 0; i < share && (int)i < conc; i++) {
        int s = self->nslots > (int)i ? (int)i : s_new_slot(self);
        if (s < 0)
            break;
        s_start_flow(self, &self->slots[s], now, now);
    }
    s_loop(self);
    self->prepare = false;
    return NULL;
}

void *lg_worker_run(void *arg) {
    lg_worker_t *self = arg;
    const lg_opts_t *o = self->o;
    self->prepare = false;
    memset(self->mix_current, 0, sizeof(self->mix_current));
    self->nidle = 0;
    if (o->rate > 0) {
        lg_sched_init(&self->sched, self->run->t0_ns, &o->profile, o->arrivals, o->seed,
                      self->nthreads, self->index);
        /* Idle slots left by prepare serve first; the newest on top. */
        for (int i = self->nslots - 1; i >= 0; i--)
            self->idle[self->nidle++] = i;
    } else {
        while (self->nslots < self->max_slots && s_new_slot(self) >= 0)
            ;
        uint64_t now = lg_clock_ns();
        if (now < self->run->t0_ns) {
            uint64_t wait = self->run->t0_ns - now;
            struct timespec ts = {(time_t)(wait / 1000000000u), (long)(wait % 1000000000u)};
            nanosleep(&ts, NULL);
        }
        now = lg_clock_ns();
        for (int i = 0; i < self->nslots; i++)
            s_start_flow(self, &self->slots[i], now, now);
    }
    s_loop(self);
    return NULL;
}
