/* "Unlock with your phone" in account-svc (issue 21), the real service against a model of
 * otp-svc (tap_acct.h): a locked ID's code goes to its primary phone and, verified, lifts
 * every sign-in lock without signing anyone in; an ID that is not locked, or not known,
 * gets the same answer with a silent decoy challenge that never verifies. */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "tap_acct.h"

#define S_ID "001090444555"
#define S_DOB "1990-05-17"
#define S_PASSWORD "Tr0ng!Dong2024"

static tap_acct_t t;

static void s_tune(cmn_config_t *cfg) { cfg->login_max_failures = 2; }

/* A start for id; its unlock id into out (empty when it did not start). */
static void s_start(const char *id, char *out, size_t len) {
    char captcha[64] = "";
    CHECK(tap_acct_captcha(&t, captcha, sizeof(captcha)) == 0, "captcha");
    Dvcid__UnlockStart m = DVCID__UNLOCK_START__INIT;
    m.id_number = (char *)id;
    m.captcha_id = captcha;
    m.captcha_answer = TAP_ACCT_CAPTCHA;
    Dvcid__Reply *r = tap_acct_ask(&t, DVCID__REQUEST__BODY_UNLOCK_START, &m);
    out[0] = '\0';
    if (r && !r->error && r->body_case == DVCID__REPLY__BODY_UNLOCK_START) {
        snprintf(out, len, "%s", r->unlock_start->unlock_id);
        /* The answer never names the phone: it would tell whether the ID is locked. */
        CHECK(r->unlock_start->otp && r->unlock_start->otp->phone_masked[0] == '\0',
              "no phone in the answer");
    }
    tap_acct_free(&r);
}

static Dvcid__Reply *s_verify(const char *id, const char *code) {
    Dvcid__UnlockVerify m = DVCID__UNLOCK_VERIFY__INIT;
    m.unlock_id = (char *)id;
    m.code = (char *)code;
    return tap_acct_ask(&t, DVCID__REQUEST__BODY_UNLOCK_VERIFY, &m);
}

int main(void) {
    if (tap_acct_start(&t, s_tune) != 0) {
        CHECK(0, "account-svc did not start");
        tap_acct_stop(&t);
        return TEST_DONE();
    }
    CHECK(tap_acct_register(&t, S_ID, S_DOB, "0912000555", S_PASSWORD) == 0, "registered");

    /* Not locked, and unknown: answered alike, silent. */
    char id[64];
    s_start(S_ID, id, sizeof(id));
    CHECK(id[0] && t.last_silent == 1, "not locked: a decoy (silent %d)", t.last_silent);
    s_start("001090000001", id, sizeof(id));
    CHECK(id[0] && t.last_silent == 1, "unknown: a decoy (silent %d)", t.last_silent);
    Dvcid__Reply *r = s_verify(id, TAP_ACCT_CODE);
    CHECK(tap_acct_status(r) == DVCID__STATUS__STATUS_OTP_INVALID, "a decoy never verifies: %d",
          tap_acct_status(r));
    tap_acct_free(&r);

    /* Locked by wrong passwords. */
    for (int i = 0; i < 2; i++) {
        r = tap_acct_login_start(&t, S_ID, "Wr0ng!Password1");
        tap_acct_free(&r);
    }
    r = tap_acct_login_start(&t, S_ID, S_PASSWORD);
    CHECK(tap_acct_status(r) == DVCID__STATUS__STATUS_ACCOUNT_LOCKED, "locked: %d",
          tap_acct_status(r));
    tap_acct_free(&r);

    /* A locked ID: a real code to the primary phone, for the unlock purpose. */
    s_start(S_ID, id, sizeof(id));
    CHECK(id[0] && t.last_silent == 0, "locked: a real code (silent %d)", t.last_silent);
    CHECK(t.last_purpose == DVCID__PURPOSE__PURPOSE_UNLOCK, "purpose %d", t.last_purpose);
    CHECK_STR(t.last_phone, "+84912000555");
    r = s_verify(id, "000111");
    CHECK(tap_acct_status(r) == DVCID__STATUS__STATUS_OTP_INVALID, "wrong code: %d",
          tap_acct_status(r));
    tap_acct_free(&r);
    r = s_verify(id, TAP_ACCT_CODE);
    CHECK(tap_acct_status(r) == 0 && r->body_case == DVCID__REPLY__BODY_FLOW_STATE, "unlock: %d",
          tap_acct_status(r));
    if (r && r->body_case == DVCID__REPLY__BODY_FLOW_STATE)
        CHECK_STR(r->flow_state->state, "unlocked");
    tap_acct_free(&r);
    r = s_verify(id, TAP_ACCT_CODE);
    CHECK(tap_acct_status(r) == DVCID__STATUS__STATUS_NOT_FOUND, "used once: %d",
          tap_acct_status(r));
    tap_acct_free(&r);

    /* Nobody was signed in; the password works again. */
    char token[128];
    tap_acct_login(&t, S_ID, S_PASSWORD, token, sizeof(token));
    CHECK(token[0], "signs in after the unlock");

    tap_acct_stop(&t);
    return TEST_DONE();
}
