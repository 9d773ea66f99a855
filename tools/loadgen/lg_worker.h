/* lg_worker: one load thread: its own epoll, its own connections (slots), its own flows,
 * counters and accounts. Closed loop: each slot starts a new flow as soon as its last one
 * ends. Open loop: flows start at the intended times of lg_sched, on an idle slot (a new
 * connection while under the limit); a flow that waits for a slot is charged the wait.
 * A step or a flow is counted when its intended start lies inside the measured window,
 * however late its answer; flows under way at the end run to their end (the drain). */
#ifndef LG_WORKER_H
#define LG_WORKER_H

#include <stdatomic.h>
#include <stdint.h>

#include "lg_ident.h"
#include "lg_opts.h"
#include "lg_stats.h"
#include "lg_tally.h"

/* What every worker of a run shares; set before the threads start. end_ns may be moved
 * earlier while they run (Ctrl-C). */
typedef struct {
    const lg_opts_t *opts;
    const lg_ident_t *ident;
    uint64_t t0_ns;          /* intended start of the run's first arrival */
    uint64_t measure_ns;     /* counting starts here (t0 + warm-up) */
    _Atomic uint64_t end_ns; /* no flow or step starts at or after this */
    atomic_int stop;         /* leave now, even with requests out (second Ctrl-C) */
} lg_run_t;

typedef struct lg_worker lg_worker_t;

/* Worker index (0..threads-1) of run. NULL on failure (out of memory, epoll). */
lg_worker_t *lg_worker_new(lg_run_t *run, int index);

/* Frees *self (after its thread ended) and sets it to NULL; tolerates NULL. */
void lg_worker_destroy(lg_worker_t **self);

/* Thread entry points (arg: the worker). prepare registers this worker's share of
 * opts->prepare accounts (closed loop, nothing timed); run is the measured run. */
void *lg_worker_prepare(void *arg);
void *lg_worker_run(void *arg);

/* Adds an account (ID number) to this worker's pool for sign-ins. Returns 0 or -1. */
int lg_worker_add_account(lg_worker_t *self, const char *id_number);

/* This worker's accounts: count, and the i-th ID number. */
size_t lg_worker_accounts(const lg_worker_t *self);
const char *lg_worker_account(const lg_worker_t *self, size_t i);

/* Counters of the measured run, and of the prepare phase. Valid after the thread ended. */
const lg_stats_t *lg_worker_stats(const lg_worker_t *self);
const lg_stats_t *lg_worker_prepare_stats(const lg_worker_t *self);

/* Live totals for the progress line, safe to call from another thread while it runs:
 * requests finished (answered or failed), failed ones, flows done, and the largest latency
 * of an expected answer since the previous call (which resets it), so stalls show. */
void lg_worker_progress(lg_worker_t *self, uint64_t *requests, uint64_t *failures, uint64_t *flows,
                        uint64_t *max_latency);

/* Adds what the worker counted since the previous call to into, and starts again from
 * zero (the CSV's interval rows; safe while the worker runs). Only with --csv or --steps. */
void lg_worker_take_tally(lg_worker_t *self, lg_tally_t *into);

/* Set when prepare could not register its accounts (the run should not go on). */
int lg_worker_failed(const lg_worker_t *self);

/* Total connects over the worker's connections (the report shows reconnections). */
uint64_t lg_worker_connects(const lg_worker_t *self);

#endif
