/* cmn_service: the one loop every dvcid process runs.
 *
 * A service binds a ROUTER socket for requests, connects DEALER sockets to the
 * peers it asks, and may watch extra file descriptors (the gateway's HTTP bridge)
 * and run a pool of worker threads (argon2). Each turn of the loop is a batch:
 * every ready message, finished job, passed deadline and due timer is handled
 * inside one LMDB write transaction (group commit); only after the durable commit
 * are replies and onward requests sent. Each item runs in a nested transaction:
 * a handler that returns -1 has its writes rolled back and every reply it staged
 * turned into STATUS_INTERNAL, so nothing half-done ever leaves the process.
 *
 * Requests to peers never block: cmn_service_ask() stages the request and names a
 * continuation, called in a later batch with the reply, or with a synthesized
 * STATUS_TIMEOUT / STATUS_UNAVAILABLE reply when the deadline passes or the peer
 * is not connected. Many requests are in flight on every socket at once.
 *
 * Signals SIGINT/SIGTERM stop the loop; sd_notify READY=1 is sent when the loop
 * starts and STOPPING=1 when it ends (no-ops without systemd). SIGHUP rereads the
 * configuration between two batches (cmn_reload_fn below). */
#ifndef CMN_SERVICE_H
#define CMN_SERVICE_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

#include "cmn_config.h"
#include "cmn_curve.h"
#include "proto/dvcid.pb-c.h"

typedef struct cmn_service cmn_service_t;
typedef struct cmn_call cmn_call_t;
typedef struct cmn_db cmn_db_t;

/* What every handler gets: the service's own state, this batch's nested write
 * transaction (NULL in a service without LMDB), and the service. */
typedef struct {
    void *self;
    MDB_txn *txn;
    cmn_service_t *svc;
} cmn_ctx_t;

/* A request handler. Owns call: it must reply (cmn_call_reply/cmn_call_fail) now or
 * hand call to a continuation that will. Returns 0, or -1 after a storage error
 * (writes rolled back, staged replies become STATUS_INTERNAL). */
typedef int(cmn_handler_fn)(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);

typedef struct {
    Dvcid__Request__BodyCase body;
    cmn_handler_fn *fn;
} cmn_route_t;

/* Runs before the route of every request: returns 0 to go on to the route, 1 when it
 * answered *call itself (and nullified it), -1 after a storage error. For checks
 * every request of a service needs (an account shard refuses keys it does not own). */
typedef int(cmn_admit_fn)(cmn_ctx_t *ctx, cmn_call_t **call, const Dvcid__Request *req);

/* A continuation of cmn_service_ask(). reply is never NULL; it lives until the
 * function returns. Owns arg. Returns 0 or -1 as a handler does. */
typedef int(cmn_reply_fn)(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg);

/* Work run on a pool thread (no LMDB, no sockets), then its done function in a batch. */
typedef void(cmn_work_fn)(void *arg);
typedef int(cmn_done_fn)(cmn_ctx_t *ctx, void *arg);

typedef int(cmn_timer_fn)(cmn_ctx_t *ctx);
typedef int(cmn_fd_fn)(cmn_ctx_t *ctx, void *arg);

typedef struct cmn_endpoints cmn_endpoints_t;

/* What a service applies itself of its configuration reread on SIGHUP, between batches
 * (cmn_service_reload.c): next is the file as read, the keys that cannot change live set
 * back to the running ones (cmn_config_keep_fixed). The hook checks and swaps in what the
 * service built from the old file (templates, routes, signing keys) and returns 0, after
 * which the running configuration becomes next; or it changes nothing and returns -1
 * with why in err ("file:line: ..."): the reload is refused and everything stays. */
typedef int(cmn_reload_fn)(void *self, const cmn_config_t *next, char *err, size_t errlen);

typedef struct {
    const char *name; /* service name for logs and Pong */
    /* This service's endpoint list (cmn_endpoints.h), NULL for no ROUTER: the process
     * binds [cfg->proc_shard][cfg->proc_instance] of it (--shard/--instance). */
    const char *bind;
    const char *bind_key;      /* its config key for messages, e.g. "[account] endpoint" */
    const cmn_config_t *cfg;   /* [curve] keys and --shard/--instance; NULL: none, 0, 0 */
    const cmn_route_t *routes; /* handlers by oneof case */
    size_t nroutes;
    void *self;            /* passed to every handler as ctx->self */
    cmn_db_t *db;          /* LMDB environment, NULL for none; not owned */
    int workers;           /* pool threads, 0 for no pool */
    int worker_queue;      /* jobs waiting at most; cmn_service_offload fails beyond */
    cmn_admit_fn *admit;   /* NULL: every request goes straight to its route */
    cmn_reload_fn *reload; /* NULL: a reload only rereads cfg (read where it is used) */
} cmn_service_opts_t;

