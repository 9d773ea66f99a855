"""Every error the registration endpoints can give (api.md section 3, "Errors" and
"Rules the tests rely on"), each provoked on the real processes and its body checked:
{"error": {"code", "message", ...}} with a Vietnamese message, details / attempts_left /
retry_after where they apply. Three stacks: default limits, quick resends, short codes."""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import (FULL_NAME, PASSWORD, StackTestCase, new_identity,  # noqa: E402
                         new_phone)


def wrong(code):
    """A code of the same length that is not code."""
    return "%0*d" % (len(code), (int(code) + 1) % 10 ** len(code))


def identity_born(date):
    """A CCCD that agrees with the year of date (YYYY-MM-DD), for date-only errors."""
    id_number, _ = new_identity(year=int(date[:4]))
    return id_number


class ErrorCase(StackTestCase):
    def valid_body(self, **changes):
        id_number, dob = new_identity()
        body = {"id_number": id_number, "full_name": FULL_NAME, "date_of_birth": dob,
                "phone": new_phone(), "captcha_id": self.stack.captcha(),
                "captcha_answer": "TEST"}
        body.update(changes)
        return body

    def started(self, phone=None):
        """A started registration: (registration_id, phone, code)."""
        phone = phone or new_phone()
        r = self.stack.start_registration(phone=phone)
        self.assertStatus(r, 201, "start")
        return r.body["registration_id"], phone, self.stack.last_otp(phone)

    def verified(self):
        rid, phone, code = self.started()
        r = self.post(rid, "otp/verify", {"code": code})
        self.assertStatus(r, 200, "verify")
        return rid

    def post(self, rid, step, body=None, **kw):
        return self.stack.request("POST", "/v1/registrations/%s/%s" % (rid, step),
                                  json=body, **kw)

    def assertDetails(self, r, fields, code=None, what=""):
        """422 validation_failed whose details name one of fields (and code, if given)."""
        err = self.assertError(r, 422, "validation_failed", what)
        details = err.get("details")
        self.assertIsInstance(details, list, "%s: details %r" % (what, err))
        self.assertTrue(details, "%s: empty details %r" % (what, err))
        for d in details:
            self.assertIsInstance(d, dict, "%s: %r" % (what, err))
            self.assertIsInstance(d.get("field"), str, "%s: %r" % (what, err))
            self.assertTrue(isinstance(d.get("code"), str) and d["code"], "%s: %r" % (what, err))
        self.assertTrue(any(d["field"] in fields and (code is None or d["code"] == code)
                            for d in details),
                        "%s: expected a detail %s/%s, got %r" % (what, fields, code, details))
        return details


