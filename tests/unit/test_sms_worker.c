/* Unit test of sms_worker without sockets: accept (store once, dedup, refuse bad
 * input) and deliver (to the file sink in FIFO order, batches of SMS_BATCH_MAX,
 * retries while the sink is broken, dead letters, the sweep), on a temporary LMDB
 * environment and sink. The counters are checked at every step. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmn_crypto.h"
#include "cmn_db.h"
#include "cmn_metrics.h"
#include "cmn_time.h"
#include "sms_queue.h"
#include "sms_worker.h"
#include "tap.h"

static cmn_db_t *s_db;
static sms_worker_t *s_w;
static cmn_metrics_t *s_m; /* the service's registry in sms-worker, the test's here */

static MDB_txn *s_begin(void) {
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(cmn_db_env(s_db), NULL, 0, &txn);
    CHECK(rc == 0, "txn begin: %s", mdb_strerror(rc));
    return txn;
}

/* What MetricsGet answers: the registry once the worker has published into it. */
static char *s_metrics(MDB_txn *txn) {
    return sms_worker_metrics_publish(s_w, txn) == 0 ? cmn_metrics_render(s_m) : NULL;
}

static int s_accept(const char *id, int purpose, const char *code, const char *lang) {
    Dvcid__SmsSend m = DVCID__SMS_SEND__INIT;
    m.message_id = (char *)id;
    m.phone = "+84912345678";
    m.purpose = (Dvcid__Purpose)purpose;
    m.code = (char *)code;
    m.lang = (char *)lang;
    MDB_txn *txn = s_begin();
    int rc = sms_worker_accept(s_w, txn, &m, "test");
    CHECK(mdb_txn_commit(txn) == 0, "commit");
    return rc;
}

static int s_deliver(uint64_t now) {
    MDB_txn *txn = s_begin();
    int n = sms_worker_deliver(s_w, txn, now);
    if (n >= 0)
        CHECK(mdb_txn_commit(txn) == 0, "commit");
    else
        mdb_txn_abort(txn);
    return n;
}

/* The sink's lines parsed; returns the count (at most max). */
static int s_sink(const char *path, json_t **objs, int max) {
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[2048];
    int n = 0;
    while (n < max && fgets(line, sizeof(line), f)) {
        objs[n] = json_loads(line, 0, NULL);
        CHECK(objs[n] != NULL, "line %d is not JSON: %s", n, line);
        if (objs[n])
            n++;
    }
    fclose(f);
    return n;
}

static const char *s_field(json_t *obj, const char *name) {
    return json_string_value(json_object_get(obj, name));
}

