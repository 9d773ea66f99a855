/* dvcctl import: fills account-svc's stores with made-up accounts for benchmarks and
 * capacity tests, fast (docs/BENCHMARKS.md "Data size"). It writes each shard's LMDB
 * environment directly, with account-svc's own code: the databases it opens
 * (acct_service_db_open), the record it writes (acct_account_create_put) and the shard
 * rule (cmn_shard_of). Identities are dvcid-load's (lg_ident), so a run of the load
 * generator can sign in with them: phones under the test prefix get the test code.
 *
 * Honest records, not argon2 per account: the password is hashed once, with the
 * configured argon2id parameters, and that real crypto_pwhash_str string is stored in
 * every account, so signing in with the password runs the full verification as for
 * any account; only the salt is shared, which matters to an attacker with the disk,
 * not to a benchmark.
 *
 * Written in key order, all of it: the IDs are sorted first (16 bytes each in memory), then
 * each shard's accounts go in with MDB_APPEND, a commit per --commit-every (S_CHUNK). An earlier
 * version sorted runs of a million that then interleaved: each run rewrote nearly every leaf of the
 * runs before it, the store ended with half its pages on LMDB's freelist, and every later
 * commit of account-svc rewrote that freelist (14.5 against 4.3 KiB written per start at
 * 3 M accounts, docs/BENCHMARKS.md "Data size"). Appended, the tree has full leaves and no
 * freelist: like a store compacted with mdb_copy -c, denser than one grown by random
 * registrations (about 70 % full leaves). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acct_account.h"
#include "acct_service.h"
#include "acct_state.h"
#include "cmn_endpoints.h"
#include "cmn_log.h"
#include "cmn_shard.h"
#include "cmn_time.h"
#include "cmn_validate.h"
#include "dvcctl.h"
#include "lg_ident.h"

#define S_CHUNK 1000000u /* accounts per commit and shard by default: bounded transactions */

/* One made-up person: the ID number as a number (12 digits: the same order as the key's
 * bytes) and the identity index that gives back the ID, birth date and phone. */
typedef struct {
    uint64_t id;
    uint64_t k;
} s_entry_t;

typedef struct {
    unsigned long long count, first, seed, sample, chunk;
    const char *password, *prefix, *accounts;
    const char *name;
} s_opts_t;

static int s_cmp(const void *a, const void *b) {
    uint64_t x = ((const s_entry_t *)a)->id, y = ((const s_entry_t *)b)->id;
    return x < y ? -1 : x > y;
}

static double s_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int s_usage(void) {
    fprintf(stderr,
            "usage: dvcctl import COUNT [--seed N] [--first K] [--password PW]\n"
            "                    [--phone-prefix P] [--accounts FILE] [--sample N]\n"
            "                    [--commit-every N]\n"
            "  writes COUNT accounts (persons K.. of dvcid-load's identities for seed N)\n"
            "  into account-svc's stores; best with account-svc stopped. --accounts writes\n"
            "  up to --sample (default 10000) of them, spread evenly, as \"ID PHONE\" lines\n"
            "  for dvcid-load --accounts. Password default Tr0ng!Dong2024, prefix +8430000.\n"
            "  Written in ID order, a commit per --commit-every (1000000) accounts a shard.\n");
    return DVCCTL_USAGE;
}

static int s_parse(int argc, char **argv, s_opts_t *o) {
    static const struct option longs[] = {{"seed", required_argument, NULL, 's'},
                                          {"first", required_argument, NULL, 'f'},
                                          {"password", required_argument, NULL, 'p'},
                                          {"phone-prefix", required_argument, NULL, 'x'},
                                          {"accounts", required_argument, NULL, 'a'},
                                          {"sample", required_argument, NULL, 'n'},
                                          {"commit-every", required_argument, NULL, 'c'},
                                          {NULL, 0, NULL, 0}};
    *o = (s_opts_t){.seed = 1,
                    .sample = 10000,
                    .chunk = S_CHUNK,
                    .password = "Tr0ng!Dong2024",
                    .prefix = "+8430000",
                    .name = "Nguyễn Văn An"};
    /* argv[0] is the first argument: getopt wants a program name before it. */
    char *args[64];
    if (argc + 1 > (int)(sizeof(args) / sizeof(args[0])))
        return -1;
    args[0] = "import";
    memcpy(args + 1, argv, (size_t)argc * sizeof(char *));
    optind = 1;
    int c;
    char *end;
    while ((c = getopt_long(argc + 1, args, "", longs, NULL)) != -1) {
        if (!optarg)
            return -1; /* every option takes an argument ('?' has none) */
        unsigned long long *num = c == 's'   ? &o->seed
                                  : c == 'f' ? &o->first
                                  : c == 'c' ? &o->chunk
                                             : &o->sample;
        switch (c) {
        case 's':
        case 'f':
        case 'c':
        case 'n':
            errno = 0;
            *num = strtoull(optarg, &end, 10);
            if (errno || *end || !optarg[0])
                return -1;
            break;
        case 'p':
            o->password = optarg;
            break;
        case 'x':
            o->prefix = optarg;
            break;
        case 'a':
            o->accounts = optarg;
            break;
        default:
            return -1;
        }
    }
    if (optind != argc)
        return -1;
    errno = 0;
    o->count = strtoull(args[optind], &end, 10);
    return errno || *end || !args[optind][0] || o->count == 0 || o->chunk == 0 ? -1 : 0;
}

