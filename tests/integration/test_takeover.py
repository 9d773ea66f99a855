"""Takeover with a password or a session alone (issue 19 part 3, issue 17 part 3).

- Adding an OTP phone needs the password again once the session is older than
  account.reauth_seconds: a stolen session cookie alone no longer adds the thief's phone
  (422 with details password/required without it, 401 invalid_credentials with a wrong
  one, counted like a sign-in's wrong passwords).
- A lost-phone change, an added phone and a password reset each send a notice (an SMS
  without a code) to every phone of the account.
- With account.phone_change_cooling_off the lost-phone change waits: its answer says
  pending, the old phones are told first, and a sign-in with a code to one of them
  cancels it; otherwise it takes effect when the time is over and every session ends.
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import e164, mask_phone, new_phone  # noqa: E402
from signin_helpers import (NEW_PASSWORD, ROOMY_OTP, SigninTestCase, add_phone,  # noqa: E402
                            bearer, login_step, me, register_account, reset_step, sign_in,
                            start_login, start_reset, wait_until)

RESEND_AFTER = 1
REAUTH = 2
COOLING_OFF = 3


def add(st, token, phone, password=None):
    body = {"phone": phone}
    if password is not None:
        body["password"] = password
    return st.request("POST", "/v1/me/phones", json=body, headers=bearer(token))


def notices(st, phone):
    return st.sms_for(phone, "notice")


class TakeoverBase(SigninTestCase):
    RESEND_AFTER = RESEND_AFTER

    def wait_notices(self, phone, n, what):
        """Waits for the n-th notice to phone; checks none carries a code."""
        deadline = time.monotonic() + 5
        while len(notices(self.stack, phone)) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        got = notices(self.stack, phone)
        self.assertEqual(len(got), n, "%s: notices to %s: %r" % (what, phone, got))
        for line in got:
            self.assertEqual(line["to"], e164(phone), line)
            self.assertNotRegex(line.get("text", ""), r"\d{6}", "a notice carries no code")
        return got

    def lost_phone(self, acc, new):
        """Sign-in past the password, "lost phone" to new, its code: the verify answer."""
        st = self.stack
        r = start_login(st, acc["id_number"], acc["password"])
        self.assertStatus(r, 201, "sign-in start")
        login_id = r.body["login_id"]
        st.last_otp(acc["phone"], "login")  # the code the lost phone would have got
        wait_until(time.monotonic() + RESEND_AFTER + 0.3)
        r = login_step(st, login_id, "phone", {"new_phone": new})
        self.assertStatus(r, 200, "lost phone")
        r = login_step(st, login_id, "phone/verify", {"code": st.last_otp(new, "phone_change")})
        self.assertStatus(r, 200, "phone/verify")
        return r


class ReauthTest(TakeoverBase):
    stack_config = {"otp": dict(ROOMY_OTP, resend_after=RESEND_AFTER),
                    "account": {"reauth_seconds": REAUTH}}

    def test_add_phone_needs_the_password_again(self):
        st = self.stack
        acc = register_account(st)
        s = sign_in(st, acc)
        at = time.monotonic()
        # A fresh sign-in (password and code a moment ago) adds a phone as api.md says.
        first = new_phone()
        self.assertStatus(add(st, s["token"], first), 200, "a fresh session adds a phone")
        wait_until(at + REAUTH + 0.3)
        # The same session later: the session alone is not enough.
        thief = new_phone()
        r = add(st, s["token"], thief)
        self.assertDetails(r, ["password"], "required", "a session alone")
        r = add(st, s["token"], thief, "Sai!MatKhau1")
        self.assertError(r, 401, "invalid_credentials", "a wrong password")
        self.assertEqual(st.wait_no_sms(thief, 0.3), [], "no code to the thief's phone")
        r = add(st, s["token"], thief, acc["password"])
        self.assertStatus(r, 200, "with the password")
        at = time.monotonic()
        self.check_otp_object(r.body["otp"], thief, "add phone with the password")
        self.check_sms(thief, "add_phone", "the code to the added phone")
        # Its resend ("Gửi lại OTP") was re-authenticated with it; another phone is not.
        wait_until(at + RESEND_AFTER + 0.3)
        self.assertDetails(add(st, s["token"], new_phone()), ["password"], "required",
                           "another phone in the same session")
        r = add(st, s["token"], thief)
        self.assertStatus(r, 200, "the resend to the same phone")
        code = self.check_sms(thief, "add_phone", "the resent code")
        r = st.request("POST", "/v1/me/phones/verify", json={"code": code},
                       headers=bearer(s["token"]))
        self.assertStatus(r, 200, "verify")
        self.check_phone_list(r.body["phones"], [(acc["phone"], True), (thief, False)], "added")
        # The phones the account had were told.
        self.wait_notices(acc["phone"], 1, "an added phone")
        self.assertEqual(notices(st, thief), [], "no notice to the added phone itself")


class NoticeTest(TakeoverBase):
    stack_config = {"otp": dict(ROOMY_OTP, resend_after=RESEND_AFTER)}

    def two_phones(self):
        st = self.stack
        acc = register_account(st)
        second = new_phone()
        add_phone(st, sign_in(st, acc)["token"], second)
        self.wait_notices(acc["phone"], 1, "adding the second phone")
        return acc, second

    def test_password_reset_tells_every_phone(self):
        st = self.stack
        acc, second = self.two_phones()
        r = start_reset(st, acc["id_number"], second)
        self.assertStatus(r, 202, "reset with the second phone")
        reset_id = r.body["reset_id"]
        r = reset_step(st, reset_id, "otp/verify", {"code": st.last_otp(second, "password_reset")})
        self.assertStatus(r, 200, "reset verify")
        r = reset_step(st, reset_id, "password",
                       {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
        self.assertStatus(r, 200, "new password")
        self.wait_notices(acc["phone"], 2, "the reset, to the first phone")
        self.wait_notices(second, 1, "the reset, to the second phone")

    def test_lost_phone_tells_every_phone(self):
        st = self.stack
        acc, second = self.two_phones()
        new = new_phone()
        r = self.lost_phone(acc, new)
        self.assertEqual(r.body, {"changed": True, "phone_masked": mask_phone(new)},
                         "no cooling-off configured: the contract's answer")
        self.wait_notices(acc["phone"], 2, "the change, to the old primary phone")
        self.wait_notices(second, 1, "the change, to the second phone")
        self.assertEqual(notices(st, new), [], "no notice to the new phone")


class CoolingOffTest(TakeoverBase):
    stack_config = {"otp": dict(ROOMY_OTP, resend_after=RESEND_AFTER),
                    "account": {"phone_change_cooling_off": COOLING_OFF}}

    def pending_change(self, acc, new):
        r = self.lost_phone(acc, new)
        at = time.monotonic()
        self.assertEqual(set(r.body), {"changed", "pending", "phone_masked", "effective_in"},
                         r.body)
        self.assertEqual((r.body["changed"], r.body["pending"], r.body["phone_masked"]),
                         (False, True, mask_phone(new)), r.body)
        self.assertTrue(COOLING_OFF - 1 <= r.body["effective_in"] <= COOLING_OFF, r.body)
        # The old phone is told before anything changes.
        self.wait_notices(acc["phone"], 1, "the pending change")
        return at

    def test_change_takes_effect_and_sessions_end(self):
        st = self.stack
        acc = register_account(st)
        s = sign_in(st, acc)
        new = new_phone()
        at = self.pending_change(acc, new)
        self.assertStatus(me(st, s["token"]), 200, "sessions live while the change waits")
        deadline = at + COOLING_OFF + 5
        while time.monotonic() < deadline and me(st, s["token"]).status == 200:
            time.sleep(0.2)
        self.assertGreater(time.monotonic(), at + COOLING_OFF - 0.5, "not before its time")
        self.assertUnauthorized(me(st, s["token"]), "the change took effect: sessions ended")
        r = start_login(st, acc["id_number"], acc["password"])
        self.assertStatus(r, 201, "sign in after the change")
        self.check_otp_object(r.body["otp"], new, "the code goes to the new phone")
        self.assertEqual(len(r.body["methods"]), 1, r.body["methods"])

    def test_sign_in_from_the_old_phone_cancels(self):
        st = self.stack
        acc = register_account(st)
        new = new_phone()
        at = self.pending_change(acc, new)
        # The owner, who still has the phone, signs in with its code.
        s = sign_in(st, acc)
        wait_until(at + COOLING_OFF + 1.5)
        self.assertStatus(me(st, s["token"]), 200, "the owner's session lives on")
        r = start_login(st, acc["id_number"], acc["password"])
        self.assertStatus(r, 201, "sign in later")
        self.check_otp_object(r.body["otp"], acc["phone"], "the code still goes to the old phone")
        self.assertEqual(st.sms_for(new, "login"), [], "nothing to the would-be new phone")


if __name__ == "__main__":
    unittest.main()
