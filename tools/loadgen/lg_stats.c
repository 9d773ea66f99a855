/* lg_stats: per-thread counters of a load run (lg_stats.h). Failure kinds are a short list
 * searched linearly: failures are rare next to answers, and a run sees few kinds. */
#include "lg_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

lg_stats_t *lg_stats_new(void) {
    lg_stats_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    for (int i = 0; i < LG_NSTEPS; i++)
        if (!(self->steps[i].latency = lg_hist_new()))
            goto fail;
    for (int i = 0; i < LG_NFLOWS; i++)
        if (!(self->flows[i].latency = lg_hist_new()))
            goto fail;
    return self;
fail:
    lg_stats_destroy(&self);
    return NULL;
}

void lg_stats_destroy(lg_stats_t **self) {
    if (!self || !*self)
        return;
    for (int i = 0; i < LG_NSTEPS; i++)
        lg_hist_destroy(&(*self)->steps[i].latency);
    for (int i = 0; i < LG_NFLOWS; i++)
        lg_hist_destroy(&(*self)->flows[i].latency);
    free(*self);
    *self = NULL;
}

void lg_stats_ok(lg_stats_t *self, lg_step_t step, uint64_t latency) {
    self->steps[step].ok++;
    lg_hist_record(self->steps[step].latency, latency);
}

static void s_count(lg_step_stats_t *s, const char *key, uint64_t n) {
    for (int i = 0; i < s->nerrs; i++)
        if (strcmp(s->errs[i].key, key) == 0) {
            s->errs[i].count += n;
            return;
        }
    if (s->nerrs == LG_ERR_KEYS) {
        s->other += n;
        return;
    }
    snprintf(s->errs[s->nerrs].key, LG_ERR_KEY_MAX, "%s", key);
    s->errs[s->nerrs++].count = n;
}

void lg_stats_fail(lg_stats_t *self, lg_step_t step, const char *key) {
    self->steps[step].failed++;
    s_count(&self->steps[step], key, 1);
}

void lg_stats_flow(lg_stats_t *self, lg_flow_kind_t kind, int ok, uint64_t latency) {
    if (ok) {
        self->flows[kind].done++;
        lg_hist_record(self->flows[kind].latency, latency);
    } else {
        self->flows[kind].failed++;
    }
}

void lg_stats_merge(lg_stats_t *dst, const lg_stats_t *src) {
    for (int i = 0; i < LG_NSTEPS; i++) {
        lg_step_stats_t *d = &dst->steps[i];
        const lg_step_stats_t *s = &src->steps[i];
        d->ok += s->ok;
        d->failed += s->failed;
        lg_hist_merge(d->latency, s->latency);
        for (int e = 0; e < s->nerrs; e++)
            s_count(d, s->errs[e].key, s->errs[e].count);
        d->other += s->other;
    }
    for (int i = 0; i < LG_NFLOWS; i++) {
        dst->flows[i].done += src->flows[i].done;
        dst->flows[i].failed += src->flows[i].failed;
        lg_hist_merge(dst->flows[i].latency, src->flows[i].latency);
    }
}
