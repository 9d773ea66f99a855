/* The registration flow of account-svc (flows.md section 1), the real service against a
 * model of otp-svc (tap_acct.h): fields and captcha checked before anything is kept;
 * the start asks otp-svc for a code to the phone in E.164 for the registration purpose;
 * otp-svc's refusal is the answer and the registration is not kept; resend goes to the
 * same flow; a wrong code is otp-svc's answer and changes nothing; the password waits
 * for a verified code, follows the rule, and makes exactly one account; a second
 * registration of the ID is refused. Failure paths: otp-svc's refusals of a resend or a
 * code (rate_limited, otp_expired, otp_attempts_exceeded) are the answers and leave the
 * registration as it was; an otp-svc that does not answer is a timeout and keeps no
 * registration; an expired registration is not_found at every step, without asking
 * otp-svc. */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "tap_acct.h"

#define S_ID "001090123456"
#define S_DOB "1990-05-17"
#define S_PHONE "0912345678"
#define S_E164 "+84912345678"
#define S_PASSWORD "Tr0ng!Dong2024"

static tap_acct_t t;

/* A registration's resend of the flow otp-svc heard of last: not_found once that start
 * failed (no registration is kept when its code did not go out). */
static void s_not_kept(const char *what) {
    char hex[CMN_ID_HEX];
    tap_acct_last_flow(&t, hex);
    Dvcid__Reply *r = tap_acct_reg_resend(&t, hex);
    CHECK(tap_acct_status(r) == DVCID__STATUS__STATUS_NOT_FOUND, "%s: registration kept (%d)", what,
          tap_acct_status(r));
    tap_acct_free(&r);
}