class RegistrationErrorsTest(ErrorCase):
    """Default limits: ttl 300, resend_after 60, 5 attempts."""

    def test_invalid_request(self):
        st = self.stack
        not_json = [b"{bad", b"", b"null", b"\"a string\"", b"42", b'{"id_number": "1"} x',
                    b"[]"]
        for raw in not_json:
            with self.subTest(body=raw):
                r = st.request("POST", "/v1/registrations", raw=raw)
                self.assertError(r, 400, "invalid_request", "body %r" % raw)
        arr = [self.valid_body()]
        r = st.request("POST", "/v1/registrations", json=arr)
        self.assertError(r, 400, "invalid_request", "a JSON array of the object")
        wrong_types = {"id_number": 1099012345, "full_name": ["Nguyễn", "An"],
                       "date_of_birth": 19990512, "phone": 912345678, "captcha_id": 7,
                       "captcha_answer": None, "email": 5}
        for field, value in wrong_types.items():
            with self.subTest(field=field, value=value):
                phone = new_phone()
                body = self.valid_body(phone=phone) if field != "phone" else self.valid_body()
                body[field] = value
                r = st.request("POST", "/v1/registrations", json=body)
                self.assertError(r, 400, "invalid_request", "%s=%r" % (field, value))
        for field in ("id_number", "full_name", "date_of_birth", "phone", "captcha_id",
                      "captcha_answer"):
            with self.subTest(missing=field):
                body = self.valid_body()
                del body[field]
                r = st.request("POST", "/v1/registrations", json=body)
                self.assertError(r, 400, "invalid_request", "without %s" % field)
        # Invalid UTF-8 is refused (security.md "Input"), as not JSON or as a bad field.
        raw = ('{"id_number":"001099012345","full_name":"An \xff","date_of_birth":"1999-05-12",'
               '"phone":"0912345678","captcha_id":"x","captcha_answer":"TEST"}')
        r = st.request("POST", "/v1/registrations", raw=raw.encode("latin-1"))
        self.assertIn(r.status, (400, 422), "invalid UTF-8: %d %r" % (r.status, r.body))
        self.assertError(r, r.status, "invalid_request" if r.status == 400
                         else "validation_failed", "invalid UTF-8")

    def test_invalid_request_on_steps(self):
        rid, _, code = self.started()
        st = self.stack
        for raw in (b"{bad", b"[]", b"{}", b'{"code": 123456}', b'{"code": null}'):
            with self.subTest(verify=raw):
                r = st.request("POST", "/v1/registrations/%s/otp/verify" % rid, raw=raw)
                self.assertError(r, 400, "invalid_request", "verify body %r" % raw)
        for body in ({}, {"password": PASSWORD}, {"password_confirm": PASSWORD},
                     {"password": 12345678, "password_confirm": 12345678},
                     {"password": [PASSWORD], "password_confirm": PASSWORD}):
            with self.subTest(password=body):
                r = self.post(rid, "password", body)
                self.assertError(r, 400, "invalid_request", "password body %r" % body)
        # None of that used an attempt or broke the flow.
        r = self.post(rid, "otp/verify", {"code": code})
        self.assertStatus(r, 200, "verify after the 400s")

    def test_unsupported_media_type(self):
        st = self.stack
        body = self.valid_body()
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        for ctype in ("text/plain", "application/x-www-form-urlencoded"):
            with self.subTest(ctype=ctype):
                r = st.request("POST", "/v1/registrations", raw=raw,
                               headers={"Content-Type": ctype})
                self.assertError(r, 415, "unsupported_media_type", "Content-Type %s" % ctype)
        # The contract's own media type, with its charset, is accepted.
        r = st.request("POST", "/v1/registrations", raw=raw,
                       headers={"Content-Type": "application/json; charset=utf-8"})
        self.assertStatus(r, 201, "Content-Type application/json; charset=utf-8")

    def test_payload_too_large(self):
        st = self.stack
        for size in ((1 << 20) + 1, 3 << 20):
            with self.subTest(size=size):
                raw = b'{"full_name": "' + b"A" * size + b'"}'
                r = st.request("POST", "/v1/registrations", raw=raw)
                self.assertError(r, 413, "payload_too_large", "a %d-byte body" % len(raw))
        # Over 64 KiB but under 1 MiB: refused either by the body cap or the name's cap.
        body = self.valid_body(full_name="A" * (100 * 1024))
        r = st.request("POST", "/v1/registrations", json=body)
        self.assertIn(r.status, (413, 422), "a 100 KiB name: %d %r" % (r.status, r.body))
        self.assertError(r, r.status, {413: "payload_too_large", 422: "validation_failed"}[
            r.status], "a 100 KiB name")
        # A chunked body has no length to refuse up front: over the cap it is a 413 too.
        chunks = [b'{"full_name": "'] + [b"A" * 65536] * 2 + [b'"}']
        r = st.request_chunked("POST", "/v1/registrations", chunks)
        self.assertIsNotNone(r, "a 128 KiB chunked body: the gateway hung up without an answer")
        self.assertError(r, 413, "payload_too_large", "a 128 KiB chunked body")
        # A huge chunked stream may be cut off (the gateway stops reading after a while),
        # but if it answers, the answer is a 413.
        chunks = [b'{"full_name": "'] + [b"A" * 65536] * 48 + [b'"}']
        r = st.request_chunked("POST", "/v1/registrations", chunks)
        if r is not None:
            self.assertError(r, 413, "payload_too_large", "a 3 MiB chunked body")
        # The gateway is still fine afterwards.
        self.assertStatus(st.request("GET", "/healthz"), 200, "healthz after big bodies")

    def test_method_not_allowed(self):
        st = self.stack
        rid, _, _ = self.started()
        for method, path in (("GET", "/v1/registrations"), ("PUT", "/v1/registrations"),
                             ("DELETE", "/v1/registrations"), ("GET", "/v1/captcha"),
                             ("GET", "/v1/registrations/%s/otp/verify" % rid),
                             ("GET", "/v1/registrations/%s/password" % rid)):
            with self.subTest(method=method, path=path):
                r = st.request(method, path)
                self.assertError(r, 405, "method_not_allowed", "%s %s" % (method, path))

    def test_not_found(self):
        st = self.stack
        for method, path in (("GET", "/v1/nothing"), ("POST", "/v1/nothing"),
                             ("POST", "/v1/registrations/x/otp/nothing"),
                             ("GET", "/v1/"), ("POST", "/v2/registrations")):
            with self.subTest(route=path):
                r = st.request(method, path, json={} if method == "POST" else None)
                self.assertError(r, 404, "not_found", "%s %s" % (method, path))
        unknown = ("0" * 32, "deadbeef" * 4, "abc", "A" * 300, "%2e%2e", "..")
        steps = (("otp/resend", None), ("otp/verify", {"code": "123456"}),
                 ("password", {"password": PASSWORD, "password_confirm": PASSWORD}))
        for rid in unknown:
            for step, body in steps:
                with self.subTest(rid=rid[:40], step=step):
                    r = self.post(rid, step, body)
                    self.assertError(r, 404, "not_found", "%s on unknown id %r" % (step, rid))
        # A real id with one character changed is unknown too.
        rid, _, _ = self.started()
        other = rid[:-1] + ("0" if rid[-1] != "0" else "1")
        r = self.post(other, "otp/verify", {"code": "123456"})
        self.assertError(r, 404, "not_found", "verify on a changed id")

    def test_validation_failed_registration(self):
        st = self.stack
        id_1999, _ = new_identity(year=1999)
        id_2001, _ = new_identity(year=2001)
        cases = [
            ("id_number", {"id_number": "12345"}),
            ("id_number", {"id_number": "00109901234"}),
            ("id_number", {"id_number": "0010990123456"}),
            ("id_number", {"id_number": "00109901234A"}),
            ("id_number", {"id_number": "999099012345"}),            # no such province
            ("id_number", {"id_number": "001 099 012 345x"}),
            # CCCD century/year disagree with the birth date (security.md "Input").
            (("id_number", "date_of_birth"),
             {"id_number": id_1999, "date_of_birth": "2001-05-12"}),
            (("id_number", "date_of_birth"),
             {"id_number": id_1999, "date_of_birth": "1998-05-12"}),
            (("id_number", "date_of_birth"),
             {"id_number": id_2001, "date_of_birth": "1901-05-12"}),
            ("phone", {"phone": "02438123456"}),                     # Hà Nội landline
            ("phone", {"phone": "024 3812 3456"}),
            ("phone", {"phone": "19001234"}),                        # premium
            ("phone", {"phone": "1900123456"}),
            ("phone", {"phone": "+12025550123"}),                    # USA
            ("phone", {"phone": "+8613812345678"}),                  # China
            ("phone", {"phone": "0912345"}),
            ("phone", {"phone": "09123456789"}),
            ("phone", {"phone": "0992345678"}),                      # 099-2 is not mobile
            ("phone", {"phone": "091234567a"}),
            ("date_of_birth", {"date_of_birth": "2023-02-30",
                               "id_number": identity_born("2023-02-30")}),
            ("date_of_birth", {"date_of_birth": "2099-01-01",
                               "id_number": identity_born("2099-01-01")}),
            ("date_of_birth", {"date_of_birth": "1999-13-01",
                               "id_number": identity_born("1999-13-01")}),
            ("date_of_birth", {"date_of_birth": "12/05/1999",
                               "id_number": identity_born("1999-05-12")}),
            ("full_name", {"full_name": "Nguyễn Văn 123"}),
            ("full_name", {"full_name": "An <script>"}),
            ("full_name", {"full_name": "A" * 101}),
        ]
        for fields, changes in cases:
            fields = (fields,) if isinstance(fields, str) else fields
            with self.subTest(changes=changes):
                phone = new_phone()
                body = self.valid_body(phone=phone)
                body.update(changes)
                r = st.request("POST", "/v1/registrations", json=body)
                self.assertDetails(r, fields, what="%r" % changes)
        # A Vietnamese name with every kind of allowed character is fine.
        for name in ("Nguyễn Thị Ánh-Tuyết", "Đặng O'Neil Jr.", "Lê"):
            with self.subTest(name=name):
                r = st.start_registration(full_name=name)
                self.assertStatus(r, 201, "name %r" % name)

    def test_validation_consumes_nothing(self):
        # api.md: shape and field validation come first and consume nothing. With the
        # test captcha answer every id passes, so "nothing consumed" is shown by what did
        # not happen: no SMS, no limit used; the same captcha id and phone then work.
        st = self.stack
        cid = st.captcha()
        phone = new_phone()
        body = self.valid_body(phone=phone, captcha_id=cid, date_of_birth="2023-02-30")
        r = st.request("POST", "/v1/registrations", json=body)
        self.assertDetails(r, ("date_of_birth", "id_number"), what="bad date")
        self.assertEqual(st.wait_no_sms(phone), [], "a 422 sends no SMS")
        self.assertNotIn("registration_id", r.body)
        body = self.valid_body(phone=phone, captcha_id=cid)
        r = st.request("POST", "/v1/registrations", json=body)
        self.assertStatus(r, 201, "the same captcha id and phone after a 422")
        st.last_otp(phone)
        self.assertEqual(len(st.sms_for(phone)), 1, st.sms_for(phone))

    def test_captcha_invalid(self):
        st = self.stack
        for cid in (st.captcha(), "no-such-captcha"):
            with self.subTest(captcha_id=cid):
                phone = new_phone()
                body = self.valid_body(phone=phone, captcha_id=cid, captcha_answer="WRONG")
                r = st.request("POST", "/v1/registrations", json=body)
                self.assertError(r, 400, "captcha_invalid", "answer WRONG")
                self.assertEqual(st.wait_no_sms(phone, 0.5), [], "no SMS without a captcha")

    def test_flow_state(self):
        st = self.stack
        rid, phone, code = self.started()
        r = self.post(rid, "password", {"password": PASSWORD, "password_confirm": PASSWORD})
        self.assertError(r, 409, "flow_state", "password before the OTP")
        r = self.post(rid, "otp/verify", {"code": code})
        self.assertStatus(r, 200, "verify")
        r = self.post(rid, "otp/verify", {"code": code})
        self.assertError(r, 409, "flow_state", "verify twice")
        r = self.post(rid, "otp/resend")
        self.assertError(r, 409, "flow_state", "resend after verify")
        r = self.post(rid, "password", {"password": PASSWORD, "password_confirm": PASSWORD})
        self.assertStatus(r, 201, "password after the 409s")
        for step, body in (("otp/resend", None), ("otp/verify", {"code": code}),
                           ("password", {"password": PASSWORD, "password_confirm": PASSWORD})):
            r = self.post(rid, step, body)
            self.assertError(r, 404, "not_found", "%s on a finished flow" % step)

    def test_validation_before_state(self):
        # api.md "Order of checks": shape and field validation first, then the rest; so a
        # weak password is a 422 even on a flow whose OTP is not verified yet.
        rid, phone, code = self.started()
        r = self.post(rid, "password", {"password": "short", "password_confirm": "short"})
        self.assertDetails(r, ("password",), what="weak password before the OTP")
        r = self.post(rid, "otp/verify", {"code": code})
        self.assertStatus(r, 200, "verify after the 422")

    def test_otp_attempts(self):
        rid, phone, code = self.started()
        bad = wrong(code)
        for left in (4, 3, 2, 1):
            r = self.post(rid, "otp/verify", {"code": bad})
            err = self.assertError(r, 400, "otp_invalid", "wrong code, %d left" % left)
            self.assertEqual(err.get("attempts_left"), left, err)
        r = self.post(rid, "otp/verify", {"code": bad})
        self.assertError(r, 429, "otp_attempts_exceeded", "the 5th wrong code")
        r = self.post(rid, "otp/verify", {"code": code})
        self.assertError(r, 429, "otp_attempts_exceeded", "the right code on a dead challenge")
        r = self.post(rid, "password", {"password": PASSWORD, "password_confirm": PASSWORD})
        self.assertIn(r.status, (409, 429), "password after a dead challenge: %d %r"
                      % (r.status, r.body))

    def test_resend_too_early(self):
        st = self.stack
        rid, phone, code = self.started()
        r = self.post(rid, "otp/resend")
        self.assertError(r, 429, "rate_limited", "resend at once")
        self.assertRetryAfter(r, 60, "resend at once")
        self.assertEqual(len(st.wait_no_sms(phone, 0.5)), 1, "the refused resend sent nothing")
        r = self.post(rid, "otp/verify", {"code": code})
        self.assertStatus(r, 200, "the code still works after a refused resend")

    def test_password_rules(self):
        rid = self.verified()
        cases = [
            ("too_short", "Ab1!xyz", None),
            ("missing_lower", "TR0NG!DONG2024", None),
            ("missing_upper", "tr0ng!dong2024", None),
            ("missing_digit", "Trong!Dong!Xanh", None),
            ("missing_special", "Tr0ngDong2024", None),
            ("mismatch", PASSWORD, PASSWORD + "x"),
        ]
        for rule, password, confirm in cases:
            with self.subTest(rule=rule):
                r = self.post(rid, "password", {"password": password,
                                                "password_confirm": confirm or password})
                self.assertDetails(r, ("password", "password_confirm"), rule, rule)
        # security.md: more than 128 refused; a common password refused (rule code free).
        for what, password in (("over 128", "Aa1!" * 33), ("common", "Vietnam@2024")):
            with self.subTest(rule=what):
                r = self.post(rid, "password", {"password": password,
                                                "password_confirm": password})
                self.assertDetails(r, ("password",), what=what)
        # None consumed the flow; a 64-character Unicode password is accepted as it is.
        long_pw = "Tr0ng!Dong Mật khẩu dài của công dân Việt Nam "
        long_pw = (long_pw * 2)[:64]
        r = self.post(rid, "password", {"password": long_pw, "password_confirm": long_pw})
        self.assertStatus(r, 201, "a 64-character password")


