/* Phone changes in account-svc (flows.md section 3), the real service against a model of
 * otp-svc (tap_acct.h). Adding a phone: otp-svc's refusal of its code is the answer and
 * leaves nothing waiting; a code otp-svc calls expired is refused and the phone waits on.
 * The lost-phone change of a sign-in: its steps in order (flow_state otherwise), the code
 * to the new phone for the phone-change purpose, a resend going where the last code went;
 * otp-svc's refusals are the answers and leave the flow as it was; with a cooling-off the
 * change waits (effective_in), the sessions live on, and a sign-in with a code to the
 * account's phone cancels it; one not cancelled takes effect after the cooling-off: the
 * new phone is the primary one and every session ends. An expired flow is not_found. */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "tap_acct.h"

#define S_ID "001090444555"
#define S_DOB "1990-05-17"
#define S_PASSWORD "Tr0ng!Dong2024"
#define S_OLD "+84912000444"
#define S_NEW "0987000444"
#define S_NEW_E164 "+84987000444"
#define S_COOL 3 /* seconds a lost-phone change waits */

static tap_acct_t t;

static void s_tune(cmn_config_t *cfg) { cfg->account_phone_change_cooling_off = S_COOL; }

/* A sign-in past its password: its id into lid ("" when it did not start). */
static void s_login_start(char *lid, size_t len) {
    Dvcid__Reply *r = tap_acct_login_start(&t, S_ID, S_PASSWORD);
    lid[0] = '\0';
    if (r && !r->error && r->body_case == DVCID__REPLY__BODY_LOGIN_START)
        snprintf(lid, len, "%s", r->login_start->login_id);
    CHECK(lid[0], "sign-in started: %d", tap_acct_status(r));
    tap_acct_free(&r);
}

/* A lost-phone change to S_NEW proved by its code; *effective_in from the answer. */
static void s_change(char *lid, size_t len, uint32_t *effective_in) {
    s_login_start(lid, len);
    TAP_ACCT_EXPECT(tap_acct_login_phone(&t, lid, S_NEW), 0, "code to the new phone");
    Dvcid__Reply *r = tap_acct_login_phone_verify(&t, lid, TAP_ACCT_CODE);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_PHONE_CHANGED,
          "phone changed: %d", tap_acct_status(r));
    *effective_in = 0;
    if (r && r->body_case == DVCID__REPLY__BODY_PHONE_CHANGED) {
        CHECK(r->phone_changed->pending, "pending during the cooling-off");
        *effective_in = r->phone_changed->effective_in;
        CHECK(strstr(r->phone_changed->phone_masked, "444") &&
                  !strstr(r->phone_changed->phone_masked, "0987000"),
              "masked %s", r->phone_changed->phone_masked);
    }
    tap_acct_free(&r);
}

/* Waits out the cooling-off and the timer's turn (once a second). */
static void s_wait_cooling_off(void) { tap_acct_pump(&t, S_COOL * 1000 + 2500, NULL); }

/* Adding a phone: refusals first, then the phone joins. */
static void s_add(const char *token) {
    TAP_ACCT_REFUSED(&t, DVCID__STATUS__STATUS_RATE_LIMITED,
                     tap_acct_add_phone(&t, token, "0977000444", ""), "add refused by otp-svc");
    TAP_ACCT_EXPECT(tap_acct_add_phone_verify(&t, token, TAP_ACCT_CODE),
                    DVCID__STATUS__STATUS_FLOW_STATE, "nothing waits after a refused add");
    TAP_ACCT_EXPECT(tap_acct_add_phone(&t, token, "0977000444", ""), 0, "add");
    CHECK(t.last_purpose == DVCID__PURPOSE__PURPOSE_ADD_PHONE, "add purpose %d", t.last_purpose);
    TAP_ACCT_REFUSED(&t, DVCID__STATUS__STATUS_OTP_EXPIRED,
                     tap_acct_add_phone_verify(&t, token, TAP_ACCT_CODE), "add code expired");
    Dvcid__Reply *r = tap_acct_add_phone_verify(&t, token, TAP_ACCT_CODE);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_PHONES &&
              r->phones->n_phones == 2,
          "added after the refusal: %d", tap_acct_status(r));
    tap_acct_free(&r);
}

