/* lg_run: the orchestration of a load run (lg_run.h). The main thread only starts and joins
 * workers, prints progress and handles signals; all the work is in lg_worker. */
#include "lg_run.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lg_clock.h"
#include "lg_ident.h"
#include "lg_report.h"
#include "lg_tally.h"
#include "lg_worker.h"

static volatile sig_atomic_t s_interrupts;

static void s_on_signal(int sig) {
    (void)sig;
    s_interrupts++;
}

typedef struct {
    lg_worker_t *worker;
    void *(*entry)(void *);
    atomic_int *finished;
    _Atomic uint64_t *last_done; /* when the last thread to finish did */
} s_thread_arg_t;

static void *s_thread(void *arg) {
    s_thread_arg_t *t = arg;
    t->entry(t->worker);
    uint64_t now = lg_clock_ns(), seen = atomic_load(t->last_done);
    while (now > seen && !atomic_compare_exchange_weak(t->last_done, &seen, now))
        ;
    atomic_fetch_add(t->finished, 1);
    return NULL;
}

/* The CSV rows and the rate steps' results: at each interval's end the main thread takes
 * every worker's tally (lg_worker_take_tally); intervals restart at each step's start, and
 * answers after the end (the drain) fall in the last step. */
typedef struct {
    const lg_opts_t *o;
    lg_run_t *run;
    FILE *csv;
    lg_tally_t row, step, total;
    uint64_t interval_ns, step_ns;
    uint64_t row_start, step_start; /* nominal starts of the current row and step */
    int cur;                        /* the current step, 0-based */
    lg_step_result_t results[LG_STEPS_MAX];
    int nresults;
} s_ticker_t;

static double s_since(const s_ticker_t *tk, uint64_t t) {
    return t > tk->run->measure_ns ? (double)(t - tk->run->measure_ns) / 1e9 : 0;
}

/* The mean target rate over [a, b) (ns), or -1 for a closed loop. */
static double s_target(const s_ticker_t *tk, uint64_t a, uint64_t b) {
    if (tk->o->rate <= 0 || b <= a)
        return -1;
    double ta = (double)(a - tk->run->t0_ns) / 1e9, tb = (double)(b - tk->run->t0_ns) / 1e9;
    const lg_profile_t *p = &tk->o->profile;
    return (lg_profile_expected(p, tb) - lg_profile_expected(p, ta)) / (tb - ta);
}

static void s_emit(s_ticker_t *tk, const char *kind, uint64_t a, uint64_t b, const lg_tally_t *t) {
    if (!tk->csv)
        return;
    lg_row_t row = {kind, tk->cur + 1, s_target(tk, a, b), s_since(tk, a), s_since(tk, b)};
    lg_tally_csv_row(tk->csv, &row, t);
    fflush(tk->csv);
}

/* The current step is over at end (ns): its row, and its results for the report. */
static void s_step_done(s_ticker_t *tk, uint64_t end) {
    if (tk->o->nsteps > 0) {
        s_emit(tk, "step", tk->step_start, end, &tk->step);
        lg_step_result_t *r = &tk->results[tk->nresults++];
        const lg_hist_t *h = tk->step.latency;
        *r = (lg_step_result_t){.target_rate = tk->o->steps[tk->cur],
                                .seconds = (double)(end - tk->step_start) / 1e9,
                                .requests = tk->step.requests,
                                .ok = tk->step.ok,
                                .flows = tk->step.flows,
                                .p50 = (double)lg_hist_percentile(h, 50) / 1e6,
                                .p90 = (double)lg_hist_percentile(h, 90) / 1e6,
                                .p99 = (double)lg_hist_percentile(h, 99) / 1e6,
                                .p999 = (double)lg_hist_percentile(h, 99.9) / 1e6,
                                .max = (double)lg_hist_max(h) / 1e6,
                                .mean = lg_hist_mean(h) / 1e6};
    }
    lg_tally_reset(&tk->step);
}

/* The end of the row under way: nominal, cut at its step's end (the last step's drain
 * goes on at the interval's pace). */
