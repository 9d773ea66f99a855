/* otp_pump and otp_budget: the conversion judgement at the floor and min sends, blocks
 * that double up to the max and are forgotten after it, the sliding count across
 * buckets, the operator table (built-in and from config, longest prefix), the safe
 * list, the countries, malformed lists refused; the day in Vietnam time, budgets and
 * the kill switch over a real LMDB; a store that refuses writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_config.h"
#include "otp_budget.h"
#include "otp_pump.h"
#include "tap.h"

#define SEC 1000u

static void test_rules(void) {
    otp_pump_rules_t r = {60 * SEC, 10, 20, 2 * SEC, 16 * SEC};
    CHECK(!otp_pump_judge(&r, 9, 0), "below min sends: never judged");
    CHECK(otp_pump_judge(&r, 10, 0), "min sends, none verified: blocked");
    CHECK(otp_pump_judge(&r, 10, 1.9), "19%% < 20%%: blocked");
    CHECK(!otp_pump_judge(&r, 10, 2), "exactly the floor: not blocked");
    CHECK(!otp_pump_judge(&r, 100, 80), "a normal conversion");
    otp_pump_rules_t zero = r;
    zero.floor_percent = 0;
    CHECK(!otp_pump_judge(&zero, 1000, 0), "floor 0: the defence is off");

    CHECK(otp_pump_block_ms(&r, 0) == 2 * SEC, "level 0: the base");
    CHECK(otp_pump_block_ms(&r, 1) == 4 * SEC, "level 1 doubles");
    CHECK(otp_pump_block_ms(&r, 3) == 16 * SEC, "level 3: the max");
    CHECK(otp_pump_block_ms(&r, 60) == 16 * SEC, "capped, no overflow");

    CHECK(otp_pump_next_level(&r, 0, 0, 0, 1000) == 0, "first block: level 0");
    CHECK(otp_pump_next_level(&r, 1, 2, 100 * SEC, 110 * SEC) == 3, "a repeat escalates");
    CHECK(otp_pump_next_level(&r, 1, 2, 100 * SEC, 116 * SEC) == 0,
          "a block past the max ago is forgotten");

    char p[OTP_PUMP_PREFIX_MAX];
    otp_pump_prefix("+84912345678", p);
    CHECK_STR(p, "+8491234");
}

static otp_pump_t *s_pump(const char *ops, const char *safe, const char *countries, MDB_dbi c,
                          MDB_dbi b, char *err) {
    cmn_config_t cfg;
    cmn_config_defaults(&cfg);
    snprintf(cfg.otp_operators, sizeof(cfg.otp_operators), "%s", ops);
    snprintf(cfg.otp_pump_safe_list, sizeof(cfg.otp_pump_safe_list), "%s", safe);
    snprintf(cfg.otp_allowed_countries, sizeof(cfg.otp_allowed_countries), "%s", countries);
    cfg.otp_pump_window = 60;
    cfg.otp_pump_min_sends = 4;
    cfg.otp_pump_floor_percent = 50;
    cfg.otp_pump_block_seconds = 2;
    cfg.otp_pump_block_max_seconds = 8;
    return otp_pump_new(&cfg, c, b, err, 256);
}

static void test_tables(void) {
    char err[256];
    otp_pump_t *p = s_pump("", "", "", 0, 0, err);
    CHECK(p != NULL, "the built-in table loads: %s", p ? "" : err);
    if (!p)
        return;
    CHECK_STR(otp_pump_operator(p, "+84981234567"), "viettel");
    CHECK_STR(otp_pump_operator(p, "+84912345678"), "vinaphone");
    CHECK_STR(otp_pump_operator(p, "+84901234567"), "mobifone");
    CHECK_STR(otp_pump_operator(p, "+84921234567"), "vietnamobile");
    CHECK_STR(otp_pump_operator(p, "+84991234567"), "gmobile");
    CHECK_STR(otp_pump_operator(p, "+84871234567"), "itelecom");
    CHECK_STR(otp_pump_operator(p, "+84551234567"), "reddi");
    CHECK_STR(otp_pump_operator(p, "+84301234567"), "other");
    const char *names[OTP_PUMP_OPERATORS_MAX];
    size_t n = otp_pump_operators(p, names, OTP_PUMP_OPERATORS_MAX);
    CHECK(n == 8 && strcmp(names[n - 1], "other") == 0, "7 operators and other: %zu", n);
    CHECK(otp_pump_country_allowed(p, "+84912345678"), "+84 always");
    CHECK(!otp_pump_country_allowed(p, "+85512345678"), "no other country by default");
    CHECK(!otp_pump_safe(p, "+84912345678"), "empty safe list");
    otp_pump_destroy(&p);

    p = s_pump("+8430=test, +8430111=test1\t+8491=vina", "+8430333,+84912345678", "+855 +1", 0, 0,
               err);
    CHECK(p != NULL, "a table from config: %s", p ? "" : err);
    if (!p)
        return;
    CHECK_STR(otp_pump_operator(p, "+84301119999"), "test1"); /* the longest prefix wins */
    CHECK_STR(otp_pump_operator(p, "+84302229999"), "test");
    CHECK_STR(otp_pump_operator(p, "+84981234567"), "other"); /* config replaces the table */
    CHECK(otp_pump_safe(p, "+84303331234"), "a safe prefix");
    CHECK(otp_pump_safe(p, "+84912345678") && !otp_pump_safe(p, "+84912345679"), "a safe number");
    CHECK(otp_pump_country_allowed(p, "+85512345678") &&
              otp_pump_country_allowed(p, "+12025550123"),
          "listed countries");
    CHECK(!otp_pump_country_allowed(p, "+85612345678"), "an unlisted country");
    otp_pump_destroy(&p);

    const char *bad[][3] = {{"+8430", "", ""},   {"8430=x", "", ""}, {"+8430=Viettel", "", ""},
                            {"", "+84a", ""},    {"", "", "855"},    {"", "", "+85512"},
                            {"+84=x,=y", "", ""}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        p = s_pump(bad[i][0], bad[i][1], bad[i][2], 0, 0, err);
        CHECK(p == NULL && strstr(err, "[otp] "), "refused %zu: %s", i, err);
        otp_pump_destroy(&p);
    }
}

