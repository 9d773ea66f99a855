/* Unit test of cmn_outbox on a real service loop (ipc, LMDB) whose peer is this test's
 * ROUTER: an entry staged in an item is asked of the peer only once the item's
 * transaction committed (the entry is on disk when the ask arrives); an acknowledgement
 * deletes it; an ask left unanswered is asked again after the ack deadline, by the retry
 * timer; an item that fails (its transaction aborted) sends nothing and stores nothing;
 * entries go out in the order they were staged, the first time and on a retry; a put on
 * a full map returns -1 and leaves nothing written; a put with CMN_DB_NOOVER keeps an
 * entry already there and says so (1). Entries are sent as stored
 * (cmn_outbox_send_packed): the peer reads them as ordinary OtpNotice requests. A peer
 * that refuses (UNAVAILABLE) is sent nothing more but one probe per backoff, which
 * doubles while probes are refused; its first acknowledgement sends the rest. */
#include <czmq.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmn_crypto.h"
#include "cmn_db.h"
#include "cmn_outbox.h"
#include "cmn_service.h"
#include "cmn_time.h"
#include "tap.h"
#include "tap_service.h"

#define S_ACK_MS 600
static const char *const s_dbs[] = {"outbox"};
static cmn_outbox_t *s_box;
static cmn_db_t *s_db;

/* Packs the OtpNotice that entry key stands for; its length, or 0. */
static size_t s_pack(const char *key, uint8_t *buf, size_t cap) {
    Dvcid__OtpNotice n = DVCID__OTP_NOTICE__INIT;
    n.message_id = (char *)key;
    n.phone = "+84912345678";
    size_t len = dvcid__otp_notice__get_packed_size(&n);
    if (len > cap)
        return 0;
    return dvcid__otp_notice__pack(&n, buf);
}

/* Stores entry key and sends it as stored. 0 or -1. */
static int s_stage(cmn_ctx_t *ctx, const char *key) {
    uint8_t buf[128];
    size_t n = s_pack(key, buf, sizeof(buf));
    if (!n || cmn_outbox_put(s_box, ctx, key, buf, n, CMN_DB_NOOVER) != 0)
        return -1;
    cmn_outbox_send_packed(s_box, ctx, "", key, DVCID__REQUEST__BODY_OTP_NOTICE, buf, n, 0);
    return 0;
}

static int s_again(cmn_outbox_t *box, cmn_ctx_t *ctx, const char *key, const MDB_val *val,
                   uint64_t now, void *arg) {
    (void)now;
    (void)arg;
    cmn_outbox_send_packed(box, ctx, NULL, key, DVCID__REQUEST__BODY_OTP_NOTICE, val->mv_data,
                           val->mv_size, 0);
    return 0;
}

static int s_retry(cmn_ctx_t *ctx) { return cmn_outbox_retry(s_box, ctx); }

/* The client IP says what to stage: "put:K1,K2,..." stages each key in turn and answers;
 * "abort:K" stages K, answers, then fails the item. */
static int s_handle(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    char how[128];
    snprintf(how, sizeof(how), "%s", req->client_ip);
    int abort = strncmp(how, "abort:", 6) == 0;
    char *keys = strchr(how, ':');
    int rc = keys ? 0 : -1;
    char *save = NULL;
    for (char *k = keys ? strtok_r(keys + 1, ",", &save) : NULL; k && rc == 0;
         k = strtok_r(NULL, ",", &save))
        rc = s_stage(ctx, k);
    if (rc != 0) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__Pong pong = DVCID__PONG__INIT;
    r.body_case = DVCID__REPLY__BODY_PONG;
    r.pong = &pong;
    cmn_call_reply(ctx, &call, &r);
    return abort ? -1 : 0;
}

static const cmn_route_t s_routes[] = {{DVCID__REQUEST__BODY_CAPTCHA_NEW, s_handle}};

/* Whether entry key is committed in the outbox. */
static int s_stored(const char *key) {
    MDB_txn *txn = NULL;
    MDB_val v;
    int found = mdb_txn_begin(cmn_db_env(s_db), NULL, MDB_RDONLY, &txn) == 0 &&
                cmn_db_get(txn, cmn_db_dbi(s_db, 0), key, strlen(key), &v) == CMN_DB_OK;
    if (txn)
        mdb_txn_abort(txn);
    return found;
}

/* One ask the peer received: its routing id, request id and message id. */
typedef struct {
    zframe_t *who;
    uint64_t rid;
    char id[64];
    int stored; /* the entry was on disk when its ask arrived */
} s_ask_t;