static uint64_t s_row_end(const s_ticker_t *tk) {
    uint64_t end = tk->row_start + tk->interval_ns;
    if (tk->cur + 1 < tk->o->nsteps && tk->step_start + tk->step_ns < end)
        end = tk->step_start + tk->step_ns;
    return end;
}

static void s_collect(s_ticker_t *tk, lg_worker_t **workers, int n) {
    for (int i = 0; i < n; i++)
        lg_worker_take_tally(workers[i], &tk->row);
    lg_tally_merge(&tk->step, &tk->row);
    lg_tally_merge(&tk->total, &tk->row);
}

/* Called often while the run goes: closes every row whose end has passed. */
static void s_tick(s_ticker_t *tk, lg_worker_t **workers, int n, uint64_t now) {
    if (now < tk->run->measure_ns)
        return;
    if (!tk->row_start)
        tk->row_start = tk->step_start = tk->run->measure_ns;
    uint64_t end;
    while ((end = s_row_end(tk)) <= now) {
        s_collect(tk, workers, n);
        s_emit(tk, "interval", tk->row_start, end, &tk->row);
        lg_tally_reset(&tk->row);
        tk->row_start = end;
        if (tk->cur + 1 < tk->o->nsteps && end == tk->step_start + tk->step_ns) {
            s_step_done(tk, end);
            tk->cur++;
            tk->step_start = end;
        }
    }
}

/* Every worker has finished at now: the last row, the last step, the total. */
static void s_tick_end(s_ticker_t *tk, lg_worker_t **workers, int n, uint64_t now) {
    uint64_t end = atomic_load(&tk->run->end_ns);
    s_tick(tk, workers, n, now);
    if (!tk->row_start)
        tk->row_start = tk->step_start = tk->run->measure_ns;
    s_collect(tk, workers, n);
    if (tk->row.requests || tk->row.flows)
        s_emit(tk, "interval", tk->row_start, now > tk->row_start ? now : tk->row_start, &tk->row);
    s_step_done(tk, end > tk->step_start ? end : tk->step_start);
    tk->cur = -1; /* the total row is of every step: "step" 0 */
    s_emit(tk, "total", tk->run->measure_ns, end, &tk->total);
}

/* Runs entry on every worker in its own thread; prints progress each second when asked
 * (label names the phase); turns signals into an earlier end; with tk, takes the CSV and
 * step tallies as it goes. Returns 0 or -1. */
static int s_phase(lg_run_t *run, lg_worker_t **workers, int n, void *(*entry)(void *),
                   const char *label, bool progress, s_ticker_t *tk) {
    pthread_t *tids = calloc((size_t)n, sizeof(*tids));
    s_thread_arg_t *args = calloc((size_t)n, sizeof(*args));
    atomic_int finished = 0;
    _Atomic uint64_t last_done = 0;
    if (!tids || !args) {
        free(tids);
        free(args);
        return -1;
    }
    int started = 0;
    for (; started < n; started++) {
        args[started] = (s_thread_arg_t){workers[started], entry, &finished, &last_done};
        if (pthread_create(&tids[started], NULL, s_thread, &args[started]) != 0) {
            fprintf(stderr, "dvcid-load: pthread_create failed\n");
            atomic_store(&run->stop, 1);
            break;
        }
    }
    uint64_t start = lg_clock_ns(), next_print = start + 1000000000u;
    uint64_t last_req = 0, last_flows = 0;
    char max_text[16];
    int seen = 0;
    while (atomic_load(&finished) < started) {
        uint64_t nap = 50000000u, t = lg_clock_ns();
        if (tk && tk->row_start && s_row_end(tk) > t && s_row_end(tk) - t < nap)
            nap = s_row_end(tk) - t;
        struct timespec ts = {0, (long)nap};
        nanosleep(&ts, NULL);
        if (tk)
            s_tick(tk, workers, n, lg_clock_ns());
        if (s_interrupts != seen) {
            seen = s_interrupts;
            if (seen == 1) {
                atomic_store(&run->end_ns, lg_clock_ns());
                fprintf(stderr, "dvcid-load: interrupted: finishing the requests out "
                                "(again to leave now)\n");
            } else {
                atomic_store(&run->stop, 1);
            }
        }
        uint64_t now = lg_clock_ns();
        if (progress && now >= next_print) {
            uint64_t req = 0, fail = 0, flows = 0, max = 0;
            for (int i = 0; i < n; i++) {
                uint64_t a, b, c, d;
                lg_worker_progress(workers[i], &a, &b, &c, &d);
                req += a, fail += b, flows += c;
                max = d > max ? d : max;
            }
            double dt = (double)(now - next_print + 1000000000u) / 1e9;
            lg_report_latency(max_text, sizeof(max_text), max);
            fprintf(stderr,
                    "[%6.1fs] %s: %llu requests (%.0f/s), %llu flows (%.0f/s), %llu failed, "
                    "max latency %s\n",
                    (double)(now - start) / 1e9, label, (unsigned long long)req,
                    (double)(req - last_req) / dt, (unsigned long long)flows,
                    (double)(flows - last_flows) / dt, (unsigned long long)fail, max_text);
            last_req = req, last_flows = flows;
            next_print = now + 1000000000u;
        }
    }
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    if (tk)
        s_tick_end(tk, workers, n, atomic_load(&last_done));
    free(tids);
    free(args);
    return started == n ? 0 : -1;
}

