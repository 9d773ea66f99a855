/* acct_shard: the admit check, placement stats and pruning. */
#include "acct_shard.h"

#include <string.h>

#include "acct_lockout.h"
#include "acct_phone_change.h"
#include "acct_state.h"
#include "cmn_log.h"
#include "cmn_shard.h"
#include "proto/store.pb-c.h"

int acct_shard_admit(cmn_ctx_t *ctx, cmn_call_t **call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    uint16_t key;
    if (st->nshards <= 1 || cmn_shard_route(req, &key) != CMN_SHARD_KEYED)
        return 0;
    int owner = cmn_shard_of(key, st->nshards);
    if (owner == st->shard)
        return 0;
    CMN_WARN(req->trace_id, "request %d for shard %d refused on shard %d (a stale shard map?)",
             (int)req->body_case, owner, st->shard);
    cmn_call_fail(ctx, call, DVCID__STATUS__STATUS_WRONG_SHARD);
    return 1;
}

/* --- placement: stats and pruning ------------------------------------------------------ */

/* The shard key of one record of database db. Returns 1, 0 when the record carries
 * none (kept on every shard), -1 when it cannot be read. */
static int s_record_key(int db, const MDB_val *k, const MDB_val *v, uint16_t *key) {
    char idn[64];
    switch (db) {
    case ACCT_DB_ACCOUNTS:
    case ACCT_DB_FAILURES: { /* keyed by the ID number ("ID@source", acct_lockout) */
        size_t n =
            db == ACCT_DB_FAILURES ? acct_lockout_key_id_len(k->mv_data, k->mv_size) : k->mv_size;
        if (n == 0)
            return 0; /* a source's spraying window: each shard counts its own */
        if (n >= sizeof(idn))
            return -1;
        memcpy(idn, k->mv_data, n);
        idn[n] = '\0';
        *key = cmn_shard_key_of_id_number(idn);
        return 1;
    }
    case ACCT_DB_REGISTRATIONS:
    case ACCT_DB_CAPTCHAS:
    case ACCT_DB_FLOWS: /* keyed by an id that carries the key */
        if (k->mv_size != CMN_ID_BYTES)
            return -1;
        *key = cmn_shard_id_key(k->mv_data);
        return 1;
    case ACCT_DB_PHONE_CHANGES: { /* a due time, then the ID number */
        const char *at = NULL;
        size_t n = acct_phone_change_key_id(k->mv_data, k->mv_size, &at);
        if (n == 0 || n >= sizeof(idn))
            return -1;
        memcpy(idn, at, n);
        idn[n] = '\0';
        *key = cmn_shard_key_of_id_number(idn);
        return 1;
    }
    case ACCT_DB_NOTICES: /* the hex form of such an id */
        return k->mv_size == CMN_ID_HEX - 1 && cmn_shard_hex_key(k->mv_data, key) ? 1 : -1;
    case ACCT_DB_SESSIONS: { /* keyed by a token hash: the record names its account */
        Dvcid__Store__Session *s = dvcid__store__session__unpack(NULL, v->mv_size, v->mv_data);
        if (!s)
            return -1;
        *key = cmn_shard_key_of_id_number(s->id_number);
        dvcid__store__session__free_unpacked(s, NULL);
        return 1;
    }
    default: /* limits: a client address's windows; each shard counts its own */
        return 0;
    }
}

typedef struct {
    int db, shard, nshards;
    Dvcid__ShardTable *t;
    uint32_t *budget;
} s_scan_t;

/* Counts a record, and deletes it while the budget lasts when shard does not own it. */
static int s_scan_one(const MDB_val *k, const MDB_val *v, void *arg) {
    s_scan_t *sc = arg;
    uint16_t key;
    int has = s_record_key(sc->db, k, v, &key);
    sc->t->records++;
    if (has == 0 || (has > 0 && cmn_shard_of(key, sc->nshards) == sc->shard))
        return CMN_DB_EACH_NEXT;
    if (!sc->budget) {
        sc->t->misplaced++;
    } else if (*sc->budget > 0 && has > 0) {
        (*sc->budget)--;
        sc->t->records--;
        sc->t->misplaced++; /* counts what was deleted */
        return CMN_DB_EACH_DELETE;
    }
    return CMN_DB_EACH_NEXT;
}

/* Counts (and with budget, deletes up to *budget) the records of db that shard
 * does not own among nshards. Returns 0 or -1. */
static int s_scan(cmn_ctx_t *ctx, int db, int shard, int nshards, Dvcid__ShardTable *t,
                  uint32_t *budget) {
    acct_state_t *st = ctx->self;
    s_scan_t sc = {db, shard, nshards, t, budget};
    return cmn_db_each(ctx->txn, ACCT_DBI(st, db), NULL, 0, s_scan_one, &sc) < 0 ? -1 : 0;
}

static int s_placement(cmn_ctx_t *ctx, cmn_call_t *call, int nshards, uint32_t *budget) {
    acct_state_t *st = ctx->self;
    Dvcid__ShardTable tables[ACCT_NDB];
    Dvcid__ShardTable *ptrs[ACCT_NDB];
    for (int db = 0; db < ACCT_NDB; db++) {
        dvcid__shard_table__init(&tables[db]);
        tables[db].name = (char *)acct_service_db_names[db];
        ptrs[db] = &tables[db];
        if (s_scan(ctx, db, st->shard, nshards, &tables[db], budget) != 0) {
            cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
            return -1;
        }
    }
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__ShardStatsReply body = DVCID__SHARD_STATS_REPLY__INIT;
    body.shard = (uint32_t)st->shard;
    body.shards = (uint32_t)nshards;
    body.n_tables = ACCT_NDB;
    body.tables = ptrs;
    r.body_case = DVCID__REPLY__BODY_SHARD_STATS;
    r.shard_stats = &body;
    cmn_call_reply(ctx, &call, &r);
    return 0;
}

int acct_shard_stats(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    uint32_t n = req->shard_stats->shards;
    if (n > CMN_SHARD_MAX || (n > 0 && (int)n <= st->shard)) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INVALID_REQUEST);
        return 0;
    }
    return s_placement(ctx, call, n ? (int)n : st->nshards, NULL);
}

int acct_shard_prune(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    uint32_t budget = req->shard_prune->limit ? req->shard_prune->limit : 10000;
    CMN_INFO(req->trace_id, "shard %d of %d: pruning up to %u records it does not own", st->shard,
             st->nshards, budget);
    return s_placement(ctx, call, st->nshards, &budget);
}
