/* Registrations kept before they became flows (the registrations table, Registration
 * records) are moved into flows when account-svc starts: one waiting for its code can be
 * resent and verified, one verified can set its password and makes the account of the
 * person it held; an expired one is dropped; the old table is left empty. */
#include <stdio.h>
#include <string.h>

#include "acct_account.h"
#include "acct_flow.h"
#include "acct_service.h"
#include "acct_state.h"
#include "cmn_db.h"
#include "cmn_id.h"
#include "cmn_shard.h"
#include "cmn_time.h"
#include "tap.h"
#include "tap_acct.h"

#define S_PASSWORD "Tr0ng!Dong2024"

static tap_acct_t t;

/* Writes one old-style registration of id_number in state, expiring at expires; its flow
 * id into hex. */
static void s_put(cmn_db_t *db, const char *id_number, uint32_t state, uint64_t expires,
                  char hex[CMN_ID_HEX]) {
    uint8_t id[CMN_ID_BYTES];
    cmn_shard_id_make(id, cmn_shard_key_of_id_number(id_number));
    cmn_id_to_hex(id, hex);
    Dvcid__Store__Registration reg = DVCID__STORE__REGISTRATION__INIT;
    reg.id_number = (char *)id_number;
    reg.full_name = "Trần Thị Bình";
    reg.date_of_birth = "1990-05-17";
    reg.phone = "+84912000888";
    reg.email = "binh@example.vn";
    reg.state = state;
    reg.created_ms = cmn_time_now_ms();
    reg.expires_ms = expires;
    reg.lang = "en";
    MDB_txn *txn = NULL;
    CHECK(cmn_db_txn_begin(db, NULL, 0, &txn) == 0, "txn");
    CHECK(txn && cmn_db_put_msg(txn, cmn_db_dbi(db, ACCT_DB_REGISTRATIONS), id, CMN_ID_BYTES, &reg,
                                1) == CMN_DB_OK,
          "put");
    CHECK(txn && mdb_txn_commit(txn) == 0, "commit");
}

static size_t s_entries(cmn_db_t *db, int table) {
    MDB_txn *txn = NULL;
    MDB_stat stat = {0};
    if (mdb_txn_begin(cmn_db_env(db), NULL, MDB_RDONLY, &txn) == 0) {
        mdb_stat(txn, cmn_db_dbi(db, table), &stat);
        mdb_txn_abort(txn);
    }
    return stat.ms_entries;
}

int main(void) {
    char pending[CMN_ID_HEX], verified[CMN_ID_HEX], expired[CMN_ID_HEX];
    CHECK(tap_acct_config(&t, NULL) == 0, "config");
    cmn_db_t *db = acct_service_db_open(&t.cfg, 0);
    CHECK(db != NULL, "db");
    if (!db) {
        tap_acct_stop(&t);
        return TEST_DONE();
    }
    uint64_t now = cmn_time_now_ms();
    s_put(db, "001090100001", ACCT_REG_OTP_PENDING, now + 600000, pending);
    s_put(db, "001090100002", ACCT_REG_OTP_VERIFIED, now + 600000, verified);
    s_put(db, "001090100003", ACCT_REG_OTP_PENDING, now - 1, expired);
    CHECK(s_entries(db, ACCT_DB_REGISTRATIONS) == 3, "three old registrations");
    cmn_db_destroy(&db);

    if (tap_acct_run(&t) != 0) {
        CHECK(0, "account-svc did not start");
        tap_acct_stop(&t);
        return TEST_DONE();
    }
    /* Waiting for its code: resent (its phone stays otp-svc's), then verified. */
    Dvcid__Reply *r = tap_acct_reg_resend(&t, pending);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_OTP_SENT,
          "moved pending resent: %d", tap_acct_status(r));
    tap_acct_free(&r);
    r = tap_acct_reg_verify(&t, pending, TAP_ACCT_CODE);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_FLOW_STATE,
          "moved pending verified: %d", tap_acct_status(r));
    tap_acct_free(&r);
    /* Verified: the password makes the account of the person it held. */
    r = tap_acct_reg_password(&t, verified, S_PASSWORD, S_PASSWORD);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_ACCOUNT,
          "moved verified made its account: %d", tap_acct_status(r));
    if (r && r->body_case == DVCID__REPLY__BODY_ACCOUNT)
        CHECK_STR(r->account->id_number, "001090100002");
    tap_acct_free(&r);
    char token[128];
    tap_acct_login(&t, "001090100002", S_PASSWORD, token, sizeof(token));
    r = token[0] ? tap_acct_me(&t, token) : NULL;
    CHECK(r && r->body_case == DVCID__REPLY__BODY_ME, "me: %d", tap_acct_status(r));
    if (r && r->body_case == DVCID__REPLY__BODY_ME)
        CHECK_STR(r->me->full_name, "Trần Thị Bình");
    tap_acct_free(&r);
    CHECK_STR(t.last_phone, "+84912000888");
    /* Expired: dropped. */
    r = tap_acct_reg_resend(&t, expired);
    CHECK(tap_acct_status(r) == DVCID__STATUS__STATUS_NOT_FOUND, "expired one: %d",
          tap_acct_status(r));
    tap_acct_free(&r);
    tap_acct_stop_keep(&t);

    db = acct_service_db_open(&t.cfg, 0);
    CHECK(db && s_entries(db, ACCT_DB_REGISTRATIONS) == 0, "the old table is empty");
    /* Left: the pending one's flow and the sign-in's (the verified one became the account). */
    CHECK(db && s_entries(db, ACCT_DB_FLOWS) == 1, "flows %zu",
          db ? s_entries(db, ACCT_DB_FLOWS) : 0);
    cmn_db_destroy(&db);
    tap_acct_stop(&t);
    return TEST_DONE();
}
