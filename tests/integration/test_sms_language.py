"""SMS language (issue 17.5): the API carries the user's language, an optional "lang"
("vi" or "en") in any JSON body or else Accept-Language, from the gateway through
account-svc (Request.lang) and otp-svc into the SMS job, and sms-worker words the SMS
in it. No language is ASCII Vietnamese, as before; an invalid lang is refused 400
invalid_request (details [{field: "lang", code: "invalid"}]) in Vietnamese. A resend
that names none keeps its flow's (registration, sign-in); the notices to an account's phones follow the
language its owner last signed in (or registered) with."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import PASSWORD, new_identity, new_phone, otp_code  # noqa: E402
from signin_helpers import (ROOMY_OTP, SigninTestCase, bearer, login_step,  # noqa: E402
                            register_account)

ENGLISH = "Do not share this code"
VIETNAMESE = "Khong chia se ma nay"


class SmsLanguageTest(SigninTestCase):
    RESEND_AFTER = 0
    stack_config = {"otp": dict(ROOMY_OTP, resend_after=0)}

    def start(self, body_extra=None, headers=None):
        id_number, dob = new_identity()
        phone = new_phone()
        body = {"id_number": id_number, "full_name": "Nguyễn Văn An", "date_of_birth": dob,
                "phone": phone, "captcha_id": self.stack.captcha(), "captcha_answer": "TEST"}
        body.update(body_extra or {})
        r = self.stack.request("POST", "/v1/registrations", json=body, headers=headers)
        return r, id_number, phone

    def text(self, phone, purpose):
        """The text of the next SMS to phone for purpose."""
        return self.stack.last_otp_line(phone, purpose)["text"]

    def sms(self, phone, purpose):
        """(text, code) of the next SMS to phone for purpose."""
        line = self.stack.last_otp_line(phone, purpose)
        return line["text"], otp_code(line)

    def assertEnglish(self, text, what):
        self.assertIn(ENGLISH, text, what)
        self.assertNotIn(VIETNAMESE, text, what)

    def assertVietnamese(self, text, what):
        self.assertIn(VIETNAMESE, text, what)
        self.assertTrue(text.isascii(), "%s: ASCII Vietnamese: %r" % (what, text))

    def test_lang_en_gives_an_english_sms(self):
        st = self.stack
        r, _, phone = self.start({"lang": "en"})
        self.assertStatus(r, 201, "start with lang=en")
        self.assertEnglish(self.text(phone, "register"), "the registration code")
        rid = r.body["registration_id"]
        r = st.request("POST", "/v1/registrations/%s/otp/resend" % rid)
        self.assertStatus(r, 200, "a resend without a language")
        self.assertEnglish(self.text(phone, "register"), "the resend keeps the start's language")

    def test_default_is_ascii_vietnamese(self):
        r, _, phone = self.start()
        self.assertStatus(r, 201, "start without a language")
        self.assertVietnamese(self.text(phone, "register"), "no language")
        r, _, phone = self.start({"lang": "vi"})
        self.assertStatus(r, 201, "start with lang=vi")
        self.assertVietnamese(self.text(phone, "register"), "lang=vi")

    def test_accept_language(self):
        r, _, phone = self.start(headers={"Accept-Language": "fr-FR, en-GB;q=0.8, vi;q=0.5"})
        self.assertStatus(r, 201, "Accept-Language preferring en over vi")
        self.assertEnglish(self.text(phone, "register"), "Accept-Language en-GB")
        r, _, phone = self.start(headers={"Accept-Language": "en;q=0.3, vi"})
        self.assertStatus(r, 201, "Accept-Language preferring vi")
        self.assertVietnamese(self.text(phone, "register"), "Accept-Language vi")
        r, _, phone = self.start({"lang": "vi"}, headers={"Accept-Language": "en"})
        self.assertStatus(r, 201, "body lang over Accept-Language")
        self.assertVietnamese(self.text(phone, "register"), "the body's lang wins")

    def test_invalid_lang_is_refused(self):
        for bad in ("fr", "EN", "en-US", 5):
            r, _, phone = self.start({"lang": bad})
            err = self.assertError(r, 400, "invalid_request", "lang=%r" % (bad,))
            self.assertEqual(err.get("details"),
                             [{"field": "lang", "code": "type" if bad == 5 else "invalid"}],
                             "lang=%r: %r" % (bad, err))
            self.assertEqual(self.stack.wait_no_sms(phone, 0.1), [], "no SMS for lang=%r" % bad)
        r = self.stack.request("POST", "/v1/logins/%s/otp/resend" % ("a" * 32),
                               json={"lang": "de"})
        self.assertError(r, 400, "invalid_request", "a resend with lang=de")

    def test_sign_in_and_notices_follow_the_language(self):
        st = self.stack
        acc = register_account(st)
        body = {"id_number": acc["id_number"], "password": acc["password"],
                "captcha_id": st.captcha(), "captcha_answer": "TEST", "lang": "en"}
        r = st.request("POST", "/v1/logins", json=body)
        self.assertStatus(r, 201, "sign-in with lang=en")
        login_id = r.body["login_id"]
        self.assertEnglish(self.text(acc["phone"], "login"), "the sign-in code")
        r = login_step(st, login_id, "otp/resend")
        self.assertStatus(r, 200, "a resend without a language")
        self.assertEnglish(self.text(acc["phone"], "login"), "the resend keeps the sign-in's")
        r = login_step(st, login_id, "otp/resend", {"lang": "vi"})
        self.assertStatus(r, 200, "a resend in Vietnamese")
        text, code = self.sms(acc["phone"], "login")
        self.assertVietnamese(text, "the resend's own language")
        r = login_step(st, login_id, "otp/verify", {"code": code, "lang": "en"})
        token = self.check_session_answer(r)
        # The account's language is now en: the notice of an added phone is English,
        # though the add-phone request itself named none (its code is Vietnamese).
        phone2 = new_phone()
        r = st.request("POST", "/v1/me/phones", json={"phone": phone2}, headers=bearer(token))
        self.assertStatus(r, 200, "add a phone")
        text, code = self.sms(phone2, "add_phone")
        self.assertVietnamese(text, "the add-phone code")
        r = st.request("POST", "/v1/me/phones/verify", json={"code": code},
                       headers=bearer(token))
        self.assertStatus(r, 200, "verify the added phone")
        notice = self.text(acc["phone"], "notice")
        self.assertIn("If this was not you", notice, "the notice follows the account")
        self.assertTrue(notice.isascii(), notice)

    def test_registration_language_is_the_accounts(self):
        st = self.stack
        r, id_number, phone = self.start({"lang": "en"})
        self.assertStatus(r, 201, "start")
        rid = r.body["registration_id"]
        code = st.last_otp(phone, "register")
        self.assertStatus(st.request("POST", "/v1/registrations/%s/otp/verify" % rid,
                                     json={"code": code}), 200, "verify")
        self.assertStatus(st.request("POST", "/v1/registrations/%s/password" % rid,
                                     json={"password": PASSWORD, "password_confirm": PASSWORD}),
                          201, "password")
        body = {"id_number": id_number, "phone": phone, "captcha_id": st.captcha(),
                "captcha_answer": "TEST"}
        r = st.request("POST", "/v1/password-resets", json=body)
        self.assertStatus(r, 202, "reset without a language")
        rid = r.body["reset_id"]
        text, code = self.sms(phone, "password_reset")
        self.assertVietnamese(text, "the reset code: the reset named no language")
        new = "M0i!MatKhau2025"
        self.assertStatus(st.request("POST", "/v1/password-resets/%s/otp/verify" % rid,
                                     json={"code": code}), 200, "reset verify")
        self.assertStatus(st.request("POST", "/v1/password-resets/%s/password" % rid,
                                     json={"password": new, "password_confirm": new}), 200,
                          "new password")
        notice = self.text(phone, "notice")
        self.assertIn("If this was not you", notice, "the notice in the registration's language")


if __name__ == "__main__":
    unittest.main()
