/* Unit test of the service loop's early answers (cmn_call_answer_early) over a real
 * ROUTER on ipc, with LMDB: an early answer leaves before the batch's commit (it
 * overtakes an ordinary answer staged before it in the same batch), is kept in the
 * reply cache like any other (a repeat is answered from it, the handler does not run
 * again), and an item that fails after declaring it does not answer early: its
 * answer becomes STATUS_INTERNAL, is not cached, and a repeat runs it again. A route
 * marked read-only (cmn_service_read_only) is never answered from the cache. An item
 * that wrote and then declared an early answer waits for the commit all the same (its
 * answer would not be true if the commit failed). The cache entry of an early answer
 * whose item wrote nothing waits in memory for a commit that happens anyway (at most
 * about a second, and at a stop): a repeat meanwhile is answered from memory. */
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
static int s_runs;
static const char *const s_dbs[] = {"t"};

/* The client IP says what to do: "late" writes, then answers after the commit;
 * "early" answers early; "fail" declares early, answers, then fails; "wrote" writes,
 * then declares early (which the loop must not honour). */
static int s_handle(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    s_runs++;
    const char *how = req->client_ip;
    int fail = strcmp(how, "fail") == 0; /* req goes with the call once answered */
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__Pong pong = DVCID__PONG__INIT;
    pong.service = (char *)how;
    r.body_case = DVCID__REPLY__BODY_PONG;
    r.pong = &pong;
    int wrote = strcmp(how, "wrote") == 0;
    if (strcmp(how, "late") == 0 || wrote) {
        if (cmn_db_put(ctx->txn, s_dbi, how, strlen(how), "1", 1, 0) != CMN_DB_OK) {
            cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
            return -1;
        }
    }
    if (wrote || strcmp(how, "late") != 0) {
        cmn_call_answer_early(call);
    }
    cmn_call_reply(ctx, &call, &r);
    return fail ? -1 : 0;
}

static const cmn_route_t s_routes[] = {{DVCID__REQUEST__BODY_CAPTCHA_NEW, s_handle},
                                       {DVCID__REQUEST__BODY_JWKS_GET, s_handle}};

static void s_send(zsock_t *c, uint64_t rid, const char *how) { tap_service_send(c, rid, how, 0); }

/* Whether the reply cache on disk holds request rid of origin 77 (tap_service_send's). */
static int s_cached(cmn_db_t *db, uint64_t rid) {
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    uint8_t key[16];
    for (int i = 0; i < 8; i++) {
        key[i] = (uint8_t)(77ull >> (56 - 8 * i));
        key[8 + i] = (uint8_t)(rid >> (56 - 8 * i));
    }
    MDB_val k = {sizeof(key), key}, v;
    int found = mdb_txn_begin(cmn_db_env(db), NULL, MDB_RDONLY, &txn) == 0 &&
                mdb_dbi_open(txn, "cmn_replies", 0, &dbi) == 0 && mdb_get(txn, dbi, &k, &v) == 0;
    if (txn)
        mdb_txn_abort(txn);
    return found;
}

static const char *s_said(const Dvcid__Reply *r) {
    return r && r->body_case == DVCID__REPLY__BODY_PONG ? r->pong->service : "";
}

