/* otp_challenge and otp_limits on a real LMDB in a temporary directory: codes,
 * tries, expiry, resend cooldown, send caps and purpose binding. */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_crypto.h"
#include "cmn_db.h"
#include "otp_challenge.h"
#include "tap.h"

static cmn_config_t cfg;
static uint8_t key[CMN_KEY_BYTES];
static cmn_db_t *db;
static otp_store_t st;

static MDB_txn *s_begin(void) {
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(cmn_db_env(db), NULL, 0, &txn);
    CHECK(rc == 0, "txn begin: %s", mdb_strerror(rc));
    return txn;
}

static otp_result_t s_issue(const char *flow, Dvcid__Purpose p, const char *phone, const char *ip,
                            uint64_t now) {
    otp_result_t r;
    MDB_txn *txn = s_begin();
    int rc = otp_challenge_issue(&st, txn, (const uint8_t *)flow, strlen(flow), p, phone, ip, now,
                                 0, &r);
    CHECK(rc == 0, "issue rc %d", rc);
    mdb_txn_commit(txn);
    return r;
}

static otp_result_t s_verify(const char *flow, Dvcid__Purpose p, const char *code, uint64_t now) {
    otp_result_t r;
    MDB_txn *txn = s_begin();
    int rc = otp_challenge_verify(&st, txn, (const uint8_t *)flow, strlen(flow), p, code, now, &r);
    CHECK(rc == 0, "verify rc %d", rc);
    mdb_txn_commit(txn);
    return r;
}

static otp_result_t s_resend(const char *flow, Dvcid__Purpose p, const char *phone, uint64_t now) {
    otp_result_t r;
    MDB_txn *txn = s_begin();
    int rc = otp_challenge_resend(&st, txn, (const uint8_t *)flow, strlen(flow), p, phone,
                                  "10.0.0.1", now, &r);
    CHECK(rc == 0, "resend rc %d", rc);
    mdb_txn_commit(txn);
    return r;
}

/* A wrong code that differs from the right one. */
static void s_wrong(const char *code, char *out) {
    snprintf(out, 16, "%s", code);
    out[0] = out[0] == '9' ? '0' : (char)(out[0] + 1);
}

