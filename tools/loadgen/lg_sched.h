/* lg_sched: the arrival times of an open-loop run, as wrk2 does them. Each arrival (a flow)
 * has an intended start time fixed in advance from the rate profile alone, whatever the
 * server does; latency is measured from that intended time, so a slow answer that holds up
 * the next arrivals is charged to them too (no coordinated omission).
 * The profile is the target rate over time: constant (--rate), linear ramps (--ramp) or
 * steps (--steps), as segments from the run's start (warm-up included). Arrivals are laid
 * out in "expected-arrival time" u = the integral of the rate from the start, then mapped
 * back to clock time: uniform arrivals sit at u = 0, 1, 2, ... (evenly spaced at a constant
 * rate); Poisson arrivals at u steps drawn from Exp(1) (a seeded RNG), which makes the
 * inter-arrival times exponential at any rate, ramps included (a non-homogeneous Poisson
 * process by time change). With T threads, uniform thread j takes u = j, j+T, j+2T, ... of
 * one stream; Poisson thread j runs its own process of rate 1/T, and the threads together
 * are one Poisson process of the whole rate. A closed-loop run needs no schedule.
 * Pure arithmetic on nanosecond clock values; no state is shared between threads. */
#ifndef LG_SCHED_H
#define LG_SCHED_H

#include <stdint.h>

#define LG_PROFILE_SEGS 66 /* warm-up + up to 64 steps + one spare */

typedef struct {
    double t0, t1; /* seconds from the run's start */
    double r0, r1; /* target rate at t0 and at t1 (per second), linear between */
    double u0;     /* expected arrivals before t0 */
} lg_seg_t;

/* The target rate over the run; arrivals end where the last segment ends. */
typedef struct {
    lg_seg_t segs[LG_PROFILE_SEGS];
    int nsegs;
} lg_profile_t;

typedef enum { LG_ARRIVALS_UNIFORM, LG_ARRIVALS_POISSON } lg_arrivals_t;

/* Appends seconds (> 0) of rate going linearly from r0 to r1 (>= 0, not both 0).
 * Returns 0, or -1 when the profile is full or the values are out of range. */
int lg_profile_add(lg_profile_t *self, double seconds, double r0, double r1);

/* Seconds covered, and the target rate at t seconds (0 outside). */
double lg_profile_length(const lg_profile_t *self);
double lg_profile_rate(const lg_profile_t *self, double t);

/* Expected arrivals in [0, t) (the integral of the rate), and its inverse: the time at which
 * u arrivals are expected (a negative number when u is at or past the end's). */
double lg_profile_expected(const lg_profile_t *self, double t);
double lg_profile_time(const lg_profile_t *self, double u);

typedef struct {
    const lg_profile_t *profile;
    uint64_t t0_ns;
    lg_arrivals_t arrivals;
    int threads, index;
    uint64_t k;       /* arrivals taken */
    double u;         /* expected-arrival time of the next one */
    uint64_t rng;     /* Poisson: splitmix64 state */
    uint64_t next_ns; /* intended time of the next one; UINT64_MAX when the profile ended */
} lg_sched_t;

/* Sets up thread index (0..threads-1) of an open-loop run of profile starting at t0_ns.
 * seed makes the Poisson draws (the same seed, the same arrivals). profile must outlive it. */
void lg_sched_init(lg_sched_t *self, uint64_t t0_ns, const lg_profile_t *profile,
                   lg_arrivals_t arrivals, uint64_t seed, int threads, int index);

/* Intended start (ns) of this thread's next arrival; UINT64_MAX when there is none. */
static inline uint64_t lg_sched_next(const lg_sched_t *self) { return self->next_ns; }

/* The next arrival was started: moves on to the one after. */
void lg_sched_take(lg_sched_t *self);

/* Nanoseconds from now_ns until the next arrival is due (0 when it is due). */
uint64_t lg_sched_wait_ns(const lg_sched_t *self, uint64_t now_ns);

/* Latency of an answer at done_ns for an arrival intended at intended_ns (0 if earlier). */
static inline uint64_t lg_sched_latency(uint64_t intended_ns, uint64_t done_ns) {
    return done_ns > intended_ns ? done_ns - intended_ns : 0;
}

#endif