/* Reads ID numbers (one a line) into the workers, round robin. Returns how many, -1 when the
 * file cannot be read (ENOENT: it does not exist yet). */
static long s_load_accounts(const char *path, lg_worker_t **workers, int n) {
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[128];
    long count = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, " \t\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        if (lg_worker_add_account(workers[count % n], line) != 0)
            break;
        count++;
    }
    fclose(f);
    return count;
}

static int s_save_accounts(const char *path, lg_worker_t **workers, int n) {
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    for (int i = 0; i < n; i++)
        for (size_t a = 0; a < lg_worker_accounts(workers[i]); a++)
            fprintf(f, "%s\n", lg_worker_account(workers[i], a));
    return fclose(f) == 0 ? 0 : -1;
}

/* --hdr: every step's expected answers in one histogram, as .hgrm in milliseconds. */
static int s_write_hdr(const char *path, const lg_stats_t *total) {
    lg_hist_t *all = lg_hist_new();
    FILE *f = all ? fopen(path, "w") : NULL;
    int rc = -1;
    if (f) {
        for (int i = 0; i < LG_NSTEPS; i++)
            lg_hist_merge(all, total->steps[i].latency);
        rc = lg_hist_write_hgrm(all, f, 1e6);
        if (fclose(f) != 0)
            rc = -1;
    }
    lg_hist_destroy(&all);
    return rc;
}

