/* lg_hist: an HdrHistogram of latencies with 3 significant digits. Values (nanoseconds)
 * below 2048 are counted exactly; above, each power of two is cut into 1024 equal buckets, so
 * any recorded value is known to within 1/1024 (0.1 %) of itself, over a range up to 2^40 ns
 * (18 min; larger values are counted in the top bucket). The layout is HdrHistogram's for
 * lowest value 1 and 3 significant digits (2048 sub-buckets), so its percentile text
 * (lg_hist_write_hgrm) reads as HdrHistogram's own. Recording is one index computation and one
 * increment; histograms of the same shape merge by adding counts (one per thread, merged at
 * the end). Not thread-safe: one writer at a time. */
#ifndef LG_HIST_H
#define LG_HIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LG_HIST_SUB_BITS 11 /* values below 2^11 are exact; 2^10 buckets per power of two */
#define LG_HIST_MAX_EXP 40  /* values >= 2^40 ns land in the last bucket */
#define LG_HIST_BUCKETS                                                                            \
    ((1u << LG_HIST_SUB_BITS) +                                                                    \
     (LG_HIST_MAX_EXP - LG_HIST_SUB_BITS) * (1u << (LG_HIST_SUB_BITS - 1)))

typedef struct lg_hist lg_hist_t;

/* A new, empty histogram, or NULL when out of memory. Caller owns it. */
lg_hist_t *lg_hist_new(void);

/* Frees *self and sets it to NULL; tolerates NULL and *self == NULL. */
void lg_hist_destroy(lg_hist_t **self);

/* Counts one value (ns). */
void lg_hist_record(lg_hist_t *self, uint64_t value);

/* Adds every count of src to dst (min, max and sum too). */
void lg_hist_merge(lg_hist_t *dst, const lg_hist_t *src);

/* Forgets every value. */
void lg_hist_reset(lg_hist_t *self);

/* How many values were recorded. */
uint64_t lg_hist_count(const lg_hist_t *self);

/* The exact smallest and largest recorded values; 0 when empty. */
uint64_t lg_hist_min(const lg_hist_t *self);
uint64_t lg_hist_max(const lg_hist_t *self);

/* The exact mean of the recorded values; 0 when empty. */
double lg_hist_mean(const lg_hist_t *self);

/* The value at percentile p (0..100): the highest value equivalent to the bucket that holds
 * the ceil(p/100 * count)-th smallest value (at least the first), never more than the
 * recorded max. p = 100 gives the max; an empty histogram gives 0. */
uint64_t lg_hist_percentile(const lg_hist_t *self, double p);

/* Writes the percentile distribution in HdrHistogram's text format (.hgrm, as its
 * outputPercentileDistribution and wrk2 write it): the header "Value Percentile TotalCount
 * 1/(1-Percentile)", a row per percentile step (5 ticks per half distance to 100 %), then the
 * Mean/StdDeviation, Max/Total count and Buckets/SubBuckets lines. Values are divided by
 * unit_ns (1e6: milliseconds) and printed with 3 decimals. Returns 0, or -1 on a write error. */
int lg_hist_write_hgrm(const lg_hist_t *self, FILE *f, double unit_ns);

/* The standard deviation of the recorded values, from the buckets' middles (as
 * HdrHistogram computes it); 0 when empty. */
double lg_hist_stddev(const lg_hist_t *self);

/* The bucket a value falls in (0 .. LG_HIST_BUCKETS-1), and the lowest and highest value
 * of a bucket: exposed for the tests. */
size_t lg_hist_index(uint64_t value);
uint64_t lg_hist_lowest(size_t index);
uint64_t lg_hist_highest(size_t index);

#endif
