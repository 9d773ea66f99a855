/* cmn_metrics: counters, gauges and histograms of one process, rendered in the
 * Prometheus text format. Series are named by metric name plus a label string
 * (e.g. `op="reg_start",status="ok"`); the service label is added at render time.
 * Thread-safe (one mutex): the gateway's HTTP threads count into it. */
#ifndef CMN_METRICS_H
#define CMN_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct cmn_metrics cmn_metrics_t;

/* NULL on failure. service is copied. */
cmn_metrics_t *cmn_metrics_new(const char *service);
void cmn_metrics_destroy(cmn_metrics_t **self_p);

/* The process's instance ("S-I": --shard S --instance I, systemd's %i): every series
 * carries instance="S-I" right after service, so the processes of one service stay
 * apart once merged and no counter of one seems to reset into another's. Call before
 * other threads count. */
void cmn_metrics_set_instance(cmn_metrics_t *self, const char *instance);
/* The instance set ("" when none). */
const char *cmn_metrics_instance(const cmn_metrics_t *self);

/* More labels every series carries after service and instance (e.g. `shard="1"`),
 * appended to those set before. Call before other threads count. */
void cmn_metrics_add_labels(cmn_metrics_t *self, const char *labels);

/* What names this process in every series: `service="S",instance="I"` (no instance
 * part when none was set). Returns out. */
char *cmn_metrics_identity(const cmn_metrics_t *self, char *out, size_t outlen);

/* Every label the registry puts before a series' own: the identity plus the labels of
 * cmn_metrics_add_labels, for text rendered by hand (sms-worker's provider series).
 * Returns out. */
char *cmn_metrics_prefix(const cmn_metrics_t *self, char *out, size_t outlen);

/* Declares the family name of type ("counter", "gauge" or "histogram") with help: its HELP
 * and TYPE lines are rendered even while it has no series (sms-worker's provider families
 * with the `file` sink), so a reader of the names (alert rules, dashboards) finds it. */
void cmn_metrics_family(cmn_metrics_t *self, const char *name, const char *type, const char *help);

/* Adds n to a counter (created at 0 on first use). help is kept from the first call. */
void cmn_metrics_add(cmn_metrics_t *self, const char *name, const char *labels, uint64_t n,
                     const char *help);

/* Sets a gauge. */
void cmn_metrics_set(cmn_metrics_t *self, const char *name, const char *labels, double value,
                     const char *help);

/* Records one observation in a histogram of seconds (buckets 0.5 ms .. 10 s). */
void cmn_metrics_observe(cmn_metrics_t *self, const char *name, const char *labels, double seconds,
                         const char *help);

/* Records one observation in a histogram of counts (buckets 1, 2, 4 .. 4096). */
void cmn_metrics_observe_count(cmn_metrics_t *self, const char *name, const char *labels,
                               double count, const char *help);

/* A series looked up once and counted into without building its key again: for what a
 * loop counts per request. It lives as long as the registry. NULL on failure (or when
 * name{labels} is a series of another kind); the functions below then do nothing. */
typedef struct cmn_metrics_series cmn_metrics_series_t;
cmn_metrics_series_t *cmn_metrics_counter(cmn_metrics_t *self, const char *name, const char *labels,
                                          const char *help);
/* A histogram of seconds (as cmn_metrics_observe) or of counts (cmn_metrics_observe_count). */
cmn_metrics_series_t *cmn_metrics_seconds(cmn_metrics_t *self, const char *name, const char *labels,
                                          const char *help);
cmn_metrics_series_t *cmn_metrics_counts(cmn_metrics_t *self, const char *name, const char *labels,
                                         const char *help);
/* A histogram of the caller's upper bounds (nbounds of them, increasing, at most 14; +Inf
 * follows), for a scale the two above do not cover (sms-worker's delivery latency, seconds
 * to an hour). bounds is borrowed and must outlive the registry (a static array). NULL when
 * nbounds is out of range or on failure. */
cmn_metrics_series_t *cmn_metrics_histogram(cmn_metrics_t *self, const char *name,
                                            const char *labels, const double *bounds, int nbounds,
                                            const char *help);
void cmn_metrics_series_add(cmn_metrics_t *self, cmn_metrics_series_t *s, uint64_t n);
void cmn_metrics_series_observe(cmn_metrics_t *self, cmn_metrics_series_t *s, double v);

/* The current value of a counter or gauge (tests, status), 0 when unknown. */
double cmn_metrics_value(cmn_metrics_t *self, const char *name, const char *labels);

/* Prometheus text of every series, each with cmn_metrics_prefix's labels first. Caller
 * frees. */
char *cmn_metrics_render(cmn_metrics_t *self);

/* Merges the texts of several processes into one valid exposition: each metric's
 * HELP and TYPE once, then every process's series of it. Caller frees. */
char *cmn_metrics_merge(const char *const *texts, size_t n);

#endif
