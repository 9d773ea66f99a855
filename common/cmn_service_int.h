/* cmn_service_int: the state of a service, shared by the files that implement
 * cmn_service: cmn_service.c (staging, asks, the loop), cmn_service_call.c (a request's
 * cmn_call_t and its answer), cmn_service_setup.c (new, destroy, options),
 * cmn_service_batch.c (the batch transaction of a turn), cmn_service_peers.c (DEALERs
 * to peers), cmn_service_replies.c (the reply cache), cmn_service_metrics.c,
 * cmn_service_reload.c (SIGHUP) and cmn_service_ping.c.
 * Each section below names the file that defines it. Private to common/. */
#ifndef CMN_SERVICE_INT_H
#define CMN_SERVICE_INT_H

#include <czmq.h>
#include <stdatomic.h>

#include "cmn_asks.h"
#include "cmn_crypto.h"
#include "cmn_curve.h"
#include "cmn_db.h"
#include "cmn_endpoints.h"
#include "cmn_metrics.h"
#include "cmn_pool.h"
#include "cmn_service.h"

#define S_MAX_PEERS 64 /* peer groups: one per peer service, or per shard of one */
#define S_MAX_TIMERS 8
#define S_FAIL_KINDS 8 /* kinds of refused handshakes logged apart */
#define S_MAX_WATCHES 4
#define S_BATCH_MAX 512 /* messages taken from one socket per turn */
#define S_MAX_MSG (1 << 20)
#define S_DEFAULT_DEADLINE_MS 2000
#define S_BODIES 64 /* request bodies (oneof field numbers) with a route and series at hand */
#define S_METRIC_STATUSES 32 /* ... and statuses */
/* HELP of the storage counters: counted in cmn_service_batch.c, made at 0 before their first
 * event by the scrape (cmn_service_metrics.c), so increase() sees the first one. */
#define CMN_HELP_ROLLBACKS "Batches rolled back because the store refused a write (answered 503)"
#define CMN_HELP_FAULTS "Requests and jobs undone because the store refused them (503)"

struct cmn_call {
    zframe_t *identity;
    uint64_t origin; /* the asking process; 0: a client without idempotency (dvcctl) */
    uint64_t request_id;
    uint64_t deadline_ms;
    uint64_t received_us; /* monotonic, for the latency histogram */
    Dvcid__Request *req;
    cmn_service_t *svc; /* the service it came to */
    int early;          /* its answer may leave before the commit (cmn_call_answer_early) */
    /* What its handler did, read by the loop when the handler returns (s_on_request): */
    int held;       /* the handler runs now: the loop frees the struct after it, answered or not */
    int answered;   /* answered or dropped (cmn_call_destroy); only the struct is left */
    int rerun_safe; /* a repeat may run the handler again (cmn_call_rerun_safe) */
};

typedef enum { S_OUT_REPLY, S_OUT_ASK } s_out_kind_t;

typedef struct {
    s_out_kind_t kind;
    zframe_t *identity; /* reply: routing id */
    uint64_t request_id;
    uint8_t *data;
    size_t len;
    uint64_t cache_origin;   /* reply: remember it under (cache_origin, request_id); 0: no */
    uint64_t cache_deadline; /* ... its request's deadline (how long it is kept) */
    int early;               /* reply: leaves when its item ends, before the commit */
    int peer;                /* ask */
    int pin;                 /* ask: 0 any instance of peer, n only instance n - 1 */
    uint64_t deadline_ms;
    cmn_reply_fn *fn;
    void *arg;
} s_out_t;

/* A reply-cache entry not written yet (cmn_service_later_*): the reply of an item that
 * wrote nothing, already sent, kept here until a batch commits anyway. */
typedef struct {
    uint64_t origin, request_id, deadline_ms;
    uint8_t *data; /* the packed reply, in clear (sealed when written) */
    size_t len;
} s_later_t;

/* One instance of a peer group: a DEALER and the PAIR end of its socket monitor. */
typedef struct {
    zsock_t *sock;
    zsock_t *monitor;
    char endpoint[CMN_EP_LEN];
    int up;                 /* a handshake succeeded and no disconnect since */
    int inflight;           /* asks sent here and not answered yet */
    uint64_t fail_log_mono; /* last handshake failure logged (rate limit) */
} s_inst_t;