int main(void) {
    /* Registrations past their time, waiting for the code and verified, and a live one. */
    char old_pending[CMN_ID_HEX] = "", old_verified[CMN_ID_HEX] = "", live[CMN_ID_HEX] = "";
    uint64_t now = cmn_time_now_ms();
    CHECK(tap_acct_config(&t, NULL) == 0, "config");
    CHECK(tap_acct_flow_put(&t, ACCT_FLOW_REGISTER, ACCT_FLOW_OTP_PENDING, "001090123401",
                            "+84912345601", now - 1, old_pending) == 0,
          "expired pending seeded");
    CHECK(tap_acct_flow_put(&t, ACCT_FLOW_REGISTER, ACCT_FLOW_OTP_VERIFIED, "001090123402",
                            "+84912345602", now - 1, old_verified) == 0,
          "expired verified seeded");
    CHECK(tap_acct_flow_put(&t, ACCT_FLOW_REGISTER, ACCT_FLOW_OTP_PENDING, "001090123403",
                            "+84912345603", now + 600000, live) == 0,
          "live seeded");
    if (tap_acct_run(&t) != 0) {
        CHECK(0, "account-svc did not start");
        tap_acct_stop(&t);
        return TEST_DONE();
    }

    /* Fields first: nothing reaches otp-svc, the captcha is not even looked at. */
    Dvcid__Reply *r = tap_acct_reg_start(&t, "12345", S_DOB, "12", 1);
    CHECK(tap_acct_status(r) == DVCID__STATUS__STATUS_VALIDATION_FAILED, "bad fields: %d",
          tap_acct_status(r));
    CHECK(tap_acct_detail(r, "id_number", "invalid"), "id_number detail");
    CHECK(tap_acct_detail(r, "phone", "invalid"), "phone detail");
    tap_acct_free(&r);
    TAP_ACCT_EXPECT(tap_acct_reg_start(&t, S_ID, S_DOB, S_PHONE, 1),
                    DVCID__STATUS__STATUS_CAPTCHA_INVALID, "wrong captcha");
    CHECK(t.issued == 0, "no code asked before the captcha passed (%d)", t.issued);

    /* otp-svc refuses: its answer goes back and the registration is not kept. */
    TAP_ACCT_REFUSED(&t, DVCID__STATUS__STATUS_RATE_LIMITED,
                     tap_acct_reg_start(&t, S_ID, S_DOB, S_PHONE, 0), "refused start");
    CHECK(t.issued == 1, "the refused start asked otp-svc (%d)", t.issued);
    s_not_kept("refused start");

    /* A start: the code goes to the phone in E.164, for the registration purpose. */
    r = tap_acct_reg_start(&t, S_ID, S_DOB, S_PHONE, 0);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_REG_START, "start: %d",
          tap_acct_status(r));
    char rid[64] = "";
    if (r && r->body_case == DVCID__REPLY__BODY_REG_START) {
        snprintf(rid, sizeof(rid), "%s", r->reg_start->registration_id);
        CHECK(r->reg_start->otp && r->reg_start->otp->length == 6, "otp object");
    }
    tap_acct_free(&r);
    CHECK(strlen(rid) == 32, "registration id %s", rid);
    CHECK_STR(t.last_phone, S_E164);
    CHECK(t.last_purpose == DVCID__PURPOSE__PURPOSE_REGISTER, "purpose %d", t.last_purpose);
    CHECK(t.nflows == 2, "the model saw %d flows", t.nflows);

    /* The password before the code: the flow is not there yet. */
    TAP_ACCT_EXPECT(tap_acct_reg_password(&t, rid, S_PASSWORD, S_PASSWORD),
                    DVCID__STATUS__STATUS_FLOW_STATE, "early password");

    /* Resend: the same flow, the phone unnamed (otp-svc keeps it). */
    r = tap_acct_reg_resend(&t, rid);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_OTP_SENT, "resend: %d",
          tap_acct_status(r));
    tap_acct_free(&r);
    CHECK(t.resent == 1 && t.nflows == 2 && t.last_phone[0] == '\0', "resend ask %d %d %s",
          t.resent, t.nflows, t.last_phone);
    TAP_ACCT_EXPECT(tap_acct_reg_resend(&t, "00112233445566778899aabbccddeeff"),
                    DVCID__STATUS__STATUS_NOT_FOUND, "unknown flow");

    /* A wrong code: otp-svc's answer, attempts left included; the flow stays. */
    r = tap_acct_reg_verify(&t, rid, "000000");
    CHECK(tap_acct_status(r) == DVCID__STATUS__STATUS_OTP_INVALID, "wrong code: %d",
          tap_acct_status(r));
    CHECK(r && r->error && r->error->attempts_left && r->error->attempts_left->value == 4,
          "attempts left forwarded");
    tap_acct_free(&r);
    r = tap_acct_reg_verify(&t, rid, TAP_ACCT_CODE);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_FLOW_STATE, "verify: %d",
          tap_acct_status(r));
    if (r && r->body_case == DVCID__REPLY__BODY_FLOW_STATE)
        CHECK_STR(r->flow_state->state, "otp_verified");
    tap_acct_free(&r);
    CHECK(t.verifies == 2, "verifies asked %d", t.verifies);
    /* Verified: a second code is refused in this state, without asking otp-svc. */
    TAP_ACCT_EXPECT(tap_acct_reg_verify(&t, rid, TAP_ACCT_CODE), DVCID__STATUS__STATUS_FLOW_STATE,
                    "verify twice");
    CHECK(t.verifies == 2, "the second verify reached otp-svc");

    /* The password rule, then the account. */
    r = tap_acct_reg_password(&t, rid, "short", "short");
    CHECK(tap_acct_status(r) == DVCID__STATUS__STATUS_VALIDATION_FAILED, "weak: %d",
          tap_acct_status(r));
    CHECK(tap_acct_detail(r, "password", "too_short"), "too_short detail");
    tap_acct_free(&r);
    r = tap_acct_reg_password(&t, rid, S_PASSWORD, "Tr0ng!Dong2025");
    CHECK(tap_acct_detail(r, "password_confirm", "mismatch"), "mismatch detail");
    tap_acct_free(&r);
    r = tap_acct_reg_password(&t, rid, S_PASSWORD, S_PASSWORD);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_ACCOUNT, "account: %d",
          tap_acct_status(r));
    if (r && r->body_case == DVCID__REPLY__BODY_ACCOUNT) {
        CHECK_STR(r->account->id_number, S_ID);
        CHECK(strstr(r->account->phone_masked, "678") != NULL &&
                  strstr(r->account->phone_masked, "0912") == NULL,
              "masked %s", r->account->phone_masked);
    }
    tap_acct_free(&r);
    /* The registration is gone with its account made. */
    TAP_ACCT_EXPECT(tap_acct_reg_password(&t, rid, S_PASSWORD, S_PASSWORD),
                    DVCID__STATUS__STATUS_NOT_FOUND, "flow after account");

    /* The ID has an account now: a new start is refused, and no code goes out. */
    int issued = t.issued;
    TAP_ACCT_EXPECT(tap_acct_reg_start(&t, S_ID, S_DOB, "0987654321", 0),
                    DVCID__STATUS__STATUS_ACCOUNT_EXISTS, "exists");
    CHECK(t.issued == issued, "a code asked for an existing account");

    /* otp-svc's refusals are the answers, and the registration stays as it was. */
    r = tap_acct_reg_start(&t, "001090123404", S_DOB, "0912345604", 0);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_REG_START, "start 2: %d",
          tap_acct_status(r));
    if (r && r->body_case == DVCID__REPLY__BODY_REG_START)
        snprintf(rid, sizeof(rid), "%s", r->reg_start->registration_id);
    tap_acct_free(&r);
    TAP_ACCT_REFUSED(&t, DVCID__STATUS__STATUS_RATE_LIMITED, tap_acct_reg_resend(&t, rid),
                     "resend refused");
    TAP_ACCT_REFUSED(&t, DVCID__STATUS__STATUS_OTP_EXPIRED,
                     tap_acct_reg_verify(&t, rid, TAP_ACCT_CODE), "code expired");
    TAP_ACCT_REFUSED(&t, DVCID__STATUS__STATUS_OTP_ATTEMPTS_EXCEEDED,
                     tap_acct_reg_verify(&t, rid, "000000"), "no tries left");
    TAP_ACCT_EXPECT(tap_acct_reg_password(&t, rid, S_PASSWORD, S_PASSWORD),
                    DVCID__STATUS__STATUS_FLOW_STATE, "still unverified");
    r = tap_acct_reg_verify(&t, rid, TAP_ACCT_CODE);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_FLOW_STATE,
          "verified after the refusals: %d", tap_acct_status(r));
    tap_acct_free(&r);

    /* otp-svc silent: the start's deadline passes, a timeout, and nothing is kept. */
    TAP_ACCT_SILENT(&t, tap_acct_reg_start(&t, "001090123405", S_DOB, "0912345605", 0),
                    "silent otp-svc");
    s_not_kept("timed-out start");

    /* Past its time: not_found at every step, and otp-svc is not asked. */
    int asks = t.issued + t.resent + t.verifies;
    TAP_ACCT_EXPECT(tap_acct_reg_resend(&t, old_pending), DVCID__STATUS__STATUS_NOT_FOUND,
                    "expired resend");
    TAP_ACCT_EXPECT(tap_acct_reg_verify(&t, old_pending, TAP_ACCT_CODE),
                    DVCID__STATUS__STATUS_NOT_FOUND, "expired verify");
    TAP_ACCT_EXPECT(tap_acct_reg_password(&t, old_verified, S_PASSWORD, S_PASSWORD),
                    DVCID__STATUS__STATUS_NOT_FOUND, "expired password");
    CHECK(t.issued + t.resent + t.verifies == asks, "otp-svc asked about an expired flow");
    /* The live one, written the same way, goes on. */
    r = tap_acct_reg_verify(&t, live, TAP_ACCT_CODE);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_FLOW_STATE,
          "live seeded verify: %d", tap_acct_status(r));
    tap_acct_free(&r);

    tap_acct_stop(&t);
    return TEST_DONE();
}
