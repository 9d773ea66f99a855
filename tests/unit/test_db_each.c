/* cmn_db_each: key order whatever the order of the puts, a prefix that bounds the walk
 * exactly, a visitor that stops it early or deletes as it goes (counted writes, no record
 * skipped), and every error returned: the visitor's own and LMDB's (counted as a fault). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_db.h"
#include "tap.h"

/* What a walk saw: the keys in visit order, joined by spaces. */
typedef struct {
    char seen[512];
    int n;
    int stop_at;   /* answer STOP at this visit (1-based), 0: never */
    int fail_at;   /* answer -1 at this visit, 0: never */
    int delete_ab; /* delete the keys that begin with "a:" */
} s_walk_t;

static int s_visit(const MDB_val *k, const MDB_val *v, void *arg) {
    s_walk_t *w = arg;
    (void)v;
    w->n++;
    size_t len = strlen(w->seen);
    snprintf(w->seen + len, sizeof(w->seen) - len, "%s%.*s", len ? " " : "", (int)k->mv_size,
             (const char *)k->mv_data);
    if (w->n == w->fail_at)
        return -1;
    if (w->n == w->stop_at)
        return CMN_DB_EACH_STOP;
    if (w->delete_ab && k->mv_size >= 2 && memcmp(k->mv_data, "a:", 2) == 0)
        return CMN_DB_EACH_DELETE;
    return CMN_DB_EACH_NEXT;
}

static int s_walk(MDB_txn *txn, MDB_dbi dbi, const char *prefix, s_walk_t *w) {
    return cmn_db_each(txn, dbi, prefix, prefix ? strlen(prefix) : 0, s_visit, w);
}

int main(void) {
    char dir[] = "/tmp/dvcid-test-each-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    const char *names[] = {"t", "empty"};
    cmn_db_t *db = cmn_db_new(dir, 1, names, 2);
    CHECK(db != NULL, "db");
    if (!db)
        return TEST_DONE();
    MDB_dbi dbi = cmn_db_dbi(db, 0);
    MDB_txn *txn = NULL;
    CHECK(cmn_db_txn_begin(db, NULL, 0, &txn) == 0, "txn");
    /* Put out of order: the walk is in key (memcmp) order. */
    const char *keys[] = {"b:2", "c", "a:10", "b:1", "a:2", "a:1", "ab", "b:"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        CHECK(cmn_db_put(txn, dbi, keys[i], strlen(keys[i]), "v", 1, 0) == CMN_DB_OK, "put %s",
              keys[i]);

    s_walk_t w = {0};
    CHECK(s_walk(txn, dbi, NULL, &w) == 0, "a whole walk reaches the end");
    CHECK_STR(w.seen, "a:1 a:10 a:2 ab b: b:1 b:2 c");

    /* A prefix: exactly the keys that begin with it, the key equal to it included. */
    w = (s_walk_t){0};
    CHECK(s_walk(txn, dbi, "b:", &w) == 0, "prefix b:");
    CHECK_STR(w.seen, "b: b:1 b:2");
    w = (s_walk_t){0};
    CHECK(s_walk(txn, dbi, "a", &w) == 0, "prefix a");
    CHECK_STR(w.seen, "a:1 a:10 a:2 ab");
    w = (s_walk_t){0};
    CHECK(s_walk(txn, dbi, "a:1", &w) == 0, "prefix a:1");
    CHECK_STR(w.seen, "a:1 a:10");
    w = (s_walk_t){0};
    CHECK(s_walk(txn, dbi, "bz", &w) == 0 && w.n == 0, "a prefix between keys visits none");
    w = (s_walk_t){0};
    CHECK(s_walk(txn, dbi, "d", &w) == 0 && w.n == 0, "a prefix past the last key visits none");
    w = (s_walk_t){0};
    CHECK(s_walk(txn, cmn_db_dbi(db, 1), NULL, &w) == 0 && w.n == 0, "an empty database");

    /* Early stop: 1, and nothing visited after the record that stopped it. */
    w = (s_walk_t){.stop_at = 3};
    CHECK(s_walk(txn, dbi, NULL, &w) == 1, "a stopped walk returns 1");
    CHECK_STR(w.seen, "a:1 a:10 a:2");
    w = (s_walk_t){.stop_at = 1};
    CHECK(s_walk(txn, dbi, "b:", &w) == 1 && w.n == 1, "stop at the first record of a prefix");

    /* The visitor's error ends the walk with -1 at once. */
    w = (s_walk_t){.fail_at = 2};
    CHECK(s_walk(txn, dbi, NULL, &w) == -1, "a visitor's -1 is the walk's");
    CHECK_STR(w.seen, "a:1 a:10");

    /* Deleting as it goes: every record is still visited once, the deletes are counted
     * writes, and they are gone afterwards. */
    uint64_t writes = cmn_db_writes();
    w = (s_walk_t){.delete_ab = 1};
    CHECK(s_walk(txn, dbi, NULL, &w) == 0, "a deleting walk");
    CHECK_STR(w.seen, "a:1 a:10 a:2 ab b: b:1 b:2 c");
    CHECK(cmn_db_writes() == writes + 3, "3 deletes counted, got %llu",
          (unsigned long long)(cmn_db_writes() - writes));
    w = (s_walk_t){0};
    CHECK(s_walk(txn, dbi, NULL, &w) == 0, "after the deletes");
    CHECK_STR(w.seen, "ab b: b:1 b:2 c");
    /* Deleting the last records of a prefix, then the rest of the table. */
    w = (s_walk_t){.delete_ab = 1};
    CHECK(cmn_db_put(txn, dbi, "a:9", 3, "v", 1, 0) == CMN_DB_OK, "put a:9");
    CHECK(s_walk(txn, dbi, "a:", &w) == 0, "delete a prefix's only record");
    CHECK_STR(w.seen, "a:9");
    CHECK(cmn_db_get(txn, dbi, "a:9", 3, &(MDB_val){0}) == CMN_DB_NOTFOUND, "a:9 gone");
    CHECK(mdb_txn_commit(txn) == 0, "commit");

    /* An LMDB error (a transaction that a failed write made unusable) is returned and
     * counted as a fault, and the visitor never runs. */
    txn = NULL;
    CHECK(cmn_db_txn_begin(db, NULL, 0, &txn) == 0, "begin");
    if (txn) {
        size_t len = (size_t)2 << 20;
        char *big = calloc(1, len);
        MDB_val k = {1, "x"}, v = {len, big};
        int rc = mdb_put(txn, dbi, &k, &v, 0);
        CHECK(rc == MDB_MAP_FULL, "a 2 MiB put in a 1 MiB map: %s", mdb_strerror(rc));
        free(big);
        uint64_t faults = cmn_db_faults();
        w = (s_walk_t){0};
        CHECK(s_walk(txn, dbi, NULL, &w) == -1, "a dead transaction: -1");
        CHECK(w.n == 0, "no visit on a dead transaction");
        CHECK(cmn_db_faults() > faults, "counted as a fault");
        w = (s_walk_t){0};
        CHECK(s_walk(txn, dbi, "b:", &w) == -1 && w.n == 0, "with a prefix too");
        mdb_txn_abort(txn);
    }
    cmn_db_destroy(&db);
    tap_rm_rf(dir);
    return TEST_DONE();
}
