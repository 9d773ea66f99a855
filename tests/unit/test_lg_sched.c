/* lg_sched: intended start times of an open-loop run: exact rate, threads interleaving into
 * one even stream, no drift, waits to the nanosecond; the rate profile (ramps, steps) and
 * its inverse; Poisson arrivals with exponential gaps (coefficient of variation ~1, against
 * ~0 for uniform), the same seed giving the same arrivals, and a ramp's rate followed. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "lg_sched.h"
#include "tap.h"

#define NS 1000000000ull

static int s_cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The k-th arrival of a fresh schedule (k = 0 is the first). */
static uint64_t s_at(const lg_profile_t *p, uint64_t t0, int threads, int index, uint64_t k) {
    lg_sched_t s;
    lg_sched_init(&s, t0, p, LG_ARRIVALS_UNIFORM, 1, threads, index);
    for (uint64_t i = 0; i < k; i++)
        lg_sched_take(&s);
    return lg_sched_next(&s);
}

static lg_profile_t s_fixed(double rate, double seconds) {
    lg_profile_t p = {0};
    lg_profile_add(&p, seconds, rate, rate);
    return p;
}

static void s_uniform(void) {
    uint64_t t0 = 5 * NS;
    lg_profile_t p = s_fixed(1000, 100);
    lg_sched_t s;
    lg_sched_init(&s, t0, &p, LG_ARRIVALS_UNIFORM, 7, 1, 0);
    CHECK(lg_sched_next(&s) == t0, "first at t0");
    CHECK(lg_sched_wait_ns(&s, t0) == 0 && lg_sched_wait_ns(&s, t0 + 7) == 0, "due: no wait");
    lg_sched_take(&s);
    CHECK(lg_sched_next(&s) == t0 + 1000000, "second 1 ms later");
    CHECK(lg_sched_wait_ns(&s, t0 + 1) == 999999, "to the nanosecond");
    CHECK(s_at(&p, t0, 1, 0, 1000) == t0 + NS, "1000th one second later");

    /* A rate that does not divide a second: no drift after a million arrivals. */
    lg_profile_t slow = s_fixed(3, 2000000);
    uint64_t at = s_at(&slow, t0, 1, 0, 3000000); /* 1,000,000 s later */
    CHECK(at == t0 + 1000000 * NS, "no drift: off by %lld ns",
          (long long)(at - (t0 + 1000000 * NS)));

    /* The profile ends: no arrival after it. */
    lg_profile_t shortp = s_fixed(10, 1);
    lg_sched_init(&s, t0, &shortp, LG_ARRIVALS_UNIFORM, 7, 1, 0);
    int n = 0;
    while (lg_sched_next(&s) != UINT64_MAX && n < 100)
        lg_sched_take(&s), n++;
    CHECK(n == 10, "10/s for 1 s: %d arrivals", n);

    /* Four threads at 4000/s together: one even stream every 250 us, interleaved. */
    enum { T = 4, PER = 1000 };
    uint64_t *all = malloc(sizeof(uint64_t) * T * PER);
    CHECK(all != NULL, "malloc");
    if (!all)
        return;
    lg_profile_t fast = s_fixed(4000, 10);
    for (int j = 0; j < T; j++) {
        lg_sched_init(&s, t0, &fast, LG_ARRIVALS_UNIFORM, 7, T, j);
        for (int k = 0; k < PER; k++, lg_sched_take(&s))
            all[j * PER + k] = lg_sched_next(&s);
    }
    qsort(all, T * PER, sizeof(uint64_t), s_cmp);
    int uneven = 0;
    for (int i = 1; i < T * PER; i++)
        uneven += all[i] - all[i - 1] != 250000;
    CHECK(uneven == 0, "%d uneven gaps in the merged stream", uneven);
    CHECK(s_at(&fast, t0, T, 1, 0) == t0 + 250000, "thread 1 starts a quarter period later");
    free(all);

    CHECK(lg_sched_latency(100, 350) == 250, "latency from the intended time");
    CHECK(lg_sched_latency(350, 100) == 0, "never negative");
}

