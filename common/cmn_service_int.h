/* cmn_service_int: the state of a service, shared by the files that implement
 * cmn_service (the loop in cmn_service.c, metrics in cmn_service_metrics.c).
 * Private to common/. */
#ifndef CMN_SERVICE_INT_H
#define CMN_SERVICE_INT_H

#include <czmq.h>

#include "cmn_metrics.h"
#include "cmn_pool.h"
#include "cmn_service.h"

#define S_MAX_PEERS 8
#define S_MAX_TIMERS 8
#define S_MAX_WATCHES 4
#define S_BATCH_MAX 512 /* messages taken from one socket per turn */
#define S_MAX_MSG (1 << 20)
#define S_DEFAULT_DEADLINE_MS 2000

struct cmn_call {
    zframe_t *identity;
    uint64_t request_id;
    uint64_t deadline_ms;
    uint64_t received_us; /* monotonic, for the latency histogram */
    Dvcid__Request *req;
};

typedef enum { S_OUT_REPLY, S_OUT_ASK } s_out_kind_t;

typedef struct {
    s_out_kind_t kind;
    zframe_t *identity; /* reply: routing id */
    uint64_t request_id;
    uint8_t *data;
    size_t len;
    int peer; /* ask */
    uint64_t deadline_ms;
    cmn_reply_fn *fn;
    void *arg;
} s_out_t;

typedef struct {
    char name[32];
    zsock_t *sock;
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
    void *self;
    cmn_db_t *db;
    zsock_t *router;
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
    size_t batch_items; /* items handled in this turn's transaction */
};

/* Counts a reply to call in the request metrics (op, status, latency). */
void cmn_service_count_reply(cmn_service_t *self, const cmn_call_t *call,
                             const Dvcid__Reply *reply);

/* The default MetricsGet handler: this service's text plus every peer's. */
int cmn_service_on_metrics(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);

/* Microseconds on the monotonic clock. */
uint64_t cmn_service_now_us(void);

#endif
