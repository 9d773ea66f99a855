/* Unit test of sms_queue on a temporary LMDB environment: store and dedup by
 * message_id (also after sent, dead and a reopen), FIFO order of due jobs, mark
 * sent (body dropped), retries and dead letters, the sweep, bodies sealed at rest,
 * the entry checks and the backoff bounds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_crypto.h"
#include "cmn_db.h"
#include "proto/dvcid.pb-c.h"
#include "sms_queue.h"
#include "tap.h"

static char s_dir[] = "/tmp/test_sms_queue_XXXXXX";
static cmn_db_t *s_db;
static sms_queue_t *s_q;
static uint8_t s_key[CMN_KEY_BYTES];

static MDB_txn *s_begin(void) {
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(cmn_db_env(s_db), NULL, 0, &txn);
    CHECK(rc == 0, "txn begin: %s", mdb_strerror(rc));
    return txn;
}

static void s_commit(MDB_txn *txn) {
    int rc = mdb_txn_commit(txn);
    CHECK(rc == 0, "commit: %s", mdb_strerror(rc));
}

static void s_open_env(void) {
    s_db = cmn_db_new(s_dir, 16, sms_queue_dbs, SMS_QUEUE_NDBS);
    CHECK(s_db != NULL, "cmn_db_new");
    s_q = s_db ? sms_queue_new(s_db, s_key) : NULL;
    CHECK(s_q != NULL, "sms_queue_new");
}

static void s_close_env(void) {
    sms_queue_destroy(&s_q);
    cmn_db_destroy(&s_db);
}

static Dvcid__SmsSend s_msg(const char *id, const char *phone, int purpose, const char *code) {
    Dvcid__SmsSend m = DVCID__SMS_SEND__INIT;
    m.message_id = (char *)id;
    m.phone = (char *)phone;
    m.purpose = (Dvcid__Purpose)purpose;
    m.code = (char *)code;
    return m;
}

static int s_put(const char *id, const char *code, uint64_t now) {
    Dvcid__SmsSend m = s_msg(id, "+84912345678", DVCID__PURPOSE__PURPOSE_LOGIN, code);
    MDB_txn *txn = s_begin();
    int rc = sms_queue_put(s_q, txn, &m, now);
    s_commit(txn);
    return rc;
}

static sms_job_state_t s_state(const char *id) {
    sms_job_t job;
    MDB_txn *txn = s_begin();
    int rc = sms_queue_get(s_q, txn, id, &job);
    mdb_txn_abort(txn);
    return rc == SMS_QUEUE_OK ? job.state : 0;
}

/* The due jobs at now, as "id,id,..." in order. */
static const char *s_due(uint64_t now, int max) {
    static char out[256];
    sms_job_t jobs[16];
    MDB_txn *txn = s_begin();
    int n = sms_queue_due(s_q, txn, now, jobs, max);
    mdb_txn_abort(txn);
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (len < sizeof(out))
            len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? "," : "",
                                    jobs[i].message_id);
        sms_job_clear(&jobs[i]);
    }
    return out;
}

/* Does the file contain needle anywhere (the code or phone in clear)? */
static int s_file_has(const char *path, const char *needle) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 22, n = 0;
    char *buf = malloc(cap);
    if (buf)
        n = fread(buf, 1, cap, f);
    fclose(f);
    int found = buf && memmem(buf, n, needle, strlen(needle)) != NULL;
    free(buf);
    return found;
}