/* Creates the service and binds its socket. Returns NULL on failure (logged). */
cmn_service_t *cmn_service_new(const cmn_service_opts_t *opts);

/* Stops the pool, closes sockets, frees; nullifies *self_p. Tolerates NULL. */
void cmn_service_destroy(cmn_service_t **self_p);

/* --- peers: groups of instances ------------------------------------------------
 * A peer is a group: the instances of one service, or of one shard of it, one
 * DEALER each. cmn_service_ask(ctx, peer, ...) sends to a live instance of the group
 * (fewest asks in flight); when an instance stops answering (ZMTP heartbeats drop
 * it within about a second), its asks in flight go to another instance of the group
 * with the same (origin, request_id), which the service there answers from its reply
 * cache when the first instance had already done the work. */

/* One group from ONE shard's instance list ("tcp://a:7101, tcp://a:7102"; the
 * cmn_endpoints syntax, "@KEY" suffixes included). A list with '|' is refused.
 * Returns the peer index (>= 0) or -1 (logged). */
int cmn_service_peer(cmn_service_t *self, const char *name, const char *endpoints);

/* One group per shard of eps: groups *first_peer .. *first_peer + n - 1, the group of
 * shard s being *first_peer + s, named "name/s" in logs (just name for 1 shard).
 * Returns n (the shard count), or -1 (logged). eps stays the caller's. Routing by key
 * is the caller's: cmn_service_ask(ctx, first_peer + shard_of(key), ...). */
int cmn_service_peer_shards(cmn_service_t *self, const char *name, const cmn_endpoints_t *eps,
                            int *first_peer);

/* Instances in group peer, and how many of them are live now (0 when out of range). */
int cmn_service_peer_instances(cmn_service_t *self, int peer);
int cmn_service_peer_live(cmn_service_t *self, int peer);
/* True when instance inst of group peer is live now. */
bool cmn_service_peer_instance_live(cmn_service_t *self, int peer, int inst);

/* Says that the route of body only reads (it writes nothing and asks no peer that
 * writes), so running it again is harmless: its answers are not kept in the reply cache
 * (no write and no seal per request) and a repeat of the request runs it again, as Ping
 * and MetricsGet always do. Returns 0, or -1 for a body it cannot mark (>= 64). */
int cmn_service_read_only(cmn_service_t *self, Dvcid__Request__BodyCase body);

/* A method class: the roles (CMN_ROLE_* bits of cmn_curve.h) that may call body. */
typedef struct {
    Dvcid__Request__BodyCase body;
    unsigned roles;
} cmn_caller_t;

/* Says which roles may call each body of rows: a request from a peer whose CURVE cert
 * carries none of them is answered STATUS_UNAUTHORIZED, logged and counted
 * (dvcid_peer_refused_total). Bodies never named take any authenticated peer.
 * Returns 0, or -1 for a body it cannot mark (>= 64) or a row without roles. */
int cmn_service_callers(cmn_service_t *self, const cmn_caller_t *rows, size_t n);

/* Calls fn every interval_ms inside a batch. Returns the timer id or -1. */
int cmn_service_every(cmn_service_t *self, int interval_ms, cmn_timer_fn *fn);

/* Makes a timer due now: it runs at the end of this batch, or in the next one. */
void cmn_service_wake(cmn_service_t *self, int timer_id);

/* Calls fn in a batch whenever fd is readable; the caller keeps fd. Returns 0 or -1. */
int cmn_service_watch(cmn_service_t *self, int fd, cmn_fd_fn *fn, void *arg);

/* Runs until SIGINT/SIGTERM. Returns 0 on a clean stop, -1 on a fatal error. */
int cmn_service_run(cmn_service_t *self);

/* Stages a request to peer; fn(arg) is called in a later batch with the reply.
 * req->request_id, deadline_ms and trace_id are set here; req stays the caller's. */
void cmn_service_ask(cmn_ctx_t *ctx, int peer, Dvcid__Request *req, const char *trace_id,
                     uint64_t deadline_ms, cmn_reply_fn *fn, void *arg);

