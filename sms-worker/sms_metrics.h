/* sms_metrics: the series sms-worker adds to /metrics, in the service's cmn_metrics
 * registry: each provider's counters, breaker, rate cap and delivery latency (counted as
 * they happen), and counters kept elsewhere (the worker's totals, LMDB's conversion counts),
 * brought up to their values at each render. Their names and HELP texts live here once:
 * tests/integration/test_metrics*.py, the alert rules and the dashboard read them, so they
 * do not change. */
#ifndef SMS_METRICS_H
#define SMS_METRICS_H

#include <stdint.h>

#include "cmn_metrics.h"

#define SMS_PROV_MAX 8

/* What each provider counts (dvcid_sms_provider_<name>_total{provider=...}). */
typedef enum {
    SMS_PM_SUBMITTED,   /* handed to the provider */
    SMS_PM_SENT,        /* accepted by it */
    SMS_PM_FAILED,      /* refused, errors, bad answers */
    SMS_PM_UNKNOWN,     /* timeouts and links lost with the message out */
    SMS_PM_THROTTLED,   /* asked to slow down */
    SMS_PM_REJECTED,    /* refused for good (dead-lettered) */
    SMS_PM_RETRIED,     /* outcomes that sent the message back to the queue */
    SMS_PM_DELIVERED,   /* receipts: delivered */
    SMS_PM_UNDELIVERED, /* receipts: failed */
    SMS_PM_EXPIRED,     /* receipts: expired */
    SMS_PM_UNCONFIRMED, /* no receipt in time */
    SMS_PM_N
} sms_pm_t;

/* One provider's series in a registry: handles, looked up once (they live as long as it). */
typedef struct {
    cmn_metrics_series_t *count[SMS_PM_N];
    cmn_metrics_series_t *latency; /* send -> delivery, seconds */
} sms_prov_metrics_t;

/* Declares the provider families in m: listed (HELP, TYPE) before any provider has series,
 * and with none (the `file` sink). */
void sms_metrics_families(cmn_metrics_t *m);

/* Creates provider's series in m, all at 0, so /metrics lists a provider before its first
 * message. Returns 0, or -1 when one could not be made. */
int sms_metrics_provider(cmn_metrics_t *m, const char *provider, sms_prov_metrics_t *out);

/* Counts one event c of provider p. */
void sms_metrics_count(cmn_metrics_t *m, const sms_prov_metrics_t *p, sms_pm_t c);

/* Counts one send -> delivery latency of ms milliseconds. */
void sms_metrics_latency(cmn_metrics_t *m, const sms_prov_metrics_t *p, uint64_t ms);

/* Sets provider's gauges: its breaker (sms_breaker_state_t) and the most messages per
 * second it is handed (0: no cap), as the worker's gate says at render time. */
void sms_metrics_gate(cmn_metrics_t *m, const char *provider, int breaker, int tps);

/* A counter whose value is kept elsewhere (read at render time) brought up to value in m:
 * what it gained since the last render is added, so m shows exactly value (a value below
 * the one shown is no counter reset: it stays). Only the loop thread renders. */
void sms_metrics_counter_at(cmn_metrics_t *m, const char *name, const char *labels, uint64_t value,
                            const char *help);

/* The worker's totals (sent: taken by any provider, `file` included) into m: counters at
 * exactly these values (sms_metrics_counter_at). */
void sms_metrics_totals(cmn_metrics_t *m, uint64_t queued, uint64_t duplicates, uint64_t sent,
                        uint64_t dead);

#endif