class ResendTest(ErrorCase):
    """Quick resends: resend_after 1 s, at most 3 codes per flow."""

    stack_config = {"otp": {"resend_after": 1, "max_sends_per_flow": 3}}

    def resend(self, rid, phone):
        time.sleep(1.2)
        r = self.post(rid, "otp/resend")
        self.assertStatus(r, 200, "resend")
        otp = r.body.get("otp")
        self.assertIsInstance(otp, dict, r.body)
        self.assertEqual(otp.get("length"), 6, otp)
        self.assertEqual(otp.get("resend_after"), 1, otp)
        return self.stack.last_otp(phone)

    def test_resend_replaces_code(self):
        rid, phone, old = self.started()
        new = self.resend(rid, phone)
        if new == old:
            self.skipTest("the new code equals the old one by chance")
        r = self.post(rid, "otp/verify", {"code": old})
        err = self.assertError(r, 400, "otp_invalid", "the old code after a resend")
        self.assertEqual(err.get("attempts_left"), 4, err)
        r = self.post(rid, "otp/verify", {"code": new})
        self.assertStatus(r, 200, "the new code after a resend")

    def test_resend_gives_fresh_attempts(self):
        rid, phone, code = self.started()
        for left in (4, 3, 2):
            r = self.post(rid, "otp/verify", {"code": wrong(code)})
            self.assertEqual(self.assertError(r, 400, "otp_invalid").get("attempts_left"), left)
        new = self.resend(rid, phone)
        r = self.post(rid, "otp/verify", {"code": wrong(new)})
        err = self.assertError(r, 400, "otp_invalid", "a wrong try on the new code")
        self.assertEqual(err.get("attempts_left"), 4, "a resend gives fresh tries: %r" % err)
        r = self.post(rid, "otp/verify", {"code": new})
        self.assertStatus(r, 200, "the new code")

    def test_max_sends_per_flow(self):
        st = self.stack
        rid, phone, first = self.started()
        self.resend(rid, phone)
        last = self.resend(rid, phone)
        time.sleep(1.2)
        r = self.post(rid, "otp/resend")
        self.assertError(r, 429, "rate_limited", "a 4th code in a flow of at most 3")
        self.assertRetryAfter(r, 24 * 3600, "max_sends_per_flow")
        self.assertEqual(len(st.wait_no_sms(phone, 0.5)), 3, "exactly 3 codes were sent")
        r = self.post(rid, "otp/verify", {"code": last})
        self.assertStatus(r, 200, "the last code still works")