static void test_store(MDB_txn *txn, MDB_dbi counts, MDB_dbi blocks) {
    char err[256];
    otp_pump_t *p = s_pump("+8430=test", "+8430333", "", counts, blocks, err);
    CHECK(p != NULL, "pump: %s", p ? "" : err);
    if (!p)
        return;
    uint64_t t = 600 * SEC; /* a bucket start (window 60 s) */
    otp_pump_verdict_t v;
    const char *a = "+84301110001", *b = "+84302220001", *safe = "+84303330001";
    for (int i = 0; i < 4; i++) {
        CHECK(otp_pump_check(p, txn, a, t + (uint64_t)i, &v) == 0, "send %d allowed", i);
        CHECK(otp_pump_sent(p, txn, a, t + (uint64_t)i) == 0, "counted");
        CHECK(otp_pump_sent(p, txn, safe, t + (uint64_t)i) == 0, "counted");
    }
    CHECK(otp_pump_sent(p, txn, b, t) == 0 && otp_pump_verified(p, txn, b, t + 5) == 0, "b");
    CHECK(otp_pump_check(p, txn, a, t + 10, &v) == 1, "4 sent, none verified: blocked");
    CHECK(v.new_block && v.level == 0 && v.retry_after == 2, "level 0, 2 s: %u %u", v.level,
          v.retry_after);
    CHECK_STR(v.prefix, "+8430111");
    CHECK(strstr(v.reason, "conversion 0% of 4 SMS") != NULL, "reason: %s", v.reason);
    CHECK(otp_pump_check(p, txn, a, t + 1000, &v) == 1 && !v.new_block && v.retry_after == 2,
          "still blocked, same block: %u", v.retry_after);
    CHECK(otp_pump_check(p, txn, "+84301115555", t + 1000, &v) == 1, "the whole prefix");
    CHECK(otp_pump_check(p, txn, b, t + 1000, &v) == 0, "another prefix is apart");
    CHECK(otp_pump_check(p, txn, safe, t + 1000, &v) == 0, "the safe list is never blocked");
    /* The block ends; the window still holds the bad conversion: a repeat, twice as long. */
    CHECK(otp_pump_check(p, txn, a, t + 2100, &v) == 1 && v.new_block && v.level == 1 &&
              v.retry_after == 4,
          "escalated: level %u, %u s", v.level, v.retry_after);
    CHECK(otp_pump_check(p, txn, a, t + 6200, &v) == 1 && v.level == 2 && v.retry_after == 8,
          "again: level %u, %u s", v.level, v.retry_after);
    CHECK(otp_pump_check(p, txn, a, t + 14300, &v) == 1 && v.level == 3 && v.retry_after == 8,
          "capped at the max: level %u, %u s", v.level, v.retry_after);
    int n = otp_pump_blocks(p, txn, t + 14400, 0, NULL, NULL);
    CHECK(n == 1, "one prefix blocked now: %d", n);
    /* Sliding: 90 s later half of the first bucket is out of the window (4 -> 2 sent, below
     * min sends), so the prefix may send again once the block is over. */
    CHECK(otp_pump_check(p, txn, a, t + 90 * SEC, &v) == 0, "the window slid: allowed");
    double sent = 0, verified = 0;
    CHECK(otp_pump_operator_counts(p, txn, "test", t + 30 * SEC, &sent, &verified) == 0 &&
              sent == 9 && verified == 1,
          "operator counts: %.1f %.1f", sent, verified);
    CHECK(otp_pump_operator_counts(p, txn, "test", t + 90 * SEC, &sent, &verified) == 0 &&
              sent == 4.5 && verified == 0.5,
          "operator counts half out of the window: %.2f %.2f", sent, verified);
    cmn_db_sweep_pos_t pos[2];
    memset(pos, 0, sizeof(pos));
    CHECK(otp_pump_sweep(p, txn, t + 200 * SEC, pos) > 0, "old counts and the block swept");
    CHECK(otp_pump_blocks(p, txn, t + 200 * SEC, 0, NULL, NULL) == 0, "no block left");
    otp_pump_destroy(&p);
}

