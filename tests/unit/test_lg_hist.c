/* lg_hist: exact below 256, within 1/128 above, percentiles by rank, merge = one histogram
 * of everything, the range clamped at the top. */
#include <math.h>
#include <stdint.h>

#include "lg_hist.h"
#include "tap.h"

/* Every value maps into a bucket whose bounds hold it and are within 1/128 of it. */
static void s_buckets(void) {
    for (uint64_t v = 0; v < 256; v++) {
        size_t i = lg_hist_index(v);
        CHECK(i == v, "exact bucket for %llu: %zu", (unsigned long long)v, i);
        CHECK(lg_hist_lowest(i) == v && lg_hist_highest(i) == v, "exact bounds %zu", i);
    }
    uint64_t samples[] = {256,     257,     300,      511,           512,
                          1000,    4095,    4096,     123456,        999999,
                          1000000, 1000001, 87654321, 5000000000ull, ((uint64_t)1 << 40) - 1};
    for (size_t k = 0; k < sizeof(samples) / sizeof(samples[0]); k++) {
        uint64_t v = samples[k];
        size_t i = lg_hist_index(v);
        CHECK(i < LG_HIST_BUCKETS, "index in range for %llu", (unsigned long long)v);
        CHECK(lg_hist_lowest(i) <= v && v <= lg_hist_highest(i), "bounds hold %llu",
              (unsigned long long)v);
        double width = (double)(lg_hist_highest(i) - lg_hist_lowest(i) + 1);
        CHECK(width / (double)v <= 1.0 / 128 + 1e-12, "width %.0f for %llu", width,
              (unsigned long long)v);
    }
    /* Buckets tile the range: each starts right after the previous one ends. */
    int gaps = 0;
    for (size_t i = 1; i < LG_HIST_BUCKETS; i++)
        gaps += lg_hist_lowest(i) != lg_hist_highest(i - 1) + 1;
    CHECK(gaps == 0, "%d gaps between buckets", gaps);
    CHECK(lg_hist_index((uint64_t)1 << 50) == LG_HIST_BUCKETS - 1, "huge values clamp");
    CHECK(lg_hist_highest(LG_HIST_BUCKETS - 1) == ((uint64_t)1 << 40) - 1, "top bucket end");
}

/* 1..10000 ns once each: percentiles land within the bucket error of the exact rank. */
static void s_percentiles(void) {
    lg_hist_t *h = lg_hist_new();
    CHECK(h != NULL, "new");
    if (!h)
        return;
    CHECK(lg_hist_percentile(h, 99) == 0 && lg_hist_count(h) == 0, "empty gives 0");
    for (uint64_t v = 1; v <= 10000; v++)
        lg_hist_record(h, v);
    CHECK(lg_hist_count(h) == 10000, "count");
    CHECK(lg_hist_min(h) == 1 && lg_hist_max(h) == 10000, "min %llu max %llu",
          (unsigned long long)lg_hist_min(h), (unsigned long long)lg_hist_max(h));
    CHECK(fabs(lg_hist_mean(h) - 5000.5) < 1e-6, "mean %f", lg_hist_mean(h));
    double ps[] = {50, 90, 99, 99.9};
    double want[] = {5000, 9000, 9900, 9990};
    for (int i = 0; i < 4; i++) {
        double got = (double)lg_hist_percentile(h, ps[i]);
        CHECK(got >= want[i] && got <= want[i] * (1 + 1.0 / 128), "p%g = %.0f, want ~%.0f", ps[i],
              got, want[i]);
    }
    CHECK(lg_hist_percentile(h, 100) == 10000, "p100 is the max");
    CHECK(lg_hist_percentile(h, 0) == 1, "p0 is the first value");
    lg_hist_reset(h);
    CHECK(lg_hist_count(h) == 0 && lg_hist_max(h) == 0, "reset");
    /* Exact region: 1000 values of 100 and 1 of 200 -> p99.9 is 100, p100 is 200. */
    for (int i = 0; i < 999; i++)
        lg_hist_record(h, 100);
    lg_hist_record(h, 200);
    CHECK(lg_hist_percentile(h, 99.9) == 100, "p99.9 of 999x100+200: %llu",
          (unsigned long long)lg_hist_percentile(h, 99.9));
    CHECK(lg_hist_percentile(h, 99.95) == 200, "beyond it: the outlier");
    /* Percentiles never exceed the max, even inside a wide bucket. */
    lg_hist_reset(h);
    lg_hist_record(h, 1000001);
    CHECK(lg_hist_percentile(h, 50) == 1000001, "single value is exact: %llu",
          (unsigned long long)lg_hist_percentile(h, 50));
    lg_hist_destroy(&h);
    CHECK(h == NULL, "destroy nulls");
    lg_hist_destroy(&h);
    lg_hist_destroy(NULL);
}

/* Two halves merged equal one histogram of everything. */
static void s_merge(void) {
    lg_hist_t *a = lg_hist_new(), *b = lg_hist_new(), *all = lg_hist_new(), *empty = lg_hist_new();
    CHECK(a && b && all && empty, "new");
    if (!a || !b || !all || !empty) {
        lg_hist_destroy(&a);
        lg_hist_destroy(&b);
        lg_hist_destroy(&all);
        lg_hist_destroy(&empty);
        return;
    }
    uint64_t x = 88172645463325252ull; /* xorshift64: the same values every run */
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t v = x % 50000000u;
        lg_hist_record(i % 2 ? a : b, v);
        lg_hist_record(all, v);
    }
    lg_hist_merge(a, b);
    lg_hist_merge(a, empty);
    CHECK(lg_hist_count(a) == lg_hist_count(all), "count");
    CHECK(lg_hist_min(a) == lg_hist_min(all) && lg_hist_max(a) == lg_hist_max(all), "min/max");
    double ps[] = {1, 50, 90, 99, 99.9, 99.99};
    for (int i = 0; i < 6; i++)
        CHECK(lg_hist_percentile(a, ps[i]) == lg_hist_percentile(all, ps[i]), "p%g", ps[i]);
    lg_hist_merge(empty, all);
    CHECK(lg_hist_min(empty) == lg_hist_min(all), "merge into empty takes min");
    lg_hist_destroy(&a);
    lg_hist_destroy(&b);
    lg_hist_destroy(&all);
    lg_hist_destroy(&empty);
}

int main(void) {
    s_buckets();
    s_percentiles();
    s_merge();
    return TEST_DONE();
}