static void s_profile(void) {
    lg_profile_t p = {0};
    /* 2 s at 100/s, a ramp 100 -> 300 over 2 s, 1 s at 50/s. */
    CHECK(lg_profile_add(&p, 2, 100, 100) == 0, "add");
    CHECK(lg_profile_add(&p, 2, 100, 300) == 0, "add");
    CHECK(lg_profile_add(&p, 1, 50, 50) == 0, "add");
    CHECK(lg_profile_add(&p, 0, 50, 50) == -1 && lg_profile_add(&p, 1, 0, 0) == -1 &&
              lg_profile_add(&p, 1, -1, 5) == -1,
          "bad segments refused");
    CHECK(fabs(lg_profile_length(&p) - 5) < 1e-12, "length");
    CHECK(fabs(lg_profile_rate(&p, 1) - 100) < 1e-9, "rate in step");
    CHECK(fabs(lg_profile_rate(&p, 3) - 200) < 1e-9, "rate mid-ramp");
    CHECK(lg_profile_rate(&p, 6) == 0, "rate after the end");
    CHECK(fabs(lg_profile_expected(&p, 2) - 200) < 1e-9, "200 in the first 2 s");
    CHECK(fabs(lg_profile_expected(&p, 4) - 600) < 1e-9, "400 in the ramp");
    CHECK(fabs(lg_profile_expected(&p, 9) - 650) < 1e-9, "650 in all");
    int bad = 0;
    for (int i = 0; i < 500; i++) {
        double t = i / 100.0;
        bad += fabs(lg_profile_time(&p, lg_profile_expected(&p, t)) - t) > 1e-9;
    }
    CHECK(bad == 0, "time inverts expected: %d misses", bad);
    CHECK(lg_profile_time(&p, 650) < 0, "no time for the 651st");

    /* A ramp from 0: uniform arrivals fill it with the rate rising (gaps shrinking). */
    lg_profile_t r = {0};
    lg_profile_add(&r, 10, 0, 200); /* 1000 arrivals */
    lg_sched_t s;
    lg_sched_init(&s, 0, &r, LG_ARRIVALS_UNIFORM, 1, 1, 0);
    uint64_t prev = lg_sched_next(&s), first_gap = 0, last_gap = 0;
    int n = 1, shrinking = 1;
    CHECK(prev == 0, "first at the start: %llu", (unsigned long long)prev);
    for (lg_sched_take(&s); lg_sched_next(&s) != UINT64_MAX; lg_sched_take(&s), n++) {
        uint64_t gap = lg_sched_next(&s) - prev;
        if (!first_gap)
            first_gap = gap;
        shrinking &= !last_gap || gap <= last_gap + 1;
        last_gap = gap;
        prev = lg_sched_next(&s);
    }
    CHECK(n == 1000, "1000 arrivals in the ramp: %d", n);
    CHECK(shrinking && first_gap > 10 * last_gap, "gaps shrink: %llu ns then %llu ns",
          (unsigned long long)first_gap, (unsigned long long)last_gap);
}

