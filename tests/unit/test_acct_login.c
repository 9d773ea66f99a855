/* The sign-in flow of account-svc (flows.md section 2), the real service against a model
 * of otp-svc (tap_acct.h): a wrong password and an unknown ID get the same answer and no
 * code; the right one sends a code to the primary phone and lists the account's phones
 * masked; resend and another method reach otp-svc for the same flow; a wrong code is
 * otp-svc's answer; the right one opens a session (a token and a signed JWT) and ends
 * the flow; a lost phone is proved by a code to the new phone and becomes the primary;
 * repeated wrong passwords lock the ID. Failure paths: otp-svc's refusal of the first code
 * is the answer and keeps no flow; its refusal of a resend or a code is the answer and
 * leaves the flow as it was; a silent otp-svc is a timeout; a step out of order is
 * flow_state; the account's wrong codes past account.max_otp_failures_per_hour refuse
 * even the right one without asking otp-svc; an expired flow is not_found at every step. */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "tap_acct.h"

#define S_ID "001090654321"
#define S_DOB "1990-05-17"
#define S_PASSWORD "Tr0ng!Dong2024"

static tap_acct_t t;

static void s_tune(cmn_config_t *cfg) {
    cfg->account_phone_change_cooling_off = 0; /* the new phone takes over at once */
    cfg->login_max_failures = 3;
    cfg->account_max_otp_failures_per_hour = 3;
}

/* A started sign-in's id into lid (empty when it did not start). */
static void s_started(Dvcid__Reply *r, char *lid, size_t len) {
    lid[0] = '\0';
    if (r && !r->error && r->body_case == DVCID__REPLY__BODY_LOGIN_START)
        snprintf(lid, len, "%s", r->login_start->login_id);
}

static Dvcid__Reply *s_method(const char *lid, const char *method) {
    Dvcid__LoginMethod m = DVCID__LOGIN_METHOD__INIT;
    m.login_id = (char *)lid;
    m.method_id = (char *)method;
    return tap_acct_ask(&t, DVCID__REQUEST__BODY_LOGIN_METHOD, &m);
}

static Dvcid__Reply *s_resend(const char *lid) {
    Dvcid__LoginResend m = DVCID__LOGIN_RESEND__INIT;
    m.login_id = (char *)lid;
    return tap_acct_ask(&t, DVCID__REQUEST__BODY_LOGIN_RESEND, &m);
}

