/* The sign-in flow of account-svc (flows.md section 2), the real service against a model
 * of otp-svc (tap_acct.h): a wrong password and an unknown ID get the same answer and no
 * code; the right one sends a code to the primary phone and lists the account's phones
 * masked; resend and another method reach otp-svc for the same flow; a wrong code is
 * otp-svc's answer; the right one opens a session (a token and a signed JWT) and ends
 * the flow; a lost phone is proved by a code to the new phone and becomes the primary;
 * repeated wrong passwords lock the ID. */
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

static Dvcid__Reply *s_phone(const char *lid, const char *phone) {
    Dvcid__LoginPhone m = DVCID__LOGIN_PHONE__INIT;
    m.login_id = (char *)lid;
    m.new_phone = (char *)phone;
    return tap_acct_ask(&t, DVCID__REQUEST__BODY_LOGIN_PHONE, &m);
}

static Dvcid__Reply *s_phone_verify(const char *lid, const char *code) {
    Dvcid__LoginPhoneVerify m = DVCID__LOGIN_PHONE_VERIFY__INIT;
    m.login_id = (char *)lid;
    m.code = (char *)code;
    return tap_acct_ask(&t, DVCID__REQUEST__BODY_LOGIN_PHONE_VERIFY, &m);
}

int main(void) {
    if (tap_acct_start(&t, s_tune) != 0) {
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
    r = tap_acct_login_start(&t, "001090999999", S_PASSWORD);
    CHECK(tap_acct_status(r) == DVCID__STATUS__STATUS_INVALID_CREDENTIALS, "unknown ID: %d",
          tap_acct_status(r));
    tap_acct_free(&r);
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

    /* Resend and another method: otp-svc, same flow; a method that is not there. */
    r = s_resend(lid);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_OTP_SENT, "resend: %d",
          tap_acct_status(r));
    tap_acct_free(&r);
    r = s_method(lid, "m0");
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_OTP_SENT, "method: %d",
          tap_acct_status(r));
    tap_acct_free(&r);
    CHECK(t.resent == 2, "resends %d", t.resent);
    CHECK_STR(t.last_phone, "+84912000111");
    r = s_method(lid, "m7");
    CHECK(tap_acct_detail(r, "method_id", "invalid"), "unknown method: %d", tap_acct_status(r));
    tap_acct_free(&r);

    /* A wrong code, then the right one: a session; the flow ends with it. */
    r = tap_acct_login_verify(&t, lid, "111111");
    CHECK(tap_acct_status(r) == DVCID__STATUS__STATUS_OTP_INVALID, "wrong code: %d",
          tap_acct_status(r));
    tap_acct_free(&r);
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
    r = tap_acct_login_verify(&t, lid, TAP_ACCT_CODE);
    CHECK(tap_acct_status(r) == DVCID__STATUS__STATUS_NOT_FOUND, "flow after the session: %d",
          tap_acct_status(r));
    tap_acct_free(&r);

    /* A lost phone: a code to the new one, for the phone purpose; it becomes primary. */
    r = tap_acct_login_start(&t, S_ID, S_PASSWORD);
    s_started(r, lid, sizeof(lid));
    tap_acct_free(&r);
    r = s_phone(lid, "12");
    CHECK(tap_acct_detail(r, "new_phone", "invalid"), "bad new phone: %d", tap_acct_status(r));
    tap_acct_free(&r);
    r = s_phone(lid, "0987000222");
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_OTP_SENT, "phone: %d",
          tap_acct_status(r));
    tap_acct_free(&r);
    CHECK(t.last_purpose == DVCID__PURPOSE__PURPOSE_PHONE_CHANGE, "purpose %d", t.last_purpose);
    CHECK_STR(t.last_phone, "+84987000222");
    r = s_phone_verify(lid, TAP_ACCT_CODE);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_PHONE_CHANGED,
          "phone changed: %d", tap_acct_status(r));
    if (r && r->body_case == DVCID__REPLY__BODY_PHONE_CHANGED)
        CHECK(!r->phone_changed->pending, "at once without a cooling-off");
    tap_acct_free(&r);
    r = tap_acct_login_start(&t, S_ID, S_PASSWORD);
    s_started(r, lid, sizeof(lid));
    tap_acct_free(&r);
    CHECK_STR(t.last_phone, "+84987000222");

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
    r = tap_acct_login_start(&t, S_ID, S_PASSWORD);
    CHECK(tap_acct_status(r) == DVCID__STATUS__STATUS_ACCOUNT_LOCKED, "the right one too: %d",
          tap_acct_status(r));
    tap_acct_free(&r);

    tap_acct_stop(&t);
    return TEST_DONE();
}
