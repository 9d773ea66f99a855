/* lg_report: text and JSON renderings of a load run (lg_report.h). Rates are answers per
 * second of the measured window; latency percentiles come from the merged histograms. */
#include "lg_report.h"

#include <string.h>

#include "lg_hist.h"

#ifndef DVCID_VERSION
#define DVCID_VERSION "dev"
#endif

void lg_report_latency(char *out, size_t cap, uint64_t ns) {
    if (ns < 1000000u)
        snprintf(out, cap, "%lluus", (unsigned long long)((ns + 500u) / 1000u));
    else if (ns < 1000000000u)
        snprintf(out, cap, "%.2fms", (double)ns / 1e6);
    else
        snprintf(out, cap, "%.2fs", (double)ns / 1e9);
}

static void s_row(FILE *f, const char *name, uint64_t ok, uint64_t failed, double seconds,
                  const lg_hist_t *h) {
    static const double ps[] = {50, 90, 99, 99.9, 100};
    char lat[5][16];
    for (int i = 0; i < 5; i++) {
        if (lg_hist_count(h))
            lg_report_latency(lat[i], sizeof(lat[i]), lg_hist_percentile(h, ps[i]));
        else
            snprintf(lat[i], sizeof(lat[i]), "-");
    }
    fprintf(f, "%-18s %9llu %10.1f %9s %9s %9s %9s %9s %8llu\n", name, (unsigned long long)ok,
            seconds > 0 ? (double)ok / seconds : 0.0, lat[0], lat[1], lat[2], lat[3], lat[4],
            (unsigned long long)failed);
}

static const char *s_mode(const lg_opts_t *o, char *buf, size_t cap) {
    const char *arr = o->arrivals == LG_ARRIVALS_POISSON ? "Poisson" : "uniform";
    if (o->ramp_s > 0)
        snprintf(buf, cap, "open loop ramp %g/s to %g/s over %g s, %s (up to %d connections)",
                 o->ramp_from, o->ramp_to, o->ramp_s, arr, o->connections);
    else if (o->nsteps > 0)
        snprintf(buf, cap, "open loop in %d steps of %g s, %s (up to %d connections)", o->nsteps,
                 o->step_s, arr, o->connections);
    else if (o->rate > 0)
        snprintf(buf, cap, "open loop at %g/s, %s (up to %d connections)", o->rate, arr,
                 o->connections);
    else
        snprintf(buf, cap, "closed loop, %d connections", o->connections);
    return buf;
}

static void s_steps_text(FILE *f, const lg_report_t *r) {
    if (!r->nrate_steps)
        return;
    fprintf(f, "%-9s %9s %10s %10s %9s %9s %9s %9s %9s %8s\n", "rate step", "target/s", "flows/s",
            "req/s", "p50", "p90", "p99", "p99.9", "max", "failed");
    for (int i = 0; i < r->nrate_steps; i++) {
        const lg_step_result_t *st = &r->rate_steps[i];
        double per = st->seconds > 0 ? 1 / st->seconds : 0;
        double ms[5] = {st->p50, st->p90, st->p99, st->p999, st->max};
        char lat[5][16];
        for (int k = 0; k < 5; k++) {
            if (st->ok)
                lg_report_latency(lat[k], sizeof(lat[k]), (uint64_t)(ms[k] * 1e6));
            else
                snprintf(lat[k], sizeof(lat[k]), "-");
        }
        fprintf(f, "%-9d %9g %10.1f %10.1f %9s %9s %9s %9s %9s %8llu\n", i + 1, st->target_rate,
                (double)st->flows * per, (double)st->requests * per, lat[0], lat[1], lat[2], lat[3],
                lat[4], (unsigned long long)(st->requests - st->ok));
    }
}

