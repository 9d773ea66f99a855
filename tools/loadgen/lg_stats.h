/* lg_stats: what one worker thread counts during a run, per step and per flow: expected
 * answers with their latency (lg_hist), and failures by kind ("429 rate_limited",
 * "timeout", "connect: Connection refused", ...). One per thread, merged at the end;
 * not thread-safe. */
#ifndef LG_STATS_H
#define LG_STATS_H

#include <stdint.h>

#include "lg_flow.h"
#include "lg_hist.h"

#define LG_ERR_KEYS 24 /* distinct failure kinds kept per step; more go to "other" */
#define LG_ERR_KEY_MAX 64

typedef struct {
    char key[LG_ERR_KEY_MAX];
    uint64_t count;
} lg_err_t;

typedef struct {
    uint64_t ok;        /* expected answers */
    uint64_t failed;    /* anything else: other statuses, timeouts, connection errors */
    lg_hist_t *latency; /* of the expected answers, from each step's intended start */
    lg_err_t errs[LG_ERR_KEYS];
    int nerrs;
    uint64_t other; /* failures beyond LG_ERR_KEYS kinds */
} lg_step_stats_t;

typedef struct {
    uint64_t done, failed;
    lg_hist_t *latency; /* of whole flows, from the flow's intended start to its last answer */
} lg_flow_stats_t;

typedef struct {
    lg_step_stats_t steps[LG_NSTEPS];
    lg_flow_stats_t flows[LG_NFLOWS];
} lg_stats_t;

/* A new, empty set of counters, or NULL when out of memory. Caller owns it. */
lg_stats_t *lg_stats_new(void);

/* Frees *self and sets it to NULL; tolerates NULL. */
void lg_stats_destroy(lg_stats_t **self);

/* Counts an expected answer to step, latency ns after its intended start. */
void lg_stats_ok(lg_stats_t *self, lg_step_t step, uint64_t latency);

/* Counts a failure of step of kind key (copied; truncated to LG_ERR_KEY_MAX-1 bytes). */
void lg_stats_fail(lg_stats_t *self, lg_step_t step, const char *key);

/* Counts the end of a flow: ok (every step answered as expected, latency counted) or not. */
void lg_stats_flow(lg_stats_t *self, lg_flow_kind_t kind, int ok, uint64_t latency);

/* Adds every counter of src to dst. */
void lg_stats_merge(lg_stats_t *dst, const lg_stats_t *src);

#endif
