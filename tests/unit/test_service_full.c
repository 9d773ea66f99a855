/* Unit test of the service loop when the map fills inside a batch (issue 14): one batch
 * holds an item that staged an ask and then failed (its ask turned into a failed
 * continuation), and an item that filled the map, so that writing its answer into the
 * reply cache fails and the whole batch is rolled back. Every staged output is failed a
 * second time then; the failed ask must not become a second continuation without a
 * function (the loop called it: SIGSEGV, account-svc's crash after "reply cache:
 * MDB_MAP_FULL"). Both requests get an answer, the full one 503 (UNAVAILABLE), and a
 * read is still served on the full map. */
#include <czmq.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmn_crypto.h"
#include "cmn_db.h"
#include "cmn_service.h"
#include "tap.h"
#include "tap_service.h"

static MDB_dbi s_dbi;
static int s_peer;
static const char *const s_dbs[] = {"t"};

/* The continuation of the ask: answers the call with the ask's error. */
static int s_asked(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    cmn_call_t *call = arg;
    cmn_call_forward_error(ctx, &call, reply);
    return 0;
}

/* Puts records of vlen bytes in transactions nested in txn, one each, until LMDB
 * refuses one (that one is aborted, so txn stays usable). Raw LMDB on purpose: the
 * refusals are the test's probing, not a failure of the item. */
static void s_fill_with(MDB_env *env, MDB_txn *txn, size_t vlen, uint64_t *n) {
    static char val[1000];
    for (;;) {
        MDB_txn *child = NULL;
        if (mdb_txn_begin(env, txn, 0, &child) != 0)
            return;
        uint64_t key = (*n)++;
        MDB_val k = {sizeof(key), &key}, v = {vlen, val};
        if (mdb_put(child, s_dbi, &k, &v, 0) != 0 || mdb_txn_commit(child) != 0) {
            mdb_txn_abort(child);
            return;
        }
    }
}

/* The client IP says what to do: "ask" asks the peer and fails (returns -1); "fill"
 * fills the map to its last page and answers; "read" only answers. */
/* Fills most of the map before the loop starts, in transactions of 16 records (fast:
 * the handler's probing one record at a time only has the last pages to fill). */
static void s_prefill(cmn_db_t *db, uint64_t *n) {
    static char val[1000];
    for (int done = 0; !done;) {
        MDB_txn *txn = NULL;
        if (mdb_txn_begin(cmn_db_env(db), NULL, 0, &txn) != 0)
            return;
        for (int i = 0; i < 16 && !done; i++) {
            uint64_t key = (*n)++;
            MDB_val k = {sizeof(key), &key}, v = {sizeof(val), val};
            done = mdb_put(txn, s_dbi, &k, &v, 0) != 0;
        }
        if (done)
            mdb_txn_abort(txn);
        else
            done = mdb_txn_commit(txn) != 0;
    }
}

static uint64_t s_keys; /* keys of the filler records so far */

static int s_handle(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    const char *how = req->client_ip;
    if (strcmp(how, "ask") == 0) {
        Dvcid__Request q = DVCID__REQUEST__INIT;
        Dvcid__Ping ping = DVCID__PING__INIT;
        q.body_case = DVCID__REQUEST__BODY_PING;
        q.ping = &ping;
        cmn_service_ask(ctx, s_peer, &q, "", 0, s_asked, call);
        return -1;
    }
    if (strcmp(how, "fill") == 0) {
        MDB_env *env = mdb_txn_env(ctx->txn);
        s_fill_with(env, ctx->txn, 1000, &s_keys);
        s_fill_with(env, ctx->txn, 100, &s_keys);
        s_fill_with(env, ctx->txn, 1, &s_keys);
    }
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__Pong pong = DVCID__PONG__INIT;
    pong.service = (char *)how;
    r.body_case = DVCID__REPLY__BODY_PONG;
    r.pong = &pong;
    cmn_call_reply(ctx, &call, &r);
    return 0;
}

static const cmn_route_t s_routes[] = {{DVCID__REQUEST__BODY_CAPTCHA_NEW, s_handle},
                                       {DVCID__REQUEST__BODY_JWKS_GET, s_handle}};

int main(void) {
    CHECK(cmn_crypto_init() == 0, "crypto init");
    char dir[] = "/tmp/test_service_full_XXXXXX", ep[128], peer[160];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(ep, sizeof(ep), "ipc://%s/t.ipc", dir);
    snprintf(peer, sizeof(peer), "ipc://%s/nobody.ipc", dir);
    /* 1 MiB that may not grow (max_map is the opening size): the map stays full. */
    cmn_db_t *db = cmn_db_new(dir, 1, s_dbs, 1);
    CHECK(db != NULL, "db");
    if (!db)
        return TEST_DONE();
    s_dbi = cmn_db_dbi(db, 0);
    s_prefill(db, &s_keys);
    cmn_service_opts_t opts = {
        .name = "test", .bind = ep, .routes = s_routes, .nroutes = 2, .db = db};
    cmn_service_t *svc = cmn_service_new(&opts);
    CHECK(svc != NULL, "service");
    s_peer = svc ? cmn_service_peer(svc, "nobody", peer) : -1;
    CHECK(s_peer >= 0, "peer");
    CHECK(svc && cmn_service_read_only(svc, DVCID__REQUEST__BODY_JWKS_GET) == 0, "read-only");
    zsock_t *c = zsock_new_dealer(ep);
    CHECK(c != NULL, "dealer");
    if (!svc || !c || s_peer < 0)
        return TEST_DONE();
    zsock_set_rcvtimeo(c, 60000); /* filling the map takes seconds under ASan */

    /* Both wait in the socket before the loop starts: one batch. */
    tap_service_send(c, 1, "ask", 0);
    tap_service_send(c, 2, "fill", 0);
    usleep(200 * 1000);
    pthread_t loop;
    CHECK(pthread_create(&loop, NULL, tap_service_loop, svc) == 0, "loop thread");
    int seen[3] = {0, 0, 0}, status[3] = {0, 0, 0};
    for (int i = 0; i < 2; i++) {
        Dvcid__Reply *a = tap_service_recv(c);
        CHECK(a != NULL, "answer %d of 2", i + 1);
        if (a && a->request_id >= 1 && a->request_id <= 2) {
            seen[a->request_id]++;
            status[a->request_id] = tap_service_status(a);
        }
        dvcid__reply__free_unpacked(a, NULL);
    }
    CHECK(seen[1] == 1 && seen[2] == 1, "each request answered once (%d, %d)", seen[1], seen[2]);
    CHECK(status[1] != 0, "the failed item is answered an error (%d)", status[1]);
    CHECK(status[2] == DVCID__STATUS__STATUS_UNAVAILABLE, "the full batch is answered 503 (%d)",
          status[2]);

    /* The loop lives on and reads are served on the full map. */
    tap_service_send(c, 3, "read", 1);
    Dvcid__Reply *r = tap_service_recv(c);
    CHECK(r && r->request_id == 3 && tap_service_status(r) == 0, "read answered on a full map (%d)",
          tap_service_status(r));
    dvcid__reply__free_unpacked(r, NULL);

    raise(SIGTERM);
    pthread_join(loop, NULL);
    zsock_destroy(&c);
    cmn_service_destroy(&svc);
    cmn_db_destroy(&db);
    tap_rm_rf(dir);
    return TEST_DONE();
}