static void s_check_store_and_dedup(void) {
    /* Time order beats id order; same time falls back on the id. */
    CHECK(s_put("m-3", "111111", 1000) == SMS_QUEUE_OK, "put m-3");
    CHECK(s_put("m-1", "482915", 1001) == SMS_QUEUE_OK, "put m-1");
    CHECK(s_put("m-2", "333333", 1002) == SMS_QUEUE_OK, "put m-2");
    CHECK(s_put("m-1", "999999", 1003) == SMS_QUEUE_DUPLICATE, "dup m-1");
    CHECK(s_state("m-1") == SMS_JOB_QUEUED, "m-1 queued");
    CHECK(s_state("nope") == 0, "unknown id found");

    CHECK_STR(s_due(999, 16), "");
    CHECK_STR(s_due(1001, 16), "m-3,m-1");
    CHECK_STR(s_due(5000, 16), "m-3,m-1,m-2");
    CHECK_STR(s_due(5000, 2), "m-3,m-1");

    /* The body opens to what was sent, and the first put won over the duplicate. */
    sms_job_t jobs[4];
    MDB_txn *txn = s_begin();
    int n = sms_queue_due(s_q, txn, 5000, jobs, 4);
    mdb_txn_abort(txn);
    CHECK(n == 3, "%d due", n);
    Dvcid__SmsSend *m = n == 3 ? sms_queue_open(s_q, &jobs[1]) : NULL;
    CHECK(m != NULL, "open");
    if (m) {
        CHECK_STR(m->message_id, "m-1");
        CHECK_STR(m->code, "482915");
        CHECK_STR(m->phone, "+84912345678");
        CHECK(m->purpose == DVCID__PURPOSE__PURPOSE_LOGIN, "purpose");
    }
    sms_queue_msg_free(&m);
    CHECK(m == NULL, "msg_free nulls");
    CHECK(jobs[1].created_ms == 1001 && jobs[1].tries == 0 && jobs[1].purpose == 2, "meta");
    /* A body that was tampered with, or a queue with another key, does not open. */
    if (n == 3) {
        jobs[0].sealed[jobs[0].sealed_len - 1] ^= 1;
        CHECK(sms_queue_open(s_q, &jobs[0]) == NULL, "tampered body opened");
        uint8_t other[CMN_KEY_BYTES] = {1};
        sms_queue_t *q2 = sms_queue_new(s_db, other);
        CHECK(q2 && sms_queue_open(q2, &jobs[2]) == NULL, "opened with another key");
        sms_queue_destroy(&q2);
    }
    for (int i = 0; i < n; i++)
        sms_job_clear(&jobs[i]);

    /* Sealed at rest: neither the code nor the phone is in the file in clear. */
    char path[256];
    snprintf(path, sizeof(path), "%s/data.mdb", s_dir);
    CHECK(s_file_has(path, "m-1") == 1, "the file was not read");
    CHECK(s_file_has(path, "482915") == 0, "code in clear at rest");
    CHECK(s_file_has(path, "912345678") == 0, "phone in clear at rest");
}

static void s_check_sent_and_retry(void) {
    sms_job_t jobs[4];
    MDB_txn *txn = s_begin();
    int n = sms_queue_due(s_q, txn, 5000, jobs, 4);
    CHECK(n == 3, "%d due", n);
    /* m-3 sent, m-1 failed once (retry in 2 s), m-2 left alone. */
    CHECK(sms_queue_mark_sent(s_q, txn, &jobs[0], 6000) == 0, "mark sent");
    CHECK(jobs[0].sealed == NULL, "body kept in memory");
    CHECK(sms_queue_mark_failed(s_q, txn, &jobs[1], 6000, 2000) == SMS_JOB_QUEUED, "retry");
    CHECK(jobs[1].tries == 1 && jobs[1].next_try_ms == 8000, "tries %u next %llu", jobs[1].tries,
          (unsigned long long)jobs[1].next_try_ms);
    s_commit(txn);
    for (int i = 0; i < n; i++)
        sms_job_clear(&jobs[i]);

    sms_job_t job;
    txn = s_begin();
    CHECK(sms_queue_get(s_q, txn, "m-3", &job) == SMS_QUEUE_OK, "get m-3");
    mdb_txn_abort(txn);
    CHECK(job.state == SMS_JOB_SENT && job.sent_ms == 6000 && job.sealed == NULL, "m-3 sent");
    CHECK(s_put("m-3", "111111", 7000) == SMS_QUEUE_DUPLICATE, "sent job stored again");
    CHECK_STR(s_due(7999, 16), "m-2");
    CHECK_STR(s_due(8000, 16), "m-2,m-1");

    /* m-1 keeps failing: dead after SMS_MAX_TRIES, never silently gone. */
    int state = SMS_JOB_QUEUED;
    uint64_t now = 8000;
    for (int i = 0; i < 20 && state == SMS_JOB_QUEUED; i++) {
        txn = s_begin();
        n = sms_queue_due(s_q, txn, now, jobs, 4);
        state = -1;
        for (int j = 0; j < n; j++) {
            if (strcmp(jobs[j].message_id, "m-1") == 0)
                state = sms_queue_mark_failed(s_q, txn, &jobs[j], now, 1000);
            sms_job_clear(&jobs[j]);
        }
        s_commit(txn);
        now += 1000;
    }
    CHECK(state == SMS_JOB_DEAD, "state %d", state);
    txn = s_begin();
    CHECK(sms_queue_get(s_q, txn, "m-1", &job) == SMS_QUEUE_OK, "get m-1");
    mdb_txn_abort(txn);
    CHECK(job.state == SMS_JOB_DEAD && job.tries == SMS_MAX_TRIES, "m-1 dead after %u", job.tries);
    CHECK_STR(s_due(now + 100000, 16), "m-2");
    CHECK(s_put("m-1", "111111", now) == SMS_QUEUE_DUPLICATE, "dead job stored again");

    /* A job that can never be sent (delay 0) is dead at once. */
    txn = s_begin();
    n = sms_queue_due(s_q, txn, now, jobs, 4);
    CHECK(n == 1 && sms_queue_mark_failed(s_q, txn, &jobs[0], 20000, 0) == SMS_JOB_DEAD,
          "broken job not dead");
    s_commit(txn);
    for (int i = 0; i < n; i++)
        sms_job_clear(&jobs[i]);
    CHECK(s_state("m-2") == SMS_JOB_DEAD, "m-2 dead");
    CHECK_STR(s_due(UINT64_MAX, 16), "");
}

