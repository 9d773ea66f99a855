/* dvcctl import: fills account-svc's stores with made-up accounts for benchmarks and
 * capacity tests, fast (docs/BENCHMARKS.md "Data size"). It writes each shard's LMDB
 * environment directly, with account-svc's own code: the databases it opens
 * (acct_service_db_open), the record it writes (acct_account_create) and the shard
 * rule (cmn_shard_of). Identities are dvcid-load's (lg_ident), so a run of the load
 * generator can sign in with them: phones under the test prefix get the test code.
 *
 * Honest records, not argon2 per account: the password is hashed once, with the
 * configured argon2id parameters, and that real crypto_pwhash_str string is stored in
 * every account, so signing in with the password runs the full verification as for
 * any account; only the salt is shared, which matters to an attacker with the disk,
 * not to a benchmark. Accounts are generated in sorted runs of S_CHUNK so the B-tree
 * is written in key order, each run one durable commit per shard. */
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

#define S_CHUNK 1000000u

typedef struct {
    char id[LG_ID_LEN + 1];
    char dob[11];
    char e164[CMN_PHONE_E164_MAX];
} s_person_t;

typedef struct {
    unsigned long long count, first, seed, sample;
    const char *password, *prefix, *accounts;
    const char *name;
} s_opts_t;

static int s_cmp(const void *a, const void *b) {
    return strcmp(((const s_person_t *)a)->id, ((const s_person_t *)b)->id);
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
            "  writes COUNT accounts (persons K.. of dvcid-load's identities for seed N)\n"
            "  into account-svc's stores; best with account-svc stopped. --accounts writes\n"
            "  up to --sample (default 10000) of them, spread evenly, as \"ID PHONE\" lines\n"
            "  for dvcid-load --accounts. Password default Tr0ng!Dong2024, prefix +8490000.\n");
    return DVCCTL_USAGE;
}

static int s_parse(int argc, char **argv, s_opts_t *o) {
    static const struct option longs[] = {{"seed", required_argument, NULL, 's'},
                                          {"first", required_argument, NULL, 'f'},
                                          {"password", required_argument, NULL, 'p'},
                                          {"phone-prefix", required_argument, NULL, 'x'},
                                          {"accounts", required_argument, NULL, 'a'},
                                          {"sample", required_argument, NULL, 'n'},
                                          {NULL, 0, NULL, 0}};
    *o = (s_opts_t){.seed = 1,
                    .sample = 10000,
                    .password = "Tr0ng!Dong2024",
                    .prefix = "+8490000",
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
        unsigned long long *num = c == 's' ? &o->seed : c == 'f' ? &o->first : &o->sample;
        switch (c) {
        case 's':
        case 'f':
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
    return errno || *end || !args[optind][0] || o->count == 0 ? -1 : 0;
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

/* Writes people[0..n) (sorted) to the shards they belong to: one commit per shard.
 * Adds to *made and *existed. Returns 0 or -1 (printed). */
static int s_write(cmn_db_t **dbs, int nshards, const s_person_t *people, size_t n,
                   const char *name, const char *hash, unsigned long long *made,
                   unsigned long long *existed) {
    uint64_t now = cmn_time_now_ms();
    for (int s = 0; s < nshards; s++) {
        MDB_txn *txn;
        int rc = mdb_txn_begin(cmn_db_env(dbs[s]), NULL, 0, &txn);
        if (rc != 0) {
            fprintf(stderr, "dvcctl: shard %d: %s\n", s, mdb_strerror(rc));
            return -1;
        }
        MDB_dbi dbi = cmn_db_dbi(dbs[s], ACCT_DB_ACCOUNTS);
        for (size_t i = 0; i < n; i++) {
            if (nshards > 1 && cmn_shard_of(cmn_shard_key_of_id_number(people[i].id), nshards) != s)
                continue;
            int put = acct_account_create(txn, dbi, people[i].id, name, people[i].dob, "",
                                          people[i].e164, hash, now);
            if (put == CMN_DB_ERROR) {
                mdb_txn_abort(txn);
                fprintf(stderr,
                        "dvcctl: shard %d: cannot write an account (is [storage] "
                        "map_size_mib large enough?)\n",
                        s);
                return -1;
            }
            if (put == CMN_DB_EXISTS)
                (*existed)++;
            else
                (*made)++;
        }
        rc = mdb_txn_commit(txn);
        if (rc != 0) {
            fprintf(stderr, "dvcctl: shard %d: commit: %s\n", s, mdb_strerror(rc));
            return -1;
        }
    }
    return 0;
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
    size_t cap = o->count < S_CHUNK ? (size_t)o->count : S_CHUNK;
    s_person_t *people = malloc(cap * sizeof(*people));
    if (!people)
        return DVCCTL_FAILED;
    unsigned long long stride = o->sample && o->count > o->sample ? o->count / o->sample : 1;
    unsigned long long made = 0, existed = 0, done = 0;
    int rc = DVCCTL_OK;
    double t1 = s_now();
    while (done < o->count && rc == DVCCTL_OK) {
        size_t n = 0;
        for (; n < cap && done < o->count; n++, done++) {
            uint64_t k = o->first + done;
            char phone[LG_PHONE_LEN + 1];
            lg_ident_person(&ident, k, people[n].id, people[n].dob);
            lg_ident_phone(&ident, k, phone);
            if (cmn_valid_phone(phone, people[n].e164) != NULL) {
                n--; /* not a mobile number under the prefix: this k has none */
                continue;
            }
            if (list && o->sample && done % stride == 0 && done / stride < o->sample)
                fprintf(list, "%s %s\n", people[n].id, phone);
        }
        qsort(people, n, sizeof(*people), s_cmp);
        if (s_write(dbs, nshards, people, n, name, hash, &made, &existed) != 0)
            rc = DVCCTL_FAILED;
    }
    double t2 = s_now();
    free(people);
    sodium_memzero(hash, sizeof(hash));
    printf("imported %llu accounts (%llu were there) into %d shard(s) in %.1f s: %.0f "
           "accounts/s (one argon2id hash: %.2f s)\n",
           made, existed, nshards, t2 - t1, (double)(made + existed) / (t2 - t1 + 1e-9), t1 - t0);
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