int main(void) {
    CHECK(cmn_crypto_init() == 0, "crypto init");
    char dir[] = "/tmp/test_service_XXXXXX", ep[128];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(ep, sizeof(ep), "ipc://%s/t.ipc", dir);
    /* Room for early answers: they wait while a map has under CMN_DB_SPARE to go. */
    cmn_db_t *db = cmn_db_new(dir, 128, s_dbs, 1);
    CHECK(db != NULL, "db");
    if (!db)
        return TEST_DONE();
    s_dbi = cmn_db_dbi(db, 0);
    cmn_service_opts_t opts = {
        .name = "test", .bind = ep, .routes = s_routes, .nroutes = 2, .db = db};
    cmn_service_t *svc = cmn_service_new(&opts);
    CHECK(svc != NULL, "service");
    CHECK(svc && cmn_service_read_only(svc, DVCID__REQUEST__BODY_JWKS_GET) == 0, "read-only");
    CHECK(svc && cmn_service_read_only(svc, (Dvcid__Request__BodyCase)64) == -1, "body 64");
    zsock_t *c = zsock_new_dealer(ep);
    CHECK(c != NULL, "dealer");
    if (!svc || !c)
        return TEST_DONE();
    zsock_set_rcvtimeo(c, 5000);

    /* Both wait in the socket before the loop starts: one batch. The early answer,
     * staged second, leaves first. */
    s_send(c, 1, "late");
    s_send(c, 2, "early");
    s_send(c, 7, "wrote"); /* staged last, and it wrote: it leaves after the commit, last */
    usleep(200 * 1000);
    pthread_t loop;
    CHECK(pthread_create(&loop, NULL, tap_service_loop, svc) == 0, "loop thread");
    Dvcid__Reply *a = tap_service_recv(c), *b = tap_service_recv(c), *w = tap_service_recv(c);
    CHECK(a && a->request_id == 2, "first answer %llu", a ? (unsigned long long)a->request_id : 0);
    CHECK_STR(s_said(a), "early");
    CHECK(b && b->request_id == 1, "second answer %llu", b ? (unsigned long long)b->request_id : 0);
    CHECK_STR(s_said(b), "late");
    CHECK(w && w->request_id == 7, "third answer %llu (an item that wrote answered early?)",
          w ? (unsigned long long)w->request_id : 0);
    CHECK_STR(s_said(w), "wrote");
    dvcid__reply__free_unpacked(a, NULL);
    dvcid__reply__free_unpacked(b, NULL);
    dvcid__reply__free_unpacked(w, NULL);

    /* A repeat of the early one comes from the reply cache. */
    s_send(c, 2, "early");
    a = tap_service_recv(c);
    CHECK(a && a->request_id == 2 && tap_service_status(a) == 0, "repeat answered");
    CHECK_STR(s_said(a), "early");
    CHECK(s_runs == 3, "handler ran %d times", s_runs);
    dvcid__reply__free_unpacked(a, NULL);

    /* An item that fails: INTERNAL, not remembered, run again when asked again. */
    for (int i = 0; i < 2; i++) {
        s_send(c, 3, "fail");
        a = tap_service_recv(c);
        CHECK(a && a->request_id == 3 && tap_service_status(a) == DVCID__STATUS__STATUS_INTERNAL,
              "failed item %d: status %d", i, tap_service_status(a));
        dvcid__reply__free_unpacked(a, NULL);
    }
    CHECK(s_runs == 5, "handler ran %d times", s_runs);

    /* A read-only route: answered, not remembered, so a repeat runs it again. */
    for (int i = 0; i < 2; i++) {
        tap_service_send(c, 4, "early", 1);
        a = tap_service_recv(c);
        CHECK(a && a->request_id == 4 && tap_service_status(a) == 0, "lookup %d answered", i);
        dvcid__reply__free_unpacked(a, NULL);
    }
    CHECK(s_runs == 7, "handler ran %d times", s_runs);

    /* Alone in its batch, an early answer of an item that wrote nothing: no commit of its
     * own for its cache entry, which waits in memory; a repeat is answered from there. */
    s_send(c, 10, "early");
    a = tap_service_recv(c);
    CHECK(a && a->request_id == 10 && tap_service_status(a) == 0, "lone early answered");
    dvcid__reply__free_unpacked(a, NULL);
    CHECK(!s_cached(db, 10), "its cache entry waits for a commit");
    s_send(c, 10, "early");
    a = tap_service_recv(c);
    CHECK(a && a->request_id == 10 && tap_service_status(a) == 0, "its repeat answered");
    CHECK_STR(s_said(a), "early");
    dvcid__reply__free_unpacked(a, NULL);
    CHECK(s_runs == 8, "handler ran %d times (the repeat ran it again?)", s_runs);
    /* Written within about a second (the loop turns for its timers). */
    for (int i = 0; i < 40 && !s_cached(db, 10); i++)
        usleep(100 * 1000);
    CHECK(s_cached(db, 10), "its cache entry written within seconds");
    /* At a stop, what waits is written. */
    s_send(c, 11, "early");
    a = tap_service_recv(c);
    CHECK(a && a->request_id == 11, "last early answered");
    dvcid__reply__free_unpacked(a, NULL);

    raise(SIGTERM);
    pthread_join(loop, NULL);
    CHECK(s_cached(db, 11), "the waiting entry written at the stop");
    zsock_destroy(&c);
    cmn_service_destroy(&svc);

    /* The late item's write committed. */
    MDB_txn *txn = NULL;
    MDB_val v;
    CHECK(mdb_txn_begin(cmn_db_env(db), NULL, MDB_RDONLY, &txn) == 0, "read txn");
    CHECK(txn && cmn_db_get(txn, s_dbi, "late", 4, &v) == CMN_DB_OK, "late write committed");
    if (txn)
        mdb_txn_abort(txn);
    cmn_db_destroy(&db);
    tap_rm_rf(dir);
    return TEST_DONE();
}
