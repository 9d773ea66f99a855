/* sms_metrics: per-provider counters of sms-worker, in memory, and their
 * Prometheus text form for /metrics (the lead publishes it). Counts what the
 * loop thread saw, so no locking: read it from the loop thread. */
#ifndef SMS_METRICS_H
#define SMS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define SMS_PROV_MAX 8
/* Upper bounds (ms) of the send -> delivery latency histogram; +Inf follows. */
#define SMS_LAT_BUCKETS 10
extern const uint64_t sms_lat_bounds_ms[SMS_LAT_BUCKETS];

typedef struct {
    char name[16];
    uint64_t submitted;   /* handed to the provider */
    uint64_t sent;        /* accepted by it */
    uint64_t failed;      /* refused, errors, bad answers */
    uint64_t unknown;     /* timeouts and links lost with the message out */
    uint64_t throttled;   /* asked to slow down */
    uint64_t rejected;    /* refused for good (dead-lettered) */
    uint64_t retried;     /* outcomes that sent the message back to the queue */
    uint64_t delivered;   /* receipts: delivered */
    uint64_t undelivered; /* receipts: failed */
    uint64_t expired;     /* receipts: expired */
    uint64_t unconfirmed; /* no receipt in time */
    uint64_t latency[SMS_LAT_BUCKETS + 1];
    uint64_t latency_count;
    uint64_t latency_sum_ms;
    int breaker; /* sms_breaker_state_t, refreshed by the worker */
    int tps;     /* the most messages per second it is handed (http_tps, smpp_tps); 0: no cap;
                  * refreshed by the worker from its gate */
} sms_prov_stats_t;

/* Counts one send -> delivery latency. */
void sms_metrics_latency(sms_prov_stats_t *p, uint64_t ms);

/* Writes the Prometheus text exposition of n providers' stats plus the queue
 * totals (sent: taken by any provider, `file` included) into out, HELP and TYPE on
 * each metric, labels (the process's, `service="sms-worker",instance="0-0"`:
 * cmn_metrics_prefix) first on every series. Returns the length, or -1 when out is
 * too small. */
int sms_metrics_render(const sms_prov_stats_t *p, int n, uint64_t queued, uint64_t duplicates,
                       uint64_t sent, uint64_t dead, const char *labels, char *out, size_t outlen);

#endif