void lg_report_text(FILE *f, const lg_report_t *r) {
    const lg_opts_t *o = r->opts;
    const lg_stats_t *s = r->stats;
    char mode[192];
    fprintf(f, "dvcid-load: %s against %s, %s, %d thread%s, %.1f s measured", o->flow_spec, o->url,
            s_mode(o, mode, sizeof(mode)), o->threads, o->threads == 1 ? "" : "s", r->seconds);
    if (o->warmup_s > 0)
        fprintf(f, " after %.1f s warm-up", o->warmup_s);
    fprintf(f, "\n");
    if (r->prep_stats)
        fprintf(f, "prepare: %llu accounts registered in %.1f s (%llu failed flows)\n",
                (unsigned long long)r->prep_stats->flows[LG_FLOW_REGISTER].done, r->prepare_seconds,
                (unsigned long long)r->prep_stats->flows[LG_FLOW_REGISTER].failed);
    fprintf(f, "%-18s %9s %10s %9s %9s %9s %9s %9s %8s\n", "step", "ok", "rate/s", "p50", "p90",
            "p99", "p99.9", "max", "failed");
    uint64_t ok = 0, failed = 0;
    for (int i = 0; i < LG_NSTEPS; i++) {
        const lg_step_stats_t *st = &s->steps[i];
        if (st->ok + st->failed == 0)
            continue;
        s_row(f, lg_step_name((lg_step_t)i), st->ok, st->failed, r->seconds, st->latency);
        ok += st->ok;
        failed += st->failed;
    }
    fprintf(f, "%-18s %9llu %10.1f %49s %8llu\n", "all requests", (unsigned long long)ok,
            r->seconds > 0 ? (double)ok / r->seconds : 0.0, "", (unsigned long long)failed);
    for (int i = 0; i < LG_NFLOWS; i++) {
        const lg_flow_stats_t *fl = &s->flows[i];
        if (fl->done + fl->failed == 0 || i == LG_FLOW_GET)
            continue;
        char name[32];
        snprintf(name, sizeof(name), "flow %s", lg_flow_name((lg_flow_kind_t)i));
        s_row(f, name, fl->done, fl->failed, r->seconds, fl->latency);
    }
    bool any = false;
    for (int i = 0; i < LG_NSTEPS; i++) {
        const lg_step_stats_t *st = &s->steps[i];
        if (st->failed == 0)
            continue;
        if (!any)
            fprintf(f, "failures:\n");
        any = true;
        fprintf(f, "  %s:", lg_step_name((lg_step_t)i));
        for (int e = 0; e < st->nerrs; e++)
            fprintf(f, "%s %llu x %s", e ? "," : "", (unsigned long long)st->errs[e].count,
                    st->errs[e].key);
        if (st->other)
            fprintf(f, ", %llu x other", (unsigned long long)st->other);
        fprintf(f, "\n");
    }
    s_steps_text(f, r);
    if (o->sources)
        fprintf(f, "client addresses: %llu (X-Forwarded-For)\n", (unsigned long long)o->sources);
    fprintf(f, "connections opened: %llu\n", (unsigned long long)r->connects);
}

/* {"p50": ms, ..., "max": ms, "mean": ms} */
static json_t *s_latency(const lg_hist_t *h) {
    return json_pack(
        "{s:f, s:f, s:f, s:f, s:f, s:f}", "p50", (double)lg_hist_percentile(h, 50) / 1e6, "p90",
        (double)lg_hist_percentile(h, 90) / 1e6, "p99", (double)lg_hist_percentile(h, 99) / 1e6,
        "p999", (double)lg_hist_percentile(h, 99.9) / 1e6, "max", (double)lg_hist_max(h) / 1e6,
        "mean", lg_hist_mean(h) / 1e6);
}