int main(void) {
    /* Sign-ins of S_ID past their time: one waiting for its code, one for a new phone's. */
    char old_code[CMN_ID_HEX] = "", old_phone[CMN_ID_HEX] = "";
    uint64_t now = cmn_time_now_ms();
    CHECK(tap_acct_config(&t, s_tune) == 0, "config");
    CHECK(tap_acct_flow_put(&t, ACCT_FLOW_LOGIN, ACCT_FLOW_OTP_PENDING, S_ID, "+84912000111",
                            now - 1, old_code) == 0,
          "expired sign-in seeded");
    CHECK(tap_acct_flow_put(&t, ACCT_FLOW_LOGIN, ACCT_FLOW_PHONE_PENDING, S_ID, "+84912000111",
                            now - 1, old_phone) == 0,
          "expired lost phone seeded");
    if (tap_acct_run(&t) != 0) {
        CHECK(0, "account-svc did not start");
        tap_acct_stop(&t);
        return TEST_DONE();
    }
    CHECK(tap_acct_register(&t, S_ID, S_DOB, "0912000111", S_PASSWORD) == 0, "registered");
    int issued = t.issued;

    /* A wrong password and an unknown ID: the same answer, no code. */
    Dvcid__Reply *r = tap_acct_login_start(&t, S_ID, "Wr0ng!Password1");
    CHECK(tap_acct_status(r) == DVCID__STATUS__STATUS_INVALID_CREDENTIALS, "wrong password: %d",
          tap_acct_status(r));
    tap_acct_free(&r);
    TAP_ACCT_EXPECT(tap_acct_login_start(&t, "001090999999", S_PASSWORD),
                    DVCID__STATUS__STATUS_INVALID_CREDENTIALS, "unknown ID");
    CHECK(t.issued == issued, "a code asked without the password");
    r = tap_acct_login_start(&t, "123", "");
    CHECK(tap_acct_detail(r, "id_number", "invalid") && tap_acct_detail(r, "password", "required"),
          "field details");
    tap_acct_free(&r);

    /* The right password: a code to the primary phone, the phones listed masked. */
    char lid[64];
    r = tap_acct_login_start(&t, S_ID, S_PASSWORD);
    s_started(r, lid, sizeof(lid));
    CHECK(lid[0], "signed in with the password: %d", tap_acct_status(r));
    if (lid[0]) {
        CHECK(r->login_start->n_methods == 1 && r->login_start->methods[0]->primary,
              "one primary method");
        CHECK_STR(r->login_start->methods[0]->method_id, "m0");
        CHECK(strstr(r->login_start->methods[0]->phone_masked, "0912") == NULL, "masked");
    }
    tap_acct_free(&r);
    CHECK(t.issued == issued + 1 && t.last_purpose == DVCID__PURPOSE__PURPOSE_LOGIN,
          "a sign-in code asked (%d, purpose %d)", t.issued - issued, t.last_purpose);
    CHECK_STR(t.last_phone, "+84912000111");
    /* Out of order: the new phone's code before any new phone. */
    TAP_ACCT_QUIET(&t, tap_acct_login_phone_verify(&t, lid, TAP_ACCT_CODE),
                   DVCID__STATUS__STATUS_FLOW_STATE, "lost-phone code first");

    /* otp-svc's refusals of a resend and of a code are the answers; the flow stays. */
    TAP_ACCT_REFUSED(&t, DVCID__STATUS__STATUS_RATE_LIMITED, s_resend(lid), "resend refused");
    TAP_ACCT_REFUSED(&t, DVCID__STATUS__STATUS_OTP_EXPIRED,
                     tap_acct_login_verify(&t, lid, TAP_ACCT_CODE), "code expired");
    /* otp-svc silent: a timeout at the request's deadline. */
    TAP_ACCT_SILENT(&t, tap_acct_login_verify(&t, lid, TAP_ACCT_CODE), "silent otp-svc");

    /* Resend and another method: otp-svc, same flow; a method that is not there. */
    int resent = t.resent;
    r = s_resend(lid);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_OTP_SENT, "resend: %d",
          tap_acct_status(r));
    tap_acct_free(&r);
    r = s_method(lid, "m0");
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_OTP_SENT, "method: %d",
          tap_acct_status(r));
    tap_acct_free(&r);
    CHECK(t.resent == resent + 2, "resends %d", t.resent - resent);
    CHECK_STR(t.last_phone, "+84912000111");
    r = s_method(lid, "m7");
    CHECK(tap_acct_detail(r, "method_id", "invalid"), "unknown method: %d", tap_acct_status(r));
    tap_acct_free(&r);

    /* A wrong code, then the right one: a session; the flow ends with it. */
    TAP_ACCT_EXPECT(tap_acct_login_verify(&t, lid, "111111"), DVCID__STATUS__STATUS_OTP_INVALID,
                    "wrong code");
    r = tap_acct_login_verify(&t, lid, TAP_ACCT_CODE);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_SESSION, "session: %d",
          tap_acct_status(r));
    if (r && r->body_case == DVCID__REPLY__BODY_SESSION) {
        CHECK(strlen(r->session->token) >= 32, "token");
        const char *jwt = r->session->access_token;
        const char *dot1 = jwt ? strchr(jwt, '.') : NULL;
        CHECK(dot1 && strchr(dot1 + 1, '.'), "a JWT of three parts");
        CHECK(r->session->expires_in > 0, "expires_in");
    }
    tap_acct_free(&r);
    TAP_ACCT_EXPECT(tap_acct_login_verify(&t, lid, TAP_ACCT_CODE), DVCID__STATUS__STATUS_NOT_FOUND,
                    "flow after the session");

    /* A lost phone: a code to the new one, for the phone purpose; it becomes primary. */
    r = tap_acct_login_start(&t, S_ID, S_PASSWORD);
    s_started(r, lid, sizeof(lid));
    tap_acct_free(&r);
    r = tap_acct_login_phone(&t, lid, "12");
    CHECK(tap_acct_detail(r, "new_phone", "invalid"), "bad new phone: %d", tap_acct_status(r));
    tap_acct_free(&r);
    r = tap_acct_login_phone(&t, lid, "0987000222");
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_OTP_SENT, "phone: %d",
          tap_acct_status(r));
    tap_acct_free(&r);
    CHECK(t.last_purpose == DVCID__PURPOSE__PURPOSE_PHONE_CHANGE, "purpose %d", t.last_purpose);
    CHECK_STR(t.last_phone, "+84987000222");
    r = tap_acct_login_phone_verify(&t, lid, TAP_ACCT_CODE);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_PHONE_CHANGED,
          "phone changed: %d", tap_acct_status(r));
    if (r && r->body_case == DVCID__REPLY__BODY_PHONE_CHANGED)
        CHECK(!r->phone_changed->pending, "at once without a cooling-off");
    tap_acct_free(&r);
    r = tap_acct_login_start(&t, S_ID, S_PASSWORD);
    s_started(r, lid, sizeof(lid));
    tap_acct_free(&r);
    CHECK_STR(t.last_phone, "+84987000222");

    /* The account's wrong codes: two more make account.max_otp_failures_per_hour (3); then
     * even the right code is refused, rate_limited, and otp-svc is not asked. */
    for (int i = 0; i < 2; i++) {
        r = tap_acct_login_verify(&t, lid, "111111");
        CHECK(tap_acct_status(r) == DVCID__STATUS__STATUS_OTP_INVALID, "wrong code %d: %d", i,
              tap_acct_status(r));
        tap_acct_free(&r);
    }
    int asks = tap_acct_asks(&t);
    r = tap_acct_login_verify(&t, lid, TAP_ACCT_CODE);
    CHECK(tap_acct_status(r) == DVCID__STATUS__STATUS_RATE_LIMITED && r->error->retry_after &&
              r->error->retry_after->value > 0,
          "over the wrong-code limit: %d", tap_acct_status(r));
    tap_acct_free(&r);
    CHECK(tap_acct_asks(&t) == asks, "otp-svc asked over the limit");

    /* otp-svc refuses the first code: its answer, and no flow is kept. */
    TAP_ACCT_REFUSED(&t, DVCID__STATUS__STATUS_UNAVAILABLE,
                     tap_acct_login_start(&t, S_ID, S_PASSWORD), "first code refused");
    char gone[CMN_ID_HEX];
    tap_acct_last_flow(&t, gone);
    TAP_ACCT_QUIET(&t, s_resend(gone), DVCID__STATUS__STATUS_NOT_FOUND, "refused start kept");

    /* Past its time: not_found at every step, and otp-svc is not asked. */
    TAP_ACCT_QUIET(&t, s_resend(old_code), DVCID__STATUS__STATUS_NOT_FOUND, "expired resend");
    TAP_ACCT_QUIET(&t, s_method(old_code, "m0"), DVCID__STATUS__STATUS_NOT_FOUND, "expired method");
    TAP_ACCT_QUIET(&t, tap_acct_login_verify(&t, old_code, TAP_ACCT_CODE),
                   DVCID__STATUS__STATUS_NOT_FOUND, "expired verify");
    TAP_ACCT_QUIET(&t, tap_acct_login_phone(&t, old_code, "0987000333"),
                   DVCID__STATUS__STATUS_NOT_FOUND, "expired phone");
    TAP_ACCT_QUIET(&t, tap_acct_login_phone_verify(&t, old_phone, TAP_ACCT_CODE),
                   DVCID__STATUS__STATUS_NOT_FOUND, "expired phone verify");

    /* Wrong passwords up to login.max_failures: locked, with a retry time. */
    int status = 0;
    for (int i = 0; i < 3; i++) {
        r = tap_acct_login_start(&t, S_ID, "Wr0ng!Password1");
        status = tap_acct_status(r);
        if (status == DVCID__STATUS__STATUS_ACCOUNT_LOCKED)
            CHECK(r->error->retry_after && r->error->retry_after->value > 0, "retry_after");
        tap_acct_free(&r);
    }
    CHECK(status == DVCID__STATUS__STATUS_ACCOUNT_LOCKED, "locked after 3: %d", status);
    TAP_ACCT_EXPECT(tap_acct_login_start(&t, S_ID, S_PASSWORD),
                    DVCID__STATUS__STATUS_ACCOUNT_LOCKED, "the right one too");

    tap_acct_stop(&t);
    return TEST_DONE();
}
