/* Dead letters: a job that fails its last try keeps its sealed body in "done", is
 * listed newest first, and dvcctl's retry puts it back in the queue, due now, with
 * fresh tries; a sent job is never revived. */
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_crypto.h"
#include "cmn_db.h"
#include "sms_queue.h"
#include "tap.h"

static cmn_db_t *s_db;

static MDB_txn *s_begin(void) {
    MDB_txn *txn = NULL;
    CHECK(mdb_txn_begin(cmn_db_env(s_db), NULL, 0, &txn) == 0, "txn");
    return txn;
}

static void s_put(sms_queue_t *q, const char *id, uint64_t now) {
    Dvcid__SmsSend m = DVCID__SMS_SEND__INIT;
    m.message_id = (char *)id;
    m.phone = "+84912345678";
    m.purpose = DVCID__PURPOSE__PURPOSE_REGISTER;
    m.code = "123456";
    m.lang = "vi";
    MDB_txn *txn = s_begin();
    CHECK(sms_queue_put(q, txn, &m, now) == SMS_QUEUE_OK, "put %s", id);
    mdb_txn_commit(txn);
}

/* Takes the due jobs and fails each for good (delay 0: dead now). */
static int s_kill_due(sms_queue_t *q, uint64_t now, int sent_first) {
    sms_job_t jobs[8];
    MDB_txn *txn = s_begin();
    int n = sms_queue_due(q, txn, now, jobs, 8);
    for (int i = 0; i < n; i++) {
        if (i == 0 && sent_first)
            sms_queue_mark_sent(q, txn, &jobs[i], now);
        else
            CHECK(sms_queue_mark_failed(q, txn, &jobs[i], now, 0) == SMS_JOB_DEAD, "dead");
        sms_job_clear(&jobs[i]);
    }
    mdb_txn_commit(txn);
    return n;
}

int main(void) {
    char dir[] = "/tmp/dvcid-sms-dead-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    CHECK(cmn_crypto_init() == 0, "sodium");
    uint8_t key[CMN_KEY_BYTES] = {7};
    s_db = cmn_db_new(dir, 16, sms_queue_dbs, SMS_QUEUE_NDBS);
    sms_queue_t *q = s_db ? sms_queue_new(s_db, key) : NULL;
    CHECK(q != NULL, "queue");
    if (!q)
        return TEST_DONE();
    const char *ids[] = {"0000000000000000000000000000000a", "0000000000000000000000000000000b",
                         "0000000000000000000000000000000c"};
    for (int i = 0; i < 3; i++)
        s_put(q, ids[i], 1000 + (uint64_t)i);
    CHECK(s_kill_due(q, 5000, 1) == 3, "three due: one sent, two dead");

    sms_job_t jobs[8];
    uint64_t total = 0;
    MDB_txn *txn = s_begin();
    int n = sms_queue_dead_list(q, txn, jobs, 8, &total);
    CHECK(n == 2 && total == 2, "two dead letters: %d (total %llu)", n, (unsigned long long)total);
    for (int i = 0; i < n; i++)
        sms_job_clear(&jobs[i]);
    mdb_txn_abort(txn);

    /* One by id, then the rest; a sent job is not a dead letter. */
    txn = s_begin();
    CHECK(sms_queue_dead_retry(q, txn, ids[0], 6000) == 0, "a sent job stays sent");
    CHECK(sms_queue_dead_retry(q, txn, ids[1], 6000) == 1, "retry one");
    CHECK(sms_queue_dead_retry(q, txn, ids[1], 6000) == 0, "already queued");
    CHECK(sms_queue_dead_retry(q, txn, "", 6000) == 1, "retry all: the last one");
    mdb_txn_commit(txn);
    txn = s_begin();
    n = sms_queue_due(q, txn, 6000, jobs, 8);
    CHECK(n == 2, "both due again: %d", n);
    for (int i = 0; i < n; i++) {
        CHECK(jobs[i].tries == 0 && jobs[i].sealed != NULL, "fresh tries, body kept");
        Dvcid__SmsSend *m = sms_queue_open(q, &jobs[i]);
        CHECK(m && strcmp(m->code, "123456") == 0, "the sealed body opens");
        sms_queue_msg_free(&m);
        sms_job_clear(&jobs[i]);
    }
    mdb_txn_abort(txn);
    sms_queue_destroy(&q);
    cmn_db_destroy(&s_db);
    CHECK(tap_rm_rf(dir) == 0, "cleanup");
    return TEST_DONE();
}