json_t *lg_report_json(const lg_report_t *r) {
    const lg_opts_t *o = r->opts;
    const lg_stats_t *s = r->stats;
    double secs = r->seconds > 0 ? r->seconds : 1;
    json_t *steps = json_object(), *flows = json_object();
    uint64_t ok = 0, failed = 0;
    for (int i = 0; i < LG_NSTEPS; i++) {
        const lg_step_stats_t *st = &s->steps[i];
        if (st->ok + st->failed == 0)
            continue;
        json_t *errs = json_object();
        for (int e = 0; e < st->nerrs; e++)
            json_object_set_new(errs, st->errs[e].key, json_integer((json_int_t)st->errs[e].count));
        if (st->other)
            json_object_set_new(errs, "other", json_integer((json_int_t)st->other));
        json_object_set_new(steps, lg_step_name((lg_step_t)i),
                            json_pack("{s:I, s:I, s:f, s:o, s:o}", "ok", (json_int_t)st->ok,
                                      "failed", (json_int_t)st->failed, "rate",
                                      (double)st->ok / secs, "latency_ms", s_latency(st->latency),
                                      "errors", errs));
        ok += st->ok;
        failed += st->failed;
    }
    for (int i = 0; i < LG_NFLOWS; i++) {
        const lg_flow_stats_t *fl = &s->flows[i];
        if (fl->done + fl->failed == 0)
            continue;
        json_object_set_new(flows, lg_flow_name((lg_flow_kind_t)i),
                            json_pack("{s:I, s:I, s:f, s:o}", "done", (json_int_t)fl->done,
                                      "failed", (json_int_t)fl->failed, "rate",
                                      (double)fl->done / secs, "latency_ms",
                                      s_latency(fl->latency)));
    }
    json_t *root = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:f, s:i, s:i, s:f, s:f, s:o, s:o, s:{s:I, s:I, s:f}, s:I, "
        "s:I}",
        "tool", "dvcid-load", "version", DVCID_VERSION, "url", o->url, "flow", o->flow_spec, "mode",
        o->rate > 0 ? "open" : "closed", "rate", o->rate, "connections", o->connections, "threads",
        o->threads, "seconds", r->seconds, "warmup_s", o->warmup_s, "steps", steps, "flows", flows,
        "requests", "ok", (json_int_t)ok, "failed", (json_int_t)failed, "rate", (double)ok / secs,
        "connects", (json_int_t)r->connects, "accounts", (json_int_t)r->accounts);
    if (!root)
        return NULL;
    if (o->label)
        json_object_set_new(root, "label", json_string(o->label));
    json_object_set_new(root, "seed", json_integer((json_int_t)o->seed));
    json_object_set_new(root, "sources", json_integer((json_int_t)o->sources));
    if (o->rate > 0)
        json_object_set_new(
            root, "arrivals",
            json_string(o->arrivals == LG_ARRIVALS_POISSON ? "poisson" : "uniform"));
    if (o->ramp_s > 0)
        json_object_set_new(root, "ramp",
                            json_pack("{s:f, s:f, s:f}", "from", o->ramp_from, "to", o->ramp_to,
                                      "seconds", o->ramp_s));
    if (r->nrate_steps) {
        json_t *arr = json_array();
        for (int i = 0; i < r->nrate_steps && arr; i++) {
            const lg_step_result_t *st = &r->rate_steps[i];
            double per = st->seconds > 0 ? 1 / st->seconds : 0;
            json_array_append_new(
                arr,
                json_pack("{s:i, s:f, s:f, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:{s:f, s:f, "
                          "s:f, s:f, s:f, s:f}}",
                          "step", i + 1, "target_rate", st->target_rate, "seconds", st->seconds,
                          "requests", (json_int_t)st->requests, "ok", (json_int_t)st->ok, "failed",
                          (json_int_t)(st->requests - st->ok), "flows", (json_int_t)st->flows,
                          "req_per_s", (double)st->requests * per, "ok_per_s", (double)st->ok * per,
                          "flows_per_s", (double)st->flows * per, "latency_ms", "p50", st->p50,
                          "p90", st->p90, "p99", st->p99, "p999", st->p999, "max", st->max, "mean",
                          st->mean));
        }
        json_object_set_new(root, "rate_steps", arr);
    }
    if (o->weights[LG_FLOW_GET])
        json_object_set_new(root, "get", json_string(o->get_path));
    if (r->prep_stats)
        json_object_set_new(root, "prepare",
                            json_pack("{s:I, s:I, s:f}", "accounts",
                                      (json_int_t)r->prep_stats->flows[LG_FLOW_REGISTER].done,
                                      "failed",
                                      (json_int_t)r->prep_stats->flows[LG_FLOW_REGISTER].failed,
                                      "seconds", r->prepare_seconds));
    return root;
}