static void test_budget(MDB_txn *txn, MDB_dbi budget, MDB_dbi sw) {
    /* 2026-12-07 16:59:59 UTC is 23:59:59 in Vietnam. */
    uint64_t t = 1796662799000ull;
    char day[16];
    otp_budget_day(t, day);
    CHECK_STR(day, "20261207");
    CHECK(otp_budget_day_left(t) == 1, "one second to midnight: %u", otp_budget_day_left(t));
    otp_budget_day(t + 1000, day);
    CHECK_STR(day, "20261208");
    CHECK(otp_budget_day_left(t + 1000) == 86400, "a whole day: %u", otp_budget_day_left(t + 1000));

    cmn_config_t cfg;
    cmn_config_defaults(&cfg);
    cfg.otp_daily_budget = 5;
    cfg.otp_daily_budget_per_prefix = 2;
    uint32_t retry = 0;
    const char *scope = NULL;
    uint64_t m = t - 3600000; /* 23:00 */
    CHECK(otp_budget_check(&cfg, txn, budget, "+8491234", m, &retry, &scope) == 0, "room");
    CHECK(otp_budget_count(txn, budget, "+8491234", m) == 0 &&
              otp_budget_count(txn, budget, "+8491234", m) == 0,
          "two to one prefix");
    CHECK(otp_budget_check(&cfg, txn, budget, "+8491234", m, &retry, &scope) == 1 &&
              strcmp(scope, "prefix") == 0 && retry == 3601,
          "the prefix's budget is spent until midnight: %u", retry);
    CHECK(otp_budget_check(&cfg, txn, budget, "+8498765", m, &retry, &scope) == 0, "another");
    for (int i = 0; i < 3; i++)
        CHECK(otp_budget_count(txn, budget, "+8498765", m) == 0, "count");
    CHECK(otp_budget_check(&cfg, txn, budget, "+8497777", m, &retry, &scope) == 1 &&
              strcmp(scope, "service") == 0,
          "5 in all: the service's budget is spent");
    CHECK(otp_budget_check(&cfg, txn, budget, "+8497777", t + 1000, &retry, &scope) == 0,
          "a new day");
    uint32_t used = 0;
    CHECK(otp_budget_used(txn, budget, NULL, m, &used) == 0 && used == 5, "used %u", used);
    cfg.otp_daily_budget = 0;
    cfg.otp_daily_budget_per_prefix = 0;
    CHECK(otp_budget_check(&cfg, txn, budget, "+8491234", m, &retry, &scope) == 0, "0: none");

    uint64_t since = 0;
    CHECK(otp_budget_paused(txn, sw, &since) == 0, "not paused");
    CHECK(otp_budget_pause(txn, sw, 1234) == 0 && otp_budget_pause(txn, sw, 5678) == 0, "pause");
    CHECK(otp_budget_paused(txn, sw, &since) == 1 && since == 1234, "paused since the first");
    CHECK(otp_budget_resume(txn, sw) == 0 && otp_budget_paused(txn, sw, NULL) == 0, "resumed");
    CHECK(otp_budget_resume(txn, sw) == 0, "resume twice");
}

