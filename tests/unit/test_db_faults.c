/* Storage faults that the service loop must see (issue 14): LMDB calls made straight
 * by a service module, not through cmn_db's helpers, still count as faults (so the loop
 * rolls the item back and answers 503, not 500), and a map grown by another process on
 * the same environment is adopted by cmn_db_txn_begin (MDB_MAP_RESIZED) with the data
 * written past the old map readable. Real LMDB, two real processes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmn_crypto.h"
#include "cmn_db.h"
#include "sms_queue.h"
#include "tap.h"

#define S_RECORDS 640 /* of S_VALUE bytes: 2.5 MiB, past a 1 MiB map */
#define S_VALUE 4000

/* A transaction that a failed write left unusable: a raw put larger than the map
 * (MDB_MAP_FULL, not counted: it does not go through cmn_db). */
static MDB_txn *s_poisoned(cmn_db_t *db) {
    MDB_txn *txn = NULL;
    CHECK(cmn_db_txn_begin(db, NULL, 0, &txn) == 0, "begin");
    if (!txn)
        return NULL;
    size_t len = (size_t)2 << 20;
    char *big = calloc(1, len);
    MDB_val k = {1, "x"}, v = {len, big};
    int rc = mdb_put(txn, cmn_db_dbi(db, 0), &k, &v, 0);
    CHECK(rc == MDB_MAP_FULL, "a 2 MiB put in a 1 MiB map: %s", mdb_strerror(rc));
    free(big);
    return txn;
}

/* sms_queue's own cursors and stats on a failed transaction are faults. */
static void s_raw_sites(const char *dir) {
    cmn_db_t *db = cmn_db_new(dir, 1, sms_queue_dbs, SMS_QUEUE_NDBS);
    CHECK(db != NULL, "open %s", dir);
    uint8_t key[CMN_KEY_BYTES] = {1};
    sms_queue_t *q = db ? sms_queue_new(db, key) : NULL;
    CHECK(q != NULL, "sms_queue_new");
    if (!q) {
        cmn_db_destroy(&db);
        return;
    }
    MDB_txn *txn = s_poisoned(db);
    uint64_t before = cmn_db_faults();
    CHECK(sms_queue_sweep(q, txn, UINT64_MAX, 16) < 0, "sweep on a failed transaction fails");
    CHECK(cmn_db_faults() > before, "the sweep's cursor counted as a fault");
    before = cmn_db_faults();
    sms_job_t jobs[4];
    CHECK(sms_queue_due(q, txn, UINT64_MAX, jobs, 4) < 0, "due on a failed transaction fails");
    CHECK(cmn_db_faults() > before, "the due scan's cursor counted as a fault");
    before = cmn_db_faults();
    uint64_t n = 0;
    CHECK(sms_queue_depth(q, txn, &n) != 0, "depth on a failed transaction fails");
    CHECK(cmn_db_faults() > before, "the depth's mdb_stat counted as a fault");
    if (txn)
        mdb_txn_abort(txn);
    sms_queue_destroy(&q);
    cmn_db_destroy(&db);
}

/* The child: its own environment on dir, grown to 4 MiB, 2.5 MiB written. */
static int s_child_write(const char *dir, const char *const *names) {
    cmn_db_t *db = cmn_db_new(dir, 1, names, 1);
    if (!db)
        return 2;
    cmn_db_limits_set(db, (uint64_t)4 << 20, 0);
    if (cmn_db_grow(db, 1) != 1 || cmn_db_grow(db, 1) != 1)
        return 3;
    MDB_txn *txn = NULL;
    if (cmn_db_txn_begin(db, NULL, 0, &txn) != 0)
        return 4;
    static char val[S_VALUE];
    for (int i = 0; i < S_RECORDS; i++) {
        char k[16];
        snprintf(k, sizeof(k), "r%05d", i);
        memset(val, 'a' + i % 26, sizeof(val));
        if (cmn_db_put(txn, cmn_db_dbi(db, 0), k, strlen(k), val, sizeof(val), 0) != CMN_DB_OK) {
            mdb_txn_abort(txn);
            return 5;
        }
    }
    int rc = mdb_txn_commit(txn) == 0 ? 0 : 6;
    cmn_db_destroy(&db);
    return rc;
}

/* Two processes on one environment: the other grows the map, this one adopts it. */
static void s_resized(const char *dir) {
    const char *names[] = {"t"};
    cmn_db_t *db = cmn_db_new(dir, 1, names, 1);
    CHECK(db != NULL, "open %s", dir);
    if (!db)
        return;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(s_child_write(dir, names)); /* never touches the parent's handle */
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid, "fork and wait");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child grew the map and wrote (%d)",
          WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    /* Plain LMDB refuses this process a transaction now: the data lies past its map. */
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(cmn_db_env(db), NULL, MDB_RDONLY, &txn);
    CHECK(rc == MDB_MAP_RESIZED, "raw begin after the other grew the map: %s", mdb_strerror(rc));
    if (rc == 0)
        mdb_txn_abort(txn);
    uint64_t faults = cmn_db_faults();
    rc = cmn_db_txn_begin(db, NULL, MDB_RDONLY, &txn);
    CHECK(rc == 0, "cmn_db_txn_begin adopts the new size: %s", mdb_strerror(rc));
    CHECK(cmn_db_faults() == faults, "an adopted resize is no fault");
    if (rc == 0) {
        char k[16];
        snprintf(k, sizeof(k), "r%05d", S_RECORDS - 1);
        MDB_val v;
        CHECK(cmn_db_get(txn, cmn_db_dbi(db, 0), k, strlen(k), &v) == CMN_DB_OK,
              "the last record, past the old map, reads");
        CHECK(v.mv_size == S_VALUE && ((const char *)v.mv_data)[0] == 'a' + (S_RECORDS - 1) % 26,
              "with its value");
        mdb_txn_abort(txn);
    }
    cmn_db_usage_t u;
    CHECK(cmn_db_usage(db, &u) == 0 && u.map == (uint64_t)4 << 20, "the map is 4 MiB here too");
    /* And this process writes in the grown map. */
    rc = cmn_db_txn_begin(db, NULL, 0, &txn);
    CHECK(rc == 0, "write begin: %s", mdb_strerror(rc));
    if (rc == 0) {
        CHECK(cmn_db_put(txn, cmn_db_dbi(db, 0), "z", 1, "1", 1, 0) == CMN_DB_OK, "put");
        CHECK(mdb_txn_commit(txn) == 0, "commit");
    }
    cmn_db_destroy(&db);
}

int main(void) {
    char dir[] = "/tmp/dvcid-test-faults-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char a[sizeof(dir) + 4], b[sizeof(dir) + 4];
    snprintf(a, sizeof(a), "%s/a", dir);
    snprintf(b, sizeof(b), "%s/b", dir);
    s_raw_sites(a);
    s_resized(b);
    tap_rm_rf(dir);
    return TEST_DONE();
}
