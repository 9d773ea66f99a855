/* lg_hist: the log-linear histogram of lg_hist.h. The layout is HdrHistogram's with one
 * sub-bucket count for all magnitudes: bucket i < 2048 holds exactly the value i; above, the
 * magnitude e = floor(log2 v) picks a run of 1024 buckets and the 10 bits below the leading
 * one pick the bucket inside it. */
#include "lg_hist.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define S_EXACT (1u << LG_HIST_SUB_BITS)      /* values counted one per bucket */
#define S_HALF (1u << (LG_HIST_SUB_BITS - 1)) /* buckets per power of two above that */
#define S_TOP ((uint64_t)1 << LG_HIST_MAX_EXP)

struct lg_hist {
    uint64_t count;
    uint64_t min, max;
    double sum;
    uint64_t counts[LG_HIST_BUCKETS];
};

lg_hist_t *lg_hist_new(void) {
    lg_hist_t *self = calloc(1, sizeof(*self));
    return self;
}

void lg_hist_destroy(lg_hist_t **self) {
    if (!self || !*self)
        return;
    free(*self);
    *self = NULL;
}

size_t lg_hist_index(uint64_t value) {
    if (value < S_EXACT)
        return (size_t)value;
    if (value >= S_TOP)
        value = S_TOP - 1;
    unsigned e = 63u - (unsigned)__builtin_clzll(value); /* >= LG_HIST_SUB_BITS */
    unsigned shift = e - (LG_HIST_SUB_BITS - 1);
    uint64_t mantissa = value >> shift; /* in [S_HALF, 2 * S_HALF) */
    return S_EXACT + (size_t)(e - LG_HIST_SUB_BITS) * S_HALF + (size_t)(mantissa - S_HALF);
}

uint64_t lg_hist_lowest(size_t index) {
    if (index < S_EXACT)
        return index;
    size_t above = index - S_EXACT;
    unsigned e = LG_HIST_SUB_BITS + (unsigned)(above / S_HALF);
    uint64_t mantissa = S_HALF + above % S_HALF;
    return mantissa << (e - (LG_HIST_SUB_BITS - 1));
}

uint64_t lg_hist_highest(size_t index) {
    if (index < S_EXACT)
        return index;
    size_t above = index - S_EXACT;
    unsigned e = LG_HIST_SUB_BITS + (unsigned)(above / S_HALF);
    return lg_hist_lowest(index) + ((uint64_t)1 << (e - (LG_HIST_SUB_BITS - 1))) - 1;
}

void lg_hist_record(lg_hist_t *self, uint64_t value) {
    self->counts[lg_hist_index(value)]++;
    if (self->count == 0 || value < self->min)
        self->min = value;
    if (value > self->max)
        self->max = value;
    self->count++;
    self->sum += (double)value;
}

void lg_hist_merge(lg_hist_t *dst, const lg_hist_t *src) {
    if (src->count == 0)
        return;
    for (size_t i = 0; i < LG_HIST_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    if (dst->count == 0 || src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    dst->count += src->count;
    dst->sum += src->sum;
}

void lg_hist_reset(lg_hist_t *self) { memset(self, 0, sizeof(*self)); }

uint64_t lg_hist_count(const lg_hist_t *self) { return self->count; }

uint64_t lg_hist_min(const lg_hist_t *self) { return self->min; }

uint64_t lg_hist_max(const lg_hist_t *self) { return self->max; }

double lg_hist_mean(const lg_hist_t *self) {
    return self->count ? self->sum / (double)self->count : 0.0;
}

uint64_t lg_hist_percentile(const lg_hist_t *self, double p) {
    if (self->count == 0)
        return 0;
    if (p >= 100.0)
        return self->max;
    if (p < 0.0)
        p = 0.0;
    /* The rank of the wanted value, 1-based; the epsilon keeps 99.9 % of 1000 at 999. */
    double want = p / 100.0 * (double)self->count;
    uint64_t rank = (uint64_t)(want - 1e-9);
    if ((double)rank < want - 1e-9)
        rank++;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < LG_HIST_BUCKETS; i++) {
        seen += self->counts[i];
        if (seen >= rank) {
            uint64_t v = lg_hist_highest(i);
            return v < self->max ? v : self->max;
        }
    }
    return self->max;
}

double lg_hist_stddev(const lg_hist_t *self) {
    if (self->count == 0)
        return 0.0;
    double mean = lg_hist_mean(self), sq = 0.0;
    for (size_t i = 0; i < LG_HIST_BUCKETS; i++) {
        if (!self->counts[i])
            continue;
        double mid = ((double)lg_hist_lowest(i) + (double)lg_hist_highest(i)) / 2.0 - mean;
        sq += mid * mid * (double)self->counts[i];
    }
    return sqrt(sq / (double)self->count);
}

/* HdrHistogram's PercentileIterator: the levels to report go 0, then in steps that halve
 * each time the distance to 100 % halves (ticks per half distance each), and every bucket
 * that reaches a level is reported at that level with its highest equivalent value. */
int lg_hist_write_hgrm(const lg_hist_t *self, FILE *f, double unit_ns) {
    enum { TICKS = 5 };
    fprintf(f, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
    uint64_t total = self->count, seen = 0;
    double level = 0.0;
    for (size_t i = 0; i < LG_HIST_BUCKETS && seen < total; i++) {
        if (!self->counts[i])
            continue;
        seen += self->counts[i];
        uint64_t top = lg_hist_highest(i);
        double value = (double)(top < self->max ? top : self->max) / unit_ns;
        double reached = 100.0 * (double)seen / (double)total;
        bool last = seen == total;
        /* The last bucket gets one level row, then the 100 % row, as HdrHistogram's does. */
        while (reached >= level) {
            fprintf(f, "%12.3f %2.12f %10llu %14.2f\n", value, level / 100.0,
                    (unsigned long long)seen, 1.0 / (1.0 - level / 100.0));
            double ticks = TICKS * pow(2.0, floor(log2(100.0 / (100.0 - level))) + 1);
            level += 100.0 / ticks;
            if (last)
                break;
        }
        if (last)
            fprintf(f, "%12.3f %2.12f %10llu\n", value, 1.0, (unsigned long long)seen);
    }
    fprintf(f, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", lg_hist_mean(self) / unit_ns,
            lg_hist_stddev(self) / unit_ns);
    fprintf(f, "#[Max     = %12.3f, Total count    = %12llu]\n", (double)self->max / unit_ns,
            (unsigned long long)total);
    fprintf(f, "#[Buckets = %12u, SubBuckets     = %12u]\n",
            (unsigned)(LG_HIST_MAX_EXP - LG_HIST_SUB_BITS + 1), S_EXACT);
    return ferror(f) ? -1 : 0;
}