int lg_run_load(const lg_opts_t *o) {
    char err[256];
    lg_ident_t ident;
    bool get = o->weights[LG_FLOW_GET] != 0;
    if (!get && lg_ident_init(&ident, o->phone_prefix, o->seed, err, sizeof(err)) != 0) {
        fprintf(stderr, "dvcid-load: %s\n", err);
        return 1;
    }
    lg_run_t run = {.opts = o, .ident = &ident};
    atomic_store(&run.end_ns, UINT64_MAX);
    int n = o->threads;
    lg_worker_t *workers[LG_THREADS_MAX] = {NULL};
    lg_stats_t *total = lg_stats_new(), *prep = NULL;
    bool ticking = o->csv_path || o->nsteps > 0;
    s_ticker_t *tk = calloc(1, sizeof(*tk));
    int rc = 1;
    if (!total || !tk || lg_tally_init(&tk->row) || lg_tally_init(&tk->step) ||
        lg_tally_init(&tk->total))
        goto out;
    if (o->csv_path) {
        if (!(tk->csv = fopen(o->csv_path, "w"))) {
            fprintf(stderr, "dvcid-load: %s: %s\n", o->csv_path, strerror(errno));
            goto out;
        }
        lg_tally_csv_head(tk->csv);
    }
    for (int i = 0; i < n; i++)
        if (!(workers[i] = lg_worker_new(&run, i))) {
            fprintf(stderr, "dvcid-load: cannot set up worker %d\n", i);
            goto out;
        }

    struct sigaction sa = {.sa_handler = s_on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    double prepare_s = 0;
    if (o->weights[LG_FLOW_LOGIN]) {
        long loaded = o->accounts_file ? s_load_accounts(o->accounts_file, workers, n) : -1;
        if (loaded < 0 && o->accounts_file && errno != ENOENT) {
            fprintf(stderr, "dvcid-load: %s: %s\n", o->accounts_file, strerror(errno));
            goto out;
        }
        if (loaded <= 0 && o->prepare > 0) {
            uint64_t t = lg_clock_ns();
            if (s_phase(&run, workers, n, lg_worker_prepare, "prepare", o->progress, NULL) != 0)
                goto out;
            prepare_s = (double)(lg_clock_ns() - t) / 1e9;
            if (!(prep = lg_stats_new()))
                goto out;
            for (int i = 0; i < n; i++) {
                lg_stats_merge(prep, lg_worker_prepare_stats(workers[i]));
                if (lg_worker_failed(workers[i]))
                    goto out;
            }
            if (s_interrupts)
                goto out;
            if (o->accounts_file && s_save_accounts(o->accounts_file, workers, n) != 0)
                fprintf(stderr, "dvcid-load: cannot write %s: %s\n", o->accounts_file,
                        strerror(errno));
        }
    }

    /* A short lead so every thread is waiting when the first arrival is due. */
    run.t0_ns = lg_clock_ns() + 20000000u;
    run.measure_ns = run.t0_ns + (uint64_t)(o->warmup_s * 1e9);
    atomic_store(&run.end_ns, run.measure_ns + (uint64_t)(o->duration_s * 1e9));
    if (ticking) {
        tk->o = o;
        tk->run = &run;
        tk->interval_ns = (uint64_t)(o->interval_s * 1e9);
        tk->step_ns = (uint64_t)(o->step_s * 1e9);
    }
    if (s_phase(&run, workers, n, lg_worker_run, "run", o->progress, ticking ? tk : NULL) != 0)
        goto out;
    uint64_t end = atomic_load(&run.end_ns);
    double seconds = end > run.measure_ns ? (double)(end - run.measure_ns) / 1e9 : 0;

    uint64_t connects = 0;
    size_t accounts = 0;
    for (int i = 0; i < n; i++) {
        lg_stats_merge(total, lg_worker_stats(workers[i]));
        connects += lg_worker_connects(workers[i]);
        accounts += lg_worker_accounts(workers[i]);
    }
    if (o->hdr_path && s_write_hdr(o->hdr_path, total) != 0) {
        fprintf(stderr, "dvcid-load: cannot write %s: %s\n", o->hdr_path, strerror(errno));
        goto out;
    }
    lg_report_t report = {.opts = o,
                          .rate_steps = ticking ? tk->results : NULL,
                          .nrate_steps = ticking ? tk->nresults : 0,
                          .stats = total,
                          .seconds = seconds,
                          .connects = connects,
                          .prep_stats = prep,
                          .prepare_seconds = prepare_s,
                          .accounts = accounts};
    lg_report_text(o->json ? stderr : stdout, &report);
    if (o->json) {
        json_t *doc = lg_report_json(&report);
        if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) != 0) {
            json_decref(doc);
            goto out;
        }
        fputc('\n', stdout);
        json_decref(doc);
    }
    uint64_t ok = 0;
    for (int i = 0; i < LG_NSTEPS; i++)
        ok += total->steps[i].ok;
    rc = ok > 0 ? 0 : 1;
out:
    for (int i = 0; i < n; i++)
        lg_worker_destroy(&workers[i]);
    if (tk) {
        if (tk->csv && fclose(tk->csv) != 0) {
            fprintf(stderr, "dvcid-load: cannot write %s: %s\n", o->csv_path, strerror(errno));
            rc = 1;
        }
        lg_tally_free(&tk->row);
        lg_tally_free(&tk->step);
        lg_tally_free(&tk->total);
        free(tk);
    }
    lg_stats_destroy(&total);
    lg_stats_destroy(&prep);
    return rc;
}
