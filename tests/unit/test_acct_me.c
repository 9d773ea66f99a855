/* The signed-in user's routes in account-svc (flows.md section 3: adding an OTP phone),
 * the real service against a model of otp-svc (tap_acct.h): MeGet needs a live session;
 * a new phone is proved by a code to it for the add-phone purpose and joins the account
 * (not as primary), the phones the account had hear of it; a phone already there is
 * refused; a session older than account.reauth_seconds needs the password again;
 * Logout ends the session. */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "tap_acct.h"

#define S_ID "001090666777"
#define S_DOB "1990-05-17"
#define S_PASSWORD "Tr0ng!Dong2024"

static tap_acct_t t;
/* Every add needs the password again: the session is always older than 0 s. */
static void s_tune(cmn_config_t *cfg) { cfg->account_reauth_seconds = 0; }

static Dvcid__Reply *s_logout(const char *token) {
    Dvcid__Logout m = DVCID__LOGOUT__INIT;
    m.token = (char *)token;
    return tap_acct_ask(&t, DVCID__REQUEST__BODY_LOGOUT, &m);
}

int main(void) {
    if (tap_acct_start(&t, s_tune) != 0) {
        CHECK(0, "account-svc did not start");
        tap_acct_stop(&t);
        return TEST_DONE();
    }
    CHECK(tap_acct_register(&t, S_ID, S_DOB, "0912000777", S_PASSWORD) == 0, "registered");
    char token[128];
    tap_acct_login(&t, S_ID, S_PASSWORD, token, sizeof(token));
    CHECK(token[0], "signed in");

    Dvcid__Reply *r = tap_acct_me(&t, "not-a-token");
    CHECK(tap_acct_status(r) == DVCID__STATUS__STATUS_UNAUTHORIZED, "no session: %d",
          tap_acct_status(r));
    tap_acct_free(&r);
    r = tap_acct_me(&t, token);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_ME, "me: %d",
          tap_acct_status(r));
    if (r && r->body_case == DVCID__REPLY__BODY_ME) {
        CHECK_STR(r->me->id_number, S_ID);
        CHECK(r->me->n_phones == 1 && r->me->phones[0]->primary, "one primary phone");
    }
    tap_acct_free(&r);

    /* A phone already the account's; then a new one: a code to it. */
    r = tap_acct_add_phone(&t, token, "0987000777", "");
    CHECK(tap_acct_detail(r, "password", "required"), "re-authentication asked: %d",
          tap_acct_status(r));
    tap_acct_free(&r);
    TAP_ACCT_EXPECT(tap_acct_add_phone(&t, token, "0987000777", "Wr0ng!Password1"),
                    DVCID__STATUS__STATUS_INVALID_CREDENTIALS, "wrong password");
    CHECK(t.issued == 2, "a code asked before the password was checked (%d)", t.issued);
    r = tap_acct_add_phone(&t, token, "0912000777", S_PASSWORD);
    CHECK(tap_acct_detail(r, "phone", "already_added"), "already there: %d", tap_acct_status(r));
    tap_acct_free(&r);
    r = tap_acct_add_phone(&t, token, "0987000777", S_PASSWORD);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_OTP_SENT, "add: %d",
          tap_acct_status(r));
    tap_acct_free(&r);
    CHECK(t.last_purpose == DVCID__PURPOSE__PURPOSE_ADD_PHONE, "purpose %d", t.last_purpose);
    CHECK_STR(t.last_phone, "+84987000777");
    TAP_ACCT_EXPECT(tap_acct_add_phone_verify(&t, token, "222222"),
                    DVCID__STATUS__STATUS_OTP_INVALID, "wrong code");
    int notices = t.notices;
    r = tap_acct_add_phone_verify(&t, token, TAP_ACCT_CODE);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_PHONES, "added: %d",
          tap_acct_status(r));
    if (r && r->body_case == DVCID__REPLY__BODY_PHONES)
        CHECK(r->phones->n_phones == 2 && r->phones->phones[0]->primary &&
                  !r->phones->phones[1]->primary,
              "two phones, the first primary");
    tap_acct_free(&r);
    TAP_ACCT_EXPECT(tap_acct_add_phone_verify(&t, token, TAP_ACCT_CODE),
                    DVCID__STATUS__STATUS_FLOW_STATE, "no phone waiting");
    for (int i = 0; i < 60 && t.notices <= notices; i++)
        tap_acct_pump(&t, 100, NULL);
    CHECK(t.notices > notices, "the old phone heard of the new one (%d)", t.notices - notices);

    /* Logout: the session is gone. */
    r = s_logout(token);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_LOGOUT, "logout: %d",
          tap_acct_status(r));
    tap_acct_free(&r);
    TAP_ACCT_EXPECT(tap_acct_me(&t, token), DVCID__STATUS__STATUS_UNAUTHORIZED, "after logout");
    tap_acct_stop(&t);
    return TEST_DONE();
}
