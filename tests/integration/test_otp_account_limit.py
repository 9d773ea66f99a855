"""A cumulative wrong-code limit per account (issue 19.3, NIST SP 800-63B: a new secret
does not reset the count): otp-svc's budgets are per flow and per phone, so an account
with two phones had two phones' worth and each new sign-in a fresh flow. account-svc
counts every wrong code of an account's flows (sign-in on either phone, a second sign-in,
a password reset) in one window (account.max_otp_failures_per_hour,
account.otp_failures_window); past it every code for the account, the right one too,
gets the same 429 rate_limited with Retry-After without reaching otp-svc, counted in
dvcid_address_limited_total{what="otp_account"}; another account is not touched, and
after the window the right code works again."""

import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import mask_phone, new_phone  # noqa: E402
from signin_helpers import (ROOMY_OTP, SigninTestCase, add_phone, login_step,  # noqa: E402
                            register_account, reset_step, sign_in, start_reset, started_login,
                            wait_until, wrong)

LIMIT = 6
WINDOW = 12


def limited_total(st):
    r = st.request("GET", "/metrics")
    assert r.status == 200, r
    text = r.body if isinstance(r.body, str) else r.body.decode()
    m = re.search(r'^dvcid_address_limited_total\{[^}]*what="otp_account"[^}]*\} (\d+)', text,
                  re.M)
    return int(m.group(1)) if m else None


class OtpAccountLimitTest(SigninTestCase):
    RESEND_AFTER = 0
    stack_config = {"otp": dict(ROOMY_OTP, resend_after=0),
                    "account": {"max_otp_failures_per_hour": LIMIT,
                                "otp_failures_window": WINDOW}}

    def test_wrong_codes_across_phones_and_flows(self):
        st = self.stack
        acc, other = register_account(st), register_account(st)
        second = new_phone()
        add_phone(st, sign_in(st, acc)["token"], second)
        self.assertEqual(limited_total(st), 0, "the series is exported from 0")

        # Sign-in 1: two wrong codes to the primary phone, two to the second phone.
        login1, body, code = started_login(st, acc)
        first_failure = time.monotonic()
        for left in (4, 3):
            self.assertAttemptsLeft(login_step(st, login1, "otp/verify", {"code": wrong(code)}),
                                    left, "sign-in 1, primary phone")
        method = next(m["method_id"] for m in body["methods"]
                      if m["phone_masked"] == mask_phone(second))
        self.assertStatus(login_step(st, login1, "otp/method", {"method_id": method}), 200,
                          "the second phone")
        code = st.last_otp(second, "login")
        for left in (4, 3):
            self.assertAttemptsLeft(login_step(st, login1, "otp/verify", {"code": wrong(code)}),
                                    left, "sign-in 1, second phone")
        # Sign-in 2 (a fresh flow) and a password reset: one wrong code each.
        login2, _, code2 = started_login(st, acc)
        self.assertAttemptsLeft(login_step(st, login2, "otp/verify", {"code": wrong(code2)}), 4,
                                "sign-in 2")
        r = start_reset(st, acc["id_number"], second)
        self.assertStatus(r, 202, "reset")
        reset_id, reset_code = r.body["reset_id"], st.last_otp(second, "password_reset")
        self.assertAttemptsLeft(reset_step(st, reset_id, "otp/verify", {"code": wrong(reset_code)}),
                                4, "reset: the account's 6th wrong code")

        # Over the limit: a new sign-in's right code, a wrong code and the reset's right
        # code get one and the same answer.
        login3, _, code3 = started_login(st, acc)
        refused = [login_step(st, login3, "otp/verify", {"code": code3}),
                   login_step(st, login2, "otp/verify", {"code": wrong(code2)}),
                   reset_step(st, reset_id, "otp/verify", {"code": reset_code})]
        for r, what in zip(refused, ("right code", "wrong code", "reset's right code")):
            err = self.assertError(r, 429, "rate_limited", what)
            self.assertRetryAfter(r, WINDOW, what)
            self.assertEqual(set(err), {"code", "message", "retry_after"}, what)
        self.assertEqual({r.body["error"]["message"] for r in refused}, {
            refused[0].body["error"]["message"]}, "the same words for right and wrong")
        self.assertEqual(limited_total(st), 3, "refusals counted")

        # Another account signs in as usual.
        self.assertStatus(sign_in(st, other)["answer"], 200, "another account")

        # After the window the refused right code works: refusals spent none of its tries.
        wait_until(first_failure + WINDOW + 0.5)
        r = login_step(st, login3, "otp/verify", {"code": code3})
        self.check_session_answer(r)
        self.assertEqual(limited_total(st), 3, "nothing refused after the window")


if __name__ == "__main__":
    unittest.main()