/* The lost-phone change's steps out of order and otp-svc's refusals. */
static void s_refusals(const char *lid) {
    int asks = tap_acct_asks(&t);
    TAP_ACCT_EXPECT(tap_acct_login_phone_verify(&t, lid, TAP_ACCT_CODE),
                    DVCID__STATUS__STATUS_FLOW_STATE, "new phone's code before a new phone");
    CHECK(tap_acct_asks(&t) == asks, "otp-svc asked out of order");
    TAP_ACCT_REFUSED(&t, DVCID__STATUS__STATUS_RATE_LIMITED, tap_acct_login_phone(&t, lid, S_NEW),
                     "new phone's code refused");
    TAP_ACCT_EXPECT(tap_acct_login_phone_verify(&t, lid, TAP_ACCT_CODE),
                    DVCID__STATUS__STATUS_FLOW_STATE, "a refused code moved the flow on");
    TAP_ACCT_EXPECT(tap_acct_login_phone(&t, lid, S_NEW), 0, "code to the new phone");
    CHECK(t.last_purpose == DVCID__PURPOSE__PURPOSE_PHONE_CHANGE, "purpose %d", t.last_purpose);
    CHECK_STR(t.last_phone, S_NEW_E164);
    TAP_ACCT_EXPECT(tap_acct_login_verify(&t, lid, TAP_ACCT_CODE), DVCID__STATUS__STATUS_FLOW_STATE,
                    "sign-in code while a new phone waits");
    Dvcid__LoginResend m = DVCID__LOGIN_RESEND__INIT;
    m.login_id = (char *)lid;
    TAP_ACCT_EXPECT(tap_acct_ask(&t, DVCID__REQUEST__BODY_LOGIN_RESEND, &m), 0, "resend");
    CHECK(t.last_purpose == DVCID__PURPOSE__PURPOSE_PHONE_CHANGE, "resend purpose %d",
          t.last_purpose);
    TAP_ACCT_EXPECT(tap_acct_login_phone_verify(&t, lid, "000000"),
                    DVCID__STATUS__STATUS_OTP_INVALID, "wrong code");
    TAP_ACCT_REFUSED(&t, DVCID__STATUS__STATUS_OTP_EXPIRED,
                     tap_acct_login_phone_verify(&t, lid, TAP_ACCT_CODE), "code expired");
}

int main(void) {
    char old[CMN_ID_HEX] = "";
    CHECK(tap_acct_config(&t, s_tune) == 0, "config");
    CHECK(tap_acct_flow_put(&t, ACCT_FLOW_LOGIN, ACCT_FLOW_PHONE_PENDING, S_ID, S_OLD,
                            cmn_time_now_ms() - 1, old) == 0,
          "expired lost phone seeded");
    if (tap_acct_run(&t) != 0) {
        CHECK(0, "account-svc did not start");
        tap_acct_stop(&t);
        return TEST_DONE();
    }
    CHECK(tap_acct_register(&t, S_ID, S_DOB, "0912000444", S_PASSWORD) == 0, "registered");
    char token[128], lid[64];
    tap_acct_login(&t, S_ID, S_PASSWORD, token, sizeof(token));
    CHECK(token[0], "signed in");
    s_add(token);

    /* Past its time: not_found, and otp-svc is not asked. */
    int asks = tap_acct_asks(&t);
    TAP_ACCT_EXPECT(tap_acct_login_phone_verify(&t, old, TAP_ACCT_CODE),
                    DVCID__STATUS__STATUS_NOT_FOUND, "expired flow");
    CHECK(tap_acct_asks(&t) == asks, "otp-svc asked about an expired flow");

    /* A change proved after the refusals waits out its cooling-off; the flow is done. */
    s_login_start(lid, sizeof(lid));
    s_refusals(lid);
    Dvcid__Reply *r = tap_acct_login_phone_verify(&t, lid, TAP_ACCT_CODE);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_PHONE_CHANGED,
          "phone changed: %d", tap_acct_status(r));
    if (r && r->body_case == DVCID__REPLY__BODY_PHONE_CHANGED)
        CHECK(r->phone_changed->pending && r->phone_changed->effective_in == S_COOL,
              "pending %d for %u s", r->phone_changed->pending, r->phone_changed->effective_in);
    tap_acct_free(&r);
    TAP_ACCT_EXPECT(tap_acct_login_phone_verify(&t, lid, TAP_ACCT_CODE),
                    DVCID__STATUS__STATUS_NOT_FOUND, "flow after the change");
    TAP_ACCT_EXPECT(tap_acct_me(&t, token), 0, "the session lives while the change waits");

    /* The owner signs in with a code to the account's phone: the change is cancelled. */
    char token2[128];
    tap_acct_login(&t, S_ID, S_PASSWORD, token2, sizeof(token2));
    CHECK(token2[0], "signed in from the old phone");
    CHECK_STR(t.last_phone, S_OLD);
    s_wait_cooling_off();
    s_login_start(lid, sizeof(lid));
    CHECK_STR(t.last_phone, S_OLD);
    TAP_ACCT_EXPECT(tap_acct_me(&t, token2), 0, "sessions after a cancelled change");

    /* One not cancelled: the new phone is the primary one and every session ends. */
    uint32_t effective_in = 0;
    s_change(lid, sizeof(lid), &effective_in);
    CHECK(effective_in == S_COOL, "effective_in %u", effective_in);
    s_wait_cooling_off();
    TAP_ACCT_EXPECT(tap_acct_me(&t, token2), DVCID__STATUS__STATUS_UNAUTHORIZED, "sessions ended");
    s_login_start(lid, sizeof(lid));
    CHECK_STR(t.last_phone, S_NEW_E164);

    tap_acct_stop(&t);
    return TEST_DONE();
}