/* cmn_service_ask to one instance of peer (0 .. cmn_service_peer_instances - 1; -1:
 * any) and no other: no failover, so the answer is that process's (its metrics). An
 * instance that is down answers STATUS_UNAVAILABLE at once; one that drops with the ask
 * in flight, STATUS_TIMEOUT at the deadline. */
void cmn_service_ask_instance(cmn_ctx_t *ctx, int peer, int inst, Dvcid__Request *req,
                              const char *trace_id, uint64_t deadline_ms, cmn_reply_fn *fn,
                              void *arg);

/* Runs work(arg) on a pool thread, then done(ctx, arg) in a batch. Returns 0, or -1
 * when the queue is full (the caller answers STATUS_UNAVAILABLE). */
int cmn_service_offload(cmn_ctx_t *ctx, cmn_work_fn *work, cmn_done_fn *done, void *arg);

/* The service's metrics registry (requests, batches and whatever handlers add);
 * MetricsGet renders it. Owned by the service. */
typedef struct cmn_metrics cmn_metrics_t;
cmn_metrics_t *cmn_service_metrics(cmn_service_t *self);
/* The service's own metrics as Prometheus text, with its gauges (queues, storage) read
 * now. Caller owns the result (free); NULL when out of memory. */
char *cmn_service_metrics_render(cmn_service_t *self);

/* Answers Ping: ready when peer (the backend this service needs) answers Ping ready. */
int cmn_service_ping_through(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req, int peer);

/* Answers MetricsGet with this service's text and those of every instance of the given
 * peers (NULL: peers 0 .. npeers-1), each asked for its own text and the first live
 * one of each group for its backends' too; none when the request says own_only. The
 * reply names every process whose text it holds (MetricsReply.instances). The peers
 * argument is for a service whose peers are not all its backends (an account shard's
 * sibling shards). */
int cmn_service_metrics_gather(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req,
                               const int *peers, int npeers);

/* True once the loop has seen a stop signal. */
bool cmn_service_stopping(void);

/* --- calls: one request being served --------------------------------------- */

/* The client IP, trace id and deadline the request came with; they live as long as call. */
const char *cmn_call_client_ip(const cmn_call_t *call);
/* The request itself (a continuation that resumes a handler reads it here). */
const Dvcid__Request *cmn_call_request(const cmn_call_t *call);
const char *cmn_call_trace(const cmn_call_t *call);
uint64_t cmn_call_deadline(const cmn_call_t *call);

/* Stages reply (packed now; reply stays the caller's), frees the call and
 * nullifies *call_p. reply->request_id is set here. */
void cmn_call_reply(cmn_ctx_t *ctx, cmn_call_t **call_p, Dvcid__Reply *reply);

/* Replies with an error status and nothing else. */
void cmn_call_fail(cmn_ctx_t *ctx, cmn_call_t **call_p, Dvcid__Status status);

/* Replies with the error of another reply (forwards a peer's error as is). */
void cmn_call_forward_error(cmn_ctx_t *ctx, cmn_call_t **call_p, const Dvcid__Reply *from);

/* Says, in a handler that hands call on unanswered (to the pool or a peer), that it
 * has done nothing yet that running it again would do twice (it only read). If this
 * instance then drops, a repeat of the request on another instance runs the handler
 * again instead of being answered UNAVAILABLE (the default: a request begun and not
 * answered is in doubt). Call it in the handler itself, before it returns. */
void cmn_call_rerun_safe(cmn_call_t *call);

/* Says that call's answer, whatever it will be, depends on nothing uncommitted: the
 * item that answers it writes nothing (the reply cache aside) and reads nothing that
 * this batch may have written, so the answer only carries what earlier turns
 * committed or a peer sent after its own commit (a continuation that forwards
 * otp-svc's answer). Such an answer leaves when its item ends, without waiting for
 * the batch's durable commit. Its reply cache entry still commits with the batch: if
 * the process dies in between, a repeat of the request finds the pending mark of its
 * first turn and is answered UNAVAILABLE, as any request caught mid-way is. Never for
 * an answer that follows a write of the same item (it would leave before the write is
 * durable): the loop holds back the early answers of an item that wrote through cmn_db
 * (cmn_db_writes) until the commit. Call it before cmn_call_reply/cmn_call_fail. */
void cmn_call_answer_early(cmn_call_t *call);

/* Frees a call without answering (the caller has given up). Tolerates NULL. */
void cmn_call_destroy(cmn_call_t **call_p);

#endif