/* The number of account shards of cfg, or -1 (printed). */
static int s_shards(const cmn_config_t *cfg) {
    char err[256];
    cmn_endpoints_t *eps =
        cmn_endpoints_new("[account] endpoint", cfg->account_endpoint, err, sizeof(err));
    if (!eps) {
        fprintf(stderr, "dvcctl: %s\n", err);
        return -1;
    }
    int n = cmn_endpoints_shards(eps);
    cmn_endpoints_destroy(&eps);
    return n;
}

typedef struct {
    const lg_ident_t *ident;
    const char *name, *hash;
    unsigned long long chunk, made, existed;
} s_load_t;

/* The largest key of dbi into last (NUL-terminated; "" when dbi is empty). Returns an
 * LMDB code. */
static int s_last_key(cmn_db_t *db, MDB_dbi dbi, char *last, size_t cap) {
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    last[0] = '\0';
    int rc = cmn_db_txn_begin(db, NULL, MDB_RDONLY, &txn);
    if (rc != 0)
        return rc;
    if ((rc = mdb_cursor_open(txn, dbi, &cur)) == 0) {
        rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
        if (rc == 0 && k.mv_size < cap) {
            memcpy(last, k.mv_data, k.mv_size);
            last[k.mv_size] = '\0';
        }
        rc = rc == MDB_NOTFOUND ? 0 : rc;
        mdb_cursor_close(cur);
    }
    mdb_txn_abort(txn);
    return rc;
}

/* Writes the entries of shard s (all sorted, others skipped) in key order: those after the
 * largest key already there with MDB_APPEND (the ones before it are smaller still), so
 * leaves fill one after the other (full pages, none split, none freed but each commit's
 * right edge); the rest, among the accounts of an earlier import, as ordinary puts. A
 * commit per l->chunk accounts. Returns 0 or -1 (printed). */
static int s_write_shard(cmn_db_t *db, int s, int nshards, const s_entry_t *all, size_t n,
                         s_load_t *l) {
    uint64_t now = cmn_time_now_ms();
    MDB_dbi dbi = cmn_db_dbi(db, ACCT_DB_ACCOUNTS);
    char last[CMN_DB_KEY_MAX + 1];
    int rc = s_last_key(db, dbi, last, sizeof(last));
    MDB_txn *txn = NULL;
    size_t in_txn = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char id[LG_ID_LEN + 1], dob[11], phone[LG_PHONE_LEN + 1], e164[CMN_PHONE_E164_MAX];
        lg_ident_person(l->ident, all[i].k, id, dob);
        if (nshards > 1 && cmn_shard_of(cmn_shard_key_of_id_number(id), nshards) != s)
            continue;
        lg_ident_phone(l->ident, all[i].k, phone);
        if (cmn_valid_phone(phone, e164) != NULL)
            continue; /* not reached: s_gather kept only valid ones */
        if (!txn && (rc = cmn_db_txn_begin(db, NULL, 0, &txn)) != 0)
            break;
        /* Keys of one length (12 digits): strcmp is LMDB's order. */
        int how = CMN_DB_NOOVER | (strcmp(id, last) > 0 ? CMN_DB_APPEND : 0);
        int put = acct_account_create_put(txn, dbi, id, l->name, dob, "", e164, l->hash, now, how);
        if (put == CMN_DB_ERROR) {
            mdb_txn_abort(txn);
            fprintf(stderr,
                    "dvcctl: shard %d: cannot write an account (is the disk or [storage] "
                    "max_map_mib large enough?)\n",
                    s);
            return -1;
        }
        if (put == CMN_DB_EXISTS)
            l->existed++;
        else
            l->made++;
        if (++in_txn == l->chunk) {
            rc = mdb_txn_commit(txn);
            txn = NULL;
            in_txn = 0;
        }
    }
    if (rc == 0 && txn)
        rc = mdb_txn_commit(txn);
    else if (txn)
        mdb_txn_abort(txn);
    if (rc != 0) {
        fprintf(stderr, "dvcctl: shard %d: %s\n", s, mdb_strerror(rc));
        return -1;
    }
    return 0;
}