int main(void) {
    CHECK(cmn_crypto_init() == 0, "crypto init");
    char dir[] = "/tmp/test_sms_worker_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    cmn_config_t cfg;
    cmn_config_defaults(&cfg);
    snprintf(cfg.storage_dir, sizeof(cfg.storage_dir), "%s", dir);
    snprintf(cfg.sms_file, sizeof(cfg.sms_file), "%s/out/sms.jsonl", dir);
    cfg.otp_ttl = 300;
    char data[256], path[300];
    snprintf(data, sizeof(data), "%s/sms", dir);
    CHECK(mkdir(data, 0700) == 0, "mkdir");
    s_db = cmn_db_new(data, 64, sms_queue_dbs, SMS_QUEUE_NDBS);
    s_w = s_db ? sms_worker_new(&cfg, s_db, data) : NULL;
    s_m = cmn_metrics_new("sms-worker");
    CHECK(s_w && s_m && sms_worker_metrics_attach(s_w, s_m) == 0, "sms_worker_new");
    if (!s_w || !s_m)
        return TEST_DONE();
    struct stat st;
    snprintf(path, sizeof(path), "%s/queue.key", data);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == CMN_KEY_BYTES,
          "queue.key");
    const sms_stats_t *stats = sms_worker_stats(s_w);

    /* Accept: three stored, a duplicate acknowledged but not stored, bad input refused. */
    CHECK(s_accept("a-1", 1, "271828", "") == SMS_WORKER_QUEUED, "a-1");
    CHECK(s_accept("a-2", 6, "", "vi") == SMS_WORKER_QUEUED, "a-2");
    CHECK(s_accept("a-3", 2, "314159", "en") == SMS_WORKER_QUEUED, "a-3");
    CHECK(s_accept("a-1", 1, "000000", "") == SMS_WORKER_DUPLICATE, "a-1 again");
    CHECK(s_accept("a-4", 1, "", "") == SMS_WORKER_INVALID, "no code");
    CHECK(s_accept("a-5", 9, "123456", "") == SMS_WORKER_INVALID, "purpose 9");
    MDB_txn *txn = s_begin();
    CHECK(sms_worker_accept(s_w, txn, NULL, NULL) == SMS_WORKER_INVALID, "NULL body");
    mdb_txn_abort(txn);
    CHECK(stats->queued == 3 && stats->duplicates == 1, "queued %llu dup %llu",
          (unsigned long long)stats->queued, (unsigned long long)stats->duplicates);

    /* Deliver: in arrival order, the right text, then nothing left. */
    uint64_t now = cmn_time_now_ms();
    CHECK(s_deliver(now) == 3, "first delivery");
    CHECK(s_deliver(now) == 0, "delivered twice");
    CHECK(stats->sent == 3, "sent %llu", (unsigned long long)stats->sent);
    json_t *lines[SMS_BATCH_MAX + 200];
    int n = s_sink(cfg.sms_file, lines, SMS_BATCH_MAX + 200);
    CHECK(n == 3, "%d lines", n);
    if (n == 3) {
        CHECK_STR(s_field(lines[0], "message_id"), "a-1");
        CHECK_STR(s_field(lines[0], "purpose"), "register");
        CHECK_STR(s_field(lines[0], "to"), "+84912345678");
        CHECK(strstr(s_field(lines[0], "text"), "271828") != NULL, "code not in text");
        CHECK(strstr(s_field(lines[0], "text"), "dang ky") != NULL, "not Vietnamese");
        CHECK_STR(s_field(lines[1], "purpose"), "notice");
        CHECK_STR(s_field(lines[2], "purpose"), "login");
        CHECK(strstr(s_field(lines[2], "text"), "Do not share this code") != NULL, "not English");
    }
    for (int i = 0; i < n; i++)
        json_decref(lines[i]);
    CHECK(s_accept("a-3", 2, "314159", "en") == SMS_WORKER_DUPLICATE, "a-3 after sent");

    /* What an ops tool sees of one message, and the counters as Prometheus text. */
    sms_status_rec_t rec;
    MDB_txn *rtxn = s_begin();
    CHECK(sms_worker_status(s_w, rtxn, "a-1", &rec) == SMS_QUEUE_OK, "status a-1");
    CHECK_STR(rec.state, "sent");
    CHECK_STR(rec.purpose, "register");
    CHECK(rec.tries == 0 && rec.created_ms > 0, "a-1 record");
    CHECK(sms_worker_status(s_w, rtxn, "nope", &rec) == SMS_QUEUE_NOTFOUND, "status of nothing");
    mdb_txn_abort(rtxn);
    rtxn = s_begin();
    char *metrics = s_metrics(rtxn);
    mdb_txn_abort(rtxn);
    CHECK(metrics && strstr(metrics, "dvcid_sms_queued_total{service=\"sms-worker\"} 3\n") &&
              strstr(metrics, "dvcid_sms_sent_total{service=\"sms-worker\"} 3\n"),
          "metrics: %s", metrics ? metrics : "");
    /* The file sink counts in the totals only: no series of a provider, only their names. */
    CHECK(metrics && !strstr(metrics, "dvcid_sms_provider_sent_total{") &&
              strstr(metrics, "# TYPE dvcid_sms_provider_sent_total counter\n"),
          "file has no provider series");
    free(metrics);

    /* Conversion: the two OTP SMS (not the notice) count as sent for file/+8491; a
     * verification counts once, a repeat is a duplicate, an unknown id is only
     * "unmatched", and one that comes before the provider took the SMS is counted
     * when it does. */
    MDB_txn *ctxn = s_begin();
    char *conv = s_metrics(ctxn);
    CHECK(conv != NULL, "conv metrics");
    CHECK(conv && strstr(conv, "dvcid_sms_otp_sent_total{service=\"sms-worker\",provider=\"file\","
                               "prefix=\"+8491\"} 2\n") != NULL,
          "sent: %s", conv ? conv : "");
    CHECK(conv &&
              strstr(conv, "dvcid_sms_otp_verified_total{service=\"sms-worker\",provider=\"file\","
                           "prefix=\"+8491\"} 0\n") != NULL,
          "verified: %s", conv ? conv : "");
    Dvcid__SmsVerified ver = DVCID__SMS_VERIFIED__INIT;
    ver.message_id = "a-1";
    ver.verified_ms = 1;
    CHECK(sms_worker_verified(s_w, ctxn, &ver, "t") == SMS_WORKER_QUEUED, "a-1 verified");
    CHECK(sms_worker_verified(s_w, ctxn, &ver, "t") == SMS_WORKER_DUPLICATE, "a-1 twice");
    ver.message_id = "never-sent";
    CHECK(sms_worker_verified(s_w, ctxn, &ver, "t") == SMS_WORKER_NOTFOUND, "unknown id");
    ver.message_id = "";
    CHECK(sms_worker_verified(s_w, ctxn, &ver, "t") == SMS_WORKER_INVALID, "empty id");
    CHECK(sms_worker_verified(s_w, ctxn, NULL, "t") == SMS_WORKER_INVALID, "no body");
    CHECK(sms_worker_status(s_w, ctxn, "a-1", &rec) == SMS_QUEUE_OK && rec.verified &&
              strcmp(rec.prefix, "+8491") == 0 && strcmp(rec.provider, "file") == 0 &&
              strcmp(rec.phone_masked, "+84912345678") != 0 && rec.phone_masked[0],
          "a-1 status: %s %s %s", rec.prefix, rec.provider, rec.phone_masked);
    CHECK(mdb_txn_commit(ctxn) == 0, "commit");
    CHECK(stats->verified == 1 && stats->unmatched == 1, "verified %llu unmatched %llu",
          (unsigned long long)stats->verified, (unsigned long long)stats->unmatched);
    CHECK(s_accept("c-1", 3, "112358", "") == SMS_WORKER_QUEUED, "c-1");
    ctxn = s_begin();
    ver.message_id = "c-1";
    CHECK(sms_worker_verified(s_w, ctxn, &ver, "t") == SMS_WORKER_QUEUED, "c-1 early");
    CHECK(sms_worker_status(s_w, ctxn, "c-1", &rec) == SMS_QUEUE_OK &&
              strcmp(rec.state, "queued") == 0 && rec.verified && strcmp(rec.prefix, "+8491") == 0,
          "c-1 status %s %s", rec.state, rec.prefix);
    CHECK(mdb_txn_commit(ctxn) == 0, "commit");
    CHECK(s_deliver(cmn_time_now_ms()) == 1, "c-1 delivered");
    ctxn = s_begin();
    CHECK(sms_worker_verified(s_w, ctxn, &ver, "t") == SMS_WORKER_DUPLICATE, "c-1 repeat");
    free(conv);
    conv = s_metrics(ctxn);
    CHECK(conv != NULL, "conv metrics");
    mdb_txn_abort(ctxn);
    CHECK(conv &&
              strstr(conv, "dvcid_sms_otp_sent_total{service=\"sms-worker\",provider=\"file\","
                           "prefix=\"+8491\"} 3\n") != NULL &&
              strstr(conv, "dvcid_sms_otp_verified_total{service=\"sms-worker\",provider=\"file\","
                           "prefix=\"+8491\"} 2\n") != NULL &&
              strstr(conv, "dvcid_sms_conversion_ratio{service=\"sms-worker\",provider=\"file\","
                           "prefix=\"+8491\"} 0.66666") != NULL &&
              strstr(conv, "result=\"unmatched\"} 1\n") != NULL,
          "after c-1: %s", conv ? conv : "");
    free(conv);

    /* A broken sink (a directory where the file should be): retried with backoff,
     * then dead after SMS_MAX_TRIES; nothing is written meanwhile. */
    CHECK(unlink(cfg.sms_file) == 0 && mkdir(cfg.sms_file, 0700) == 0, "break the sink");
    CHECK(s_accept("f-1", 4, "161803", "") == SMS_WORKER_QUEUED, "f-1");
    now = cmn_time_now_ms();
    for (int i = 0; i < 20 && stats->dead == 0; i++) {
        CHECK(s_deliver(now) == 1, "try %d", i);
        CHECK(s_deliver(now) == 0, "retried before its backoff (try %d)", i);
        now += SMS_BACKOFF_CAP_MS + 1;
    }
    CHECK(stats->retried == SMS_MAX_TRIES - 1 && stats->dead == 1, "retried %llu dead %llu",
          (unsigned long long)stats->retried, (unsigned long long)stats->dead);
    CHECK(s_accept("f-1", 4, "161803", "") == SMS_WORKER_DUPLICATE, "dead job stored again");
    rtxn = s_begin();
    CHECK(sms_worker_status(s_w, rtxn, "f-1", &rec) == SMS_QUEUE_OK &&
              strcmp(rec.state, "dead") == 0,
          "f-1 state %s", rec.state);
    mdb_txn_abort(rtxn);
    CHECK(rmdir(cfg.sms_file) == 0, "mend the sink");

    /* Batches: SMS_BATCH_MAX + 44 due go out as SMS_BATCH_MAX then the rest, in FIFO order. */
    enum { NB = SMS_BATCH_MAX + 44 };
    char id[16];
    for (int i = 0; i < NB; i++) {
        snprintf(id, sizeof(id), "b-%05d", i);
        CHECK(s_accept(id, 2, "577215", "vi") == SMS_WORKER_QUEUED, "%s", id);
    }
    now = cmn_time_now_ms();
    CHECK(s_deliver(now) == SMS_BATCH_MAX, "first batch");
    CHECK(s_deliver(now) == NB - SMS_BATCH_MAX, "second batch");
    n = s_sink(cfg.sms_file, lines, NB + 100);
    CHECK(n == NB, "%d lines", n);
    int fifo = 1;
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "b-%05d", i);
        fifo &= s_field(lines[i], "message_id") && strcmp(s_field(lines[i], "message_id"), id) == 0;
        json_decref(lines[i]);
    }
    CHECK(fifo, "not delivered in arrival order");
    CHECK(stats->sent == 4 + NB && stats->queued == 5 + NB, "sent %llu queued %llu",
          (unsigned long long)stats->sent, (unsigned long long)stats->queued);

    /* The sweep forgets what is older than the retention, a bounded number at a time. */
    txn = s_begin();
    CHECK(sms_worker_sweep(s_w, txn, now) == 0, "swept early");
    uint64_t later = now + SMS_RETENTION_MS + 30ull * 24 * 3600 * 1000;
    CHECK(sms_worker_sweep(s_w, txn, later) == 5 + NB, "sweep");
    CHECK(mdb_txn_commit(txn) == 0, "commit");
    CHECK(s_accept("a-1", 1, "271828", "") == SMS_WORKER_QUEUED, "a-1 after the sweep");

    /* A queue key that changed under queued jobs (a lost key file): their bodies
     * do not open, so they are dead-lettered at once instead of looping. */
    CHECK(s_accept("k-1", 2, "141421", "") == SMS_WORKER_QUEUED, "k-1");
    sms_worker_destroy(&s_w);
    FILE *kf = fopen(path, "wb");
    CHECK(kf && fwrite("another key, 32 bytes long......", 1, CMN_KEY_BYTES, kf) == CMN_KEY_BYTES,
          "rewrite queue.key");
    if (kf)
        fclose(kf);
    s_w = sms_worker_new(&cfg, s_db, data);
    CHECK(s_w != NULL, "sms_worker_new with another key");
    if (!s_w)
        return TEST_DONE();
    stats = sms_worker_stats(s_w);
    /* Two jobs are queued: k-1, and a-1 accepted again after the sweep. */
    CHECK(s_deliver(cmn_time_now_ms()) == 2, "delivery with another key");
    CHECK(stats->dead == 2 && stats->sent == 0 && stats->retried == 0, "dead %llu",
          (unsigned long long)stats->dead);

    sms_worker_destroy(&s_w);
    CHECK(s_w == NULL, "destroy nulls");
    sms_worker_destroy(&s_w);
    cmn_metrics_destroy(&s_m);
    cmn_db_destroy(&s_db);
    CHECK(tap_rm_rf(dir) == 0, "cleanup");
    return TEST_DONE();
}