/* A peer group: the instances of one service (or of one shard of it). */
typedef struct {
    char name[32];
    s_inst_t inst[CMN_EP_MAX_INSTANCES];
    int ninst;
    unsigned rr; /* round-robin start among equals */
} s_peer_t;

typedef struct {
    int interval_ms;
    uint64_t due_mono;
    cmn_timer_fn *fn;
} s_timer_t;

typedef struct {
    int fd;
    cmn_fd_fn *fn;
    void *arg;
} s_watch_t;

typedef struct {
    cmn_work_fn *work;
    cmn_done_fn *done;
    void *arg;
} s_job_t;

struct cmn_service {
    char name[32];
    const cmn_route_t *routes;
    size_t nroutes;
    const cmn_route_t *route_of[S_BODIES]; /* routes by body, for the bodies below S_BODIES */
    uint64_t read_only;                    /* bit b: body b is read-only (cmn_service_read_only) */
    unsigned char callers[S_BODIES]; /* roles that may call body b, 0: any (cmn_service_callers) */
    cmn_admit_fn *admit;
    cmn_reload_fn *reload; /* what a SIGHUP applies of this service's own (opts) */
    void *self;
    cmn_db_t *db;
    zsock_t *router;
    zsock_t *router_monitor;              /* handshake failures (CURVE refusals) to log */
    const char *fail_kind[S_FAIL_KINDS];  /* cmn_curve_event texts seen */
    uint64_t fail_log_mono[S_FAIL_KINDS]; /* each kind's last line */
    unsigned fail_quiet[S_FAIL_KINDS];    /* ... and how many were not logged since */
    cmn_curve_t *curve;
    const cmn_config_t *cfg; /* NULL in tests: shard 0, instance 0, no CURVE */
    uint64_t origin;         /* this process, in every request it sends (idempotency) */
    MDB_dbi replies;         /* the reply cache (cmn_service_replies.c), when has_replies */
    uint8_t replies_key[CMN_KEY_BYTES]; /* seals cached replies: they carry session tokens */
    uint8_t replies_nonce[24];          /* the next seal's: random prefix, 64-bit counter */
    int has_replies;
    cmn_db_sweep_pos_t replies_sweep; /* where the cache's sweep stopped */
    int replies_timer;
    s_later_t *later; /* reply-cache entries waiting for a commit that happens anyway */
    size_t nlater, caplater;
    uint64_t later_since_mono; /* when the oldest of them came */
    uint64_t turn_writes;      /* cmn_db_writes() when this turn's batch began */
    int turn_cache_wrote;      /* ... and the reply cache was written in it since */
    zmq_pollitem_t *items;     /* poll set, rebuilt each turn */
    int capitems;
    s_peer_t peers[S_MAX_PEERS];
    int npeers;
    s_timer_t timers[S_MAX_TIMERS];
    int ntimers;
    s_watch_t watches[S_MAX_WATCHES];
    int nwatches;
    cmn_pool_t *pool;
    s_out_t *out; /* staged for after the commit */
    size_t nout, capout;
    struct cmn_asks *asks; /* requests to peers still waiting for their answer */
    uint64_t next_request_id;
    uint64_t last_reader_check;
    cmn_metrics_t *metrics;
    /* Series counted per request or batch, found once (cmn_service_metrics.c). */
    cmn_metrics_series_t *m_requests[S_BODIES][S_METRIC_STATUSES];
    cmn_metrics_series_t *m_seconds[S_BODIES];
    cmn_metrics_series_t *m_commit, *m_batch_items;
    size_t batch_items;        /* items handled in this turn's transaction */
    MDB_txn *txn;              /* this turn's batch transaction (NULL: none could begin) */
    int turn_stop;             /* an item failed for want of storage: no more this turn */
    int turn_roomy;            /* storage has room: early answers may leave (cmn_db_roomy) */
    int writable;              /* free disk above the low-water mark: writes run */
    int refusing;              /* ... was not, at the last turn (logged once per change) */
    int grow_wanted;           /* the map was found full: grow it before the next batch */
    int jobs_left;             /* the last turn stopped before the pool was empty */
    void *held_arg, *held_tag; /* a finished job taken when no transaction could begin */
    int64_t wd_poll_ms;        /* longest poll with systemd's watchdog on (a quarter period) */
    atomic_int lock_wait;      /* the loop waits for LMDB's write lock (watchdog thread) */
    atomic_int wd_thread_stop;
};

