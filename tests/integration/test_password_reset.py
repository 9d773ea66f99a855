"""Forgot password (flows.md section 4, api.md /v1/password-resets): 202 with the same
shape whether or not the ID number and phone match an account, an SMS only when they
do; the code, then a new password under the rule; the old password dead, the new one
working, every session ended. Any OTP phone of the account will do. And every error:
a decoy's code never verifies, the password rule, the order of steps, captcha, 404."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import new_phone  # noqa: E402
from signin_helpers import (NEW_PASSWORD, ROOMY_OTP, SAFE_ID, SigninTestCase,  # noqa: E402
                            add_phone, me, random_flow_id, register_account,
                            reset_step, sign_in, alike_in_time, start_login, start_reset,
                            timed, unknown_id, wrong)


def _shape(value):
    """The keys and value types of a JSON value, recursively (values left out)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    return type(value).__name__


class PasswordResetTest(SigninTestCase):
    stack_config = {"otp": ROOMY_OTP}

    def begin(self, acc, phone=None):
        """A reset of acc started with phone (default: its phone): (reset_id, code)."""
        phone = phone or acc["phone"]
        r = start_reset(self.stack, acc["id_number"], phone)
        self.assertStatus(r, 202, "POST /v1/password-resets")
        return r.body["reset_id"], self.stack.last_otp(phone, "password_reset")

    def verified(self, acc):
        reset_id, code = self.begin(acc)
        r = reset_step(self.stack, reset_id, "otp/verify", {"code": code})
        self.assertStatus(r, 200, "verify")
        return reset_id

    def test_happy_path(self):
        st = self.stack
        acc = register_account(st)
        s1, s2 = sign_in(st, acc), sign_in(st, acc)
        # The phone in another accepted form still matches.
        typed = "+84 %s %s %s" % (acc["phone"][1:4], acc["phone"][4:7], acc["phone"][7:])
        r = start_reset(st, acc["id_number"], typed)
        self.assertStatus(r, 202, "POST /v1/password-resets")
        self.assertEqual(set(r.body), {"reset_id", "otp"}, r.body)
        reset_id = r.body["reset_id"]
        self.assertRegex(reset_id, SAFE_ID, "reset_id is opaque and URL-safe")
        self.check_otp_object(r.body["otp"], acc["phone"], "reset start")
        code = self.check_sms(acc["phone"], "password_reset", "reset SMS")

        r = reset_step(st, reset_id, "otp/verify", {"code": code})
        self.assertStatus(r, 200, "verify")
        self.assertEqual(r.body, {"state": "otp_verified"}, r.body)
        self.assertStatus(me(st, s1["token"]), 200, "sessions live until the new password")

        r = reset_step(st, reset_id, "password",
                       {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
        self.assertStatus(r, 200, "new password")
        self.assertEqual(r.body, {"state": "done"}, r.body)

        for s in (s1, s2):
            self.assertUnauthorized(me(st, s["token"]), "a session from before the reset")
        r = start_login(st, acc["id_number"], acc["password"])
        self.assertError(r, 401, "invalid_credentials", "the old password")
        acc_new = dict(acc, password=NEW_PASSWORD)
        s3 = sign_in(st, acc_new)
        self.assertStatus(me(st, s3["token"]), 200, "signed in with the new password")

        # The flow is finished.
        r = reset_step(st, reset_id, "password",
                       {"password": "Kh@c1MatKhau", "password_confirm": "Kh@c1MatKhau"})
        self.assertError(r, 404, "not_found", "password on a finished reset")
        r = reset_step(st, reset_id, "otp/verify", {"code": code})
        self.assertError(r, 404, "not_found", "verify on a finished reset")

    def test_same_shape_without_a_match(self):
        st = self.stack
        acc = register_account(st)
        real = start_reset(st, acc["id_number"], acc["phone"])
        self.assertStatus(real, 202, "matching pair")
        stranger_phone, ghost_phone = new_phone(), new_phone()
        wrong_phone = start_reset(st, acc["id_number"], stranger_phone)
        ghost = start_reset(st, unknown_id(), ghost_phone)
        for r, phone, what in ((wrong_phone, stranger_phone, "account, other phone"),
                               (ghost, ghost_phone, "unknown ID number")):
            self.assertStatus(r, 202, what)
            self.assertEqual(_shape(r.body), _shape(real.body), "%s: same shape" % what)
            self.assertRegex(r.body["reset_id"], SAFE_ID, what)
            self.assertEqual(len(r.body["reset_id"]), len(real.body["reset_id"]), what)
            self.check_otp_object(r.body["otp"], phone, what)
            self.assertEqual({k: v for k, v in r.body["otp"].items() if k != "phone_masked"},
                             {k: v for k, v in real.body["otp"].items() if k != "phone_masked"},
                             "%s: same OTP object" % what)
        self.check_sms(acc["phone"], "password_reset", "the matching pair gets its SMS")
        time.sleep(0.5)
        self.assertEqual(st.sms_for(stranger_phone), [], "no SMS when the pair does not match")
        self.assertEqual(st.sms_for(ghost_phone), [], "no SMS for an unknown ID number")
        self.assertEqual(len(st.sms_for(acc["phone"], "password_reset")), 1,
                         "no SMS to the account's phone for the other phone's reset")

        # A decoy's code never verifies: it counts tries like a real one and dies alike.
        for r, what in ((wrong_phone, "decoy (other phone)"), (ghost, "decoy (unknown ID)")):
            rid = r.body["reset_id"]
            for left, code in zip((4, 3, 2, 1), ("000000", "123456", "999999", "654321")):
                v = reset_step(st, rid, "otp/verify", {"code": code})
                self.assertAttemptsLeft(v, left, "%s, code %s" % (what, code))
            v = reset_step(st, rid, "otp/verify", {"code": "111111"})
            self.assertError(v, 429, "otp_attempts_exceeded", what)
            p = reset_step(st, rid, "password",
                           {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
            self.assertError(p, 409, "flow_state", "%s: password without a verified code" % what)
        # The real pair's challenge behaves the same way.
        rid = real.body["reset_id"]
        for left in (4, 3, 2, 1):
            v = reset_step(st, rid, "otp/verify", {"code": "000000"})
            if v.status == 200:
                self.skipTest("the real code was 000000")
            self.assertAttemptsLeft(v, left, "real reset, wrong code")
        v = reset_step(st, rid, "otp/verify", {"code": "000000"})
        self.assertError(v, 429, "otp_attempts_exceeded", "real reset")
        # Nothing changed for the account.
        self.assertStatus(start_login(st, acc["id_number"], acc["password"]), 201, "old password")

    def test_same_time_without_a_match(self):
        # security.md: forgot-password answers alike in time too. Interleaved series.
        st = self.stack
        acc = register_account(st)
        ghost, ghost_phone = unknown_id(), new_phone()

        def measure():
            series = {"match": [], "other phone": [], "unknown ID": []}
            for _ in range(9):
                for what, id_number, phone in (("match", acc["id_number"], acc["phone"]),
                                               ("other phone", acc["id_number"], ghost_phone),
                                               ("unknown ID", ghost, ghost_phone)):
                    cid = st.captcha()
                    dt, r = timed(lambda: start_reset(st, id_number, phone, captcha_id=cid))
                    self.assertStatus(r, 202, what)
                    series[what].append(dt)
            return series

        ok, desc = alike_in_time(measure)
        self.assertTrue(ok, "forgot password must answer alike in time: %s" % desc)

    def test_any_phone_of_the_account(self):
        st = self.stack
        acc = register_account(st)
        second = new_phone()
        add_phone(st, sign_in(st, acc)["token"], second)
        reset_id, code = self.begin(acc, phone=second)
        self.assertEqual(st.sms_for(acc["phone"], "password_reset"), [],
                         "the code goes to the phone entered, not the primary")
        r = reset_step(st, reset_id, "otp/verify", {"code": code})
        self.assertStatus(r, 200, "verify with the second phone's code")
        r = reset_step(st, reset_id, "password",
                       {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
        self.assertStatus(r, 200, "new password")
        self.assertStatus(start_login(st, acc["id_number"], NEW_PASSWORD), 201, "new password")

    def test_password_rule(self):
        st = self.stack
        acc = register_account(st)
        reset_id = self.verified(acc)
        cases = [("Ab1!xyz", "password", "too_short"),
                 ("ABCDEFG1!", "password", "missing_lower"),
                 ("abcdefg1!", "password", "missing_upper"),
                 ("Abcdefgh!", "password", "missing_digit"),
                 ("Abcdefgh1", "password", "missing_special")]
        for pw, field, code in cases:
            with self.subTest(password=pw):
                r = reset_step(st, reset_id, "password", {"password": pw, "password_confirm": pw})
                self.assertDetails(r, [field], code, "password %r" % pw)
        r = reset_step(st, reset_id, "password",
                       {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD + "x"})
        self.assertDetails(r, ["password_confirm", "password"], "mismatch", "mismatch")
        for body in ({}, {"password": NEW_PASSWORD}, {"password": 1, "password_confirm": 1}):
            r = reset_step(st, reset_id, "password", body)
            self.assertError(r, 400, "invalid_request", "password body %r" % body)
        # None of that used the flow up.
        r = reset_step(st, reset_id, "password",
                       {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
        self.assertStatus(r, 200, "a good password after the refusals")
        self.assertStatus(start_login(st, acc["id_number"], NEW_PASSWORD), 201, "new password")

    def test_order_and_errors(self):
        st = self.stack
        acc = register_account(st)
        reset_id, code = self.begin(acc)
        r = reset_step(st, reset_id, "password",
                       {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
        self.assertError(r, 409, "flow_state", "password before the code")
        r = reset_step(st, reset_id, "otp/verify", {"code": wrong(code)})
        self.assertAttemptsLeft(r, 4, "wrong code")
        r = reset_step(st, reset_id, "otp/verify", {"code": code})
        self.assertStatus(r, 200, "verify")
        r = reset_step(st, reset_id, "otp/verify", {"code": code})
        self.assertError(r, 409, "flow_state", "verify again after the code")
        for step, body in (("otp/verify", {"code": "123456"}),
                           ("password", {"password": NEW_PASSWORD,
                                         "password_confirm": NEW_PASSWORD})):
            r = reset_step(st, random_flow_id(), step, body)
            self.assertError(r, 404, "not_found", "%s on an unknown reset" % step)

        for field, bad in (("id_number", "12345"), ("phone", "12345"),
                           ("phone", "+1 202 555 0100")):
            with self.subTest(field=field, value=bad):
                body = {"id_number": acc["id_number"], "phone": acc["phone"]}
                body[field] = bad
                r = start_reset(st, body["id_number"], body["phone"])
                self.assertDetails(r, [field], what="%s %r" % (field, bad))
        r = start_reset(st, acc["id_number"], acc["phone"], captcha_answer="WRONG")
        self.assertError(r, 400, "captcha_invalid", "wrong captcha")
        r = start_reset(st, unknown_id(), new_phone(), captcha_answer="WRONG")
        self.assertError(r, 400, "captcha_invalid", "wrong captcha, no account")
        for missing in ("id_number", "phone", "captcha_id", "captcha_answer"):
            body = {"id_number": acc["id_number"], "phone": acc["phone"],
                    "captcha_id": st.captcha(), "captcha_answer": "TEST"}
            del body[missing]
            r = st.request("POST", "/v1/password-resets", json=body)
            self.assertError(r, 400, "invalid_request", "without %s" % missing)
        time.sleep(0.3)
        self.assertEqual(len(st.sms_for(acc["phone"], "password_reset")), 1,
                         "the refused starts sent nothing")



class PasswordResetResendTest(SigninTestCase):
    """POST /v1/password-resets/{id}/otp/resend (an addition to api.md): a new code after
    otp.resend_after, the same answer for a decoy, which still sends nothing."""
    stack_config = {"otp": dict(ROOMY_OTP, resend_after=1)}

    def test_resend(self):
        st = self.stack
        acc = register_account(st)
        r = start_reset(st, acc["id_number"], acc["phone"])
        self.assertStatus(r, 202, "start")
        reset_id = r.body["reset_id"]
        first = st.last_otp(acc["phone"], "password_reset")
        early = reset_step(st, reset_id, "otp/resend", None)
        self.assertError(early, 429, "rate_limited", "resend before resend_after")
        time.sleep(1.1)
        again = reset_step(st, reset_id, "otp/resend", None)
        self.assertStatus(again, 200, "resend")
        self.assertEqual(set(again.body), {"otp"}, again.body)
        second = st.last_otp(acc["phone"], "password_reset")
        if second != first:
            self.assertError(reset_step(st, reset_id, "otp/verify", {"code": first}), 400,
                             "otp_invalid", "the replaced code")
        self.assertStatus(reset_step(st, reset_id, "otp/verify", {"code": second}), 200,
                          "the new code")
        # A decoy: the same answers, and still no SMS.
        phone = new_phone()
        d = start_reset(st, acc["id_number"], phone)
        self.assertStatus(d, 202, "decoy start")
        time.sleep(1.1)
        dr = reset_step(st, d.body["reset_id"], "otp/resend", None)
        self.assertStatus(dr, 200, "decoy resend")
        self.assertEqual(set(dr.body), {"otp"}, dr.body)
        self.assertEqual(st.wait_no_sms(phone, 0.5), [], "a decoy never sends")
        self.assertError(reset_step(st, "0" * 32, "otp/resend", None), 404, "not_found",
                         "unknown reset")


if __name__ == "__main__":
    unittest.main()
