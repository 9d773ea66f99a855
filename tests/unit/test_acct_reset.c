/* The forgot-password flow of account-svc (flows.md section 4), the real service against a
 * model of otp-svc (tap_acct.h): an ID and phone that match and two that do not get the
 * same answer, the second a silent decoy challenge that never verifies; the password
 * waits for a verified code and follows the rule; the new password signs in, the old
 * one does not, every session of the account ends, and the account's phones hear of it.
 * Failure paths: otp-svc's refusal of the first code is the answer and keeps no reset;
 * its refusal of a resend or a code, and its silence (a timeout), leave the reset as it
 * was; an expired reset is not_found at every step, without asking otp-svc. */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "tap_acct.h"

#define S_ID "001090222333"
#define S_DOB "1990-05-17"
#define S_PHONE "0912000333"
#define S_OLD "Tr0ng!Dong2024"
#define S_NEW "M0i!MatKhau2025"

static tap_acct_t t;

static Dvcid__Reply *s_start(const char *id, const char *phone) {
    char captcha[64] = "";
    CHECK(tap_acct_captcha(&t, captcha, sizeof(captcha)) == 0, "captcha");
    Dvcid__ResetStart m = DVCID__RESET_START__INIT;
    m.id_number = (char *)id;
    m.phone = (char *)phone;
    m.captcha_id = captcha;
    m.captcha_answer = TAP_ACCT_CAPTCHA;
    return tap_acct_ask(&t, DVCID__REQUEST__BODY_RESET_START, &m);
}

/* A started reset's id into out (empty when it did not start). */
static void s_started(Dvcid__Reply *r, char *out, size_t len) {
    out[0] = '\0';
    if (r && !r->error && r->body_case == DVCID__REPLY__BODY_RESET_START)
        snprintf(out, len, "%s", r->reset_start->reset_id);
}

static Dvcid__Reply *s_resend(const char *id) {
    Dvcid__ResetResend m = DVCID__RESET_RESEND__INIT;
    m.reset_id = (char *)id;
    return tap_acct_ask(&t, DVCID__REQUEST__BODY_RESET_RESEND, &m);
}

static Dvcid__Reply *s_verify(const char *id, const char *code) {
    Dvcid__ResetVerify m = DVCID__RESET_VERIFY__INIT;
    m.reset_id = (char *)id;
    m.code = (char *)code;
    return tap_acct_ask(&t, DVCID__REQUEST__BODY_RESET_VERIFY, &m);
}

static Dvcid__Reply *s_password(const char *id, const char *pw, const char *confirm) {
    Dvcid__ResetPassword m = DVCID__RESET_PASSWORD__INIT;
    m.reset_id = (char *)id;
    m.password = (char *)pw;
    m.password_confirm = (char *)confirm;
    return tap_acct_ask(&t, DVCID__REQUEST__BODY_RESET_PASSWORD, &m);
}