static void s_check_reopen_and_sweep(void) {
    /* Queued jobs survive closing the environment (a restart). */
    CHECK(s_put("m-4", "444444", 30000) == SMS_QUEUE_OK, "put m-4");
    s_close_env();
    s_open_env();
    CHECK_STR(s_due(30000, 16), "m-4");
    CHECK(s_state("m-3") == SMS_JOB_SENT, "m-3 lost at reopen");

    /* done: m-3 at 6000, m-1 at about 15000, m-2 at 20000. */
    MDB_txn *txn = s_begin();
    CHECK(sms_queue_sweep(s_q, txn, 6000, 100) == 0, "swept the boundary");
    CHECK(sms_queue_sweep(s_q, txn, 20001, 1) == 1, "sweep max 1");
    CHECK(sms_queue_sweep(s_q, txn, 20001, 100) == 2, "sweep the rest");
    CHECK(sms_queue_sweep(s_q, txn, UINT64_MAX, 100) == 0, "swept a queued job");
    s_commit(txn);
    CHECK(s_state("m-3") == 0 && s_state("m-2") == 0, "swept ids still known");
    CHECK(s_state("m-4") == SMS_JOB_QUEUED, "queued job swept");
    CHECK(s_put("m-3", "111111", 40000) == SMS_QUEUE_OK, "a swept id is new again");
    CHECK_STR(s_due(40000, 16), "m-4,m-3");
}

