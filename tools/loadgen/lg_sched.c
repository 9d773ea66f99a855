/* lg_sched: arrival times of an open-loop run (see lg_sched.h). Uniform times are computed
 * from the arrival index each time rather than by adding intervals up, so rounding never
 * accumulates over millions of arrivals; Poisson times add exponential draws, which is the
 * process itself. The inverse of a linear segment is the root of a quadratic, taken in the
 * form that stays exact when the rate is constant or starts at 0. */
#include "lg_sched.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>

int lg_profile_add(lg_profile_t *self, double seconds, double r0, double r1) {
    if (self->nsegs == LG_PROFILE_SEGS || !(seconds > 0) || !(r0 >= 0) || !(r1 >= 0) ||
        r0 + r1 <= 0)
        return -1;
    lg_seg_t *s = &self->segs[self->nsegs];
    const lg_seg_t *prev = self->nsegs ? &self->segs[self->nsegs - 1] : NULL;
    s->t0 = prev ? prev->t1 : 0;
    s->t1 = s->t0 + seconds;
    s->r0 = r0;
    s->r1 = r1;
    s->u0 = prev ? prev->u0 + (prev->r0 + prev->r1) / 2 * (prev->t1 - prev->t0) : 0;
    self->nsegs++;
    return 0;
}

double lg_profile_length(const lg_profile_t *self) {
    return self->nsegs ? self->segs[self->nsegs - 1].t1 : 0;
}

double lg_profile_rate(const lg_profile_t *self, double t) {
    for (int i = 0; i < self->nsegs; i++) {
        const lg_seg_t *s = &self->segs[i];
        if (t >= s->t0 && t < s->t1)
            return s->r0 + (s->r1 - s->r0) * (t - s->t0) / (s->t1 - s->t0);
    }
    return 0;
}

double lg_profile_expected(const lg_profile_t *self, double t) {
    for (int i = 0; i < self->nsegs; i++) {
        const lg_seg_t *s = &self->segs[i];
        if (t < s->t1) {
            double x = t > s->t0 ? t - s->t0 : 0;
            double slope = (s->r1 - s->r0) / (s->t1 - s->t0);
            return s->u0 + s->r0 * x + slope * x * x / 2;
        }
    }
    if (!self->nsegs)
        return 0;
    const lg_seg_t *last = &self->segs[self->nsegs - 1];
    return last->u0 + (last->r0 + last->r1) / 2 * (last->t1 - last->t0);
}

double lg_profile_time(const lg_profile_t *self, double u) {
    for (int i = 0; i < self->nsegs; i++) {
        const lg_seg_t *s = &self->segs[i];
        double len = s->t1 - s->t0;
        double du = u - s->u0;
        if (du >= (s->r0 + s->r1) / 2 * len)
            continue;
        if (du <= 0)
            return s->t0;
        double slope = (s->r1 - s->r0) / len;
        /* r0 x + slope x^2 / 2 = du: x = 2 du / (r0 + sqrt(r0^2 + 2 slope du)). */
        double disc = s->r0 * s->r0 + 2 * slope * du;
        double x = 2 * du / (s->r0 + sqrt(disc > 0 ? disc : 0));
        return s->t0 + (x < len ? x : len);
    }
    return -1;
}

/* splitmix64: small, fast, and every seed gives a full-period stream. */
static uint64_t s_next(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* An Exp(1) draw: -log(1 - U), U uniform in [0, 1) with 53 bits. */
static double s_exp(uint64_t *state) {
    double unit = (double)(s_next(state) >> 11) * 0x1.0p-53;
    return -log1p(-unit);
}

static void s_place(lg_sched_t *self) {
    double t = lg_profile_time(self->profile, self->u);
    self->next_ns = t < 0 ? UINT64_MAX : self->t0_ns + (uint64_t)llround(t * 1e9);
}

void lg_sched_init(lg_sched_t *self, uint64_t t0_ns, const lg_profile_t *profile,
                   lg_arrivals_t arrivals, uint64_t seed, int threads, int index) {
    assert(threads > 0 && index >= 0 && index < threads);
    self->profile = profile;
    self->t0_ns = t0_ns;
    self->arrivals = arrivals;
    self->threads = threads;
    self->index = index;
    self->k = 0;
    self->rng = seed ^ (0xd1b54a32d192ed03ull * (uint64_t)(index + 1));
    if (arrivals == LG_ARRIVALS_POISSON)
        self->u = s_exp(&self->rng) * threads;
    else
        self->u = index;
    s_place(self);
}

void lg_sched_take(lg_sched_t *self) {
    self->k++;
    if (self->arrivals == LG_ARRIVALS_POISSON)
        self->u += s_exp(&self->rng) * self->threads;
    else
        self->u = (double)self->index + (double)self->k * self->threads;
    s_place(self);
}

uint64_t lg_sched_wait_ns(const lg_sched_t *self, uint64_t now_ns) {
    return self->next_ns > now_ns ? self->next_ns - now_ns : 0;
}
