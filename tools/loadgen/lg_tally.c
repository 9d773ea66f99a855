/* lg_tally: counters of a stretch of a run, and the CSV rows (lg_tally.h). */
#include "lg_tally.h"

#include <ctype.h>
#include <string.h>

lg_err_class_t lg_err_class(const char *key) {
    if (isdigit((unsigned char)key[0]) && isdigit((unsigned char)key[1]) &&
        isdigit((unsigned char)key[2]) && (key[3] == ' ' || key[3] == '\0'))
        return key[0] == '4' ? LG_ERR_4XX : key[0] == '5' ? LG_ERR_5XX : LG_ERR_OTHER;
    if (strcmp(key, "timeout") == 0 || strcmp(key, "unfinished at the end") == 0)
        return LG_ERR_TIMEOUT;
    if (strcmp(key, "request too large") == 0)
        return LG_ERR_OTHER;
    /* Everything else comes from lg_conn_error: connect, send, recv, closed, not HTTP. */
    return LG_ERR_CONN;
}

const char *lg_err_class_name(lg_err_class_t c) {
    static const char *const names[LG_ERR_CLASSES] = {"err_4xx", "err_5xx", "err_timeout",
                                                      "err_conn", "err_other"};
    return names[c];
}

int lg_tally_init(lg_tally_t *self) {
    memset(self, 0, sizeof(*self));
    self->latency = lg_hist_new();
    return self->latency ? 0 : -1;
}

void lg_tally_free(lg_tally_t *self) { lg_hist_destroy(&self->latency); }

void lg_tally_ok(lg_tally_t *self, uint64_t latency_ns) {
    self->requests++;
    self->ok++;
    lg_hist_record(self->latency, latency_ns);
}

void lg_tally_fail(lg_tally_t *self, const char *key) {
    self->requests++;
    self->errs[lg_err_class(key)]++;
}

void lg_tally_merge(lg_tally_t *dst, const lg_tally_t *src) {
    dst->requests += src->requests;
    dst->ok += src->ok;
    for (int c = 0; c < LG_ERR_CLASSES; c++)
        dst->errs[c] += src->errs[c];
    dst->flows += src->flows;
    lg_hist_merge(dst->latency, src->latency);
}

void lg_tally_reset(lg_tally_t *self) {
    lg_hist_t *h = self->latency;
    memset(self, 0, sizeof(*self));
    self->latency = h;
    lg_hist_reset(h);
}

void lg_tally_csv_head(FILE *f) {
    fputs("kind,step,target_rate,t_start_s,t_end_s,requests,ok,errors", f);
    for (int c = 0; c < LG_ERR_CLASSES; c++)
        fprintf(f, ",%s", lg_err_class_name((lg_err_class_t)c));
    fputs(",flows,req_per_s,ok_per_s,flows_per_s,p50_ms,p90_ms,p99_ms,p999_ms,max_ms,mean_ms\n", f);
}

void lg_tally_csv_row(FILE *f, const lg_row_t *row, const lg_tally_t *t) {
    double secs = row->t_end - row->t_start;
    double per = secs > 0 ? 1.0 / secs : 0.0;
    fprintf(f, "%s,%d,", row->kind, row->step);
    if (row->target_rate >= 0)
        fprintf(f, "%.3f", row->target_rate);
    fprintf(f, ",%.3f,%.3f,%llu,%llu,%llu", row->t_start, row->t_end,
            (unsigned long long)t->requests, (unsigned long long)t->ok,
            (unsigned long long)(t->requests - t->ok));
    for (int c = 0; c < LG_ERR_CLASSES; c++)
        fprintf(f, ",%llu", (unsigned long long)t->errs[c]);
    fprintf(f, ",%llu,%.3f,%.3f,%.3f", (unsigned long long)t->flows, (double)t->requests * per,
            (double)t->ok * per, (double)t->flows * per);
    if (lg_hist_count(t->latency)) {
        static const double ps[] = {50, 90, 99, 99.9};
        for (int i = 0; i < 4; i++)
            fprintf(f, ",%.3f", (double)lg_hist_percentile(t->latency, ps[i]) / 1e6);
        fprintf(f, ",%.3f,%.3f\n", (double)lg_hist_max(t->latency) / 1e6,
                lg_hist_mean(t->latency) / 1e6);
    } else {
        fputs(",,,,,,\n", f);
    }
}
