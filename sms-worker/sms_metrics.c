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
                       uint64_t sent, uint64_t dead, const char *labels, char *out, size_t outlen) {
    if (!out || outlen == 0)
        return -1;
    s_buf_t b = {out, outlen, 0, 0};
    out[0] = '\0';
    static const struct {
        const char *name, *help;
    } totals[] = {
        {"queued", "SMS jobs taken into the queue (first copies, not duplicates)"},
        {"duplicates", "SmsSend requests for a message id already queued (not sent again)"},
        {"sent", "SMS messages taken by a provider, the file provider included"},
        {"dead", "SMS jobs dead-lettered after their last try"}};
    const uint64_t tv[] = {queued, duplicates, sent, dead};
    for (size_t t = 0; t < sizeof(totals) / sizeof(totals[0]); t++)
        s_put(&b,
              "# HELP dvcid_sms_%s_total %s\n# TYPE dvcid_sms_%s_total counter\n"
              "dvcid_sms_%s_total{%s} %llu\n",
              totals[t].name, totals[t].help, totals[t].name, totals[t].name, labels,
              (unsigned long long)tv[t]);
    static const struct {
        const char *name, *help;
    } per[] = {{"submitted", "SMS handed to the provider"},
               {"sent", "SMS the provider accepted"},
               {"failed", "SMS the provider refused or answered badly"},
               {"unknown", "SMS whose outcome is unknown (timeout, link lost with it out)"},
               {"throttled", "Times the provider asked to slow down"},
               {"rejected", "SMS the provider refused for good (dead-lettered)"},
               {"retried", "Provider outcomes that sent the SMS back to the queue"},
               {"delivered", "Delivery receipts: delivered"},
               {"undelivered", "Delivery receipts: not delivered"},
               {"expired", "Delivery receipts: expired"},
               {"unconfirmed", "SMS with no delivery receipt in time"}};
    for (size_t c = 0; c < sizeof(per) / sizeof(per[0]); c++) {
        s_put(&b, "# HELP dvcid_sms_provider_%s_total %s, by provider\n", per[c].name, per[c].help);
        s_put(&b, "# TYPE dvcid_sms_provider_%s_total counter\n", per[c].name);
        for (int i = 0; i < n; i++) {
            const uint64_t v[] = {p[i].submitted,   p[i].sent,     p[i].failed,     p[i].unknown,
                                  p[i].throttled,   p[i].rejected, p[i].retried,    p[i].delivered,
                                  p[i].undelivered, p[i].expired,  p[i].unconfirmed};
            s_put(&b, "dvcid_sms_provider_%s_total{%s,provider=\"%s\"} %llu\n", per[c].name, labels,
                  p[i].name, (unsigned long long)v[c]);
        }
    }
    /* Gauges, one value per provider: the breaker, and the capacity the send rate is
     * measured against (a rate near it means the queue grows at the next peak). */
    static const struct {
        const char *name, *help;
    } gauges[] = {{"breaker", "Circuit breaker of each provider: 0 closed (sending), 1 open "
                              "(resting), 2 half-open (trying one)"},
                  {"tps_limit", "Most SMS per second handed to each provider (sms.http_tps or "
                                "smpp_tps; 0: no limit)"}};
    for (size_t g = 0; g < sizeof(gauges) / sizeof(gauges[0]); g++) {
        s_put(&b, "# HELP dvcid_sms_provider_%s %s\n# TYPE dvcid_sms_provider_%s gauge\n",
              gauges[g].name, gauges[g].help, gauges[g].name);
        for (int i = 0; i < n; i++)
            s_put(&b, "dvcid_sms_provider_%s{%s,provider=\"%s\"} %d\n", gauges[g].name, labels,
                  p[i].name, g == 0 ? p[i].breaker : p[i].tps);
    }
    s_put(&b, "# HELP dvcid_sms_delivery_seconds From the provider's acceptance to its delivery "
              "receipt\n# TYPE dvcid_sms_delivery_seconds histogram\n");
    for (int i = 0; i < n; i++) {
        uint64_t cum = 0;
        for (int k = 0; k <= SMS_LAT_BUCKETS; k++) {
            cum += p[i].latency[k];
            if (k < SMS_LAT_BUCKETS)
                s_put(&b, "dvcid_sms_delivery_seconds_bucket{%s,provider=\"%s\",le=\"%g\"} %llu\n",
                      labels, p[i].name, (double)sms_lat_bounds_ms[k] / 1000.0,
                      (unsigned long long)cum);
            else
                s_put(&b,
                      "dvcid_sms_delivery_seconds_bucket{%s,provider=\"%s\",le=\"+Inf\"} %llu\n",
                      labels, p[i].name, (unsigned long long)cum);
        }
        s_put(&b, "dvcid_sms_delivery_seconds_sum{%s,provider=\"%s\"} %.3f\n", labels, p[i].name,
              (double)p[i].latency_sum_ms / 1000.0);
        s_put(&b, "dvcid_sms_delivery_seconds_count{%s,provider=\"%s\"} %llu\n", labels, p[i].name,
              (unsigned long long)p[i].latency_count);
    }
    return b.failed ? -1 : (int)b.pos;
}
