/* lg_report: the results of a load run as a text table (per step and per flow: answers,
 * rate, p50/p90/p99/p99.9/max latency, failures; then the failures by kind) and as JSON
 * (the same numbers; latencies in milliseconds), for people and for scripts/bench.sh. */
#ifndef LG_REPORT_H
#define LG_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lg_opts.h"
#include "lg_stats.h"

/* One rate step of --steps: what was aimed at and what came back (latencies in ms). */
typedef struct {
    double target_rate, seconds;
    uint64_t requests, ok, flows;
    double p50, p90, p99, p999, max, mean;
} lg_step_result_t;

typedef struct {
    const lg_opts_t *opts;
    const lg_step_result_t *rate_steps; /* --steps; NULL otherwise */
    int nrate_steps;
    const lg_stats_t *stats;      /* the measured window, all threads merged */
    double seconds;               /* length of the measured window */
    uint64_t connects;            /* connections opened (reconnections show here) */
    const lg_stats_t *prep_stats; /* NULL when nothing was prepared */
    double prepare_seconds;
    size_t accounts; /* accounts available for sign-ins at the end */
} lg_report_t;

/* Writes a latency in ns for people: "812us", "1.52ms", "1.20s". */
void lg_report_latency(char *out, size_t cap, uint64_t ns);

/* Prints the table. */
void lg_report_text(FILE *f, const lg_report_t *r);

/* The JSON document; caller owns the reference. NULL when out of memory. */
json_t *lg_report_json(const lg_report_t *r);

#endif
