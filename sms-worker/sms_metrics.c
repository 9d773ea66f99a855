/* sms_metrics: sms-worker's series on cmn_metrics (see sms_metrics.h). */
#include "sms_metrics.h"

#include <stdio.h>

/* Upper bounds (s) of the send -> delivery latency histogram: receipts take seconds to
 * an hour, a scale cmn_metrics' own buckets do not cover. */
static const double s_lat_bounds[] = {0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600};

static const struct {
    const char *name, *help;
} s_counters[SMS_PM_N] = {
    [SMS_PM_SUBMITTED] = {"dvcid_sms_provider_submitted_total",
                          "SMS handed to the provider, by provider"},
    [SMS_PM_SENT] = {"dvcid_sms_provider_sent_total", "SMS the provider accepted, by provider"},
    [SMS_PM_FAILED] = {"dvcid_sms_provider_failed_total",
                       "SMS the provider refused or answered badly, by provider"},
    [SMS_PM_UNKNOWN] = {"dvcid_sms_provider_unknown_total",
                        "SMS whose outcome is unknown (timeout, link lost with it out), by "
                        "provider"},
    [SMS_PM_THROTTLED] = {"dvcid_sms_provider_throttled_total",
                          "Times the provider asked to slow down, by provider"},
    [SMS_PM_REJECTED] = {"dvcid_sms_provider_rejected_total",
                         "SMS the provider refused for good (dead-lettered), by provider"},
    [SMS_PM_RETRIED] = {"dvcid_sms_provider_retried_total",
                        "Provider outcomes that sent the SMS back to the queue, by provider"},
    [SMS_PM_DELIVERED] = {"dvcid_sms_provider_delivered_total",
                          "Delivery receipts: delivered, by provider"},
    [SMS_PM_UNDELIVERED] = {"dvcid_sms_provider_undelivered_total",
                            "Delivery receipts: not delivered, by provider"},
    [SMS_PM_EXPIRED] = {"dvcid_sms_provider_expired_total",
                        "Delivery receipts: expired, by provider"},
    [SMS_PM_UNCONFIRMED] = {"dvcid_sms_provider_unconfirmed_total",
                            "SMS with no delivery receipt in time, by provider"},
};

static const char *const s_breaker_help = "Circuit breaker of each provider: 0 closed (sending), "
                                          "1 open (resting), 2 half-open (trying one)";
/* The capacity the send rate is measured against: a rate near it means the queue grows at
 * the next peak. */
static const char *const s_tps_help =
    "Most SMS per second handed to each provider (sms.http_tps or smpp_tps; 0: no limit)";
static const char *const s_lat_help = "From the provider's acceptance to its delivery receipt";

void sms_metrics_families(cmn_metrics_t *m) {
    for (int c = 0; c < SMS_PM_N; c++)
        cmn_metrics_family(m, s_counters[c].name, "counter", s_counters[c].help);
    cmn_metrics_family(m, "dvcid_sms_provider_breaker", "gauge", s_breaker_help);
    cmn_metrics_family(m, "dvcid_sms_provider_tps_limit", "gauge", s_tps_help);
    cmn_metrics_family(m, "dvcid_sms_delivery_seconds", "histogram", s_lat_help);
}

static void s_label(char *out, size_t outlen, const char *provider) {
    snprintf(out, outlen, "provider=\"%s\"", provider);
}

int sms_metrics_provider(cmn_metrics_t *m, const char *provider, sms_prov_metrics_t *out) {
    char labels[64];
    s_label(labels, sizeof(labels), provider);
    int rc = 0;
    for (int c = 0; c < SMS_PM_N; c++) {
        out->count[c] = cmn_metrics_counter(m, s_counters[c].name, labels, s_counters[c].help);
        rc |= out->count[c] ? 0 : -1;
    }
    out->latency =
        cmn_metrics_histogram(m, "dvcid_sms_delivery_seconds", labels, s_lat_bounds,
                              (int)(sizeof(s_lat_bounds) / sizeof(s_lat_bounds[0])), s_lat_help);
    return rc | (out->latency ? 0 : -1);
}

void sms_metrics_count(cmn_metrics_t *m, const sms_prov_metrics_t *p, sms_pm_t c) {
    cmn_metrics_series_add(m, p->count[c], 1);
}

void sms_metrics_latency(cmn_metrics_t *m, const sms_prov_metrics_t *p, uint64_t ms) {
    cmn_metrics_series_observe(m, p->latency, (double)ms / 1000.0);
}

void sms_metrics_gate(cmn_metrics_t *m, const char *provider, int breaker, int tps) {
    char labels[64];
    s_label(labels, sizeof(labels), provider);
    cmn_metrics_set(m, "dvcid_sms_provider_breaker", labels, breaker, s_breaker_help);
    cmn_metrics_set(m, "dvcid_sms_provider_tps_limit", labels, tps, s_tps_help);
}

void sms_metrics_counter_at(cmn_metrics_t *m, const char *name, const char *labels, uint64_t value,
                            const char *help) {
    double shown = cmn_metrics_value(m, name, labels);
    /* Created at 0 on the first render, so the series exists before its first event. */
    cmn_metrics_add(m, name, labels, (double)value > shown ? value - (uint64_t)shown : 0, help);
}

void sms_metrics_totals(cmn_metrics_t *m, uint64_t queued, uint64_t duplicates, uint64_t sent,
                        uint64_t dead) {
    sms_metrics_counter_at(m, "dvcid_sms_queued_total", "", queued,
                           "SMS jobs taken into the queue (first copies, not duplicates)");
    sms_metrics_counter_at(m, "dvcid_sms_duplicates_total", "", duplicates,
                           "SmsSend requests for a message id already queued (not sent again)");
    sms_metrics_counter_at(m, "dvcid_sms_sent_total", "", sent,
                           "SMS messages taken by a provider, the file provider included");
    sms_metrics_counter_at(m, "dvcid_sms_dead_total", "", dead,
                           "SMS jobs dead-lettered after their last try");
}