/* A store that refuses writes (a transaction a full map left unusable): pause, the
 * counts and the status scans fail with -1 and count as storage faults, which the service
 * loop answers 503 (cmn_service), never a crash. */
static void test_faults(void) {
    char dir[] = "/tmp/dvcid-test-pump-full-XXXXXX";
    if (!mkdtemp(dir))
        return;
    const char *names[] = {"counts", "blocks", "budget", "switch"};
    cmn_db_t *db = cmn_db_new(dir, 1, names, 4);
    CHECK(db != NULL, "db");
    MDB_txn *txn = NULL;
    if (!db || cmn_db_txn_begin(db, NULL, 0, &txn) != 0) {
        cmn_db_destroy(&db);
        return;
    }
    size_t len = (size_t)2 << 20;
    char *big = calloc(1, len);
    MDB_val k = {1, "x"}, v = {len, big};
    CHECK(big && mdb_put(txn, cmn_db_dbi(db, 0), &k, &v, 0) == MDB_MAP_FULL, "map full");
    free(big);
    uint64_t before = cmn_db_faults();
    CHECK(otp_budget_pause(txn, cmn_db_dbi(db, 3), 1) == -1, "pause refused");
    CHECK(otp_budget_count(txn, cmn_db_dbi(db, 2), "+8491234", 1) == -1, "count refused");
    char err[256];
    otp_pump_t *p = s_pump("", "", "", cmn_db_dbi(db, 0), cmn_db_dbi(db, 1), err);
    otp_pump_verdict_t verdict;
    CHECK(p && otp_pump_check(p, txn, "+84912345678", 1, &verdict) == -1, "check refused");
    CHECK(p && otp_pump_blocks(p, txn, 1, 0, NULL, NULL) == -1, "blocks scan refused");
    otp_pump_destroy(&p);
    CHECK(cmn_db_faults() > before, "counted as storage faults: %llu",
          (unsigned long long)(cmn_db_faults() - before));
    mdb_txn_abort(txn);
    cmn_db_destroy(&db);
    tap_rm_rf(dir);
}

int main(void) {
    test_rules();
    test_tables();
    test_faults();
    char dir[] = "/tmp/dvcid-test-pump-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    const char *names[] = {"counts", "blocks", "budget", "switch"};
    cmn_db_t *db = cmn_db_new(dir, 16, names, 4);
    CHECK(db != NULL, "db");
    if (!db)
        return TEST_DONE();
    MDB_txn *txn = NULL;
    CHECK(mdb_txn_begin(cmn_db_env(db), NULL, 0, &txn) == 0, "txn");
    test_store(txn, cmn_db_dbi(db, 0), cmn_db_dbi(db, 1));
    test_budget(txn, cmn_db_dbi(db, 2), cmn_db_dbi(db, 3));
    mdb_txn_abort(txn);
    cmn_db_destroy(&db);
    tap_rm_rf(dir);
    return TEST_DONE();
}
