/* lg_sched: intended start times of an open-loop run: exact rate, threads interleaving into
 * one even stream, due counts that agree with the times, waits rounded up, no drift. */
#include <stdint.h>
#include <stdlib.h>

#include "lg_sched.h"
#include "tap.h"

#define NS 1000000000ull

static int s_cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(void) {
    lg_sched_t s;
    uint64_t t0 = 5 * NS;

    /* One thread at 1000/s: every millisecond from t0. */
    lg_sched_init(&s, t0, 1000, 1, 0);
    CHECK(lg_sched_at(&s, 0) == t0, "first at t0");
    CHECK(lg_sched_at(&s, 1) == t0 + 1000000, "second 1 ms later");
    CHECK(lg_sched_at(&s, 1000) == t0 + NS, "1000th one second later");
    CHECK(lg_sched_due(&s, t0 - 1) == 0, "nothing due before t0");
    CHECK(lg_sched_due(&s, t0) == 1, "the first is due at t0");
    CHECK(lg_sched_due(&s, t0 + 999999) == 1, "still one just before the second");
    CHECK(lg_sched_due(&s, t0 + 1000000) == 2, "two at 1 ms");
    CHECK(lg_sched_due(&s, t0 + 10 * NS - 1) == 10000, "10000 in 10 s: %llu",
          (unsigned long long)lg_sched_due(&s, t0 + 10 * NS - 1));
    CHECK(lg_sched_wait_ns(&s, 0, t0) == 0, "due now: no wait");
    CHECK(lg_sched_wait_ns(&s, 0, t0 + 7) == 0, "overdue: no wait");
    CHECK(lg_sched_wait_ns(&s, 5, t0) == 5000000, "5 ms ahead");
    CHECK(lg_sched_wait_ns(&s, 1, t0 + 1) == 999999, "to the nanosecond");

    /* A rate that does not divide a second: no drift after a million arrivals. */
    lg_sched_init(&s, t0, 3, 1, 0);
    uint64_t at = lg_sched_at(&s, 3000000); /* 1,000,000 s later */
    CHECK(at == t0 + 1000000 * NS, "no drift: off by %lld ns",
          (long long)(at - (t0 + 1000000 * NS)));
    for (uint64_t k = 0; k < 1000; k++) {
        uint64_t a = lg_sched_at(&s, k);
        CHECK(lg_sched_due(&s, a) == k + 1 && (a == 0 || lg_sched_due(&s, a - 1) == k),
              "due agrees with at for %llu", (unsigned long long)k);
    }

    /* Four threads at 4000/s together: one even stream every 250 us, interleaved. */
    enum { T = 4, PER = 1000 };
    uint64_t *all = malloc(sizeof(uint64_t) * T * PER);
    CHECK(all != NULL, "malloc");
    if (!all)
        return TEST_DONE();
    lg_sched_t th[T];
    for (int j = 0; j < T; j++) {
        lg_sched_init(&th[j], t0, 4000, T, j);
        for (int k = 0; k < PER; k++)
            all[j * PER + k] = lg_sched_at(&th[j], (uint64_t)k);
    }
    qsort(all, T * PER, sizeof(uint64_t), s_cmp);
    int uneven = 0;
    for (int i = 1; i < T * PER; i++)
        uneven += all[i] - all[i - 1] != 250000;
    CHECK(uneven == 0, "%d uneven gaps in the merged stream", uneven);
    CHECK(lg_sched_at(&th[1], 0) == t0 + 250000, "thread 1 starts a quarter period later");
    uint64_t due = 0, when = t0 + NS / 2;
    for (int j = 0; j < T; j++)
        due += lg_sched_due(&th[j], when);
    CHECK(due == 2001, "half a second at 4000/s: %llu due (2000 plus the one at t0)",
          (unsigned long long)due);
    free(all);

    CHECK(lg_sched_latency(100, 350) == 250, "latency from the intended time");
    CHECK(lg_sched_latency(350, 100) == 0, "never negative");
    return TEST_DONE();
}
