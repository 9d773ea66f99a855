"""Enumeration limits per client address (issue 19 part 2). Registration start answers
409 account_exists for an ID number that has an account, so a script that starts
registrations for ID after ID learns who has one, a captcha per try. Both are now
counted per client address (an IPv4 address, an IPv6 /64): past
captcha.max_per_ip_hour captchas or account.max_registration_starts_per_ip_hour starts
in an hour the address gets 429 rate_limited with Retry-After (and no account_exists
answer), counted in dvcid_address_limited_total; another address goes on. Client
addresses come from X-Forwarded-For, believed from 127.0.0.1 (trusted_proxies)."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import StackTestCase, birth_date_for, new_identity, new_phone  # noqa: E402
from signin_helpers import ROOMY_OTP, register_account  # noqa: E402

PROXY = {"trusted_proxies": "127.0.0.1", "timeout_ms": 20000}


def captcha_from(st, ip):
    return st.request("POST", "/v1/captcha", headers={"X-Forwarded-For": ip})


def start_from(st, ip, id_number, dob=None):
    body = {"id_number": id_number, "full_name": "Trần Thị Bình",
            "date_of_birth": dob or birth_date_for(id_number), "phone": new_phone(),
            "captcha_id": st.captcha(), "captcha_answer": "TEST"}
    return st.request("POST", "/v1/registrations", json=body, headers={"X-Forwarded-For": ip})


def refused_total(st, what):
    r = st.request("GET", "/metrics")
    assert r.status == 200, r
    text = r.body if isinstance(r.body, str) else r.body.decode()
    m = re.search(r'^dvcid_address_limited_total\{[^}]*what="%s"[^}]*\} (\d+)' % what, text,
                  re.M)
    return int(m.group(1)) if m else 0


class CaptchaLimitTest(StackTestCase):
    stack_config = {"gateway": PROXY, "captcha": {"max_per_ip_hour": 5}}

    def assertLimited(self, r, what):
        self.assertError(r, 429, "rate_limited", what)
        ra = self.assertRetryAfter(r, 3600, what)
        self.assertGreater(ra, 3500, "%s: the hour's window is just starting" % what)
        self.assertRegex(r.body["error"]["message"], r"[^\x00-\x7f]", "a Vietnamese message")

    def test_captchas_per_address(self):
        st = self.stack
        before = refused_total(st, "captcha")
        for i in range(5):
            self.assertStatus(captcha_from(st, "203.0.113.30"), 201, "captcha %d" % i)
        self.assertLimited(captcha_from(st, "203.0.113.30"), "a 6th captcha from one address")
        self.assertLimited(captcha_from(st, "203.0.113.30"), "and a 7th")
        self.assertStatus(captcha_from(st, "198.51.100.30"), 201, "another address")
        self.assertEqual(refused_total(st, "captcha"), before + 2, "refusals counted")

    def test_ipv6_prefix_is_one_client(self):
        st = self.stack
        for i in range(5):
            r = captcha_from(st, "2001:db8:5:6::%x" % (i + 1))
            self.assertStatus(r, 201, "address %d of one /64" % i)
        self.assertLimited(captcha_from(st, "2001:db8:5:6:ffff::9"),
                           "another address of the same /64")
        self.assertStatus(captcha_from(st, "2001:db8:5:7::1"), 201, "the next /64")


class RegistrationLimitTest(StackTestCase):
    stack_config = {"gateway": PROXY, "otp": ROOMY_OTP,
                    "account": {"max_registration_starts_per_ip_hour": 3}}

    def test_enumeration_stops_at_the_limit(self):
        st = self.stack
        known = register_account(st)["id_number"]  # from 127.0.0.1: one start there
        attacker = "203.0.113.31"
        r = start_from(st, attacker, known)
        self.assertError(r, 409, "account_exists", "the attack: an ID that has an account")
        for i in range(2):
            idn, dob = new_identity()
            self.assertStatus(start_from(st, attacker, idn, dob), 201, "unknown ID %d" % i)
        before = refused_total(st, "registration")
        for what, idn in (("a known ID", known), ("an unknown ID", None)):
            dob = None
            if idn is None:
                idn, dob = new_identity()
            r = start_from(st, attacker, idn, dob)
            self.assertError(r, 429, "rate_limited", "a 4th start (%s): no answer about it"
                             % what)
            self.assertRetryAfter(r, 3600, what)
        self.assertEqual(refused_total(st, "registration"), before + 2, "refusals counted")
        r = start_from(st, "198.51.100.31", known)
        self.assertError(r, 409, "account_exists", "another address is still answered")
        idn, dob = new_identity()
        self.assertStatus(start_from(st, "198.51.100.31", idn, dob), 201, "and registers")


if __name__ == "__main__":
    unittest.main()
