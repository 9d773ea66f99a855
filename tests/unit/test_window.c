/* cmn_window: a window fills at max and refuses until its span ends, with a retry_after
 * that counts down; a new window starts after it; keys are apart; an unreadable record
 * reads as empty; the sweep deletes ended windows and no live one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_window.h"
#include "tap.h"

#define SPAN 3600000u

int main(void) {
    char dir[] = "/tmp/dvcid-test-window-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    const char *names[] = {"w"};
    cmn_db_t *db = cmn_db_new(dir, 16, names, 1);
    CHECK(db != NULL, "db");
    if (!db)
        return TEST_DONE();
    MDB_dbi dbi = cmn_db_dbi(db, 0);
    MDB_txn *txn = NULL;
    CHECK(mdb_txn_begin(cmn_db_env(db), NULL, 0, &txn) == 0, "txn");

    uint64_t t0 = 1000000;
    uint32_t retry = 0;
    for (int i = 0; i < 3; i++) {
        CHECK(cmn_window_full(txn, dbi, "c:a", t0 + (uint64_t)i, SPAN, 3, &retry) == 0,
              "room for event %d", i);
        CHECK(cmn_window_add(txn, dbi, "c:a", t0 + (uint64_t)i, SPAN) == 0, "add %d", i);
    }
    CHECK(cmn_window_full(txn, dbi, "c:a", t0 + 10, SPAN, 3, &retry) == 1, "full at max");
    CHECK(retry == 3600, "retry_after is the rest of the hour: %u", retry);
    CHECK(cmn_window_full(txn, dbi, "c:a", t0 + SPAN - 1500, SPAN, 3, &retry) == 1 && retry == 2,
          "retry_after counts down, rounded up: %u", retry);
    CHECK(cmn_window_full(txn, dbi, "c:a", t0 + 10, SPAN, 4, &retry) == 0, "a higher max has room");
    CHECK(cmn_window_full(txn, dbi, "c:b", t0 + 10, SPAN, 3, &retry) == 0, "another key is apart");
    uint64_t start;
    uint32_t count;
    CHECK(cmn_window_read(txn, dbi, "c:a", t0 + 10, SPAN, &start, &count) == 0 && start == t0 &&
              count == 3,
          "read: start %llu count %u", (unsigned long long)start, count);

    /* The window ends: room again, and the next event starts a new one. */
    CHECK(cmn_window_full(txn, dbi, "c:a", t0 + SPAN, SPAN, 3, &retry) == 0, "ended");
    CHECK(cmn_window_add(txn, dbi, "c:a", t0 + SPAN, SPAN) == 0, "add after the end");
    CHECK(cmn_window_read(txn, dbi, "c:a", t0 + SPAN, SPAN, &start, &count) == 0 &&
              start == t0 + SPAN && count == 1,
          "a new window: start %llu count %u", (unsigned long long)start, count);

    /* Unreadable: empty, not a lock for ever. */
    CHECK(cmn_db_put(txn, dbi, "c:x", 3, "\xff\xff\xff", 3, 0) == CMN_DB_OK, "junk");
    CHECK(cmn_window_full(txn, dbi, "c:x", t0, SPAN, 1, &retry) == 0, "junk reads as empty");

    /* Sweep: c:b was never written; c:a is live (started at t0 + SPAN); c:x goes. */
    CHECK(cmn_window_add(txn, dbi, "c:old", t0, SPAN) == 0, "an old window");
    int n = cmn_window_sweep(txn, dbi, t0 + SPAN + 5, SPAN, NULL);
    CHECK(n == 2, "swept the ended window and the junk: %d", n);
    CHECK(cmn_window_read(txn, dbi, "c:a", t0 + SPAN + 5, SPAN, &start, &count) == 0 && count == 1,
          "the live window stays: %u", count);

    mdb_txn_abort(txn);
    cmn_db_destroy(&db);
    tap_rm_rf(dir);
    return TEST_DONE();
}