/* The next ask, within the ROUTER's receive timeout; 0 or -1. */
static int s_next(zsock_t *peer, s_ask_t *a) {
    memset(a, 0, sizeof(*a));
    zmsg_t *m = zmsg_recv(peer);
    if (!m)
        return -1;
    a->who = zmsg_pop(m);
    zframe_t *f = zmsg_pop(m);
    zmsg_destroy(&m);
    Dvcid__Request *req = f ? dvcid__request__unpack(NULL, zframe_size(f), zframe_data(f)) : NULL;
    zframe_destroy(&f);
    int ok = req && req->body_case == DVCID__REQUEST__BODY_OTP_NOTICE && req->otp_notice &&
             strcmp(req->otp_notice->phone, "+84912345678") == 0;
    CHECK(ok, "the peer reads an OtpNotice (body %d)", req ? (int)req->body_case : -1);
    if (ok) {
        a->rid = req->request_id;
        snprintf(a->id, sizeof(a->id), "%s", req->otp_notice->message_id);
        a->stored = s_stored(a->id);
    }
    dvcid__request__free_unpacked(req, NULL);
    return ok ? 0 : -1;
}

/* Acknowledges ask a (an empty answer) and frees it. */
static void s_ack(zsock_t *peer, s_ask_t *a) {
    Dvcid__Reply r = DVCID__REPLY__INIT;
    r.request_id = a->rid;
    uint8_t buf[64];
    size_t n = dvcid__reply__pack(&r, buf);
    zframe_send(&a->who, peer, ZFRAME_MORE);
    zsock_send(peer, "b", buf, n);
}

/* Answers ask a with an error of status (the peer cannot store it) and frees it. */
static void s_refuse(zsock_t *peer, s_ask_t *a, Dvcid__Status status) {
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__Error e = DVCID__ERROR__INIT;
    e.status = status;
    r.request_id = a->rid;
    r.error = &e;
    uint8_t buf[64];
    size_t n = dvcid__reply__pack(&r, buf);
    zframe_send(&a->who, peer, ZFRAME_MORE);
    zsock_send(peer, "b", buf, n);
}

static void s_drop(s_ask_t *a) { zframe_destroy(&a->who); }

/* No ask reaches the peer within ms. */
static int s_quiet(zsock_t *peer, int ms) {
    zsock_set_rcvtimeo(peer, ms);
    zmsg_t *m = zmsg_recv(peer);
    int quiet = m == NULL;
    zmsg_destroy(&m);
    zsock_set_rcvtimeo(peer, 10000);
    return quiet;
}

/* Waits for entry key to leave the outbox (an ack's delete commits with its batch). */
static int s_gone(const char *key) {
    for (int i = 0; i < 50 && s_stored(key); i++)
        usleep(100 * 1000);
    return !s_stored(key);
}

/* Receives the asks of n entries and checks they come in the order of want. */
static void s_expect(zsock_t *peer, const char *const *want, int n, s_ask_t *got,
                     const char *when) {
    for (int i = 0; i < n; i++) {
        int rc = s_next(peer, &got[i]);
        CHECK(rc == 0, "%s: ask %d of %d", when, i + 1, n);
        CHECK(rc != 0 || strcmp(got[i].id, want[i]) == 0, "%s: ask %d is %s, not %s", when, i + 1,
              got[i].id, want[i]);
        CHECK(rc != 0 || got[i].stored, "%s: %s was on disk when asked", when, want[i]);
    }
}

/* A refusing peer: after d1 is refused, d2 and d3 wait on disk; one probe (d1, the
 * first key) after 1 s, a refused probe doubles the wait, an acknowledged one sends the
 * rest at the next retry. */