/* --- reload on SIGHUP (cmn_service_reload.c) --- */

/* Installs the SIGHUP handler and makes its wake-up pipe (once). Returns 0 or -1. */
int cmn_service_reload_signal(void);
/* The pipe's read end, polled by the loop: readable after a SIGHUP. */
int cmn_service_reload_fd(void);
/* dvcid_config_reloads_total{result="ok"|"refused"}, at 0 from the start. */
void cmn_service_reload_metrics(cmn_service_t *self);
/* After a SIGHUP, between batches: rereads cfg->proc_path, keeps the keys that cannot
 * change (warned), checks test settings and the service's hook, then applies it all or
 * nothing (logged, counted, RELOADING=1 ... READY=1 to systemd). Nothing without one. */
void cmn_service_reload(cmn_service_t *self);

/* --- setup (cmn_service_setup.c) --- */

/* The series that say what runs: version, test settings (again after a reload). */
void cmn_service_static_metrics(cmn_service_t *self);
/* Socket options every dvcid socket gets (sizes, heartbeats). */
void cmn_service_socket_options(zsock_t *s);

/* --- metrics (cmn_service_metrics.c) --- */

/* Counts a reply to call in the request metrics (op, status, latency). */
void cmn_service_count_reply(cmn_service_t *self, const cmn_call_t *call,
                             const Dvcid__Reply *reply);

/* Counts one batch's durable commit (its time) and how many items it held. */
void cmn_service_count_batch(cmn_service_t *self, uint64_t commit_us, size_t items);