int main(void) {
    /* Resets of S_ID past their time: one waiting for its code, one verified. */
    char old_code[CMN_ID_HEX] = "", old_verified[CMN_ID_HEX] = "";
    uint64_t now = cmn_time_now_ms();
    CHECK(tap_acct_config(&t, NULL) == 0, "config");
    CHECK(tap_acct_flow_put(&t, ACCT_FLOW_RESET, ACCT_FLOW_OTP_PENDING, S_ID, "+84912000333",
                            now - 1, old_code) == 0,
          "expired reset seeded");
    CHECK(tap_acct_flow_put(&t, ACCT_FLOW_RESET, ACCT_FLOW_OTP_VERIFIED, S_ID, "+84912000333",
                            now - 1, old_verified) == 0,
          "expired verified reset seeded");
    if (tap_acct_run(&t) != 0) {
        CHECK(0, "account-svc did not start");
        tap_acct_stop(&t);
        return TEST_DONE();
    }
    CHECK(tap_acct_register(&t, S_ID, S_DOB, S_PHONE, S_OLD) == 0, "registered");
    char token[128];
    tap_acct_login(&t, S_ID, S_OLD, token, sizeof(token));
    CHECK(token[0], "signed in before the reset");

    /* A phone that is not the account's: the same answer, a silent code that never
     * verifies, so the flow cannot reach a password. */
    char decoy[64], real[64];
    Dvcid__Reply *r = s_start(S_ID, "0987000999");
    s_started(r, decoy, sizeof(decoy));
    tap_acct_free(&r);
    CHECK(decoy[0] && t.last_silent == 1, "decoy started silent (%d)", t.last_silent);
    TAP_ACCT_EXPECT(s_verify(decoy, TAP_ACCT_CODE), DVCID__STATUS__STATUS_OTP_INVALID,
                    "decoy verify");
    TAP_ACCT_EXPECT(s_password(decoy, S_NEW, S_NEW), DVCID__STATUS__STATUS_FLOW_STATE,
                    "decoy password");

    /* The account's phone: a real code, for the reset purpose. */
    r = s_start(S_ID, S_PHONE);
    s_started(r, real, sizeof(real));
    if (real[0])
        CHECK(r->reset_start->otp != NULL, "otp object");
    tap_acct_free(&r);
    CHECK(real[0] && t.last_silent == 0, "real reset started (silent %d)", t.last_silent);
    CHECK(t.last_purpose == DVCID__PURPOSE__PURPOSE_PASSWORD_RESET, "purpose %d", t.last_purpose);
    CHECK_STR(t.last_phone, "+84912000333");
    r = s_resend(real);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_OTP_SENT, "resend: %d",
          tap_acct_status(r));
    tap_acct_free(&r);
    TAP_ACCT_EXPECT(s_password(real, S_NEW, S_NEW), DVCID__STATUS__STATUS_FLOW_STATE,
                    "password before code");
    /* otp-svc's refusals and its silence: the answers, and the reset stays as it was. */
    TAP_ACCT_REFUSED(&t, DVCID__STATUS__STATUS_RATE_LIMITED, s_resend(real), "resend refused");
    TAP_ACCT_REFUSED(&t, DVCID__STATUS__STATUS_OTP_EXPIRED, s_verify(real, TAP_ACCT_CODE),
                     "code expired");
    TAP_ACCT_SILENT(&t, s_resend(real), "silent otp-svc");
    TAP_ACCT_EXPECT(s_password(real, S_NEW, S_NEW), DVCID__STATUS__STATUS_FLOW_STATE,
                    "still unverified");
    TAP_ACCT_EXPECT(s_verify(real, "999999"), DVCID__STATUS__STATUS_OTP_INVALID, "wrong code");
    r = s_verify(real, TAP_ACCT_CODE);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_FLOW_STATE, "verify: %d",
          tap_acct_status(r));
    if (r && r->body_case == DVCID__REPLY__BODY_FLOW_STATE)
        CHECK_STR(r->flow_state->state, "otp_verified");
    tap_acct_free(&r);

    /* The rule, then the new password. */
    r = s_password(real, "kh0ng", "kh0ng");
    CHECK(tap_acct_detail(r, "password", "too_short"), "weak: %d", tap_acct_status(r));
    tap_acct_free(&r);
    int notices = t.notices;
    r = s_password(real, S_NEW, S_NEW);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_FLOW_STATE, "reset: %d",
          tap_acct_status(r));
    if (r && r->body_case == DVCID__REPLY__BODY_FLOW_STATE)
        CHECK_STR(r->flow_state->state, "done");
    tap_acct_free(&r);
    TAP_ACCT_EXPECT(s_password(real, S_NEW, S_NEW), DVCID__STATUS__STATUS_NOT_FOUND,
                    "flow after the reset");

    /* The old session ended; the old password is wrong, the new one signs in. */
    TAP_ACCT_EXPECT(tap_acct_me(&t, token), DVCID__STATUS__STATUS_UNAUTHORIZED, "old session");
    TAP_ACCT_EXPECT(tap_acct_login_start(&t, S_ID, S_OLD),
                    DVCID__STATUS__STATUS_INVALID_CREDENTIALS, "old password");
    tap_acct_login(&t, S_ID, S_NEW, token, sizeof(token));
    CHECK(token[0], "the new password signs in");

    /* The account's phone hears of the change (the notice outbox, every 2 s). */
    int want = notices + 1;
    for (int i = 0; i < 60 && t.notices < want; i++)
        tap_acct_pump(&t, 100, NULL);
    CHECK(t.notices >= want, "notices %d (before %d)", t.notices, notices);

    /* otp-svc refuses the first code: its answer, and no reset is kept. */
    TAP_ACCT_REFUSED(&t, DVCID__STATUS__STATUS_RATE_LIMITED, s_start(S_ID, S_PHONE),
                     "first code refused");
    char gone[CMN_ID_HEX];
    tap_acct_last_flow(&t, gone);
    int asks = tap_acct_asks(&t);
    TAP_ACCT_EXPECT(s_resend(gone), DVCID__STATUS__STATUS_NOT_FOUND, "refused start kept");

    /* Past its time: not_found at every step, and otp-svc is not asked. */
    TAP_ACCT_EXPECT(s_resend(old_code), DVCID__STATUS__STATUS_NOT_FOUND, "expired resend");
    TAP_ACCT_EXPECT(s_verify(old_code, TAP_ACCT_CODE), DVCID__STATUS__STATUS_NOT_FOUND,
                    "expired verify");
    TAP_ACCT_EXPECT(s_password(old_verified, S_NEW, S_NEW), DVCID__STATUS__STATUS_NOT_FOUND,
                    "expired password");
    CHECK(tap_acct_asks(&t) == asks, "otp-svc asked about a gone or expired reset");

    tap_acct_stop(&t);
    return TEST_DONE();
}
