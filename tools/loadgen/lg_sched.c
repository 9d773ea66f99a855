/* lg_sched: intended start times of an open-loop run (see lg_sched.h). Times are computed
 * from the arrival index each time rather than by adding the interval up, so rounding never
 * accumulates over millions of arrivals. */
#include "lg_sched.h"

#include <assert.h>
#include <math.h>

void lg_sched_init(lg_sched_t *self, uint64_t t0_ns, double total_rate, int threads, int index) {
    assert(total_rate > 0 && threads > 0 && index >= 0 && index < threads);
    double spacing = 1e9 / total_rate; /* between two arrivals of the whole run */
    self->first_ns = t0_ns + (uint64_t)llround(spacing * index);
    self->interval_ns = spacing * threads;
}

uint64_t lg_sched_at(const lg_sched_t *self, uint64_t k) {
    return self->first_ns + (uint64_t)llround(self->interval_ns * (double)k);
}

uint64_t lg_sched_due(const lg_sched_t *self, uint64_t now_ns) {
    if (now_ns < self->first_ns)
        return 0;
    uint64_t n = (uint64_t)((double)(now_ns - self->first_ns) / self->interval_ns) + 1;
    /* The division may land one off on either side of an exact boundary: settle it on the
     * same rounding lg_sched_at uses. */
    while (n > 0 && lg_sched_at(self, n - 1) > now_ns)
        n--;
    while (lg_sched_at(self, n) <= now_ns)
        n++;
    return n;
}

uint64_t lg_sched_wait_ns(const lg_sched_t *self, uint64_t k, uint64_t now_ns) {
    uint64_t at = lg_sched_at(self, k);
    return at > now_ns ? at - now_ns : 0;
}
