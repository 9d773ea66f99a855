"""Lockout that a stranger cannot turn against a citizen (issue 21 part 1) and sign-in
spraying (issue 19 part 2): 200 wrong passwords from one address for a victim's ID lock
that ID for that address only (the victim signs in from another at once); the right
password from the attacker's address is still refused; wrong passwords across many IDs
from one source (an IPv4 address or an IPv6 /64) stop at login.max_failures_per_ip_hour
with 429; many addresses together slow the ID down (423 with a short retry_after).
Client addresses come from X-Forwarded-For, believed from 127.0.0.1 (trusted_proxies)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from signin_helpers import (ROOMY_OTP, SigninTestCase, register_account,  # noqa: E402
                            unknown_id)

BAD = "Sai!MatKhau1"


def login_from(st, ip, id_number, password):
    body = {"id_number": id_number, "password": password, "captcha_id": st.captcha(),
            "captcha_answer": "TEST"}
    return st.request("POST", "/v1/logins", json=body, headers={"X-Forwarded-For": ip})


class LockPerSourceTest(SigninTestCase):
    stack_config = {"otp": ROOMY_OTP, "gateway": {"trusted_proxies": "127.0.0.1", "timeout_ms": 20000},
                    "login": {"max_failures": 5, "lock_seconds": 900, "slow_after": 20,
                              "max_failures_per_ip_hour": 1000}}

    def test_200_wrong_passwords_do_not_lock_the_victim_out(self):
        st = self.stack
        victim = register_account(st)
        statuses = [login_from(st, "203.0.113.7", victim["id_number"], BAD).status
                    for _ in range(200)]
        self.assertEqual(statuses.count(401) + statuses.count(423), 200, statuses)
        self.assertLessEqual(statuses.count(401), 5, "at most max_failures checked: %r"
                             % statuses)
        self.assertEqual(statuses[-1], 423, "the attacker's address is locked")
        r = login_from(st, "203.0.113.7", victim["id_number"], victim["password"])
        self.assertError(r, 423, "account_locked", "the right password from the attacker's "
                         "address")
        r = login_from(st, "198.51.100.9", victim["id_number"], victim["password"])
        self.assertStatus(r, 201, "the victim signs in from another address at once")
        self.check_sms(victim["phone"], "login", "the victim's code")

    def test_unknown_id_alike(self):
        st = self.stack
        real, ghost = register_account(st)["id_number"], unknown_id()
        seen = {}
        for who, idn in (("real", real), ("unknown", ghost)):
            rs = [login_from(st, "203.0.113.8", idn, BAD) for _ in range(7)]
            seen[who] = [(r.status, r.body["error"]["code"]) for r in rs]
            r = login_from(st, "198.51.100.10", idn, BAD)
            self.assertError(r, 401, "invalid_credentials", "%s from another address" % who)
        self.assertEqual(seen["real"], seen["unknown"], "the same answers for real and unknown")

    def test_many_addresses_slow_the_id_down(self):
        st = self.stack
        victim = register_account(st)
        for i in range(20):
            r = login_from(st, "2001:db8:%x::1" % (i + 1), victim["id_number"], BAD)
            self.assertError(r, 401, "invalid_credentials", "address %d" % i)
        r = login_from(st, "2001:db8:ff::1", victim["id_number"], BAD)
        self.assertError(r, 423, "account_locked", "after slow_after failures across sources")
        ra = self.assertRetryAfter(r, 2, "the slow-down is seconds, not a long lock")
        self.assertLessEqual(ra, 2, "the first wait of the slow-down is short")


class SprayingTest(SigninTestCase):
    stack_config = {"otp": ROOMY_OTP, "gateway": {"trusted_proxies": "127.0.0.1", "timeout_ms": 20000},
                    "login": {"max_failures_per_ip_hour": 4}}

    def test_spraying_across_ids(self):
        st = self.stack
        acc = register_account(st)
        for i in range(4):
            r = login_from(st, "203.0.113.20", unknown_id(), BAD)
            self.assertError(r, 401, "invalid_credentials", "ID %d" % i)
        r = login_from(st, "203.0.113.20", acc["id_number"], acc["password"])
        self.assertError(r, 429, "rate_limited", "a fifth ID from a spraying address")
        self.assertRetryAfter(r, 3600, "spraying window")
        r = login_from(st, "198.51.100.20", acc["id_number"], acc["password"])
        self.assertStatus(r, 201, "another address signs in")

    def test_ipv6_prefix_is_one_source(self):
        st = self.stack
        for i in range(4):
            r = login_from(st, "2001:db8:1:2::%x" % (i + 1), unknown_id(), BAD)
            self.assertError(r, 401, "invalid_credentials", "address %d of one /64" % i)
        r = login_from(st, "2001:db8:1:2:ffff::9", unknown_id(), BAD)
        self.assertError(r, 429, "rate_limited", "another address of the same /64")
        r = login_from(st, "2001:db8:1:3::1", unknown_id(), BAD)
        self.assertError(r, 401, "invalid_credentials", "the next /64")


if __name__ == "__main__":
    unittest.main()