class ShortCodesTest(ErrorCase):
    """Codes live 2 s; at most 2 sends per phone and hour."""

    stack_config = {"otp": {"ttl": 2, "max_sends_per_phone_hour": 2}}

    def test_otp_expired(self):
        st = self.stack
        phone = new_phone()
        r = st.start_registration(phone=phone)
        self.assertStatus(r, 201, "start")
        self.assertIn(r.body["otp"].get("expires_in"), (1, 2), r.body)
        code = st.last_otp(phone)
        time.sleep(3)
        r = self.post(r.body["registration_id"], "otp/verify", {"code": code})
        self.assertError(r, 410, "otp_expired", "the right code after its ttl")

    def test_per_phone_limit(self):
        st = self.stack
        phone = new_phone()
        for i in range(2):
            r = st.start_registration(phone=phone)
            self.assertStatus(r, 201, "registration %d to one phone" % (i + 1))
            st.last_otp(phone)
        r = st.start_registration(phone=phone)
        self.assertError(r, 429, "rate_limited", "a third registration to the same phone")
        self.assertRetryAfter(r, 3600, "max_sends_per_phone_hour")
        self.assertEqual(len(st.wait_no_sms(phone, 0.5)), 2, "no third SMS")
        # The same phone in another form is the same phone.
        r = st.start_registration(phone="+84 " + phone[1:])
        self.assertError(r, 429, "rate_limited", "the same phone as +84")
        # Other phones are not affected.
        self.assertStatus(st.start_registration(), 201, "another phone")


if __name__ == "__main__":
    unittest.main()