int main(void) {
    const Dvcid__Purpose REG = DVCID__PURPOSE__PURPOSE_REGISTER;
    const Dvcid__Purpose LOGIN = DVCID__PURPOSE__PURPOSE_LOGIN;
    char dir[] = "/tmp/dvcid-otp-test-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    CHECK(cmn_crypto_init() == 0, "sodium");
    cmn_config_defaults(&cfg);
    cfg.otp_max_sends_per_phone_hour = 100;
    const char *names[] = {"challenges", "windows"};
    db = cmn_db_new(dir, 16, names, 2);
    CHECK(db != NULL, "db");
    if (!db)
        return TEST_DONE();
    st = (otp_store_t){&cfg, key, cmn_db_dbi(db, 0), cmn_db_dbi(db, 1)};
    uint64_t t0 = 1700000000000ull;
    char wrong[16];

    /* Issue: a 6-digit code for the phone; a second issue of the same flow is refused. */
    otp_result_t r = s_issue("flow-a", REG, "+84912345678", "10.0.0.1", t0);
    CHECK(r.status == DVCID__STATUS__STATUS_OK, "status %d", r.status);
    CHECK(strlen(r.code) == 6 && strspn(r.code, "0123456789") == 6, "code %s", r.code);
    CHECK_STR(r.phone, "+84912345678");
    char code[16];
    snprintf(code, sizeof(code), "%s", r.code);
    CHECK(s_issue("flow-a", REG, "+84912345678", "", t0).status == DVCID__STATUS__STATUS_FLOW_STATE,
          "second issue");

    /* Purpose binding: the right code for another purpose is not found. */
    CHECK(s_verify("flow-a", LOGIN, code, t0).status == DVCID__STATUS__STATUS_NOT_FOUND, "purpose");
    CHECK(s_verify("flow-b", REG, code, t0).status == DVCID__STATUS__STATUS_NOT_FOUND, "flow");

    /* Wrong codes count down; the one that uses the last try answers exceeded. */
    s_wrong(code, wrong);
    for (int i = 4; i >= 1; i--) {
        r = s_verify("flow-a", REG, wrong, t0 + 1000);
        CHECK(r.status == DVCID__STATUS__STATUS_OTP_INVALID && r.attempts_left == (uint32_t)i,
              "try %d: status %d left %u", i, r.status, r.attempts_left);
    }
    r = s_verify("flow-a", REG, wrong, t0 + 1000);
    CHECK(r.status == DVCID__STATUS__STATUS_OTP_ATTEMPTS_EXCEEDED, "5th: %d", r.status);
    r = s_verify("flow-a", REG, code, t0 + 1000);
    CHECK(r.status == DVCID__STATUS__STATUS_OTP_ATTEMPTS_EXCEEDED, "dead: %d", r.status);

    /* Resend: cooldown, then a new code with fresh tries; the old code is dead. */
    r = s_resend("flow-a", REG, "", t0 + 30000);
    CHECK(r.status == DVCID__STATUS__STATUS_RATE_LIMITED && r.retry_after == 30, "cooldown: %d %u",
          r.status, r.retry_after);
    r = s_resend("flow-a", REG, "", t0 + 60000);
    CHECK(r.status == DVCID__STATUS__STATUS_OK, "resend: %d", r.status);
    char code2[16];
    snprintf(code2, sizeof(code2), "%s", r.code);
    if (strcmp(code2, code) != 0)
        CHECK(s_verify("flow-a", REG, code, t0 + 61000).status == DVCID__STATUS__STATUS_OTP_INVALID,
              "old code");
    r = s_verify("flow-a", REG, code2, t0 + 61000);
    CHECK(r.status == DVCID__STATUS__STATUS_OK, "new code: %d", r.status);
    CHECK(s_verify("flow-a", REG, code2, t0 + 61000).status == DVCID__STATUS__STATUS_FLOW_STATE,
          "single use");

    /* Expiry. */
    r = s_issue("flow-c", REG, "+84912345679", "", t0);
    snprintf(code, sizeof(code), "%s", r.code);
    CHECK(s_verify("flow-c", REG, code, t0 + 300000).status == DVCID__STATUS__STATUS_OTP_EXPIRED,
          "expired");

    /* Sends per flow: 1 issue + 4 resends, then refused. Resend to a new phone. */
    s_issue("flow-d", REG, "+84912345670", "", t0);
    for (int i = 1; i <= 4; i++)
        CHECK(s_resend("flow-d", REG, i == 4 ? "+84987654321" : "", t0 + 60000ull * i).status ==
                  DVCID__STATUS__STATUS_OK,
              "resend %d", i);
    r = s_resend("flow-d", REG, "", t0 + 600000);
    CHECK(r.status == DVCID__STATUS__STATUS_RATE_LIMITED, "6th send: %d", r.status);

    /* Per-phone window. */
    cfg.otp_max_sends_per_phone_hour = 2;
    CHECK(s_issue("p1", REG, "+84911111111", "", t0).status == DVCID__STATUS__STATUS_OK, "p1");
    CHECK(s_issue("p2", REG, "+84911111111", "", t0).status == DVCID__STATUS__STATUS_OK, "p2");
    r = s_issue("p3", REG, "+84911111111", "", t0 + 1000);
    CHECK(r.status == DVCID__STATUS__STATUS_RATE_LIMITED && r.retry_after == 3599, "p3: %d %u",
          r.status, r.retry_after);
    CHECK(s_issue("p4", REG, "+84911111111", "", t0 + 3600000).status == DVCID__STATUS__STATUS_OK,
          "window over");

    /* Per-IP window. */
    cfg.otp_max_sends_per_ip_hour = 1;
    CHECK(s_issue("i1", REG, "+84922222221", "203.0.113.9", t0).status == DVCID__STATUS__STATUS_OK,
          "i1");
    CHECK(s_issue("i2", REG, "+84933333332", "203.0.113.9", t0).status ==
              DVCID__STATUS__STATUS_RATE_LIMITED,
          "i2");
    /* IPv6: one /64 is one client, whatever address of it each request picks. */
    CHECK(s_issue("i3", REG, "+84922222223", "2001:db8:7:8::1", t0).status ==
              DVCID__STATUS__STATUS_OK,
          "i3");
    CHECK(s_issue("i4", REG, "+84922222224", "2001:db8:7:8:dead:beef:1:2", t0).status ==
              DVCID__STATUS__STATUS_RATE_LIMITED,
          "i4: another address of the same /64 shares its window");
    CHECK(s_issue("i5", REG, "+84922222225", "2001:db8:7:9::1", t0).status ==
              DVCID__STATUS__STATUS_OK,
          "i5: the next /64 is another client");

    /* Test numbers get the test code and still count in the windows. */
    snprintf(cfg.otp_test_phone_prefix, sizeof(cfg.otp_test_phone_prefix), "+8490000");
    snprintf(cfg.otp_test_code, sizeof(cfg.otp_test_code), "424242");
    r = s_issue("t1", REG, "+84900001234", "", t0);
    CHECK_STR(r.code, "424242");
    CHECK(s_verify("t1", REG, "424242", t0 + 1).status == DVCID__STATUS__STATUS_OK, "test code");

    /* A silent challenge: no code, never verifies, counts in the windows. */
    {
        otp_result_t sr;
        MDB_txn *txn = s_begin();
        CHECK(otp_challenge_issue(&st, txn, (const uint8_t *)"s1", 2, REG, "+84944444441", "", t0,
                                  1, &sr) == 0,
              "silent issue");
        mdb_txn_commit(txn);
        CHECK(sr.status == DVCID__STATUS__STATUS_OK && sr.code[0] == '\0', "silent: no code");
        r = s_verify("s1", REG, "000000", t0 + 1);
        CHECK(r.status == DVCID__STATUS__STATUS_OTP_INVALID && r.attempts_left == 4,
              "silent never verifies: %d", r.status);
    }

    /* A resend may change the purpose (lost phone in a sign-in flow): the new code is
     * bound to the new purpose only. */
    cfg.otp_max_sends_per_ip_hour = 1000;
    cfg.otp_max_sends_per_phone_hour = 1000;
    s_issue("lp", LOGIN, "+84955555551", "", t0);
    r = s_resend("lp", DVCID__PURPOSE__PURPOSE_PHONE_CHANGE, "+84955555552", t0 + 60000);
    CHECK(r.status == DVCID__STATUS__STATUS_OK, "purpose change: %d", r.status);
    CHECK_STR(r.phone, "+84955555552");
    snprintf(code, sizeof(code), "%s", r.code);
    CHECK(s_verify("lp", LOGIN, code, t0 + 61000).status == DVCID__STATUS__STATUS_NOT_FOUND,
          "old purpose");
    CHECK(s_verify("lp", DVCID__PURPOSE__PURPOSE_PHONE_CHANGE, code, t0 + 61000).status ==
              DVCID__STATUS__STATUS_OK,
          "new purpose");

    /* A duplicate resend (the same request within resend_after) answers OK with the
     * time left, makes no code and counts no send; another request is still limited. */
    s_issue("dup", LOGIN, "+84966666661", "", t0);
    r = s_resend("dup", LOGIN, "", t0 + 60000);
    CHECK(r.status == DVCID__STATUS__STATUS_OK && !r.duplicate && r.code[0], "resend: %d",
          r.status);
    snprintf(code, sizeof(code), "%s", r.code);
    r = s_resend("dup", LOGIN, "", t0 + 61500);
    CHECK(r.status == DVCID__STATUS__STATUS_OK && r.duplicate && r.code[0] == '\0' &&
              r.resend_in == 59 && r.expires_in == 299,
          "duplicate: %d dup %d in %u/%u", r.status, r.duplicate, r.resend_in, r.expires_in);
    CHECK(s_resend("dup", LOGIN, "+84966666662", t0 + 61500).status ==
              DVCID__STATUS__STATUS_RATE_LIMITED,
          "another phone within the cooldown");
    CHECK(s_verify("dup", LOGIN, code, t0 + 62000).status == DVCID__STATUS__STATUS_OK,
          "the code of the first answer still works");

    /* The flow's failures survive resends: 10 wrong codes end the flow, whatever code
     * they were for; then right and wrong codes and resends alike answer exceeded. */
    s_issue("fl", LOGIN, "+84966666663", "", t0);
    uint64_t at = t0;
    for (int i = 0; i < 5; i++)
        s_verify("fl", LOGIN, "000000", at);
    at += 60000;
    r = s_resend("fl", LOGIN, "", at);
    CHECK(r.status == DVCID__STATUS__STATUS_OK, "resend after 5 wrong: %d", r.status);
    snprintf(code, sizeof(code), "%s", r.code);
    s_wrong(code, wrong);
    for (int i = 4; i >= 1; i--)
        CHECK(s_verify("fl", LOGIN, wrong, at).attempts_left == (uint32_t)i, "second code %d", i);
    r = s_verify("fl", LOGIN, wrong, at);
    CHECK(r.status == DVCID__STATUS__STATUS_OTP_ATTEMPTS_EXCEEDED, "10th wrong: %d", r.status);
    CHECK(s_verify("fl", LOGIN, code, at).status == DVCID__STATUS__STATUS_OTP_ATTEMPTS_EXCEEDED,
          "right code after the flow's budget");
    r = s_resend("fl", LOGIN, "", at + 60000);
    CHECK(r.status == DVCID__STATUS__STATUS_OTP_ATTEMPTS_EXCEEDED, "no resend resets it: %d",
          r.status);

    /* Wrong codes per phone across flows: the phone's window locks every flow's code
     * of that purpose, right or wrong alike; other purposes to it are untouched. */
    cfg.otp_max_failures_per_phone_hour = 3;
    s_issue("pf1", LOGIN, "+84966666664", "", t0);
    for (int i = 0; i < 3; i++)
        s_verify("pf1", LOGIN, "000000", t0);
    r = s_issue("pf2", LOGIN, "+84966666664", "", t0);
    CHECK(s_verify("pf2", LOGIN, r.code, t0).status == DVCID__STATUS__STATUS_OTP_ATTEMPTS_EXCEEDED,
          "a new flow's right code on a locked phone");
    r = s_issue("pf3", REG, "+84966666664", "", t0);
    CHECK(s_verify("pf3", REG, r.code, t0).status == DVCID__STATUS__STATUS_OK,
          "another purpose to the phone");
    cfg.otp_max_failures_per_phone_hour = 20;

    /* Password resets (decoys included) never use up a phone's sign-in sends. */
    cfg.otp_max_sends_per_phone_hour = 2;
    {
        otp_result_t sr;
        MDB_txn *tx = s_begin();
        for (int i = 0; i < 3; i++) {
            char f[8];
            snprintf(f, sizeof(f), "dr%d", i);
            otp_challenge_issue(&st, tx, (const uint8_t *)f, strlen(f),
                                DVCID__PURPOSE__PURPOSE_PASSWORD_RESET, "+84966666665", "", t0, 1,
                                &sr);
        }
        mdb_txn_commit(tx);
        CHECK(sr.status == DVCID__STATUS__STATUS_RATE_LIMITED, "3rd decoy limited: %d", sr.status);
    }
    CHECK(s_issue("dl", LOGIN, "+84966666665", "", t0).status == DVCID__STATUS__STATUS_OK,
          "sign-in after the decoys");
    cfg.otp_max_sends_per_phone_hour = 1000;

    /* Each SMS of a challenge is noted, oldest first; a verify names the last one
     * (the one whose code it was), for conversion. */
    r = s_issue("flow-m", REG, "+84987654321", "", t0);
    MDB_txn *txn = s_begin();
    CHECK(otp_challenge_note_sms(&st, txn, (const uint8_t *)"flow-m", 6, "m-first") == 0, "note 1");
    CHECK(otp_challenge_note_sms(&st, txn, (const uint8_t *)"flow-m", 6, "m-second") == 0,
          "note 2");
    CHECK(otp_challenge_note_sms(&st, txn, (const uint8_t *)"nope", 4, "m-x") == 0, "note nothing");
    Dvcid__Store__Challenge *ch = NULL;
    CHECK(otp_challenge_get(&st, txn, (const uint8_t *)"flow-m", 6, &ch) == CMN_DB_OK && ch &&
              ch->n_message_ids == 2 && strcmp(ch->message_ids[0], "m-first") == 0 &&
              strcmp(ch->message_ids[1], "m-second") == 0,
          "message ids kept in order");
    if (ch)
        dvcid__store__challenge__free_unpacked(ch, NULL);
    CHECK(otp_challenge_get(&st, txn, (const uint8_t *)"nope", 4, &ch) == CMN_DB_NOTFOUND,
          "get of nothing");
    CHECK(mdb_txn_commit(txn) == 0, "commit");
    r = s_verify("flow-m", REG, r.code, t0 + 1000);
    CHECK(r.status == DVCID__STATUS__STATUS_OK, "verify flow-m: %d", r.status);
    CHECK_STR(r.message_id, "m-second");

    /* The sweep drops what can no longer matter. */
    txn = s_begin();
    int swept = otp_challenge_sweep(&st, txn, t0 + 86400000ull, NULL);
    mdb_txn_commit(txn);
    CHECK(swept > 0, "swept %d", swept);

    cmn_db_destroy(&db);
    CHECK(tap_rm_rf(dir) == 0, "cleanup");
    return TEST_DONE();
}