static void s_backoff(zsock_t *c, zsock_t *peer) {
    tap_service_send(c, 10, "put:d1", 0);
    Dvcid__Reply *r = tap_service_recv(c);
    CHECK(r && tap_service_status(r) == 0, "put d1 answered");
    dvcid__reply__free_unpacked(r, NULL);
    s_ask_t a[3];
    const char *d1[] = {"d1"}, *rest[] = {"d2", "d3"};
    s_expect(peer, d1, 1, a, "before the refusal");
    s_refuse(peer, &a[0], DVCID__STATUS__STATUS_UNAVAILABLE);
    usleep(100 * 1000);
    CHECK(cmn_outbox_refused(s_box) == 1, "the refusal is noted");
    uint64_t t0 = cmn_time_mono_ms();
    tap_service_send(c, 11, "put:d2,d3", 0);
    r = tap_service_recv(c);
    CHECK(r && tap_service_status(r) == 0, "put d2, d3 answered while the peer refuses");
    dvcid__reply__free_unpacked(r, NULL);
    CHECK(s_stored("d2") && s_stored("d3"), "d2 and d3 stored");
    s_expect(peer, d1, 1, a, "the first probe");
    uint64_t waited = cmn_time_mono_ms() - t0;
    CHECK(waited >= 800, "the first probe after %llu ms, not at once", (unsigned long long)waited);
    CHECK(s_quiet(peer, 300), "one probe in flight, nothing else");
    t0 = cmn_time_mono_ms();
    s_refuse(peer, &a[0], DVCID__STATUS__STATUS_UNAVAILABLE);
    s_expect(peer, d1, 1, a, "the second probe");
    waited = cmn_time_mono_ms() - t0;
    CHECK(waited >= 1800, "a refused probe doubles the wait: %llu ms", (unsigned long long)waited);
    s_ack(peer, &a[0]);
    CHECK(s_gone("d1"), "the acknowledged probe deleted d1");
    s_expect(peer, rest, 2, a, "the rest after the peer took one");
    CHECK(cmn_outbox_refused(s_box) == 0, "the backoff ended");
    for (int i = 0; i < 2; i++)
        s_ack(peer, &a[i]);
    for (int i = 0; i < 2; i++)
        CHECK(s_gone(rest[i]), "%s acknowledged and deleted", rest[i]);
}

/* A full map: a put fails with -1 and the entry is not there. */
static void s_full_map(const char *dir) {
    char sub[256];
    snprintf(sub, sizeof(sub), "%s/full", dir);
    CHECK(mkdir(sub, 0700) == 0, "mkdir %s", sub);
    cmn_db_t *db = cmn_db_new(sub, 1, s_dbs, 1); /* 1 MiB, and it may not grow */
    CHECK(db != NULL, "small db");
    if (!db)
        return;
    cmn_outbox_opts_t o = {.name = "test entry", .peer_name = "nobody", .dbi = cmn_db_dbi(db, 0)};
    cmn_outbox_t *box = cmn_outbox_new(&o);
    static char big[1000];
    MDB_txn *txn = NULL;
    CHECK(mdb_txn_begin(cmn_db_env(db), NULL, 0, &txn) == 0, "txn");
    cmn_ctx_t ctx = {.txn = txn};
    int rc = 0, n = 0;
    char key[32];
    uint64_t faults = cmn_db_faults();
    for (; rc == 0 && n < 100000; n++) {
        MDB_txn *child = NULL;
        CHECK(mdb_txn_begin(cmn_db_env(db), txn, 0, &child) == 0, "child txn");
        ctx.txn = child;
        snprintf(key, sizeof(key), "k%06d", n);
        rc = cmn_outbox_put(box, &ctx, key, big, sizeof(big), CMN_DB_NOOVER);
        if (rc == 0)
            mdb_txn_commit(child);
        else
            mdb_txn_abort(child); /* what the service loop does with a failed item */
    }
    CHECK(rc == -1 && n > 10, "the put that met the full map returned -1 (after %d)", n);
    CHECK(cmn_db_faults() > faults, "counted as a storage fault");
    MDB_val v;
    CHECK(cmn_db_get(txn, o.dbi, key, strlen(key), &v) == CMN_DB_NOTFOUND, "%s not written", key);
    snprintf(key, sizeof(key), "k%06d", n - 2);
    CHECK(cmn_db_get(txn, o.dbi, key, strlen(key), &v) == CMN_DB_OK && v.mv_size == sizeof(big),
          "the put before it whole");
    CHECK(cmn_outbox_in_flight(box) == 0, "nothing in flight");
    ctx.txn = txn;
    CHECK(cmn_outbox_put(box, &ctx, "k000000", "x", 1, CMN_DB_NOOVER) == 1, "noover keeps");
    CHECK(cmn_db_get(txn, o.dbi, "k000000", 7, &v) == CMN_DB_OK && v.mv_size == sizeof(big),
          "the kept entry unchanged");
    mdb_txn_abort(txn);
    cmn_outbox_destroy(&box);
    CHECK(box == NULL, "destroy nulls");
    cmn_db_destroy(&db);
}

