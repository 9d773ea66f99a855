/* lg_sched: the arithmetic of an open-loop (fixed arrival rate) run, as wrk2 does it. Each
 * arrival (a request or a flow) has an intended start time fixed in advance from the rate
 * alone, whatever the server does; latency is measured from that intended time, so a slow
 * answer that holds up the next arrivals is charged to them too (no coordinated omission).
 * With T threads at a total rate R, thread j takes arrivals j, j+T, j+2T, ... of one evenly
 * spaced stream, so the threads together keep the exact rate and interleave evenly.
 * A closed-loop run (N connections, each starting again once answered) needs no schedule.
 * Pure arithmetic on nanosecond clock values; no state is shared between threads. */
#ifndef LG_SCHED_H
#define LG_SCHED_H

#include <stdint.h>

typedef struct {
    uint64_t first_ns;  /* intended start of this thread's arrival 0 */
    double interval_ns; /* between two arrivals of this thread */
} lg_sched_t;

/* Sets up thread index (0..threads-1) of an open-loop run of total_rate arrivals per
 * second (> 0) starting at t0_ns. */
void lg_sched_init(lg_sched_t *self, uint64_t t0_ns, double total_rate, int threads, int index);

/* Intended start time (ns) of this thread's arrival k (0-based). */
uint64_t lg_sched_at(const lg_sched_t *self, uint64_t k);

/* How many of this thread's arrivals are due at now_ns: those with an intended start <= now. */
uint64_t lg_sched_due(const lg_sched_t *self, uint64_t now_ns);

/* Nanoseconds from now_ns until arrival k is due (0 when it is due). */
uint64_t lg_sched_wait_ns(const lg_sched_t *self, uint64_t k, uint64_t now_ns);

/* Latency of an answer at done_ns for an arrival intended at intended_ns (0 if earlier). */
static inline uint64_t lg_sched_latency(uint64_t intended_ns, uint64_t done_ns) {
    return done_ns > intended_ns ? done_ns - intended_ns : 0;
}

#endif
