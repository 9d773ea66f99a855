/* lg_hist: exact below 2048, within 1/1024 above (3 significant digits), percentiles by rank,
 * merge = one histogram of everything, the range clamped at the top, the .hgrm text. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lg_hist.h"
#include "tap.h"

#define EXACT (1u << LG_HIST_SUB_BITS)
#define REL (1.0 / (1u << (LG_HIST_SUB_BITS - 1)))

/* Every value maps into a bucket whose bounds hold it and are within 1/1024 of it. */
static void s_buckets(void) {
    CHECK(EXACT == 2048 && REL <= 1e-3, "3 significant digits: %u exact, %g", EXACT, REL);
    for (uint64_t v = 0; v < EXACT; v++) {
        size_t i = lg_hist_index(v);
        CHECK(i == v, "exact bucket for %llu: %zu", (unsigned long long)v, i);
        CHECK(lg_hist_lowest(i) == v && lg_hist_highest(i) == v, "exact bounds %zu", i);
    }
    uint64_t samples[] = {2048,    2049,    3000,     4095,          4096,
                          10000,   32767,   32768,    123456,        999999,
                          1000000, 1000001, 87654321, 5000000000ull, ((uint64_t)1 << 40) - 1};
    for (size_t k = 0; k < sizeof(samples) / sizeof(samples[0]); k++) {
        uint64_t v = samples[k];
        size_t i = lg_hist_index(v);
        CHECK(i < LG_HIST_BUCKETS, "index in range for %llu", (unsigned long long)v);
        CHECK(lg_hist_lowest(i) <= v && v <= lg_hist_highest(i), "bounds hold %llu",
              (unsigned long long)v);
        double width = (double)(lg_hist_highest(i) - lg_hist_lowest(i) + 1);
        CHECK(width / (double)v <= REL + 1e-12, "width %.0f for %llu", width,
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
        CHECK(got >= want[i] && got <= want[i] * (1 + REL), "p%g = %.0f, want ~%.0f", ps[i], got,
              want[i]);
    }
    CHECK(lg_hist_percentile(h, 100) == 10000, "p100 is the max");
    CHECK(lg_hist_percentile(h, 0) == 1, "p0 is the first value");
    lg_hist_reset(h);
    CHECK(lg_hist_count(h) == 0 && lg_hist_max(h) == 0, "reset");
    /* 2 significant digits would give 5000..5039 for p50; 3 give 5000..5004. */
    CHECK(lg_hist_percentile(h, 50) <= 5004, "p50 within 0.1 %%: %llu",
          (unsigned long long)lg_hist_percentile(h, 50));
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

/* The .hgrm text (ms) of values 1..n times step ns; caller frees. NULL out of memory. */
static char *s_hgrm_of(uint64_t n, uint64_t step) {
    lg_hist_t *h = lg_hist_new();
    char *text = NULL;
    size_t len = 0;
    FILE *f = h ? open_memstream(&text, &len) : NULL;
    if (f) {
        for (uint64_t v = 1; v <= n; v++)
            lg_hist_record(h, v * step);
        CHECK(lg_hist_write_hgrm(h, f, 1e6) == 0, "written");
        fclose(f);
    }
    lg_hist_destroy(&h);
    return text;
}

/* The .hgrm text: HdrHistogram's header and footer, percentiles and values that never go
 * down, counts that end at the total, the 100 % row last, and the values in the unit asked. */
static void s_hgrm(void) {
    char *text = s_hgrm_of(1000, 1000000); /* 1..1000 ms */
    CHECK(text != NULL, "new");
    if (!text)
        return;
    static const char head[] = "       Value     Percentile TotalCount 1/(1-Percentile)\n\n";
    CHECK(strncmp(text, head, sizeof(head) - 1) == 0, "header: %.60s", text);
    double last_v = -1, last_p = -1;
    unsigned long long last_c = 0;
    int rows = 0, bad = 0, hundred = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || line[strspn(line, " ")] == 'V')
            continue;
        /* value percentile count [1/(1-percentile)] */
        char *end = NULL;
        double v = strtod(line, &end), p = strtod(end, &end);
        unsigned long long c = strtoull(end, &end, 10);
        int n = end[strspn(end, " ")] ? 4 : 3;
        rows++;
        bad += v < last_v || p < last_p || c < last_c || p > 1.0 || hundred;
        hundred += n == 3; /* only the 100 % row lacks the last column */
        if (n == 3)
            bad += p != 1.0 || c != 1000 || v != 1000.0;
        last_v = v, last_p = p, last_c = c;
    }
    CHECK(bad == 0 && hundred == 1, "%d rows out of order, %d rows at 100 %%", bad, hundred);
    CHECK(rows > 50, "%d percentile rows", rows);
    free(text);
}

static void s_hgrm_footer(void) {
    char *text = s_hgrm_of(2, 2000000); /* 2 and 4 ms */
    CHECK(text != NULL, "new");
    if (!text)
        return;
    CHECK(strstr(text, "#[Mean    =        3.000, StdDeviation   =        1.000]\n") != NULL,
          "mean line: %s", text);
    CHECK(strstr(text, "#[Max     =        4.000, Total count    =            2]\n") != NULL,
          "max line: %s", text);
    CHECK(strstr(text, "#[Buckets =           30, SubBuckets     =         2048]\n") != NULL,
          "buckets line: %s", text);
    free(text);
}

int main(void) {
    s_hgrm();
    s_hgrm_footer();
    s_buckets();
    s_percentiles();
    s_merge();
    return TEST_DONE();
}
