/* cmn_db_sweep: slices of a bounded size, resumed where the last stopped, a rest
 * between passes, and every expired record deleted and no other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_db.h"
#include "tap.h"

#define N 5000 /* more than two budgets' worth */

/* A record's value is its expiry time, 8 bytes big-endian. */
static int s_expired(const MDB_val *v, uint64_t now, const void *arg) {
    (void)arg;
    uint64_t exp = 0;
    const unsigned char *p = v->mv_data;
    for (size_t i = 0; i < v->mv_size && i < 8; i++)
        exp = exp << 8 | p[i];
    return exp <= now;
}

static void s_put(MDB_txn *txn, MDB_dbi dbi, unsigned i, uint64_t exp) {
    char key[16];
    unsigned char val[8];
    snprintf(key, sizeof(key), "k%08u", i);
    for (int b = 0; b < 8; b++)
        val[b] = (unsigned char)(exp >> (56 - 8 * b));
    CHECK(cmn_db_put(txn, dbi, key, strlen(key), val, sizeof(val), 0) == CMN_DB_OK, "put %u", i);
}

static size_t s_count(MDB_txn *txn, MDB_dbi dbi) {
    MDB_stat st;
    return mdb_stat(txn, dbi, &st) == 0 ? st.ms_entries : 0;
}

int main(void) {
    char dir[] = "/tmp/dvcid-test-sweep-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    const char *names[] = {"t"};
    cmn_db_t *db = cmn_db_new(dir, 16, names, 1);
    CHECK(db != NULL, "db");
    if (!db)
        return TEST_DONE();
    MDB_dbi dbi = cmn_db_dbi(db, 0);
    MDB_txn *txn = NULL;
    CHECK(mdb_txn_begin(cmn_db_env(db), NULL, 0, &txn) == 0, "txn");
    /* Every third record expires at 100, the others at 10^9. */
    for (unsigned i = 0; i < N; i++)
        s_put(txn, dbi, i, i % 3 == 0 ? 100 : 1000000000);
    size_t expired = (N + 2) / 3;

    /* Sliced: each call looks at no more than the budget, and goes on from there. */
    cmn_db_sweep_pos_t pos;
    memset(&pos, 0, sizeof(pos));
    int total = 0, calls = 0;
    do {
        int n = cmn_db_sweep(txn, dbi, 200, s_expired, NULL, &pos);
        CHECK(n >= 0 && n <= CMN_DB_SWEEP_BUDGET, "slice %d deleted %d", calls, n);
        total += n;
        calls++;
    } while (pos.behind && calls < 100);
    CHECK(calls == (N + CMN_DB_SWEEP_BUDGET - 1) / CMN_DB_SWEEP_BUDGET, "%d slices", calls);
    CHECK(total == (int)expired, "deleted %d of %zu expired", total, expired);
    CHECK(s_count(txn, dbi) == N - expired, "%zu left", s_count(txn, dbi));

    /* A rest between passes: nothing is scanned before the next pass is due. */
    s_put(txn, dbi, N, 100);
    CHECK(cmn_db_sweep(txn, dbi, 300, s_expired, NULL, &pos) == 0 && !pos.behind, "resting");
    CHECK(s_count(txn, dbi) == N - expired + 1, "nothing deleted while resting");
    CHECK(cmn_db_sweep(txn, dbi, 200 + CMN_DB_SWEEP_LAP_MS, s_expired, NULL, &pos) == 0,
          "the next pass begins at the first record");
    int later = 0;
    for (int i = 0; i < 10 && (later == 0 || pos.behind); i++) {
        int n = cmn_db_sweep(txn, dbi, 200 + CMN_DB_SWEEP_LAP_MS, s_expired, NULL, &pos);
        later += n > 0 ? n : 0;
    }
    CHECK(later == 1, "the record added at the end is found in the next pass (%d)", later);

    /* A record deleted under the resume point: the next slice starts after it. */
    memset(&pos, 0, sizeof(pos));
    CHECK(cmn_db_sweep(txn, dbi, 200, s_expired, NULL, &pos) == 0 && pos.behind, "first slice");
    CHECK(cmn_db_del(txn, dbi, pos.key, pos.klen) == CMN_DB_OK, "resume key deleted");
    CHECK(cmn_db_sweep(txn, dbi, 2000000000, s_expired, NULL, &pos) > 0, "goes on after it");

    /* Ordered: a pass ends at the first record that stays, expired ones after it wait. */
    CHECK(cmn_db_sweep(txn, dbi, 3000000000, s_expired, NULL, NULL) > 0, "cleared first");
    CHECK(s_count(txn, dbi) == 0, "empty");
    for (unsigned i = 0; i < 100; i++)
        s_put(txn, dbi, 20000 + i, i < 10 || i == 50 ? 100 : 1000000000);
    memset(&pos, 0, sizeof(pos));
    pos.ordered = 1;
    int got = cmn_db_sweep(txn, dbi, 200, s_expired, NULL, &pos);
    CHECK(got == 10 && !pos.behind && !pos.started, "ordered: the 10 first, then stop (%d)", got);
    CHECK(s_count(txn, dbi) == 90, "the one out of order waits (%zu)", s_count(txn, dbi));

    /* Grouped: ordered within each group of 4-byte prefixes; a kept record skips its group. */
    CHECK(cmn_db_sweep(txn, dbi, 3000000000, s_expired, NULL, NULL) == 90, "emptied");
    for (unsigned g = 0; g < 3; g++) {
        for (unsigned i = 0; i < 20; i++) {
            char key[16];
            unsigned char val[8] = {0};
            uint64_t exp = i < 5 ? 100 : 1000000000; /* 5 expired at the head of each */
            snprintf(key, sizeof(key), "g%03u%04u", g, i);
            for (int b = 0; b < 8; b++)
                val[b] = (unsigned char)(exp >> (56 - 8 * b));
            CHECK(cmn_db_put(txn, dbi, key, strlen(key), val, 8, 0) == CMN_DB_OK, "put");
        }
    }
    memset(&pos, 0, sizeof(pos));
    pos.ordered = 1;
    pos.group_len = 4;
    got = cmn_db_sweep(txn, dbi, 200, s_expired, NULL, &pos);
    CHECK(got == 15 && s_count(txn, dbi) == 45, "grouped: 5 from each of 3 groups (%d)", got);

    /* Without a position: the whole table at once (tests, tools). */
    int all = cmn_db_sweep(txn, dbi, 2000000000, s_expired, NULL, NULL);
    CHECK(all > 0 && s_count(txn, dbi) == 0, "whole table: %d, %zu left", all, s_count(txn, dbi));
    mdb_txn_abort(txn);
    cmn_db_destroy(&db);
    tap_rm_rf(dir);
    return TEST_DONE();
}