/* The default Ping handler (cmn_service_ping.c): ready. */
int cmn_service_on_ping(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
/* The default MetricsGet handler: this service's text plus every peer's. Both are in the
 * route table of a service whose own routes do not name them (cmn_service_setup.c). */
int cmn_service_on_metrics(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);

/* Microseconds on the monotonic clock. */
uint64_t cmn_service_now_us(void);

/* --- peers (cmn_service_peers.c) --- */

/* Poll items of every instance (DEALER, monitor) from items[0]; returns how many. */
int cmn_peers_fill(cmn_service_t *self, zmq_pollitem_t *items);
/* How many poll items cmn_peers_fill gives. */
int cmn_peers_nitems(const cmn_service_t *self);
/* Handles what polled ready: replies (through cmn_service_on_peer_reply) and socket
 * events (liveness, failover). */
void cmn_peers_turn(cmn_service_t *self, const zmq_pollitem_t *items);
/* Sends a->data to a live instance of group a->peer other than avoid (-1: any), or to
 * its pinned instance only (a->pin); sets a->inst. Returns 0, or -1 when no instance
 * could take it. */
int cmn_peers_send(cmn_service_t *self, cmn_ask_t *a, int avoid);
/* An ask sent by cmn_peers_send ended (answered or failed). */
void cmn_peers_done(cmn_service_t *self, const cmn_ask_t *a);
/* Closes every peer socket. */
void cmn_peers_close(cmn_service_t *self);
/* Starts a monitor of events on sock; *mon gets the PAIR to read them. Returns 0 or -1. */
int cmn_peers_monitor(zsock_t *sock, int events, zsock_t **mon);
/* Reads one event from a monitor. Returns 0 with event, value and the address (in
 * addr), or -1 when none is waiting. */
int cmn_peers_event(zsock_t *mon, unsigned *event, unsigned *value, char *addr, size_t addrlen);
/* Closes a monitor started by cmn_peers_monitor on sock. */
void cmn_peers_unmonitor(zsock_t *sock, zsock_t **mon);

/* --- reply cache (cmn_service_replies.c) --- */

/* Opens the cache in the service's LMDB and starts its sweep. Returns 0 or -1. */
int cmn_service_replies_open(cmn_service_t *self);
/* Looks (origin, rid) up: 1 with a copy in *data (caller frees), 2 a pending mark,
 * 0 none, -1 error. */
int cmn_service_replies_get(cmn_service_t *self, MDB_txn *txn, uint64_t origin, uint64_t rid,
                            uint8_t **data, size_t *len);
/* Stores the packed reply to (origin, rid), a request due by deadline_ms (0: none), in
 * txn. Returns 0 or -1 (logged). */
int cmn_service_replies_put(cmn_service_t *self, MDB_txn *txn, uint64_t origin, uint64_t rid,
                            uint64_t deadline_ms, const uint8_t *data, size_t len);

/* Marks (origin, rid) as begun and not answered yet, in txn. Returns 0 or -1. */
int cmn_service_replies_pending(cmn_service_t *self, MDB_txn *txn, uint64_t origin, uint64_t rid,
                                uint64_t deadline_ms);

/* Reply-cache entries that wait for a commit happening anyway (cmn_service_replies.c):
 * keeps the entry of o, an early reply of an item that wrote nothing (0, or -1 when out
 * of memory: write it now); finds one (1 with a copy in *data, caller frees; else 0);
 * writes them into the batch transaction before its commit when it writes anyway, when
 * they waited long enough, or with force (0, or -1 when a write failed: the batch
 * transaction is then dead and must be rolled back); forgets them. */
int cmn_service_later_add(cmn_service_t *self, const s_out_t *o);
int cmn_service_later_find(const cmn_service_t *self, uint64_t origin, uint64_t rid, uint8_t **data,
                           size_t *len);
int cmn_service_later_write(cmn_service_t *self, int force);
void cmn_service_later_clear(cmn_service_t *self);

/* --- staging and the loop (cmn_service.c) --- */

/* Stages one output for after the commit (zeroed); NULL when out of memory. */
s_out_t *cmn_service_out_push(cmn_service_t *self);
/* Packs r into a malloc'd buffer of *len bytes; NULL when out of memory. */
uint8_t *cmn_service_pack_reply(const Dvcid__Reply *r, size_t *len);

/* Reads the next message waiting on sock (never waits): its first max frames into f
 * (to close with cmn_service_recv_close), the rest read and dropped. Returns how many
 * frames it had, 0 when none was waiting. */
int cmn_service_recv(void *sock, zmq_msg_t *f, int max);
void cmn_service_recv_close(zmq_msg_t *f, int n, int max);

/* Handles one reply read from a peer's DEALER (nframes frames, the first in f). */
void cmn_service_on_peer_reply(cmn_service_t *self, zmq_msg_t *f, int nframes);
/* What a turn stages: turns the staged outputs from mark on into failures with status;
 * sends one staged reply now. */
void cmn_service_out_fail(cmn_service_t *self, size_t mark, Dvcid__Status status);
void cmn_service_send_reply(cmn_service_t *self, s_out_t *o);

/* --- the batch of one turn (cmn_service_batch.c) --- */

/* An item is one unit of work in it: a
 * request, a continuation, a job's end or a timer. */
/* One item, begun by cmn_service_item_begin and ended by cmn_service_item_end. */
typedef struct {
    cmn_ctx_t ctx;
    MDB_txn *parent;
    int direct; /* runs in the batch transaction itself (ctx.txn == parent) */
    size_t mark;
    uint64_t faults; /* cmn_db_faults() when the item began */
    uint64_t writes; /* cmn_db_writes() when the item began */
} cmn_item_t;

/* Opens the turn's batch transaction (growing the map first when needed). */
void cmn_service_batch_begin(cmn_service_t *self);
/* Commits the batch durably; with force (at a stop) every waiting reply-cache entry goes
 * into it. A failed commit turns what the batch staged into 503. */
void cmn_service_batch_commit(cmn_service_t *self, int force);
/* Rolls the batch back after a write to it failed (why is logged): what it staged
 * becomes 503 and a fresh batch begins. */
void cmn_service_batch_reset(cmn_service_t *self, const char *why);
/* Whether this turn takes more work: replies wait in their sockets when it does not. */
int cmn_service_batch_open(const cmn_service_t *self);
/* Begins an item (0), or -1 when there is no transaction to run it in. */
int cmn_service_item_begin(cmn_service_t *self, cmn_item_t *it);
/* Ends an item whose handler returned rc: 0 when its effects are in the batch, else -1
 * (what it staged turned into failures). */
int cmn_service_item_end(cmn_service_t *self, cmn_item_t *it, int rc);

#endif
