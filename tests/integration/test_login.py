"""Sign-in over HTTP on the real processes (flows.md section 2, api.md section 3): the
happy path with every field of every answer, the session cookie and GET /v1/me; resend
and its cooldown; wrong codes; and every error of the sign-in endpoints: 400, 422,
captcha, 404, 409, and 401 invalid_credentials that is the same for an unknown ID
number and a wrong password, in status, body and time. Also: a code issued for one
flow or purpose never works in another."""

import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import FULL_NAME, mask_phone, new_phone  # noqa: E402
from signin_helpers import (ROOMY_OTP, SAFE_ID, SigninTestCase, bearer, cookie,  # noqa: E402
                            login_step, me, median, random_flow_id, register_account,
                            reset_step, sign_in, alike_in_time, start_login, start_reset,
                            started_login, timed, unknown_id, wait_until, wrong)

RESEND_AFTER = 2


class LoginTest(SigninTestCase):
    RESEND_AFTER = RESEND_AFTER
    stack_config = {"otp": dict(ROOMY_OTP, resend_after=RESEND_AFTER),
                    # Enough tries that the comparisons below never meet a lock.
                    "login": {"max_failures": 60, "lock_seconds": 900}}

    def test_happy_path(self):
        st = self.stack
        acc = register_account(st)
        r = start_login(st, acc["id_number"], acc["password"])
        self.assertStatus(r, 201, "POST /v1/logins")
        self.assertTrue(r.headers.get("Content-Type", "").startswith("application/json"),
                        r.headers.get("Content-Type"))
        self.assertEqual(set(r.body), {"login_id", "otp", "methods"}, r.body)
        login_id = r.body["login_id"]
        self.assertIsInstance(login_id, str, r.body)
        self.assertRegex(login_id, SAFE_ID, "login_id is opaque and URL-safe")
        self.check_otp_object(r.body["otp"], acc["phone"], "start")
        methods = r.body["methods"]
        self.assertIsInstance(methods, list, r.body)
        self.assertEqual(len(methods), 1, "one OTP phone after registration: %r" % methods)
        m = methods[0]
        self.assertEqual(set(m), {"method_id", "phone_masked", "primary"}, m)
        self.assertIsInstance(m["method_id"], str, m)
        self.assertTrue(m["method_id"], m)
        self.assertEqual(m["phone_masked"], mask_phone(acc["phone"]), m)
        self.assertIs(m["primary"], True, m)

        code = self.check_sms(acc["phone"], "login", "sign-in SMS")
        self.assertEqual(len(st.sms_for(acc["phone"], "login")), 1, "exactly one login SMS")

        v = login_step(st, login_id, "otp/verify", {"code": code})
        token = self.check_session_answer(v)
        self.check_me(me(st, token), acc, [(acc["phone"], True)], "GET /v1/me with Bearer")
        r = st.request("GET", "/v1/me", headers=cookie(token))
        self.check_me(r, acc, [(acc["phone"], True)], "GET /v1/me with the cookie")
        self.assertEqual(r.body["full_name"], FULL_NAME, r.body)

        # The flow is finished: its id is gone, and its code is spent.
        again = login_step(st, login_id, "otp/verify", {"code": code})
        self.assertError(again, 404, "not_found", "verify on a finished sign-in")
        again = login_step(st, login_id, "otp/resend")
        self.assertError(again, 404, "not_found", "resend on a finished sign-in")

        # Every sign-in gets a new session; the first one stays alive.
        login2, _, code2 = started_login(st, acc)
        token2 = self.check_session_answer(login_step(st, login2, "otp/verify", {"code": code2}))
        self.assertNotEqual(token, token2, "a new session token at every sign-in")
        self.assertStatus(me(st, token), 200, "first session still alive")
        self.assertStatus(me(st, token2), 200, "second session")

    def test_resend_cooldown(self):
        st = self.stack
        acc = register_account(st)
        r = start_login(st, acc["id_number"], acc["password"])
        self.assertStatus(r, 201, "start")
        sent_at = time.monotonic()
        login_id = r.body["login_id"]
        old = self.check_sms(acc["phone"], "login", "first code")

        early = login_step(st, login_id, "otp/resend")
        self.assertError(early, 429, "rate_limited", "resend before resend_after")
        self.assertRetryAfter(early, RESEND_AFTER, "resend before resend_after")
        self.assertEqual(st.sms_for(acc["phone"], "login")[-1]["text"].count(old), 1,
                         "no new SMS for a refused resend")
        self.assertEqual(len(st.sms_for(acc["phone"], "login")), 1, "no SMS on 429")

        wait_until(sent_at + RESEND_AFTER + 0.3)
        r = login_step(st, login_id, "otp/resend")
        self.assertStatus(r, 200, "resend after resend_after")
        self.assertEqual(set(r.body), {"otp"}, r.body)
        self.check_otp_object(r.body["otp"], acc["phone"], "resend")
        new = self.check_sms(acc["phone"], "login", "resent code")

        # The same resend again right away (a double click) is a duplicate: the same
        # 200 {otp}, no second SMS (the cooldown still counts from the resend).
        again = login_step(st, login_id, "otp/resend")
        self.assertStatus(again, 200, "second resend right away")
        self.assertEqual(again.body["otp"]["phone_masked"], r.body["otp"]["phone_masked"])
        self.assertLessEqual(again.body["otp"]["resend_after"], RESEND_AFTER, again.body)
        time.sleep(0.3)
        self.assertEqual(len(st.sms_for(acc["phone"], "login")), 2, "no SMS for the duplicate")

        if old != new:
            r = login_step(st, login_id, "otp/verify", {"code": old})
            self.assertError(r, 400, "otp_invalid", "the replaced code")
        r = login_step(st, login_id, "otp/verify", {"code": new})
        self.check_session_answer(r, "verify with the new code")

    def test_wrong_codes(self):
        st = self.stack
        acc = register_account(st)
        login_id, _, code = started_login(st, acc)
        bad = wrong(code)
        for left in (4, 3, 2, 1):
            r = login_step(st, login_id, "otp/verify", {"code": bad})
            self.assertAttemptsLeft(r, left, "wrong code, %d left" % left)
        r = login_step(st, login_id, "otp/verify", {"code": bad})
        self.assertError(r, 429, "otp_attempts_exceeded", "the 5th wrong code")
        r = login_step(st, login_id, "otp/verify", {"code": code})
        self.assertError(r, 429, "otp_attempts_exceeded", "the right code after the last try")
        # A resend gives a new code with fresh tries (api.md).
        time.sleep(RESEND_AFTER + 0.3)
        r = login_step(st, login_id, "otp/resend")
        self.assertStatus(r, 200, "resend after a dead challenge")
        fresh = self.check_sms(acc["phone"], "login", "code after resend")
        r = login_step(st, login_id, "otp/verify", {"code": wrong(fresh)})
        self.assertAttemptsLeft(r, 4, "fresh tries after resend")
        self.check_session_answer(login_step(st, login_id, "otp/verify", {"code": fresh}))

    def test_validation_and_shape(self):
        st = self.stack
        acc = register_account(st)
        for bad in ("12345", "00109901234X", "0010990123456", "", "abcdefghijkl", "999099012345"):
            with self.subTest(id_number=bad):
                cid = st.captcha()
                r = start_login(st, bad, acc["password"], captcha_id=cid)
                self.assertDetails(r, ["id_number"], what="id_number %r" % bad)
                # Nothing is consumed by a 422: the same captcha still works.
                r = start_login(st, acc["id_number"], "Sai!MatKhau1", captcha_id=cid)
                self.assertError(r, 401, "invalid_credentials", "captcha kept after a 422")
        body = {"id_number": acc["id_number"], "password": acc["password"],
                "captcha_id": "x", "captcha_answer": "TEST"}
        for field in body:
            with self.subTest(missing=field):
                b = dict(body, captcha_id=st.captcha())
                del b[field]
                r = st.request("POST", "/v1/logins", json=b)
                self.assertError(r, 400, "invalid_request", "without %s" % field)
            with self.subTest(wrong_type=field):
                b = dict(body, captcha_id=st.captcha())
                b[field] = 12345
                r = st.request("POST", "/v1/logins", json=b)
                self.assertError(r, 400, "invalid_request", "%s as a number" % field)
        for raw in (b"{bad", b"[]", b"null"):
            r = st.request("POST", "/v1/logins", raw=raw)
            self.assertError(r, 400, "invalid_request", "body %r" % raw)
        login_id, _, code = started_login(st, acc)
        for raw in (b"{bad", b"{}", b'{"code": 123456}'):
            with self.subTest(verify=raw):
                r = st.request("POST", "/v1/logins/%s/otp/verify" % login_id, raw=raw)
                self.assertError(r, 400, "invalid_request", "verify body %r" % raw)
        r = st.request("POST", "/v1/logins/%s/otp/method" % login_id, raw=b"{}")
        self.assertError(r, 400, "invalid_request", "otp/method without method_id")
        r = st.request("POST", "/v1/logins/%s/phone" % login_id, raw=b"{}")
        self.assertError(r, 400, "invalid_request", "phone without new_phone")
        # The flow is untouched by all of that.
        self.check_session_answer(login_step(st, login_id, "otp/verify", {"code": code}))

    def test_captcha_invalid(self):
        st = self.stack
        acc = register_account(st)
        r = start_login(st, acc["id_number"], acc["password"], captcha_answer="WRONG")
        self.assertError(r, 400, "captcha_invalid", "wrong captcha answer")
        r = start_login(st, acc["id_number"], acc["password"], captcha_id="no-such-captcha",
                        captcha_answer="WRONG")
        self.assertError(r, 400, "captcha_invalid", "unknown captcha id")
        # (captcha.test_answer passes every captcha id, so single use is not testable here.)
        time.sleep(0.5)
        self.assertEqual(st.sms_for(acc["phone"], "login"), [],
                         "no SMS without a captcha: it comes before any SMS")
        # The captcha is checked before the password: a wrong one says captcha_invalid.
        r = start_login(st, acc["id_number"], "Sai!MatKhau1", captcha_answer="WRONG")
        self.assertError(r, 400, "captcha_invalid", "wrong captcha and wrong password")
        r = start_login(st, unknown_id(), "Sai!MatKhau1", captcha_answer="WRONG")
        self.assertError(r, 400, "captcha_invalid", "wrong captcha and unknown ID")

    def test_unknown_login_id(self):
        st = self.stack
        fake = random_flow_id()
        for step, body in (("otp/resend", None), ("otp/method", {"method_id": "m0"}),
                           ("otp/verify", {"code": "123456"}),
                           ("phone", {"new_phone": new_phone()}),
                           ("phone/verify", {"code": "123456"})):
            with self.subTest(step=step):
                r = login_step(st, fake, step, body)
                self.assertError(r, 404, "not_found", "%s on an unknown sign-in" % step)
        for odd in ("x", "not-a-flow-id", "0" * 32, "%2e%2e"):
            r = login_step(st, odd, "otp/verify", {"code": "123456"})
            self.assertError(r, 404, "not_found", "verify on sign-in %r" % odd)
        # A registration's id is not a sign-in's.
        reg = st.start_registration()
        self.assertStatus(reg, 201, "registration")
        r = login_step(st, reg.body["registration_id"], "otp/resend")
        self.assertError(r, 404, "not_found", "a registration id as a sign-in id")
        acc = register_account(st)
        login_id, _, _ = started_login(st, acc)
        r = start_reset(st, acc["id_number"], acc["phone"])
        self.assertStatus(r, 202, "reset")
        reset_id = r.body["reset_id"]
        r = login_step(st, reset_id, "otp/resend")
        self.assertError(r, 404, "not_found", "a reset id as a sign-in id")
        r = reset_step(st, login_id, "otp/verify", {"code": "123456"})
        self.assertError(r, 404, "not_found", "a sign-in id as a reset id")
        r = st.request("POST", "/v1/registrations/%s/otp/resend" % login_id)
        self.assertError(r, 404, "not_found", "a sign-in id as a registration id")
        # Other methods on the routes of this issue.
        for method, path in (("GET", "/v1/logins"), ("GET", "/v1/logins/%s/otp/verify" % login_id),
                             ("POST", "/v1/me"), ("GET", "/v1/logout"),
                             ("GET", "/v1/password-resets"), ("POST", "/.well-known/jwks.json"),
                             ("DELETE", "/v1/me/phones")):
            r = st.request(method, path)
            self.assertError(r, 405, "method_not_allowed", "%s %s" % (method, path))

    def test_flow_state(self):
        st = self.stack
        acc = register_account(st)
        login_id, _, code = started_login(st, acc)
        r = login_step(st, login_id, "phone/verify", {"code": code})
        self.assertError(r, 409, "flow_state", "phone/verify before phone")
        self.check_session_answer(login_step(st, login_id, "otp/verify", {"code": code}),
                                  "the 409 changed nothing")

    def test_code_single_use_under_concurrency(self):
        # The right code sent five times at once opens exactly one session.
        st = self.stack
        acc = register_account(st)
        login_id, _, code = started_login(st, acc)
        out = []

        def verify():
            out.append(login_step(st, login_id, "otp/verify", {"code": code}))

        threads = [threading.Thread(target=verify) for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(r.status for r in out)
        self.assertEqual(statuses.count(200), 1, "exactly one session: %r"
                         % [(r.status, r.body) for r in out])
        for r in out:
            if r.status != 200:
                self.assertIn(_code(r), ("not_found", "otp_invalid", "flow_state"),
                              "the others are refused: %d %r" % (r.status, r.body))

    def test_invalid_credentials_same_answer(self):
        st = self.stack
        acc = register_account(st)
        ghost = unknown_id()
        wrong_pw = start_login(st, acc["id_number"], "Sai!MatKhau1")
        unknown = start_login(st, ghost, "Sai!MatKhau1")
        unknown_right_pw = start_login(st, ghost, acc["password"])
        self.assertError(wrong_pw, 401, "invalid_credentials", "wrong password")
        for r, what in ((unknown, "unknown ID"), (unknown_right_pw, "unknown ID, real pw")):
            self.assertError(r, 401, "invalid_credentials", what)
            self.assertEqual(r.body, wrong_pw.body, "%s answers like a wrong password" % what)
            self.assertEqual(r.headers.get("Content-Type"), wrong_pw.headers.get("Content-Type"))
            self.assertEqual(r.headers.get("Retry-After"), wrong_pw.headers.get("Retry-After"))
        self.assertNotIn("login_id", wrong_pw.body)
        # An ID number whose registration is not finished has no account yet.
        pending = unknown_id()
        r = st.start_registration(id_number=pending)
        self.assertStatus(r, 201, "an unfinished registration")
        r = start_login(st, pending, acc["password"])
        self.assertError(r, 401, "invalid_credentials", "an unfinished registration's ID")
        self.assertEqual(r.body, wrong_pw.body, "an unfinished registration answers alike")
        time.sleep(0.5)
        self.assertEqual(st.sms_for(acc["phone"], "login"), [], "no code without the password")

    def test_invalid_credentials_same_time(self):
        # security.md: the same timing for an unknown ID (a dummy hash is verified).
        # Interleaved, so load on the machine hits both series alike.
        st = self.stack
        acc = register_account(st)
        ghost = unknown_id()

        def measure():
            known, unknown = [], []
            for i in range(9):
                for series, id_number in ((known, acc["id_number"]), (unknown, ghost)):
                    cid = st.captcha()
                    dt, r = timed(lambda: start_login(st, id_number, "Sai!MatKhau%d" % i,
                                                      captcha_id=cid))
                    self.assertError(r, 401, "invalid_credentials", "timing try %d" % i)
                    series.append(dt)
            return {"wrong password": known, "unknown ID": unknown}

        # A 422 costs no hash: it shows what a missing dummy hash would look like.
        cheap = []
        for _ in range(5):
            cid = st.captcha()
            cheap.append(timed(lambda: start_login(st, "12345", "x", captcha_id=cid))[0])
        ok, desc = alike_in_time(measure)
        self.assertTrue(ok, "a wrong password and an unknown ID must cost the same (the "
                        "dummy hash): %s; a 422 takes %.1f ms" % (desc, median(cheap) * 1e3))

    def test_codes_bound_to_flow_and_purpose(self):
        # security.md "OTP": a code is bound to its purpose and flow. Every code below
        # goes to the same phone, for four different flows.
        st = self.stack
        acc = register_account(st)
        phone = acc["phone"]
        login_id, _, login_code = started_login(st, acc)
        r = start_reset(st, acc["id_number"], phone)
        self.assertStatus(r, 202, "password reset")
        reset_id = r.body["reset_id"]
        reset_code = st.last_otp(phone, "password_reset")
        r = st.start_registration(phone=phone)  # another ID number, the same phone
        self.assertStatus(r, 201, "registration")
        reg_id = r.body["registration_id"]
        reg_code = st.last_otp(phone, "register")
        login2, _, login2_code = started_login(st, acc)

        tries = [("sign-in with the reset code", "/v1/logins/%s/otp/verify" % login_id,
                  reset_code, login_code),
                 ("sign-in with the registration code", "/v1/logins/%s/otp/verify" % login_id,
                  reg_code, login_code),
                 ("sign-in with another sign-in's code", "/v1/logins/%s/otp/verify" % login_id,
                  login2_code, login_code),
                 ("reset with the sign-in code", "/v1/password-resets/%s/otp/verify" % reset_id,
                  login_code, reset_code),
                 ("registration with the sign-in code",
                  "/v1/registrations/%s/otp/verify" % reg_id, login_code, reg_code),
                 ("registration with the reset code",
                  "/v1/registrations/%s/otp/verify" % reg_id, reset_code, reg_code)]
        for what, path, foreign, own in tries:
            if foreign == own:
                continue  # the same 6 digits by chance: nothing to test
            r = st.request("POST", path, json={"code": foreign})
            self.assertError(r, 400, "otp_invalid", what)
        self.check_session_answer(login_step(st, login_id, "otp/verify", {"code": login_code}))
        r = reset_step(st, reset_id, "otp/verify", {"code": reset_code})
        self.assertStatus(r, 200, "reset with its own code")
        r = st.request("POST", "/v1/registrations/%s/otp/verify" % reg_id, json={"code": reg_code})
        self.assertStatus(r, 200, "registration with its own code")
        # A spent code does not open another flow either.
        if login_code != login2_code:
            r = login_step(st, login2, "otp/verify", {"code": login_code})
            self.assertError(r, 400, "otp_invalid", "a spent code in another sign-in")
        self.check_session_answer(login_step(st, login2, "otp/verify", {"code": login2_code}))


class CodeExpiryTest(SigninTestCase):
    """Short codes (otp.ttl = 2) and no cooldown: 410 otp_expired in every flow of
    this issue, and a resend after it works."""

    OTP_TTL = 2
    RESEND_AFTER = 0
    stack_config = {"otp": dict(ROOMY_OTP, ttl=2, resend_after=0)}

    def test_expired_codes(self):
        st = self.stack
        accs = [register_account(st) for _ in range(4)]
        session = sign_in(st, accs[3])["token"]
        login_id, body, login_code = started_login(st, accs[0])
        self.check_otp_object(body["otp"], accs[0]["phone"], "short code")
        lost_id, _, _ = started_login(st, accs[1])
        new = new_phone()
        r = login_step(st, lost_id, "phone", {"new_phone": new})
        self.assertStatus(r, 200, "lost phone")
        phone_code = st.last_otp(new, "phone_change")
        r = start_reset(st, accs[2]["id_number"], accs[2]["phone"])
        self.assertStatus(r, 202, "reset")
        reset_id = r.body["reset_id"]
        reset_code = st.last_otp(accs[2]["phone"], "password_reset")
        added = new_phone()
        r = st.request("POST", "/v1/me/phones", json={"phone": added}, headers=bearer(session))
        self.assertStatus(r, 200, "add phone")
        add_code = st.last_otp(added, "add_phone")

        time.sleep(self.OTP_TTL + 0.5)
        r = login_step(st, login_id, "otp/verify", {"code": login_code})
        self.assertError(r, 410, "otp_expired", "sign-in code after its ttl")
        r = login_step(st, lost_id, "phone/verify", {"code": phone_code})
        self.assertError(r, 410, "otp_expired", "phone-change code after its ttl")
        r = reset_step(st, reset_id, "otp/verify", {"code": reset_code})
        self.assertError(r, 410, "otp_expired", "reset code after its ttl")
        r = st.request("POST", "/v1/me/phones/verify", json={"code": add_code},
                       headers=bearer(session))
        self.assertError(r, 410, "otp_expired", "add-phone code after its ttl")

        # "Gửi lại OTP": a resend after expiry gives a code that works.
        r = login_step(st, login_id, "otp/resend")
        self.assertStatus(r, 200, "resend after expiry")
        code = self.check_sms(accs[0]["phone"], "login", "code after expiry")
        self.check_session_answer(login_step(st, login_id, "otp/verify", {"code": code}))


def _code(r):
    return r.body.get("error", {}).get("code") if isinstance(r.body, dict) else None


if __name__ == "__main__":
    unittest.main()
