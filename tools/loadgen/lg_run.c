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
} s_thread_arg_t;

static void *s_thread(void *arg) {
    s_thread_arg_t *t = arg;
    t->entry(t->worker);
    atomic_fetch_add(t->finished, 1);
    return NULL;
}

/* Runs entry on every worker in its own thread; prints progress each second when asked
 * (label names the phase); turns signals into an earlier end. Returns 0 or -1. */
static int s_phase(lg_run_t *run, lg_worker_t **workers, int n, void *(*entry)(void *),
                   const char *label, bool progress) {
    pthread_t *tids = calloc((size_t)n, sizeof(*tids));
    s_thread_arg_t *args = calloc((size_t)n, sizeof(*args));
    atomic_int finished = 0;
    if (!tids || !args) {
        free(tids);
        free(args);
        return -1;
    }
    int started = 0;
    for (; started < n; started++) {
        args[started] = (s_thread_arg_t){workers[started], entry, &finished};
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
        usleep(50000);
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
    int rc = 1;
    if (!total)
        goto out;
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
            if (s_phase(&run, workers, n, lg_worker_prepare, "prepare", o->progress) != 0)
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
    if (s_phase(&run, workers, n, lg_worker_run, "run", o->progress) != 0)
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
    lg_report_t report = {.opts = o,
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
    lg_stats_destroy(&total);
    lg_stats_destroy(&prep);
    return rc;
}