/* The persons of the run (o->first.. o->first + count, those with a mobile number under the
 * prefix), sorted by ID number into *out; the sampled ones listed. Returns how many, or
 * (size_t)-1 (printed). */
static size_t s_gather(const lg_ident_t *ident, const s_opts_t *o, FILE *list, s_entry_t **out) {
    s_entry_t *all = malloc((size_t)o->count * sizeof(*all));
    if (!all) {
        fprintf(stderr, "dvcctl: import: %llu MiB of memory needed to sort the IDs\n",
                (unsigned long long)((o->count * sizeof(*all)) >> 20) + 1);
        return (size_t)-1;
    }
    unsigned long long stride = o->sample && o->count > o->sample ? o->count / o->sample : 1;
    size_t n = 0;
    for (unsigned long long done = 0; done < o->count; done++) {
        uint64_t k = o->first + done;
        char id[LG_ID_LEN + 1], dob[11], phone[LG_PHONE_LEN + 1], e164[CMN_PHONE_E164_MAX];
        lg_ident_person(ident, k, id, dob);
        lg_ident_phone(ident, k, phone);
        if (cmn_valid_phone(phone, e164) != NULL)
            continue; /* not a mobile number under the prefix: this k has none */
        if (list && o->sample && done % stride == 0 && done / stride < o->sample)
            fprintf(list, "%s %s\n", id, phone);
        all[n].id = strtoull(id, NULL, 10);
        all[n++].k = k;
    }
    qsort(all, n, sizeof(*all), s_cmp);
    *out = all;
    return n;
}

static int s_import(const cmn_config_t *cfg, const s_opts_t *o, cmn_db_t **dbs, int nshards,
                    FILE *list) {
    char err[256], name[256], hash[crypto_pwhash_STRBYTES];
    lg_ident_t ident;
    if (lg_ident_init(&ident, o->prefix, o->seed, err, sizeof(err)) != 0) {
        fprintf(stderr, "dvcctl: %s\n", err);
        return DVCCTL_USAGE;
    }
    if (cmn_name_normalize(o->name, name, sizeof(name)) != 0)
        return DVCCTL_FAILED;
    double t0 = s_now();
    if (crypto_pwhash_str(hash, o->password, strlen(o->password),
                          (unsigned long long)cfg->account_argon2_ops,
                          (size_t)cfg->account_argon2_mem_mib * 1024u * 1024u) != 0) {
        fprintf(stderr, "dvcctl: argon2id: out of memory\n");
        return DVCCTL_FAILED;
    }
    double t1 = s_now();
    s_entry_t *all = NULL;
    size_t n = s_gather(&ident, o, list, &all);
    int rc = n == (size_t)-1 ? DVCCTL_FAILED : DVCCTL_OK;
    s_load_t l = {.ident = &ident, .name = name, .hash = hash, .chunk = o->chunk};
    for (int s = 0; s < nshards && rc == DVCCTL_OK; s++)
        if (s_write_shard(dbs[s], s, nshards, all, n, &l) != 0)
            rc = DVCCTL_FAILED;
    double t2 = s_now();
    free(all);
    sodium_memzero(hash, sizeof(hash));
    printf("imported %llu accounts (%llu were there) into %d shard(s) in %.1f s: %.0f "
           "accounts/s (one argon2id hash: %.2f s)\n",
           l.made, l.existed, nshards, t2 - t1, (double)(l.made + l.existed) / (t2 - t1 + 1e-9),
           t1 - t0);
    return rc;
}

int dvcctl_import(const cmn_config_t *cfg, int argc, char **argv) {
    s_opts_t o;
    if (s_parse(argc, argv, &o) != 0)
        return s_usage();
    int nshards = s_shards(cfg);
    if (nshards < 1)
        return DVCCTL_FAILED;
    cmn_db_t *dbs[CMN_SHARD_MAX] = {0};
    int rc = DVCCTL_OK;
    for (int s = 0; s < nshards && rc == DVCCTL_OK; s++)
        if (!(dbs[s] = acct_service_db_open(cfg, s)))
            rc = DVCCTL_FAILED;
    FILE *list = NULL;
    if (rc == DVCCTL_OK && o.accounts && !(list = fopen(o.accounts, "w"))) {
        fprintf(stderr, "dvcctl: %s: %s\n", o.accounts, strerror(errno));
        rc = DVCCTL_FAILED;
    }
    if (rc == DVCCTL_OK)
        rc = s_import(cfg, &o, dbs, nshards, list);
    if (list && fclose(list) != 0 && rc == DVCCTL_OK) {
        fprintf(stderr, "dvcctl: %s: %s\n", o.accounts, strerror(errno));
        rc = DVCCTL_FAILED;
    }
    for (int s = 0; s < nshards; s++)
        cmn_db_destroy(&dbs[s]);
    return rc;
}
