"""The lost OTP phone (flows.md section 3, api.md POST /v1/logins/{id}/phone and
/phone/verify): after the password step a code goes to the new phone; its verification
makes it the primary phone, sends an SMS notice (no code) to the old one and ends every
session of the account; the next sign-in sends its code to the new phone. And every
error of the two steps, including the codes of the two purposes not working for each
other."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import e164, mask_phone, new_phone  # noqa: E402
from signin_helpers import (ROOMY_OTP, SigninTestCase, login_step, me,  # noqa: E402
                            random_flow_id, register_account, reset_step, sign_in,
                            start_login, start_reset, started_login, wait_until, wrong)

RESEND_AFTER = 2


class LostPhoneTest(SigninTestCase):
    RESEND_AFTER = RESEND_AFTER
    stack_config = {"otp": dict(ROOMY_OTP, resend_after=RESEND_AFTER)}

    def begin(self, acc):
        """A sign-in past the password step whose cooldown is over: (login_id, code)."""
        r = start_login(self.stack, acc["id_number"], acc["password"])
        self.assertStatus(r, 201, "start")
        at = time.monotonic()
        code = self.stack.last_otp(acc["phone"], "login")
        wait_until(at + RESEND_AFTER + 0.3)
        return r.body["login_id"], code

    def test_happy_path(self):
        st = self.stack
        acc = register_account(st)
        old, new = acc["phone"], new_phone()
        before = sign_in(st, acc)  # a session that must end
        before2 = sign_in(st, acc)
        r = start_login(st, acc["id_number"], acc["password"])
        self.assertStatus(r, 201, "start")
        at = time.monotonic()
        login_id = r.body["login_id"]
        login_code = self.check_sms(old, "login", "login code")

        # resend_after counts from the last code in the flow, whichever phone it goes to.
        early = login_step(st, login_id, "phone", {"new_phone": new})
        self.assertError(early, 429, "rate_limited", "lost phone before resend_after")
        self.assertRetryAfter(early, RESEND_AFTER, "lost phone before resend_after")
        self.assertEqual(st.wait_no_sms(new, 0.3), [], "no SMS on 429")
        wait_until(at + RESEND_AFTER + 0.3)

        r = login_step(st, login_id, "phone", {"new_phone": new})
        self.assertStatus(r, 200, "POST phone")
        self.assertEqual(set(r.body), {"otp"}, r.body)
        self.check_otp_object(r.body["otp"], new, "lost phone")
        phone_code = self.check_sms(new, "phone_change", "code to the new phone")
        self.assertEqual(st.sms_for(new, "login"), [], "no login code to the new phone")

        # The codes of the two purposes do not work for each other.
        if login_code != phone_code:
            r = login_step(st, login_id, "phone/verify", {"code": login_code})
            self.assertAttemptsLeft(r, 4, "phone/verify with the login code")
        r = login_step(st, login_id, "otp/verify", {"code": phone_code})
        self.assertIn(r.status, (400, 409), "sign-in verify with the phone-change code: %d %r"
                      % (r.status, r.body))
        self.assertError(r, r.status, "otp_invalid" if r.status == 400 else "flow_state",
                         "sign-in verify with the phone-change code")
        self.assertStatus(me(st, before["token"]), 200, "sessions live until the change")

        r = login_step(st, login_id, "phone/verify", {"code": phone_code})
        self.assertStatus(r, 200, "phone/verify")
        self.assertEqual(r.body, {"changed": True, "phone_masked": mask_phone(new)}, r.body)

        # The old phone is told, without a code.
        notice = st.last_otp_line(old, "notice")
        self.assertEqual(notice["to"], e164(old), notice)
        self.assertNotRegex(notice.get("text", ""), r"\d{6}", "a notice carries no code")
        self.assertTrue(notice.get("text"), notice)
        self.assertEqual(len(st.sms_for(old, "notice")), 1, "one notice")
        self.assertEqual(st.sms_for(new, "notice"), [], "no notice to the new phone")

        # Every session of the account ended; the flow is finished.
        for s in (before, before2):
            self.assertUnauthorized(me(st, s["token"]), "a session from before the change")
        r = login_step(st, login_id, "phone/verify", {"code": phone_code})
        self.assertError(r, 404, "not_found", "phone/verify on a finished flow")
        r = login_step(st, login_id, "otp/verify", {"code": login_code})
        self.assertError(r, 404, "not_found", "otp/verify on a finished flow")

        # Signing in again sends the code to the new phone.
        r = start_login(st, acc["id_number"], acc["password"])
        self.assertStatus(r, 201, "sign in again")
        self.check_otp_object(r.body["otp"], new, "sign in again")
        primaries = [m for m in r.body["methods"] if m["primary"]]
        self.assertEqual(len(primaries), 1, r.body["methods"])
        self.assertEqual(primaries[0]["phone_masked"], mask_phone(new), r.body["methods"])
        code = self.check_sms(new, "login", "login code to the new phone")
        v = login_step(st, r.body["login_id"], "otp/verify", {"code": code})
        token = self.check_session_answer(v)
        # The lost phone leaves the account: it is no "other method" for whoever has it.
        self.check_me(me(st, token), acc, [(new, True)], "me after the change")
        self.assertEqual(len(r.body["methods"]), 1, r.body["methods"])
        self.assertEqual(len(st.sms_for(old, "login")), 3, "no more login codes to the old phone")

    def test_reset_by_the_lost_phone_ends(self):
        # A password reset proven by the old phone, finished after the account moved to
        # a new phone: whoever holds the lost phone no longer speaks for the account.
        st = self.stack
        acc = register_account(st)
        r = start_reset(st, acc["id_number"], acc["phone"])
        self.assertStatus(r, 202, "reset start")
        reset_id = r.body["reset_id"]
        r = reset_step(st, reset_id, "otp/verify",
                       {"code": st.last_otp(acc["phone"], "password_reset")})
        self.assertStatus(r, 200, "reset verify")
        login_id, _ = self.begin(acc)
        new = new_phone()
        r = login_step(st, login_id, "phone", {"new_phone": new})
        self.assertStatus(r, 200, "lost phone")
        r = login_step(st, login_id, "phone/verify", {"code": st.last_otp(new, "phone_change")})
        self.assertStatus(r, 200, "new phone verified")
        pw = "Mo1!KhacHan"
        r = reset_step(st, reset_id, "password", {"password": pw, "password_confirm": pw})
        self.assertError(r, 404, "not_found", "reset by the phone that left the account")
        r = start_login(st, acc["id_number"], pw)
        self.assertError(r, 401, "invalid_credentials", "the reset's password was not set")
        r = start_login(st, acc["id_number"], acc["password"])
        self.assertStatus(r, 201, "the password stays")

    def test_change_twice_in_one_flow(self):
        # A typo in the new number: the user enters another one; the last one wins and
        # the first number's code is dead.
        st = self.stack
        acc = register_account(st)
        login_id, _ = self.begin(acc)
        typo, right = new_phone(), new_phone()
        r = login_step(st, login_id, "phone", {"new_phone": typo})
        self.assertStatus(r, 200, "first new phone")
        at = time.monotonic()
        typo_code = st.last_otp(typo, "phone_change")
        wait_until(at + RESEND_AFTER + 0.3)
        r = login_step(st, login_id, "phone", {"new_phone": right})
        self.assertStatus(r, 200, "second new phone")
        self.check_otp_object(r.body["otp"], right, "second new phone")
        code = st.last_otp(right, "phone_change")
        if typo_code != code:
            r = login_step(st, login_id, "phone/verify", {"code": typo_code})
            self.assertError(r, 400, "otp_invalid", "the first number's code")
        r = login_step(st, login_id, "phone/verify", {"code": code})
        self.assertStatus(r, 200, "verify the second number")
        self.assertEqual(r.body["phone_masked"], mask_phone(right), r.body)

    def test_resend_goes_to_the_new_phone(self):
        st = self.stack
        acc = register_account(st)
        login_id, _ = self.begin(acc)
        new = new_phone()
        r = login_step(st, login_id, "phone", {"new_phone": new})
        self.assertStatus(r, 200, "phone")
        at = time.monotonic()
        first = st.last_otp(new, "phone_change")
        r = login_step(st, login_id, "otp/resend")
        self.assertError(r, 429, "rate_limited", "resend right after the new phone's code")
        wait_until(at + RESEND_AFTER + 0.3)
        r = login_step(st, login_id, "otp/resend")
        self.assertStatus(r, 200, "resend")
        self.check_otp_object(r.body["otp"], new, "resend in the phone step")
        second = self.check_sms(new, "phone_change", "resent phone-change code")
        if first != second:
            r = login_step(st, login_id, "phone/verify", {"code": first})
            self.assertError(r, 400, "otp_invalid", "the replaced code")
        r = login_step(st, login_id, "phone/verify", {"code": second})
        self.assertStatus(r, 200, "verify the resent code")

    def test_errors(self):
        st = self.stack
        acc = register_account(st)
        login_id, login_code = self.begin(acc)
        # phone/verify before phone: out of order.
        r = login_step(st, login_id, "phone/verify", {"code": login_code})
        self.assertError(r, 409, "flow_state", "phone/verify before phone")
        for bad in ("12345", "0212345678", "+1 202 555 0100", "09123456789", "abc"):
            r = login_step(st, login_id, "phone", {"new_phone": bad})
            self.assertDetails(r, ["new_phone"], what="new_phone %r" % bad)
        r = login_step(st, random_flow_id(), "phone", {"new_phone": new_phone()})
        self.assertError(r, 404, "not_found", "phone on an unknown sign-in")
        new = new_phone()
        r = login_step(st, login_id, "phone", {"new_phone": new})
        self.assertStatus(r, 200, "phone after the errors")
        code = st.last_otp(new, "phone_change")
        for left in (4, 3, 2, 1):
            r = login_step(st, login_id, "phone/verify", {"code": wrong(code)})
            self.assertAttemptsLeft(r, left, "wrong code, %d left" % left)
        r = login_step(st, login_id, "phone/verify", {"code": wrong(code)})
        self.assertError(r, 429, "otp_attempts_exceeded", "5th wrong code")
        r = login_step(st, login_id, "phone/verify", {"code": code})
        self.assertError(r, 429, "otp_attempts_exceeded", "right code after the last try")
        # Nothing changed: the next sign-in still goes to the old phone.
        r = start_login(st, acc["id_number"], acc["password"])
        self.assertStatus(r, 201, "sign in")
        self.check_otp_object(r.body["otp"], acc["phone"], "phone unchanged")

    def test_no_lost_phone_after_sign_in(self):
        # Once the sign-in is finished its id is gone: no phone change through it.
        st = self.stack
        acc = register_account(st)
        login_id, _, code = started_login(st, acc)
        self.check_session_answer(login_step(st, login_id, "otp/verify", {"code": code}))
        r = login_step(st, login_id, "phone", {"new_phone": new_phone()})
        self.assertError(r, 404, "not_found", "phone after the sign-in is done")


if __name__ == "__main__":
    unittest.main()
