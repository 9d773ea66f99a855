/* lg_ceiling_argon2: raw argon2id verifies per second at given parameters on all cores
 * (lg_ceiling.h): one hash made once, then every thread checks the right password against
 * it in a loop for the duration. A sign-in costs exactly one such check, so this is what
 * sign-ins per second can never exceed on this machine. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lg_ceiling.h"
#include "lg_clock.h"
#include "lg_hist.h"

typedef struct {
    const char *hash;
    uint64_t end_ns;
    uint64_t count;
    lg_hist_t *hist;
    int bad;
} s_job_t;

static const char s_password[] = "Tr0ng!Dong2024";

static void *s_verify_loop(void *arg) {
    s_job_t *job = arg;
    for (;;) {
        uint64_t t = lg_clock_ns();
        if (t >= job->end_ns)
            break;
        if (crypto_pwhash_str_verify(job->hash, s_password, strlen(s_password)) != 0)
            job->bad++;
        lg_hist_record(job->hist, lg_clock_ns() - t);
        job->count++;
    }
    return NULL;
}

int lg_ceiling_argon2(int argc, char **argv) {
    long ops = 2, mem_mib = 19, threads = sysconf(_SC_NPROCESSORS_ONLN), duration = 5;
    int json = 0;
    static const struct option longs[] = {
        {"ops", required_argument, NULL, 'o'},     {"mem-mib", required_argument, NULL, 'm'},
        {"threads", required_argument, NULL, 't'}, {"duration", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},          {NULL, 0, NULL, 0}};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'o':
            bad = lg_ceiling_long(optarg, 1, 64, &ops);
            break;
        case 'm':
            bad = lg_ceiling_long(optarg, 1, 4096, &mem_mib);
            break;
        case 't':
            bad = lg_ceiling_long(optarg, 1, 1024, &threads);
            break;
        case 'd':
            bad = lg_ceiling_long(optarg, 1, 3600, &duration);
            break;
        case 'j':
            json = 1;
            break;
        default:
            bad = 1;
        }
        if (bad) {
            fprintf(stderr, "usage: dvcid-load argon2 [--ops N] [--mem-mib M] [--threads T] "
                            "[--duration S] [--json]\n");
            return 2;
        }
    }
    if (threads < 1)
        threads = 1;
    if (sodium_init() < 0) {
        fprintf(stderr, "dvcid-load: sodium_init failed\n");
        return 1;
    }
    char hash[crypto_pwhash_STRBYTES];
    size_t mem = (size_t)mem_mib * 1024u * 1024u;
    if (crypto_pwhash_str(hash, s_password, strlen(s_password), (unsigned long long)ops, mem) !=
        0) {
        fprintf(stderr, "dvcid-load: argon2id hash failed (out of memory?)\n");
        return 1;
    }
    s_job_t *jobs = calloc((size_t)threads, sizeof(*jobs));
    pthread_t *tids = calloc((size_t)threads, sizeof(*tids));
    lg_hist_t *all = lg_hist_new();
    int rc = 1;
    if (!jobs || !tids || !all)
        goto out;
    uint64_t start = lg_clock_ns(), end = start + (uint64_t)duration * 1000000000u;
    long started = 0;
    for (; started < threads; started++) {
        jobs[started] = (s_job_t){.hash = hash, .end_ns = end, .hist = lg_hist_new()};
        if (!jobs[started].hist ||
            pthread_create(&tids[started], NULL, s_verify_loop, &jobs[started]) != 0) {
            lg_hist_destroy(&jobs[started].hist);
            break;
        }
    }
    uint64_t count = 0;
    int bad = 0;
    for (long i = 0; i < started; i++) {
        pthread_join(tids[i], NULL);
        count += jobs[i].count;
        bad += jobs[i].bad;
        lg_hist_merge(all, jobs[i].hist);
        lg_hist_destroy(&jobs[i].hist);
    }
    double secs = (double)(lg_clock_ns() - start) / 1e9;
    if (started != threads || bad) {
        fprintf(stderr, "dvcid-load: argon2: %s\n", bad ? "a verify failed" : "thread failed");
        goto out;
    }
    double rate = (double)count / secs;
    fprintf(
        json ? stderr : stdout,
        "argon2id t=%ld m=%ld MiB: %.1f verifies/s on %ld threads (%.1f ms each, p99 %.1f ms)\n",
        ops, mem_mib, rate, threads, lg_hist_mean(all) / 1e6,
        (double)lg_hist_percentile(all, 99) / 1e6);
    if (json) {
        json_t *doc =
            json_pack("{s:s, s:i, s:i, s:i, s:I, s:f, s:f, s:f, s:f}", "ceiling", "argon2id", "ops",
                      (int)ops, "mem_mib", (int)mem_mib, "threads", (int)threads, "verifies",
                      (json_int_t)count, "seconds", secs, "per_second", rate, "ms_mean",
                      lg_hist_mean(all) / 1e6, "ms_p99", (double)lg_hist_percentile(all, 99) / 1e6);
        if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) != 0) {
            json_decref(doc);
            goto out;
        }
        fputc('\n', stdout);
        json_decref(doc);
    }
    rc = 0;
out:
    free(jobs);
    free(tids);
    lg_hist_destroy(&all);
    return rc;
}
