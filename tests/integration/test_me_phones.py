"""More OTP phones and "choose another method" (flows.md section 2.4, api.md
POST /v1/me/phones, /v1/me/phones/verify, /v1/logins/{id}/otp/method): a second phone
added with a code sent to it; the next sign-in lists both and sends the code to the
chosen one; resend_after counts from the last code of the flow whichever phone it went
to; and every error of these endpoints."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import e164, mask_phone, new_phone, otp_code  # noqa: E402
from signin_helpers import (ROOMY_OTP, SigninTestCase, add_phone, bearer,  # noqa: E402
                            cookie, login_step, me, register_account, sign_in, start_login,
                            wait_until, wrong)

RESEND_AFTER = 2


class MePhonesTest(SigninTestCase):
    RESEND_AFTER = RESEND_AFTER
    stack_config = {"otp": dict(ROOMY_OTP, resend_after=RESEND_AFTER)}

    def add(self, token, phone, headers=None):
        return self.stack.request("POST", "/v1/me/phones", json={"phone": phone},
                                  headers=headers or bearer(token))

    def add_verify(self, token, code, headers=None):
        return self.stack.request("POST", "/v1/me/phones/verify", json={"code": code},
                                  headers=headers or bearer(token))

    def two_phone_account(self):
        acc = register_account(self.stack)
        second = new_phone()
        s = sign_in(self.stack, acc)
        add_phone(self.stack, s["token"], second)
        return acc, second, s

    def method_of(self, methods, phone):
        found = [m for m in methods if m["phone_masked"] == mask_phone(phone)]
        self.assertEqual(len(found), 1, "one method for %s in %r" % (phone, methods))
        return found[0]["method_id"]

    def test_add_phone_and_choose_it(self):
        st = self.stack
        acc = register_account(st)
        first, second = acc["phone"], new_phone()
        s = sign_in(st, acc)
        r = self.add(s["token"], second)
        self.assertStatus(r, 200, "POST /v1/me/phones")
        self.assertEqual(set(r.body), {"otp"}, r.body)
        self.check_otp_object(r.body["otp"], second, "add phone")
        code = self.check_sms(second, "add_phone", "code to the added phone")
        self.assertEqual(st.sms_for(first, "add_phone"), [], "nothing to the first phone")
        r = self.add_verify(s["token"], code)
        self.assertStatus(r, 200, "POST /v1/me/phones/verify")
        self.assertEqual(set(r.body), {"phones"}, r.body)
        self.check_phone_list(r.body["phones"], [(first, True), (second, False)], "verify")
        self.check_me(me(st, s["token"]), acc, [(first, True), (second, False)], "me")

        r = st.request("POST", "/v1/logout", headers=bearer(s["token"]))
        self.assertStatus(r, 204, "logout")

        r = start_login(st, acc["id_number"], acc["password"])
        self.assertStatus(r, 201, "sign in with two phones")
        at = time.monotonic()
        login_id, methods = r.body["login_id"], r.body["methods"]
        self.check_otp_object(r.body["otp"], first, "the code goes to the primary phone")
        self.assertEqual(len(methods), 2, methods)
        self.assertEqual(sorted((m["phone_masked"], m["primary"]) for m in methods),
                         sorted([(mask_phone(first), True), (mask_phone(second), False)]))
        self.assertEqual(len({m["method_id"] for m in methods}), 2, "distinct method ids")
        first_code = self.check_sms(first, "login", "code to the primary")
        m2 = self.method_of(methods, second)

        r = login_step(st, login_id, "otp/method", {"method_id": m2})
        self.assertError(r, 429, "rate_limited", "another method before resend_after")
        self.assertRetryAfter(r, RESEND_AFTER, "another method before resend_after")
        wait_until(at + RESEND_AFTER + 0.3)
        r = login_step(st, login_id, "otp/method", {"method_id": m2})
        self.assertStatus(r, 200, "otp/method")
        self.assertEqual(set(r.body), {"otp"}, r.body)
        self.check_otp_object(r.body["otp"], second, "the code goes to the chosen phone")
        line = st.last_otp_line(second, "login")
        self.assertEqual(line["to"], e164(second), line)
        code = otp_code(line)
        self.assertEqual(len(st.sms_for(first, "login")), 2, "nothing more to the first phone")
        if first_code != code:
            r = login_step(st, login_id, "otp/verify", {"code": first_code})
            self.assertError(r, 400, "otp_invalid", "the primary's replaced code")
        self.check_session_answer(login_step(st, login_id, "otp/verify", {"code": code}))

    def test_resend_after_counts_across_phones(self):
        st = self.stack
        acc, second, _ = self.two_phone_account()
        r = start_login(st, acc["id_number"], acc["password"])
        self.assertStatus(r, 201, "start")
        at = time.monotonic()
        login_id, methods = r.body["login_id"], r.body["methods"]
        m1, m2 = self.method_of(methods, acc["phone"]), self.method_of(methods, second)
        st.last_otp(acc["phone"], "login")
        wait_until(at + RESEND_AFTER + 0.3)
        r = login_step(st, login_id, "otp/method", {"method_id": m2})
        self.assertStatus(r, 200, "to the second phone")
        at = time.monotonic()
        st.last_otp(second, "login")
        # From the code to the second phone on, every other send waits, whichever phone.
        for step, body in (("otp/resend", None), ("otp/method", {"method_id": m1})):
            r = login_step(st, login_id, step, body)
            self.assertError(r, 429, "rate_limited", "%s %r right after the switch" % (step, body))
            self.assertRetryAfter(r, RESEND_AFTER, step)
        # The same switch again (a double click) is a duplicate: the same answer, no SMS.
        r = login_step(st, login_id, "otp/method", {"method_id": m2})
        self.assertStatus(r, 200, "the same switch again")
        self.assertEqual(r.body["otp"]["phone_masked"], mask_phone(second), r.body)
        time.sleep(0.3)
        self.assertEqual(len(st.sms_for(second, "login")), 1, "one code to the second phone")
        wait_until(at + RESEND_AFTER + 0.3)
        # A resend goes where the last code went: the second phone.
        r = login_step(st, login_id, "otp/resend")
        self.assertStatus(r, 200, "resend after the switch")
        self.check_otp_object(r.body["otp"], second, "resend goes to the chosen phone")
        code = self.check_sms(second, "login", "resent code")
        self.check_session_answer(login_step(st, login_id, "otp/verify", {"code": code}))

    def test_sends_per_flow(self):
        # otp.max_sends_per_flow (5) counts every code of a sign-in: the first, resends,
        # method switches and the lost phone's.
        st = self.stack
        acc, second, _ = self.two_phone_account()
        r = start_login(st, acc["id_number"], acc["password"])
        self.assertStatus(r, 201, "send 1: start")
        at = time.monotonic()
        login_id, methods = r.body["login_id"], r.body["methods"]
        m1, m2 = self.method_of(methods, acc["phone"]), self.method_of(methods, second)
        lost = new_phone()
        for n, (step, body) in enumerate((("otp/method", {"method_id": m2}),
                                          ("otp/resend", None),
                                          ("otp/method", {"method_id": m1}),
                                          ("phone", {"new_phone": lost})), start=2):
            wait_until(at + RESEND_AFTER + 0.3)
            r = login_step(st, login_id, step, body)
            self.assertStatus(r, 200, "send %d: %s" % (n, step))
            at = time.monotonic()
        wait_until(at + RESEND_AFTER + 0.3)
        r = login_step(st, login_id, "otp/resend")
        self.assertError(r, 429, "rate_limited", "send 6 of a flow")
        self.assertIsInstance(r.body["error"].get("retry_after"), int, r.body)
        time.sleep(0.3)
        self.assertEqual(len(st.sms_for(lost, "phone_change")), 1, "no 6th SMS")

    def test_method_errors(self):
        st = self.stack
        acc, second, _ = self.two_phone_account()
        r = start_login(st, acc["id_number"], acc["password"])
        self.assertStatus(r, 201, "start")
        login_id = r.body["login_id"]
        code = st.last_otp(acc["phone"], "login")
        real_ids = {m["method_id"] for m in r.body["methods"]}
        for bad in ("m9", "m-1", "x", "0", "m", "m1x", "mm0"):
            if bad in real_ids:
                continue
            r = login_step(st, login_id, "otp/method", {"method_id": bad})
            self.assertDetails(r, ["method_id"], what="method_id %r" % bad)
        r = login_step(st, login_id, "otp/method", {"method_id": 1})
        self.assertError(r, 400, "invalid_request", "method_id as a number")
        self.check_session_answer(login_step(st, login_id, "otp/verify", {"code": code}),
                                  "refusals left the flow alone")
        r = login_step(st, login_id, "otp/method", {"method_id": next(iter(real_ids))})
        self.assertError(r, 404, "not_found", "otp/method on a finished sign-in")

    def test_add_phone_errors(self):
        st = self.stack
        acc = register_account(st)
        s = sign_in(st, acc)
        other = sign_in(st, acc)
        phone = new_phone()
        for headers, what in (({}, "no session"),
                              (bearer("x" * 43), "an unknown token"),
                              (bearer("short"), "a malformed token"),
                              ({"Authorization": "Basic dXNlcjpwYXNz"}, "another scheme"),
                              (cookie("y" * 43), "an unknown cookie")):
            r = st.request("POST", "/v1/me/phones", json={"phone": phone}, headers=headers)
            self.assertUnauthorized(r, "add phone with %s" % what)
            r = st.request("POST", "/v1/me/phones/verify", json={"code": "123456"},
                           headers=headers)
            self.assertUnauthorized(r, "verify phone with %s" % what)
        self.assertEqual(st.wait_no_sms(phone, 0.3), [], "no SMS without a session")
        for bad in ("12345", "0212345678", "abc"):
            r = self.add(s["token"], bad)
            self.assertDetails(r, ["phone"], what="phone %r" % bad)
        r = self.add(s["token"], acc["phone"])
        self.assertDetails(r, ["phone"], what="the account's own phone")
        r = self.add_verify(s["token"], "123456")
        self.assertError(r, 409, "flow_state", "verify with no phone waiting")
        r = st.request("POST", "/v1/me/phones", raw=b"{}", headers=bearer(s["token"]))
        self.assertError(r, 400, "invalid_request", "no phone field")

        # The cookie authenticates as well as the Bearer.
        r = self.add(None, phone, headers=cookie(s["token"]))
        self.assertStatus(r, 200, "add phone with the cookie")
        code = st.last_otp(phone, "add_phone")
        # The code belongs to the session that asked for it.
        r = self.add_verify(other["token"], code)
        self.assertNotEqual(r.status, 200, "another session of the account cannot verify it")
        self.assertIn(r.status, (400, 409), r.body)
        r = self.add_verify(s["token"], wrong(code))
        self.assertAttemptsLeft(r, 4, "wrong code")
        r = self.add_verify(None, code, headers=cookie(s["token"]))
        self.assertStatus(r, 200, "verify with the cookie")
        self.check_phone_list(r.body["phones"], [(acc["phone"], True), (phone, False)], "added")
        r = self.add(s["token"], phone)
        self.assertDetails(r, ["phone"], what="a phone already added")

    def test_codes_do_not_cross(self):
        # An add-phone code is no sign-in code and the reverse, even to the same phone.
        st = self.stack
        acc = register_account(st)
        s = sign_in(st, acc)
        phone = new_phone()
        r = self.add(s["token"], phone)
        self.assertStatus(r, 200, "add")
        add_code = st.last_otp(phone, "add_phone")
        r = start_login(st, acc["id_number"], acc["password"])
        self.assertStatus(r, 201, "start")
        login_id = r.body["login_id"]
        login_code = st.last_otp(acc["phone"], "login")
        if add_code != login_code:
            r = login_step(st, login_id, "otp/verify", {"code": add_code})
            self.assertError(r, 400, "otp_invalid", "sign-in with the add-phone code")
            r = self.add_verify(s["token"], login_code)
            self.assertError(r, 400, "otp_invalid", "add-phone with the sign-in code")
        r = self.add_verify(s["token"], add_code)
        self.assertStatus(r, 200, "add-phone with its code")
        self.check_session_answer(login_step(st, login_id, "otp/verify", {"code": login_code}))


if __name__ == "__main__":
    unittest.main()