static void s_check_valid(void) {
    const char *long_id = "0123456789012345678901234567890123456789012345678901234567890123456";
    struct {
        const char *id, *phone;
        int purpose;
        const char *code, *lang, *field;
    } rows[] = {
        {"abc", "+84912345678", 1, "123456", "", NULL},
        {"abc", "+84912345678", 6, "", "vi", NULL},
        {"abc", "+84912345678", 2, "123456", "en", NULL},
        {"", "+84912345678", 1, "123456", "", "message_id"},
        {long_id, "+84912345678", 1, "123456", "", "message_id"},
        {"a b", "+84912345678", 1, "123456", "", "message_id"},
        {"a\n", "+84912345678", 1, "123456", "", "message_id"},
        {"abc", "0912345678", 1, "123456", "", "phone"},
        {"abc", "+8491234567a", 1, "123456", "", "phone"},
        {"abc", "+1234567", 1, "123456", "", "phone"},
        {"abc", "+84912345678", 0, "123456", "", "purpose"},
        {"abc", "+84912345678", 7, "123456", "", NULL}, /* unlock */
        {"abc", "+84912345678", 8, "123456", "", "purpose"},
        {"abc", "+84912345678", 1, "", "", "code"},
        {"abc", "+84912345678", 1, "12345a", "", "code"},
        {"abc", "+84912345678", 1, "1234567890", "", "code"},
        {"abc", "+84912345678", 6, "123456", "", "code"},
        {"abc", "+84912345678", 1, "123456", "fr", "lang"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        Dvcid__SmsSend m = s_msg(rows[i].id, rows[i].phone, rows[i].purpose, rows[i].code);
        m.lang = (char *)rows[i].lang;
        const char *field = "unset";
        int rc = sms_queue_valid(&m, &field);
        CHECK(rc == (rows[i].field ? -1 : 0), "row %zu: rc %d", i, rc);
        CHECK_STR(field, rows[i].field);
    }
}

static void s_check_backoff(void) {
    uint32_t rnds[] = {0, 1, 12345, 0x7fffffff, 0xffffffff};
    uint64_t total = 0;
    for (uint32_t tries = 0; tries <= 40; tries++) {
        uint64_t base = SMS_BACKOFF_BASE_MS;
        for (uint32_t i = 1; i < tries && base < SMS_BACKOFF_CAP_MS; i++)
            base *= 2;
        if (base > SMS_BACKOFF_CAP_MS)
            base = SMS_BACKOFF_CAP_MS;
        for (size_t r = 0; r < sizeof(rnds) / sizeof(rnds[0]); r++) {
            uint32_t d = sms_queue_backoff_ms(tries, rnds[r]);
            CHECK(d <= base && d >= base - base / 4, "tries %u rnd %u: %u not in [%llu, %llu]",
                  tries, rnds[r], d, (unsigned long long)(base - base / 4),
                  (unsigned long long)base);
            CHECK(d >= 750 && d <= SMS_BACKOFF_CAP_MS, "tries %u: %u out of bounds", tries, d);
        }
        if (tries >= 1 && tries < SMS_MAX_TRIES)
            total += sms_queue_backoff_ms(tries, 0);
    }
    CHECK(sms_queue_backoff_ms(1, 0) == 1000, "first retry after 1 s");
    CHECK(sms_queue_backoff_ms(2, 0) == 2000, "second after 2 s");
    CHECK(sms_queue_backoff_ms(100, 0) == SMS_BACKOFF_CAP_MS, "cap");
    /* The jitter actually spreads retries. */
    CHECK(sms_queue_backoff_ms(5, 0) != sms_queue_backoff_ms(5, 1234567), "no jitter");
    /* A message is dead-lettered within about two minutes: inside an OTP's life. */
    CHECK(total <= 130000, "retries take %llu ms", (unsigned long long)total);
}

/* Leases (m-3 and m-4 are still queued from above): a job out with a provider is re-keyed INFLIGHT
 * to the end of its lease, keeps its body, and is due at once after a restart (sms_queue_release).
 */
static void s_check_lease_and_release(void) {
    CHECK(s_put("l-1", "271828", 50000) == SMS_QUEUE_OK, "put l-1");
    CHECK(s_put("l-2", "314159", 50001) == SMS_QUEUE_OK, "put l-2");
    MDB_txn *txn = s_begin();
    sms_job_t job;
    CHECK(sms_queue_get_body(s_q, txn, "l-1", &job) == SMS_QUEUE_OK && job.sealed != NULL,
          "get_body");
    CHECK(sms_queue_reschedule(s_q, txn, &job, 90000, SMS_JOB_INFLIGHT) == 0, "lease");
    sms_job_clear(&job);
    CHECK(sms_queue_get_body(s_q, txn, "l-2", &job) == SMS_QUEUE_OK, "get l-2");
    CHECK(sms_queue_reschedule(s_q, txn, &job, 50100, SMS_JOB_QUEUED) == 0, "wait");
    sms_job_clear(&job);
    s_commit(txn);
    CHECK(s_state("l-1") == SMS_JOB_INFLIGHT, "l-1 not in flight");
    CHECK(strcmp(s_due(60000, 16), "m-4,m-3,l-2") == 0, "due while leased: %s", s_due(60000, 16));
    CHECK(strcmp(s_due(90000, 16), "m-4,m-3,l-2,l-1") == 0, "lease end: %s", s_due(90000, 16));
    txn = s_begin();
    CHECK(sms_queue_release(s_q, txn, 60000) == 1, "release");
    s_commit(txn);
    CHECK(s_state("l-1") == SMS_JOB_QUEUED, "l-1 still in flight");
    CHECK(strcmp(s_due(60000, 16), "m-4,m-3,l-2,l-1") == 0, "released: %s", s_due(60000, 16));
    /* The body survived the moves: it still opens. */
    txn = s_begin();
    CHECK(sms_queue_get_body(s_q, txn, "l-1", &job) == SMS_QUEUE_OK, "get l-1");
    Dvcid__SmsSend *m = sms_queue_open(s_q, &job);
    CHECK(m && strcmp(m->code, "271828") == 0, "body lost");
    sms_queue_msg_free(&m);
    CHECK(sms_queue_mark_sent(s_q, txn, &job, 60001) == 0, "sent l-1");
    sms_job_clear(&job);
    CHECK(sms_queue_get_body(s_q, txn, "l-2", &job) == SMS_QUEUE_OK, "get l-2");
    CHECK(sms_queue_mark_sent(s_q, txn, &job, 60002) == 0, "sent l-2");
    sms_job_clear(&job);
    s_commit(txn);
}

int main(void) {
    CHECK(cmn_crypto_init() == 0, "crypto init");
    CHECK(mkdtemp(s_dir) != NULL, "mkdtemp");
    for (int i = 0; i < CMN_KEY_BYTES; i++)
        s_key[i] = (uint8_t)(i * 7 + 3);
    s_open_env();
    if (s_q) {
        s_check_store_and_dedup();
        s_check_sent_and_retry();
        s_check_reopen_and_sweep();
        s_check_lease_and_release();
    }
    s_close_env();
    s_check_valid();
    s_check_backoff();
    CHECK(tap_rm_rf(s_dir) == 0, "cleanup");
    return TEST_DONE();
}
