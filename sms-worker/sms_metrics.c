/* sms_metrics: histogram bucketing and the Prometheus text format (see sms_metrics.h). */
#include "sms_metrics.h"

#include <stdarg.h>
#include <stdio.h>

const uint64_t sms_lat_bounds_ms[SMS_LAT_BUCKETS] = {250,   500,   1000,  2000,   5000,
                                                     10000, 30000, 60000, 300000, 3600000};

void sms_metrics_latency(sms_prov_stats_t *p, uint64_t ms) {
    int i = 0;
    while (i < SMS_LAT_BUCKETS && ms > sms_lat_bounds_ms[i])
        i++;
    p->latency[i]++;
    p->latency_count++;
    p->latency_sum_ms += ms;
}

typedef struct {
    char *out;
    size_t len, pos;
    int failed;
} s_buf_t;

__attribute__((format(printf, 2, 3))) static void s_put(s_buf_t *b, const char *fmt, ...) {
    if (b->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->out + b->pos, b->len - b->pos, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->len - b->pos)
        b->failed = 1;
    else
        b->pos += (size_t)n;
}

int sms_metrics_render(const sms_prov_stats_t *p, int n, uint64_t queued, uint64_t duplicates,
                       uint64_t sent, uint64_t dead, char *out, size_t outlen) {
    if (!out || outlen == 0)
        return -1;
    s_buf_t b = {out, outlen, 0, 0};
    out[0] = '\0';
    s_put(&b,
          "# TYPE dvcid_sms_queued_total counter\ndvcid_sms_queued_total{service=\"sms-worker\"} "
          "%llu\n",
          (unsigned long long)queued);
    s_put(&b,
          "# TYPE dvcid_sms_duplicates_total "
          "counter\ndvcid_sms_duplicates_total{service=\"sms-worker\"} %llu\n",
          (unsigned long long)duplicates);
    s_put(
        &b,
        "# TYPE dvcid_sms_sent_total counter\ndvcid_sms_sent_total{service=\"sms-worker\"} %llu\n",
        (unsigned long long)sent);
    s_put(
        &b,
        "# TYPE dvcid_sms_dead_total counter\ndvcid_sms_dead_total{service=\"sms-worker\"} %llu\n",
        (unsigned long long)dead);
    static const char *const names[] = {"submitted",   "sent",     "failed",     "unknown",
                                        "throttled",   "rejected", "retried",    "delivered",
                                        "undelivered", "expired",  "unconfirmed"};
    for (size_t c = 0; c < sizeof(names) / sizeof(names[0]); c++) {
        s_put(&b, "# TYPE dvcid_sms_provider_%s_total counter\n", names[c]);
        for (int i = 0; i < n; i++) {
            const uint64_t v[] = {p[i].submitted,   p[i].sent,     p[i].failed,     p[i].unknown,
                                  p[i].throttled,   p[i].rejected, p[i].retried,    p[i].delivered,
                                  p[i].undelivered, p[i].expired,  p[i].unconfirmed};
            s_put(&b, "dvcid_sms_provider_%s_total{service=\"sms-worker\",provider=\"%s\"} %llu\n",
                  names[c], p[i].name, (unsigned long long)v[c]);
        }
    }
    s_put(&b, "# TYPE dvcid_sms_provider_breaker gauge\n");
    for (int i = 0; i < n; i++)
        s_put(&b, "dvcid_sms_provider_breaker{service=\"sms-worker\",provider=\"%s\"} %d\n",
              p[i].name, p[i].breaker);
    s_put(&b, "# TYPE dvcid_sms_delivery_seconds histogram\n");
    for (int i = 0; i < n; i++) {
        uint64_t cum = 0;
        for (int k = 0; k <= SMS_LAT_BUCKETS; k++) {
            cum += p[i].latency[k];
            if (k < SMS_LAT_BUCKETS)
                s_put(&b,
                      "dvcid_sms_delivery_seconds_bucket{service=\"sms-worker\",provider=\"%s\",le="
                      "\"%g\"} %llu\n",
                      p[i].name, (double)sms_lat_bounds_ms[k] / 1000.0, (unsigned long long)cum);
            else
                s_put(&b,
                      "dvcid_sms_delivery_seconds_bucket{service=\"sms-worker\",provider=\"%s\",le="
                      "\"+Inf\"} %llu\n",
                      p[i].name, (unsigned long long)cum);
        }
        s_put(&b, "dvcid_sms_delivery_seconds_sum{service=\"sms-worker\",provider=\"%s\"} %.3f\n",
              p[i].name, (double)p[i].latency_sum_ms / 1000.0);
        s_put(&b, "dvcid_sms_delivery_seconds_count{service=\"sms-worker\",provider=\"%s\"} %llu\n",
              p[i].name, (unsigned long long)p[i].latency_count);
    }
    return b.failed ? -1 : (int)b.pos;
}