int main(void) {
    CHECK(cmn_crypto_init() == 0, "crypto init");
    char dir[] = "/tmp/test_outbox_XXXXXX", ep[128], pep[128];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(ep, sizeof(ep), "ipc://%s/svc.ipc", dir);
    snprintf(pep, sizeof(pep), "ipc://%s/peer.ipc", dir);
    s_full_map(dir);

    s_db = cmn_db_new(dir, 16, s_dbs, 1);
    CHECK(s_db != NULL, "db");
    zsock_t *peer = zsock_new_router(pep);
    CHECK(peer != NULL, "peer router");
    if (!s_db || !peer)
        return TEST_DONE();
    zsock_set_rcvtimeo(peer, 10000);
    cmn_service_opts_t opts = {
        .name = "test", .bind = ep, .routes = s_routes, .nroutes = 1, .db = s_db};
    cmn_service_t *svc = cmn_service_new(&opts);
    CHECK(svc != NULL, "service");
    int p = svc ? cmn_service_peer(svc, "sink", pep) : -1;
    cmn_outbox_opts_t o = {.name = "test entry",
                           .peer_name = "sink",
                           .dbi = cmn_db_dbi(s_db, 0),
                           .peer = p,
                           .ack_ms = S_ACK_MS,
                           .retry_max = 100,
                           .again = s_again};
    s_box = cmn_outbox_new(&o);
    CHECK(p >= 0 && s_box, "peer and outbox");
    CHECK(svc && cmn_service_every(svc, 200, s_retry) >= 0, "retry timer");
    zsock_t *c = zsock_new_dealer(ep);
    if (!svc || !c || p < 0 || !s_box)
        return TEST_DONE();
    zsock_set_rcvtimeo(c, 10000);
    pthread_t loop;
    CHECK(pthread_create(&loop, NULL, tap_service_loop, svc) == 0, "loop thread");
    usleep(300 * 1000); /* the service's DEALER connects to the peer */

    /* Staged and committed: asked, on disk by then; the ack deletes it. */
    tap_service_send(c, 1, "put:a1", 0);
    Dvcid__Reply *r = tap_service_recv(c);
    CHECK(r && tap_service_status(r) == 0, "put answered (%d)", tap_service_status(r));
    dvcid__reply__free_unpacked(r, NULL);
    s_ask_t a[3];
    const char *one[] = {"a1"};
    s_expect(peer, one, 1, a, "first send");
    s_ack(peer, &a[0]);
    CHECK(s_gone("a1"), "the ack deleted a1");

    /* An item that fails: its entry neither sent nor stored; the next is the first ask. */
    tap_service_send(c, 2, "abort:x1", 0);
    tap_service_send(c, 3, "put:b1", 0);
    for (int i = 0; i < 2; i++) {
        r = tap_service_recv(c);
        CHECK(r != NULL, "answer %d", i);
        dvcid__reply__free_unpacked(r, NULL);
    }
    const char *b[] = {"b1"};
    s_expect(peer, b, 1, a, "after an abort");
    CHECK(!s_stored("x1"), "the aborted entry is not stored");

    /* b1 unanswered: asked again once its deadline passed, by the retry timer. */
    uint64_t t0 = cmn_time_now_ms();
    s_drop(&a[0]);
    s_expect(peer, b, 1, a, "retry");
    uint64_t waited = cmn_time_now_ms() - t0;
    CHECK(waited >= S_ACK_MS - 100, "asked again after %llu ms, not before the deadline",
          (unsigned long long)waited);
    s_ack(peer, &a[0]);
    CHECK(s_gone("b1"), "the ack of the retry deleted b1");

    /* Order: three entries of one item go out as staged, and again so on a retry. */
    tap_service_send(c, 4, "put:c1,c2,c3", 0);
    r = tap_service_recv(c);
    CHECK(r && tap_service_status(r) == 0, "put of three answered");
    dvcid__reply__free_unpacked(r, NULL);
    const char *cs[] = {"c1", "c2", "c3"};
    s_expect(peer, cs, 3, a, "three");
    for (int i = 0; i < 3; i++)
        s_drop(&a[i]);
    s_expect(peer, cs, 3, a, "three again");
    for (int i = 0; i < 3; i++)
        s_ack(peer, &a[i]);
    for (int i = 0; i < 3; i++)
        CHECK(s_gone(cs[i]), "%s acknowledged and deleted", cs[i]);

    s_backoff(c, peer);

    /* Nothing more comes: no x1, nothing acknowledged asked again. */
    zsock_set_rcvtimeo(peer, 3 * S_ACK_MS);
    zmsg_t *m = zmsg_recv(peer);
    CHECK(m == NULL, "no ask after everything was acknowledged");
    zmsg_destroy(&m);
    CHECK(cmn_outbox_in_flight(s_box) == 0, "nothing in flight (%zu)", cmn_outbox_in_flight(s_box));

    raise(SIGTERM);
    pthread_join(loop, NULL);
    zsock_destroy(&c);
    cmn_service_destroy(&svc);
    cmn_outbox_destroy(&s_box);
    zsock_destroy(&peer);
    cmn_db_destroy(&s_db);
    tap_rm_rf(dir);
    return TEST_DONE();
}
