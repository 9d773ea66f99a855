/* lg_ceiling_commits: raw durable LMDB commits per second on a directory's disk
 * (lg_ceiling.h): one write transaction with one put per commit, synced as the services'
 * are (no MDB_NOSYNC, no MDB_NOMETASYNC). A service that commits once per request can
 * never go faster than this; group commit is how it does. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lg_ceiling.h"
#include "lg_clock.h"
#include "lg_hist.h"

/* The put-and-commit loop on an open environment; returns 0 or an LMDB error. */
static int s_loop(MDB_env *env, long value_bytes, uint64_t end, uint64_t *count, lg_hist_t *h) {
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    int rc = mdb_txn_begin(env, NULL, 0, &txn);
    if (rc == 0)
        rc = mdb_dbi_open(txn, NULL, 0, &dbi);
    if (rc == 0)
        rc = mdb_txn_commit(txn);
    else if (txn)
        mdb_txn_abort(txn);
    char *value = calloc(1, (size_t)value_bytes);
    if (!value)
        return ENOMEM;
    for (uint64_t i = 0; rc == 0; i++) {
        uint64_t t = lg_clock_ns();
        if (t >= end)
            break;
        rc = mdb_txn_begin(env, NULL, 0, &txn);
        if (rc != 0)
            break;
        MDB_val k = {sizeof(i), &i}, v = {(size_t)value_bytes, value};
        memcpy(value, &i, value_bytes >= 8 ? 8 : (size_t)value_bytes);
        rc = mdb_put(txn, dbi, &k, &v, 0);
        if (rc != 0) {
            mdb_txn_abort(txn);
            break;
        }
        rc = mdb_txn_commit(txn);
        lg_hist_record(h, lg_clock_ns() - t);
        (*count)++;
    }
    free(value);
    return rc;
}

int lg_ceiling_commits(int argc, char **argv) {
    const char *dir = NULL;
    long duration = 5, value_bytes = 100;
    int json = 0;
    static const struct option longs[] = {{"dir", required_argument, NULL, 'D'},
                                          {"duration", required_argument, NULL, 'd'},
                                          {"value-bytes", required_argument, NULL, 'v'},
                                          {"json", no_argument, NULL, 'j'},
                                          {NULL, 0, NULL, 0}};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'D':
            dir = optarg;
            break;
        case 'd':
            bad = lg_ceiling_long(optarg, 1, 3600, &duration);
            break;
        case 'v':
            bad = lg_ceiling_long(optarg, 1, 1 << 20, &value_bytes);
            break;
        case 'j':
            json = 1;
            break;
        default:
            bad = 1;
        }
        if (bad) {
            dir = NULL;
            break;
        }
    }
    if (!dir) {
        fprintf(stderr, "usage: dvcid-load commits --dir DIR [--duration S] [--value-bytes N] "
                        "[--json]\n");
        return 2;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "dvcid-load: mkdir %s: %s\n", dir, strerror(errno));
        return 1;
    }
    MDB_env *env = NULL;
    lg_hist_t *h = lg_hist_new();
    int rc = h ? mdb_env_create(&env) : ENOMEM;
    if (rc == 0)
        rc = mdb_env_set_mapsize(env, (size_t)1 << 30);
    if (rc == 0)
        rc = mdb_env_open(env, dir, 0, 0600);
    uint64_t count = 0, start = lg_clock_ns();
    if (rc == 0)
        rc = s_loop(env, value_bytes, start + (uint64_t)duration * 1000000000u, &count, h);
    double secs = (double)(lg_clock_ns() - start) / 1e9;
    if (env)
        mdb_env_close(env);
    char path[4096];
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/lock.mdb", dir);
    unlink(path);
    if (rc != 0) {
        fprintf(stderr, "dvcid-load: commits in %s: %s\n", dir, mdb_strerror(rc));
        lg_hist_destroy(&h);
        return 1;
    }
    double rate = (double)count / secs;
    fprintf(json ? stderr : stdout,
            "LMDB durable commits in %s: %.1f commits/s (%.3f ms mean, p99 %.3f ms)\n", dir, rate,
            lg_hist_mean(h) / 1e6, (double)lg_hist_percentile(h, 99) / 1e6);
    int out = 0;
    if (json) {
        json_t *doc =
            json_pack("{s:s, s:s, s:i, s:I, s:f, s:f, s:f, s:f}", "ceiling", "lmdb_commit", "dir",
                      dir, "value_bytes", (int)value_bytes, "commits", (json_int_t)count, "seconds",
                      secs, "per_second", rate, "ms_mean", lg_hist_mean(h) / 1e6, "ms_p99",
                      (double)lg_hist_percentile(h, 99) / 1e6);
        if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) != 0)
            out = 1;
        else
            fputc('\n', stdout);
        json_decref(doc);
    }
    lg_hist_destroy(&h);
    return out;
}
