"""Unlock with your phone (issue 21 part 1): a script sends 200 wrong passwords from one
address for a victim's ID; the victim still signs in from another address (password +
OTP), and the victim behind the attacker's address unlocks with its phone at once
(POST /v1/unlocks, captcha, the code to the primary phone) and then signs in there. A
wrong code unlocks nothing; an unknown ID answers the same as a known one (and gets no
SMS); the unlock lifts a lock from every address and a slow-down too; it signs nobody
in; the lock metrics move (dvcid_login_locks_total by scope, dvcid_login_unlocks_total).
Client addresses come from X-Forwarded-For, believed from 127.0.0.1 (trusted_proxies)."""

import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from signin_helpers import (ROOMY_OTP, SigninTestCase, login_step,  # noqa: E402
                            register_account, unknown_id, wrong)

BAD = "Sai!MatKhau1"
ATTACKER = "203.0.113.7"
MAX_CONSECUTIVE = 9
SLOW_AFTER = 6


def _from(ip):
    return {"X-Forwarded-For": ip}


def login_from(st, ip, id_number, password):
    body = {"id_number": id_number, "password": password, "captcha_id": st.captcha(),
            "captcha_answer": "TEST"}
    return st.request("POST", "/v1/logins", json=body, headers=_from(ip))


def unlock_start(st, ip, id_number, captcha_answer="TEST"):
    body = {"id_number": id_number, "captcha_id": st.captcha(), "captcha_answer": captcha_answer}
    return st.request("POST", "/v1/unlocks", json=body, headers=_from(ip))


def unlock_step(st, ip, unlock_id, step, body=None):
    return st.request("POST", "/v1/unlocks/%s/%s" % (unlock_id, step), json=body,
                      headers=_from(ip))


def metric(st, name, labels):
    """The sum of name's samples whose labels include labels (a dict); 0 when none."""
    r = st.request("GET", "/metrics")
    assert r.status == 200, "/metrics: %s" % r.status
    text = r.body if isinstance(r.body, str) else r.body.decode()
    total = 0
    for m in re.finditer(r"^%s\{([^}]*)\} (\S+)$" % re.escape(name), text, re.M):
        have = dict(re.findall(r'([a-z_]+)="([^"]*)"', m.group(1)))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(m.group(2))
    return total


