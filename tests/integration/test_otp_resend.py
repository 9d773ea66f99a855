"""Resend done right and OTP limits that cannot be sidestepped (issue 17.2, 19.3): the
same resend twice within otp.resend_after (a double click, a refresh, a retried POST)
sends one SMS and answers the same 200 {otp} both times; a resend gives a code fresh
tries but never resets the flow's failures (otp.max_failures_per_flow, NIST SP
800-63B-4: a new secret does not reset the count), and once they are spent the right
code answers like a wrong one; password resets for someone else's ID and phone (decoys)
never use up that phone's sign-in sends."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import mask_phone  # noqa: E402
from signin_helpers import (ROOMY_OTP, SigninTestCase, login_step, register_account,  # noqa: E402
                            start_login, start_reset, unknown_id, wait_until, wrong)

RESEND_AFTER = 2


class OtpResendTest(SigninTestCase):
    RESEND_AFTER = RESEND_AFTER
    stack_config = {"otp": dict(ROOMY_OTP, resend_after=RESEND_AFTER,
                                max_sends_per_phone_hour=3)}

    def begin(self, acc):
        r = start_login(self.stack, acc["id_number"], acc["password"])
        self.assertStatus(r, 201, "start")
        at = time.monotonic()
        code = self.stack.last_otp(acc["phone"], "login")
        wait_until(at + RESEND_AFTER + 0.3)
        return r.body["login_id"], code

    def test_double_resend_sends_one_sms(self):
        st = self.stack
        acc = register_account(st)
        login_id, _ = self.begin(acc)
        first = login_step(st, login_id, "otp/resend")
        self.assertStatus(first, 200, "resend")
        code = self.check_sms(acc["phone"], "login", "the resent code")
        again = login_step(st, login_id, "otp/resend")
        self.assertStatus(again, 200, "the same resend again")
        self.assertEqual(set(again.body), {"otp"}, again.body)
        otp = again.body["otp"]
        self.assertEqual(otp["phone_masked"], mask_phone(acc["phone"]), otp)
        self.assertEqual(otp["length"], first.body["otp"]["length"], otp)
        self.assertLessEqual(otp["resend_after"], RESEND_AFTER, otp)
        self.assertLessEqual(otp["expires_in"], first.body["otp"]["expires_in"], otp)
        time.sleep(0.3)
        self.assertEqual(len(st.sms_for(acc["phone"], "login")), 2, "start + one resend")
        self.check_session_answer(login_step(st, login_id, "otp/verify", {"code": code}))

    def test_resend_does_not_reset_the_flows_failures(self):
        st = self.stack
        acc = register_account(st)
        login_id, code = self.begin(acc)
        for left in (4, 3, 2, 1):
            self.assertAttemptsLeft(login_step(st, login_id, "otp/verify",
                                               {"code": wrong(code)}), left)
        r = login_step(st, login_id, "otp/verify", {"code": wrong(code)})
        self.assertError(r, 429, "otp_attempts_exceeded", "5th wrong code")
        r = login_step(st, login_id, "otp/resend")
        self.assertStatus(r, 200, "a resend gives a new code")
        at = time.monotonic()
        code = self.check_sms(acc["phone"], "login", "second code")
        for left in (4, 3, 2, 1):
            self.assertAttemptsLeft(login_step(st, login_id, "otp/verify",
                                               {"code": wrong(code)}), left)
        r = login_step(st, login_id, "otp/verify", {"code": wrong(code)})
        self.assertError(r, 429, "otp_attempts_exceeded", "10th wrong code of the flow")
        r = login_step(st, login_id, "otp/verify", {"code": code})
        self.assertError(r, 429, "otp_attempts_exceeded", "the right code, locked alike")
        wait_until(at + RESEND_AFTER + 0.3)
        r = login_step(st, login_id, "otp/resend")
        self.assertError(r, 429, "otp_attempts_exceeded", "no third code resets the count")
        time.sleep(0.3)
        self.assertEqual(len(st.sms_for(acc["phone"], "login")), 2, "no third SMS")

    def test_decoy_resets_keep_sign_in_sends(self):
        # An attacker who knows a phone fills its send window with password resets for
        # ID numbers that are not its owner's; the owner still signs in.
        st = self.stack
        acc = register_account(st)
        for n in range(3):
            r = start_reset(st, unknown_id(), acc["phone"])
            self.assertStatus(r, 202, "decoy reset %d" % (n + 1))
        r = start_reset(st, unknown_id(), acc["phone"])
        self.assertError(r, 429, "rate_limited", "resets to the phone are limited")
        r = start_login(st, acc["id_number"], acc["password"])
        self.assertStatus(r, 201, "sign-in after the decoys")
        self.check_sms(acc["phone"], "login", "the sign-in code still goes out")


if __name__ == "__main__":
    unittest.main()