/* Coefficient of variation of the gaps of n arrivals of one schedule. */
static double s_cv(lg_arrivals_t kind, uint64_t seed, int threads, int n, double *mean_gap) {
    lg_profile_t p = s_fixed(1000, 1000);
    lg_sched_t *th = calloc((size_t)threads, sizeof(*th));
    uint64_t *at = malloc(sizeof(uint64_t) * (size_t)n);
    *mean_gap = 0;
    if (!th || !at) {
        free(th);
        free(at);
        return -1;
    }
    for (int j = 0; j < threads; j++)
        lg_sched_init(&th[j], 0, &p, kind, seed, threads, j);
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int j = 1; j < threads; j++)
            best = lg_sched_next(&th[j]) < lg_sched_next(&th[best]) ? j : best;
        at[i] = lg_sched_next(&th[best]);
        lg_sched_take(&th[best]);
    }
    double sum = 0, sq = 0;
    for (int i = 1; i < n; i++)
        sum += (double)(at[i] - at[i - 1]);
    double mean = sum / (n - 1);
    for (int i = 1; i < n; i++)
        sq += ((double)(at[i] - at[i - 1]) - mean) * ((double)(at[i] - at[i - 1]) - mean);
    *mean_gap = mean;
    free(th);
    free(at);
    return sqrt(sq / (n - 2)) / mean;
}

static void s_poisson(void) {
    double mean;
    double cv = s_cv(LG_ARRIVALS_POISSON, 42, 1, 20000, &mean);
    CHECK(fabs(cv - 1) < 0.05, "Poisson gaps: CV %.3f, want ~1", cv);
    CHECK(fabs(mean - 1e6) < 0.03e6, "Poisson gaps: mean %.0f ns at 1000/s", mean);
    cv = s_cv(LG_ARRIVALS_POISSON, 42, 4, 20000, &mean);
    CHECK(fabs(cv - 1) < 0.05, "4 threads together are one Poisson stream: CV %.3f", cv);
    CHECK(fabs(mean - 1e6) < 0.03e6, "4 threads: mean %.0f ns", mean);
    cv = s_cv(LG_ARRIVALS_UNIFORM, 42, 1, 20000, &mean);
    CHECK(cv < 1e-6, "uniform gaps: CV %.3g, want 0", cv);

    /* The same seed gives the same arrivals; another seed others. */
    lg_profile_t p = s_fixed(100, 100);
    lg_sched_t a, b, c;
    lg_sched_init(&a, 0, &p, LG_ARRIVALS_POISSON, 7, 2, 1);
    lg_sched_init(&b, 0, &p, LG_ARRIVALS_POISSON, 7, 2, 1);
    lg_sched_init(&c, 0, &p, LG_ARRIVALS_POISSON, 8, 2, 1);
    int same = 0, differ = 0;
    for (int i = 0; i < 100; i++) {
        same += lg_sched_next(&a) == lg_sched_next(&b);
        differ += lg_sched_next(&a) != lg_sched_next(&c);
        lg_sched_take(&a), lg_sched_take(&b), lg_sched_take(&c);
    }
    CHECK(same == 100 && differ > 95, "seeded: %d same, %d differ", same, differ);

    /* Poisson on a ramp 100 -> 900/s over 10 s: about 5000 arrivals, 4x as many in the last
     * quarter as in the first (the counts the profile expects, within 4 sigma). */
    lg_profile_t r = {0};
    lg_profile_add(&r, 10, 100, 900);
    lg_sched_t s;
    lg_sched_init(&s, 0, &r, LG_ARRIVALS_POISSON, 99, 1, 0);
    int n = 0, q1 = 0, q4 = 0;
    for (; lg_sched_next(&s) != UINT64_MAX; lg_sched_take(&s), n++) {
        double t = (double)lg_sched_next(&s) / 1e9;
        q1 += t < 2.5;
        q4 += t >= 7.5;
    }
    double e1 = lg_profile_expected(&r, 2.5), e4 = 5000 - lg_profile_expected(&r, 7.5);
    CHECK(fabs((double)n - 5000) < 4 * sqrt(5000), "ramp: %d arrivals, expected 5000", n);
    CHECK(fabs((double)q1 - e1) < 4 * sqrt(e1) && fabs((double)q4 - e4) < 4 * sqrt(e4),
          "ramp quarters: %d (expected %.0f) and %d (expected %.0f)", q1, e1, q4, e4);
}

int main(void) {
    s_uniform();
    s_profile();
    s_poisson();
    return TEST_DONE();
}