class UnlockTest(SigninTestCase):
    stack_config = {"otp": ROOMY_OTP,
                    "gateway": {"trusted_proxies": "127.0.0.1", "timeout_ms": 20000},
                    "login": {"max_failures": 5, "lock_seconds": 900,
                              "slow_after": SLOW_AFTER, "slow_max_seconds": 1,
                              "max_consecutive": MAX_CONSECUTIVE,
                              "max_failures_per_ip_hour": 1000}}

    def sign_in_from(self, ip, acc, what):
        """Password + the sign-in code from ip; returns the session token."""
        st = self.stack
        r = login_from(st, ip, acc["id_number"], acc["password"])
        self.assertStatus(r, 201, "%s: password" % what)
        code = self.check_sms(acc["phone"], "login", "%s: the sign-in code" % what)
        v = st.request("POST", "/v1/logins/%s/otp/verify" % r.body["login_id"],
                       json={"code": code}, headers=_from(ip))
        return self.check_session_answer(v, "%s: sign-in code" % what)

    def check_unlock_started(self, r, what):
        """202 {unlock_id, otp} whose otp names no phone; returns the body."""
        self.assertStatus(r, 202, what)
        self.assertEqual(set(r.body), {"unlock_id", "otp"}, "%s: keys %r" % (what, r.body))
        self.assertRegex(r.body["unlock_id"], r"^[0-9a-f]{32}$", what)
        otp = r.body["otp"]
        self.assertEqual(set(otp), {"phone_masked", "length", "expires_in", "resend_after"},
                         "%s: %r" % (what, otp))
        self.assertEqual(otp["phone_masked"], "", "%s: no phone named to a stranger" % what)
        self.assertEqual(otp["length"], 6, what)
        return r.body

    def unlock(self, ip, acc, what):
        """The whole unlock from ip: start, the code from the sink, verify."""
        st = self.stack
        started = self.check_unlock_started(unlock_start(st, ip, acc["id_number"]), what)
        code = self.check_sms(acc["phone"], "unlock", "%s: the unlock code" % what)
        v = unlock_step(st, ip, started["unlock_id"], "otp/verify", {"code": code})
        self.assertStatus(v, 200, "%s: verify" % what)
        self.assertEqual(v.body, {"state": "unlocked"}, what)
        self.assertFalse(v.headers.get_all("Set-Cookie"), "%s: the unlock signs nobody in" % what)
        return v

    def test_200_wrong_passwords_then_unlock_with_the_phone(self):
        st = self.stack
        victim = register_account(st)
        locks0 = metric(st, "dvcid_login_locks_total", {"scope": "source"})
        phone0 = metric(st, "dvcid_login_unlocks_total", {"kind": "phone"})
        statuses = [login_from(st, ATTACKER, victim["id_number"], BAD).status
                    for _ in range(200)]
        self.assertEqual(statuses.count(401) + statuses.count(423), 200, statuses)
        self.assertEqual(statuses[-1], 423, "the attacker's address is locked")
        r = login_from(st, ATTACKER, victim["id_number"], victim["password"])
        err = self.assertError(r, 423, "account_locked", "the right password from there")
        self.assertIn("Mở khóa bằng điện thoại", err["message"], "the 423 offers the unlock")
        self.assertEqual(metric(st, "dvcid_login_locks_total", {"scope": "source"}), locks0 + 1,
                         "one source lock counted")

        # From another address the victim signs in at once, password and code.
        self.sign_in_from("198.51.100.9", victim, "another address")

        # Behind the attacker's address (one NAT), the victim unlocks with its phone.
        r = login_from(st, ATTACKER, victim["id_number"], victim["password"])
        self.assertError(r, 423, "account_locked", "still locked behind that address")
        started = self.check_unlock_started(unlock_start(st, ATTACKER, victim["id_number"]),
                                            "unlock start")
        code = self.check_sms(victim["phone"], "unlock", "the unlock code")
        v = unlock_step(st, ATTACKER, started["unlock_id"], "otp/verify", {"code": wrong(code)})
        self.assertAttemptsLeft(v, 4, "a wrong unlock code")
        r = login_from(st, ATTACKER, victim["id_number"], victim["password"])
        self.assertError(r, 423, "account_locked", "a wrong code unlocks nothing")
        v = unlock_step(st, ATTACKER, started["unlock_id"], "otp/verify", {"code": code})
        self.assertStatus(v, 200, "the right unlock code")
        self.assertEqual(v.body, {"state": "unlocked"})
        self.assertFalse(v.headers.get_all("Set-Cookie"), "the unlock signs nobody in")
        v = unlock_step(st, ATTACKER, started["unlock_id"], "otp/verify", {"code": code})
        self.assertError(v, 404, "not_found", "an unlock is used once")
        self.sign_in_from(ATTACKER, victim, "after the unlock, from the attacker's address")
        self.assertEqual(metric(st, "dvcid_login_unlocks_total", {"kind": "phone"}), phone0 + 1,
                         "one unlock by phone counted")

    def test_unknown_id_answers_the_same(self):
        st = self.stack
        known = register_account(st)
        for _ in range(5):
            login_from(st, "203.0.113.30", known["id_number"], BAD)
        r = login_from(st, "203.0.113.30", known["id_number"], known["password"])
        self.assertError(r, 423, "account_locked", "the known ID is locked")
        ghost = unknown_id()
        ra = unlock_start(st, "203.0.113.30", known["id_number"])
        rb = unlock_start(st, "203.0.113.30", ghost)
        a = self.check_unlock_started(ra, "known ID")
        b = self.check_unlock_started(rb, "unknown ID")
        self.assertEqual(a["otp"], b["otp"], "the same otp object")
        self.assertEqual(ra.status, rb.status)
        self.check_sms(known["phone"], "unlock", "the known ID's code")
        for who, body in (("known", a), ("unknown", b)):
            v = unlock_step(st, "203.0.113.30", body["unlock_id"], "otp/verify",
                            {"code": "000000"})
            self.assertAttemptsLeft(v, 4, "%s: a wrong code" % who)
        ea = unlock_step(st, "203.0.113.30", a["unlock_id"], "otp/resend")
        eb = unlock_step(st, "203.0.113.30", b["unlock_id"], "otp/resend")
        self.assertEqual(ea.status, eb.status, "a resend at once: %r %r" % (ea.body, eb.body))
        self.assertEqual(set(ea.body), set(eb.body), "a resend at once, alike")
        if ea.status == 200:
            self.assertEqual(ea.body["otp"]["phone_masked"], "", "the resend names no phone")
            self.assertEqual(eb.body["otp"]["phone_masked"], "", "the resend names no phone")
        # A registered ID that is not locked gets the decoy too: no SMS.
        free = register_account(st)
        self.check_unlock_started(unlock_start(st, "203.0.113.31", free["id_number"]),
                                  "an ID that is not locked")
        self.assertEqual(st.sms_for(free["phone"], "unlock"), [], "no unlock SMS when not locked")

    def test_captcha_and_fields_required(self):
        st = self.stack
        acc = register_account(st)
        r = unlock_start(st, "203.0.113.40", acc["id_number"], captcha_answer="WRONG")
        self.assertError(r, 400, "captcha_invalid", "a wrong captcha")
        r = st.request("POST", "/v1/unlocks", json={"id_number": "12", "captcha_id": "x",
                                                    "captcha_answer": "TEST"})
        self.assertDetails(r, {"id_number"}, what="a bad ID number")
        r = unlock_step(st, "203.0.113.40", os.urandom(16).hex(), "otp/verify",
                        {"code": "123456"})
        self.assertError(r, 404, "not_found", "an unknown unlock id")

    def test_lock_everywhere_and_slow_down_lifted_by_the_phone(self):
        st = self.stack
        victim = register_account(st)
        slow0 = metric(st, "dvcid_login_locks_total", {"scope": "slowdown"})
        all0 = metric(st, "dvcid_login_locks_total", {"scope": "account"})
        for i in range(MAX_CONSECUTIVE):
            ip = "2001:db8:%x::1" % (i + 1)
            r = login_from(st, ip, victim["id_number"], BAD)
            # The slow-down (a wait of seconds): wait it out. The last failure locks the
            # ID everywhere, for a long time.
            while r.status == 423 and r.body["error"].get("retry_after", 0) <= 2:
                time.sleep(r.body["error"].get("retry_after", 1))
                r = login_from(st, ip, victim["id_number"], BAD)
            self.assertIn(r.status, (401, 423), "failure %d: %r" % (i, r.body))
        r = login_from(st, "198.51.100.50", victim["id_number"], victim["password"])
        self.assertError(r, 423, "account_locked", "locked from every address")
        self.assertGreater(self.assertRetryAfter(r, 30 * 86400, "everywhere"), 3600,
                           "a lock everywhere, not a slow-down")
        self.assertEqual(metric(st, "dvcid_login_locks_total", {"scope": "slowdown"}), slow0 + 1,
                         "one slow-down counted")
        self.assertEqual(metric(st, "dvcid_login_locks_total", {"scope": "account"}), all0 + 1,
                         "one lock everywhere counted")
        self.unlock("198.51.100.50", victim, "locked everywhere")
        self.sign_in_from("198.51.100.50", victim, "after the unlock")


if __name__ == "__main__":
    unittest.main()
