/* acct_captcha on a real LMDB: right answer passes once, wrong answer spends it,
 * expiry, case-insensitivity, the test answer, and nothing but a hash at rest. */
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

#include "acct_captcha.h"
#include "cmn_crypto.h"
#include "cmn_db.h"
#include "tap.h"

static cmn_db_t *db;

static int s_consume(const acct_captcha_t *c, uint64_t now, const char *id, const char *ans) {
    MDB_txn *txn;
    mdb_txn_begin(cmn_db_env(db), NULL, 0, &txn);
    int rc = acct_captcha_consume(c, txn, now, id, ans);
    mdb_txn_commit(txn);
    return rc;
}

static void s_new(const acct_captcha_t *c, uint64_t now, char *id, char *ans) {
    MDB_txn *txn;
    mdb_txn_begin(cmn_db_env(db), NULL, 0, &txn);
    CHECK(acct_captcha_issue(c, txn, now, 0, id, ans) == 0, "new");
    mdb_txn_commit(txn);
}

int main(void) {
    char dir[] = "/tmp/dvcid-captcha-test-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    CHECK(cmn_crypto_init() == 0, "sodium");
    cmn_config_t cfg;
    cmn_config_defaults(&cfg);
    uint8_t key[CMN_KEY_BYTES] = {1, 2, 3};
    const char *names[] = {"captchas"};
    db = cmn_db_new(dir, 8, names, 1);
    if (!db)
        return TEST_DONE();
    acct_captcha_t c = {&cfg, key, cmn_db_dbi(db, 0)};
    uint64_t t0 = 1700000000000ull;
    char id[CMN_ID_HEX], ans[ACCT_CAPTCHA_LEN + 1], lower[ACCT_CAPTCHA_LEN + 1];

    s_new(&c, t0, id, ans);
    CHECK(strlen(ans) == ACCT_CAPTCHA_LEN &&
              strspn(ans, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789") == ACCT_CAPTCHA_LEN,
          "answer %s", ans);
    for (int i = 0; i <= ACCT_CAPTCHA_LEN; i++)
        lower[i] = (char)(ans[i] >= 'A' && ans[i] <= 'Z' ? ans[i] + 32 : ans[i]);
    CHECK(s_consume(&c, t0 + 1, id, lower) == 0, "right answer, any case");
    CHECK(s_consume(&c, t0 + 2, id, ans) == 1, "single use");

    s_new(&c, t0, id, ans);
    CHECK(s_consume(&c, t0 + 1, id, "WRONG") == 1, "wrong");
    CHECK(s_consume(&c, t0 + 2, id, ans) == 1, "a wrong answer spends it");

    s_new(&c, t0, id, ans);
    CHECK(s_consume(&c, t0 + 300000, id, ans) == 1, "expired");
    CHECK(s_consume(&c, t0, "not-an-id", ans) == 1, "malformed id");

    /* Nothing at rest but the hash: the answer is not in the database file. */
    s_new(&c, t0, id, ans);
    char path[128];
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    FILE *f = fopen(path, "rb");
    size_t n = 0;
    char *buf = malloc(1 << 20);
    if (f && buf) {
        n = fread(buf, 1, 1 << 20, f);
        fclose(f);
    }
    CHECK(n > 0 && !memmem(buf, n, ans, ACCT_CAPTCHA_LEN), "answer at rest");
    free(buf);

    snprintf(cfg.captcha_test_answer, sizeof(cfg.captcha_test_answer), "TEST");
    CHECK(s_consume(&c, t0, "0123456789abcdef0123456789abcdef", "test") == 0, "test answer");
    CHECK(s_consume(&c, t0, "", "TEST") == 0, "test answer, no id");

    MDB_txn *txn;
    mdb_txn_begin(cmn_db_env(db), NULL, 0, &txn);
    CHECK(acct_captcha_sweep(&c, txn, t0 + 3600000, NULL) >= 1, "sweep");
    mdb_txn_commit(txn);
    cmn_db_destroy(&db);
    CHECK(tap_rm_rf(dir) == 0, "cleanup");
    return TEST_DONE();
}
