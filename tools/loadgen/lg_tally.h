/* lg_tally: the counters of one stretch of a run that the CSV output reports (an interval,
 * a rate step, the whole run): requests finished, expected answers with their latency,
 * failures by class, flows done. Workers fill one each under a lock; the run's main thread
 * takes them at every interval boundary (lg_run), so each request lands in exactly one
 * interval, by the time it finished, and the rows add up to the totals. Also the CSV
 * format itself (lg_tally_csv_head, lg_tally_csv_row). Not thread-safe. */
#ifndef LG_TALLY_H
#define LG_TALLY_H

#include <stdint.h>
#include <stdio.h>

#include "lg_hist.h"

/* Failure classes, from a failure key of lg_stats ("429 rate_limited", "timeout", ...). */
typedef enum {
    LG_ERR_4XX,     /* an HTTP 4xx answer that the step did not expect */
    LG_ERR_5XX,     /* an HTTP 5xx answer */
    LG_ERR_TIMEOUT, /* no answer within --timeout, or none by the end of the drain */
    LG_ERR_CONN,    /* the connection: refused, reset, closed early, not HTTP */
    LG_ERR_OTHER,   /* an answer of the expected status without what the flow needs, ... */
    LG_ERR_CLASSES
} lg_err_class_t;

typedef struct {
    uint64_t requests; /* ok + failed */
    uint64_t ok;
    uint64_t errs[LG_ERR_CLASSES];
    uint64_t flows; /* flows done (every step as expected) */
    lg_hist_t *latency;
} lg_tally_t;

/* The class of a failure key. */
lg_err_class_t lg_err_class(const char *key);

/* Column names of the classes: "err_4xx", ... */
const char *lg_err_class_name(lg_err_class_t c);

/* Sets up *self empty (0) or fails out of memory (-1); lg_tally_free frees its histogram. */
int lg_tally_init(lg_tally_t *self);
void lg_tally_free(lg_tally_t *self);

/* Counts an expected answer latency_ns after its intended start, or a failure of key. */
void lg_tally_ok(lg_tally_t *self, uint64_t latency_ns);
void lg_tally_fail(lg_tally_t *self, const char *key);

/* Adds src to dst; forgets every count of self. */
void lg_tally_merge(lg_tally_t *dst, const lg_tally_t *src);
void lg_tally_reset(lg_tally_t *self);

/* What a CSV row says besides the counts. */
typedef struct {
    const char *kind;      /* "interval", "step" or "total" */
    int step;              /* rate step, 1-based (1 without --steps) */
    double target_rate;    /* flows per second the open loop aimed at; < 0: closed loop */
    double t_start, t_end; /* seconds from the start of the measured window */
} lg_row_t;

/* Writes the header line, and one row. Rates are per second of t_end - t_start;
 * latencies in ms, empty when the row has no expected answer. */
void lg_tally_csv_head(FILE *f);
void lg_tally_csv_row(FILE *f, const lg_row_t *row, const lg_tally_t *t);

#endif
