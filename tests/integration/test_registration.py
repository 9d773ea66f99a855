"""Registration over HTTP on the real processes: the happy path with every field of
every answer and of the SMS checked (api.md section 3 and 4), "account exists", the
accepted phone forms, and the plain endpoints (health, readiness, the page)."""

import datetime
import os
import re
import sys
import unicodedata
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import (FULL_NAME, PASSWORD, StackTestCase, e164, mask_phone,  # noqa: E402
                         new_identity, new_phone, otp_code)

SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{16,}$")


class RegistrationTest(StackTestCase):
    def check_otp_object(self, otp, phone, what):
        self.assertIsInstance(otp, dict, "%s: otp %r" % (what, otp))
        self.assertEqual(otp.get("phone_masked"), mask_phone(phone), "%s: %r" % (what, otp))
        self.assertEqual(otp.get("length"), 6, "%s: %r" % (what, otp))
        ttl = 300
        self.assertIsInstance(otp.get("expires_in"), int, "%s: %r" % (what, otp))
        self.assertTrue(ttl - 2 <= otp["expires_in"] <= ttl, "%s: expires_in %r" % (what, otp))
        self.assertIsInstance(otp.get("resend_after"), int, "%s: %r" % (what, otp))
        self.assertTrue(58 <= otp["resend_after"] <= 60, "%s: resend_after %r" % (what, otp))

    def check_sms_line(self, line, phone, purpose):
        self.assertEqual(line.get("to"), e164(phone), line)
        self.assertEqual(line.get("purpose"), purpose, line)
        self.assertIsInstance(line.get("message_id"), str, line)
        self.assertTrue(line["message_id"], line)
        self.assertRegex(line.get("at", ""), r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", line)
        at = datetime.datetime.strptime(line["at"][:19], "%Y-%m-%dT%H:%M:%S").replace(
            tzinfo=datetime.timezone.utc)
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertLess(abs((now - at).total_seconds()), 120, "SMS 'at' is not now (UTC): %r"
                        % line)
        code = otp_code(line)
        self.assertRegex(code, r"^\d{6}$", "the code has otp.length (6) digits: %r" % line)
        return code

    def test_happy_path(self):
        st = self.stack
        id_number, dob = new_identity()
        phone = new_phone()
        cid = st.captcha()
        r = st.request("POST", "/v1/registrations", json={
            "id_number": id_number, "full_name": FULL_NAME, "date_of_birth": dob,
            "phone": phone, "email": "an.nguyen@example.vn",
            "captcha_id": cid, "captcha_answer": "TEST"})
        self.assertStatus(r, 201, "POST /v1/registrations")
        self.assertTrue(r.headers.get("Content-Type", "").startswith("application/json"),
                        r.headers.get("Content-Type"))
        rid = r.body.get("registration_id")
        self.assertIsInstance(rid, str, r.body)
        self.assertRegex(rid, SAFE_ID, "registration_id must be an opaque, unguessable, "
                         "URL-safe string: %r" % rid)
        self.check_otp_object(r.body.get("otp"), phone, "start")

        line = st.last_otp_line(phone, "register")
        code = self.check_sms_line(line, phone, "register")
        self.assertEqual(len(st.sms_for(phone)), 1, "exactly one SMS: %r" % st.sms_for(phone))

        v = st.request("POST", "/v1/registrations/%s/otp/verify" % rid, json={"code": code})
        self.assertStatus(v, 200, "verify")
        self.assertEqual(v.body, {"state": "otp_verified"}, v.body)

        p = st.request("POST", "/v1/registrations/%s/password" % rid,
                       json={"password": PASSWORD, "password_confirm": PASSWORD})
        self.assertStatus(p, 201, "password")
        account = p.body.get("account")
        self.assertIsInstance(account, dict, p.body)
        self.assertEqual(account.get("id_number"), id_number, p.body)
        self.assertEqual(account.get("phone_masked"), mask_phone(phone), p.body)

        # The flow is finished: its id is gone (api.md: 404 "unknown or finished flow id").
        again = st.request("POST", "/v1/registrations/%s/password" % rid,
                           json={"password": PASSWORD, "password_confirm": PASSWORD})
        self.assertError(again, 404, "not_found", "password on a finished flow")

    def test_account_exists(self):
        st = self.stack
        done = st.register()
        phone = new_phone()
        r = st.start_registration(id_number=done["id_number"], phone=phone)
        err = self.assertError(r, 409, "account_exists", "registering the same ID again")
        # flows.md 1.3: the message sends the user to "Quên mật khẩu" (forgot password).
        msg = unicodedata.normalize("NFC", err["message"]).lower()
        self.assertIn(unicodedata.normalize("NFC", "quên mật khẩu"), msg,
                      "flows.md 1.3: the message names 'Quên mật khẩu': %r" % err["message"])
        self.assertNotIn("registration_id", r.body)
        self.assertEqual(st.wait_no_sms(phone), [], "no OTP is sent when the account exists")

        # Another phone number and another name change nothing: the ID number is the key.
        r = st.start_registration(id_number=done["id_number"], phone=new_phone(),
                                  full_name="Trần Thị Bình")
        self.assertError(r, 409, "account_exists", "same ID, other name and phone")

    def test_phone_forms(self):
        st = self.stack
        forms = [
            lambda n: n,                                              # 0912345678
            lambda n: "84" + n[1:],                                   # 84912345678
            lambda n: "+84 %s %s %s" % (n[1:4], n[4:7], n[7:]),       # +84 912 345 678
            lambda n: "%s.%s.%s" % (n[:4], n[4:7], n[7:]),            # 0912.345.678
            lambda n: "+84-%s-%s-%s" % (n[1:4], n[4:7], n[7:]),       # +84-912-345-678
        ]
        for form in forms:
            national = new_phone()
            typed = form(national)
            with self.subTest(phone=typed):
                r = st.start_registration(phone=typed)
                self.assertStatus(r, 201, "phone %r" % typed)
                self.assertEqual(r.body["otp"]["phone_masked"], mask_phone(national), r.body)
                line = st.last_otp_line(national, "register")
                self.assertEqual(line["to"], e164(national), "stored as E.164: %r" % line)

    def test_code_bound_to_its_flow(self):
        # Two flows at once: each gets its own code, and a code works only in its flow.
        st = self.stack
        pa, pb = new_phone(), new_phone()
        a = st.start_registration(phone=pa)
        self.assertStatus(a, 201, "start A")
        b = st.start_registration(phone=pb)
        self.assertStatus(b, 201, "start B")
        ca, cb = st.last_otp(pa), st.last_otp(pb)
        ra, rb = a.body["registration_id"], b.body["registration_id"]
        self.assertNotEqual(ra, rb)
        if ca != cb:  # equal by chance once in a million: nothing to test then
            r = st.request("POST", "/v1/registrations/%s/otp/verify" % ra, json={"code": cb})
            self.assertError(r, 400, "otp_invalid", "flow A with flow B's code")
        r = st.request("POST", "/v1/registrations/%s/otp/verify" % rb, json={"code": cb})
        self.assertStatus(r, 200, "flow B with its own code")
        r = st.request("POST", "/v1/registrations/%s/otp/verify" % ra, json={"code": ca})
        self.assertStatus(r, 200, "flow A with its own code")

    def test_health_ready_page(self):
        st = self.stack
        for path in ("/healthz", "/readyz"):
            r = st.request("GET", path)
            self.assertStatus(r, 200, "GET " + path)
            self.assertTrue(r.headers.get("X-Request-Id"), "GET %s: no X-Request-Id" % path)
        r = st.request("GET", "/")
        self.assertStatus(r, 200, "GET /")
        self.assertTrue(r.headers.get("Content-Type", "").startswith("text/html"),
                        r.headers.get("Content-Type"))
        self.assertIn("<html", r.body.lower(), "GET / is an HTML page")
        self.assertTrue(r.headers.get("X-Request-Id"), "GET /: no X-Request-Id")
        # Every answer, errors and API answers included, carries a request id; ids differ.
        ids = set()
        for method, path in (("POST", "/v1/captcha"), ("GET", "/v1/nothing-here"),
                             ("GET", "/v1/registrations"), ("POST", "/v1/captcha")):
            r = st.request(method, path)
            rid = r.headers.get("X-Request-Id")
            self.assertTrue(rid, "%s %s (%d): no X-Request-Id" % (method, path, r.status))
            ids.add(rid)
        self.assertEqual(len(ids), 4, "request ids are distinct: %r" % ids)


if __name__ == "__main__":
    unittest.main()
