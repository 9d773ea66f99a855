/* dvcctl shards / shard-prune: where account records live, and the clean-up after a
 * split (docs/SHARDING.md). Also the routing every account command uses. */
#include <stdio.h>
#include <stdlib.h>

#include "cmn_client.h"
#include "cmn_endpoints.h"
#include "cmn_shard.h"
#include "dvcctl.h"

/* The endpoints of [account] endpoint, or NULL (printed). */
static cmn_endpoints_t *s_endpoints(const cmn_config_t *cfg) {
    char err[256];
    cmn_endpoints_t *eps =
        cmn_endpoints_new("[account] endpoint", cfg->account_endpoint, err, sizeof(err));
    if (!eps)
        fprintf(stderr, "dvcctl: %s\n", err);
    return eps;
}

void dvcctl_shard_list(const cmn_endpoints_t *eps, int shard, char *out, size_t outlen) {
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < cmn_endpoints_instances(eps, shard) && used < outlen; i++) {
        const char *key = cmn_endpoints_server_key(eps, shard, i);
        used += (size_t)snprintf(out + used, outlen - used, "%s%s%s%s", i ? ", " : "",
                                 cmn_endpoints_get(eps, shard, i), key[0] ? "@" : "", key);
    }
}

/* Asks one shard: its instances in turn (cmn_client) until one answers. */
static int s_call_shard(const cmn_config_t *cfg, const cmn_endpoints_t *eps, int shard,
                        Dvcid__Request *req, Dvcid__Reply **reply) {
    char list[CMN_CONFIG_LIST];
    dvcctl_shard_list(eps, shard, list, sizeof(list));
    return dvcctl_call(cfg, list, req, reply);
}

int dvcctl_call_account(const cmn_config_t *cfg, Dvcid__Request *req, Dvcid__Reply **reply) {
    cmn_endpoints_t *eps = s_endpoints(cfg);
    if (!eps)
        return DVCCTL_USAGE;
    uint16_t key;
    int n = cmn_endpoints_shards(eps);
    int shard = cmn_shard_route(req, &key) == CMN_SHARD_KEYED ? cmn_shard_of(key, n) : 0;
    int rc = s_call_shard(cfg, eps, shard, req, reply);
    cmn_endpoints_destroy(&eps);
    return rc;
}

static void s_print(const Dvcid__ShardStatsReply *r, const char *what, uint64_t *records,
                    uint64_t *misplaced) {
    printf("shard %u of %u:", r->shard, r->shards);
    for (size_t t = 0; t < r->n_tables; t++) {
        printf(" %s %llu", r->tables[t]->name, (unsigned long long)r->tables[t]->records);
        if (r->tables[t]->misplaced)
            printf(" (%llu %s)", (unsigned long long)r->tables[t]->misplaced, what);
        if (t == 0) /* accounts: the figure the split must keep */
            *records += r->tables[t]->records;
        *misplaced += r->tables[t]->misplaced;
    }
    printf("\n");
}

/* Asks every shard for its stats (shards = 0) or to prune (prune), and prints. */
static int s_each(const cmn_config_t *cfg, uint32_t shards, int prune) {
    cmn_endpoints_t *eps = s_endpoints(cfg);
    if (!eps)
        return DVCCTL_USAGE;
    int rc = DVCCTL_OK;
    uint64_t accounts = 0, misplaced = 0;
    for (int s = 0; s < cmn_endpoints_shards(eps) && rc == DVCCTL_OK; s++) {
        Dvcid__Request req = DVCID__REQUEST__INIT;
        Dvcid__ShardStats stats = DVCID__SHARD_STATS__INIT;
        Dvcid__ShardPrune pr = DVCID__SHARD_PRUNE__INIT;
        req.trace_id = "dvcctl";
        if (prune) {
            req.body_case = DVCID__REQUEST__BODY_SHARD_PRUNE;
            req.shard_prune = &pr;
        } else {
            stats.shards = shards;
            req.body_case = DVCID__REQUEST__BODY_SHARD_STATS;
            req.shard_stats = &stats;
        }
        /* A prune deletes at most its limit per call (one write transaction): again
         * until a call deletes nothing. */
        for (uint64_t deleted = 1; deleted > 0 && rc == DVCCTL_OK;) {
            Dvcid__Reply *r = NULL;
            rc = s_call_shard(cfg, eps, s, &req, &r);
            if (rc != DVCCTL_OK)
                break;
            if (r->body_case != DVCID__REPLY__BODY_SHARD_STATS) {
                dvcid__reply__free_unpacked(r, NULL);
                rc = DVCCTL_FAILED;
                break;
            }
            uint64_t before = misplaced;
            s_print(r->shard_stats, prune ? "deleted" : "misplaced", &accounts, &misplaced);
            deleted = prune ? misplaced - before : 0;
            if (prune && deleted > 0)
                accounts -= r->shard_stats->tables[0]->records; /* counted again next */
            dvcid__reply__free_unpacked(r, NULL);
        }
    }
    cmn_endpoints_destroy(&eps);
    if (rc != DVCCTL_OK)
        return rc;
    printf("accounts %llu, %s %llu\n", (unsigned long long)accounts,
           prune ? "deleted" : "misplaced", (unsigned long long)misplaced);
    /* Stats fail when something sits on the wrong shard: the check of a split. */
    return prune || misplaced == 0 ? DVCCTL_OK : DVCCTL_FAILED;
}

int dvcctl_shards(const cmn_config_t *cfg, int argc, char **argv) {
    char *end = NULL;
    long n = argc == 1 ? strtol(argv[0], &end, 10) : 0;
    if (argc > 1 || (argc == 1 && (*end || n < 1 || n > CMN_SHARD_MAX))) {
        fprintf(stderr, "usage: dvcctl shards [COUNT]  (COUNT: judge placement as if there "
                        "were that many shards)\n");
        return DVCCTL_USAGE;
    }
    return s_each(cfg, (uint32_t)n, 0);
}

int dvcctl_shard_prune(const cmn_config_t *cfg, int argc, char **argv) {
    (void)argv;
    if (argc != 0) {
        fprintf(stderr, "usage: dvcctl shard-prune\n");
        return DVCCTL_USAGE;
    }
    return s_each(cfg, 0, 1);
}
