"""signin_helpers: what the sign-in, session, lost-phone, forgot-password and
more-phones tests share on top of dvcid_stack (Python 3 standard library only, plus
the openssl command line tool to verify access tokens with code that is not ours).

    acc = register_account(st)                 # {"id_number", "phone", "password"}
    s = sign_in(st, acc)                       # {"token", "access_token", "login_id", ...}
    st.request("GET", "/v1/me", headers=bearer(s["token"]))

SigninTestCase adds the assertions these tests repeat (the OTP object, the session
answer, 422 details); its class attributes OTP_TTL and RESEND_AFTER must agree with
the stack_config of the test class.
"""

import base64
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import (PASSWORD, StackTestCase, e164, mask_phone,  # noqa: E402
                         new_identity, new_phone, otp_code)

SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{16,}$")
COOKIE_NAME = "dvcid_session"
NEW_PASSWORD = "M0i!MatKhau2025"

# Limits high enough that a module's many flows from 127.0.0.1 never meet them, unless
# a test class lowers one on purpose.
ROOMY_OTP = {"max_sends_per_phone_hour": 100, "max_sends_per_ip_hour": 5000,
             "max_sends_per_prefix_hour": 5000}


def wrong(code):
    """A code of the same length that is not code."""
    return "%0*d" % (len(code), (int(code) + 1) % 10 ** len(code))


def bearer(token):
    return {"Authorization": "Bearer " + token}


def cookie(token):
    return {"Cookie": "%s=%s" % (COOKIE_NAME, token)}


def random_flow_id():
    """A flow id of the usual shape that no flow has."""
    return os.urandom(16).hex()


# ---- flows ----------------------------------------------------------------------------


def register_account(st, phone=None, password=PASSWORD):
    """A registered account: {"id_number", "phone" (national form), "password"}."""
    done = st.register(phone=phone or new_phone(), password=password)
    return {"id_number": done["id_number"], "phone": done["phone"], "password": password}


def unknown_id():
    """A well-formed ID number that has no account."""
    return new_identity()[0]


def start_login(st, id_number, password, captcha_id=None, captcha_answer="TEST"):
    """POST /v1/logins with a fresh captcha (unless one is given); returns the Response."""
    body = {"id_number": id_number, "password": password,
            "captcha_id": captcha_id if captcha_id is not None else st.captcha(),
            "captcha_answer": captcha_answer}
    return st.request("POST", "/v1/logins", json=body)


def login_step(st, login_id, step, body=None, **kw):
    """POST /v1/logins/{login_id}/{step}."""
    return st.request("POST", "/v1/logins/%s/%s" % (login_id, step), json=body, **kw)


def started_login(st, acc):
    """A sign-in past the password step: (login_id, start answer body, code sent to the
    primary phone)."""
    r = start_login(st, acc["id_number"], acc["password"])
    assert r.status == 201, "POST /v1/logins: %s %r %s" % (r.status, r.body, st.dead())
    return r.body["login_id"], r.body, st.last_otp(acc["phone"], "login")


def sign_in(st, acc):
    """The whole sign-in: {"token", "access_token", "login_id", "answer" (Response)}."""
    login_id, _, code = started_login(st, acc)
    v = login_step(st, login_id, "otp/verify", {"code": code})
    assert v.status == 200, "verify: %s %r %s" % (v.status, v.body, st.dead())
    return {"token": v.body["session"]["token"], "access_token": v.body["access_token"],
            "login_id": login_id, "answer": v}


def me(st, token):
    return st.request("GET", "/v1/me", headers=bearer(token))


def add_phone(st, token, phone):
    """POST /v1/me/phones + the add_phone code from the sink + verify; returns the
    verify Response."""
    r = st.request("POST", "/v1/me/phones", json={"phone": phone}, headers=bearer(token))
    assert r.status == 200, "POST /v1/me/phones: %s %r %s" % (r.status, r.body, st.dead())
    code = st.last_otp(phone, "add_phone")
    v = st.request("POST", "/v1/me/phones/verify", json={"code": code}, headers=bearer(token))
    assert v.status == 200, "POST /v1/me/phones/verify: %s %r %s" % (v.status, v.body, st.dead())
    return v


def start_reset(st, id_number, phone, captcha_id=None, captcha_answer="TEST"):
    body = {"id_number": id_number, "phone": phone,
            "captcha_id": captcha_id if captcha_id is not None else st.captcha(),
            "captcha_answer": captcha_answer}
    return st.request("POST", "/v1/password-resets", json=body)


def reset_step(st, reset_id, step, body=None):
    return st.request("POST", "/v1/password-resets/%s/%s" % (reset_id, step), json=body)


def timed(fn):
    """(seconds, result of fn())."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def median(values):
    return statistics.median(values)


def similar_times(series, factor=2.0, slack=0.005):
    """Whether the timing series (name -> seconds) look alike: the lower quartiles (load
    on a shared machine only ever adds time, so the low end is what the code costs)
    within factor of each other, or within slack seconds. Returns (ok, description)."""
    low = {k: statistics.quantiles(v, n=4)[0] for k, v in series.items()}
    lo, hi = min(low.values()), max(low.values())
    ok = hi <= lo * factor or hi - lo <= slack
    desc = "lower quartiles (ms) %r, medians (ms) %r" % (
        {k: round(v * 1e3, 1) for k, v in low.items()},
        {k: round(statistics.median(v) * 1e3, 1) for k, v in series.items()})
    return ok, desc


def alike_in_time(measure, rounds=3, factor=2.0, slack=0.005):
    """similar_times over the series measure() returns, measured again up to rounds
    times while they differ: a load spike on a shared machine passes on a later round,
    a cost the code really adds shows in every round. Returns (ok, description)."""
    seen = []
    for _ in range(rounds):
        ok, desc = similar_times(measure(), factor, slack)
        if ok:
            return True, desc
        seen.append(desc)
    return False, "in each of %d rounds: %s" % (rounds, " | ".join(seen))


def wait_until(deadline):
    """Sleeps until time.monotonic() reaches deadline."""
    left = deadline - time.monotonic()
    if left > 0:
        time.sleep(left)


# ---- JWT and openssl --------------------------------------------------------------------


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwt_parts(token):
    """(header dict, payload dict, signing input bytes, signature bytes)."""
    head, payload, sig = token.split(".")
    return (json.loads(b64url_decode(head)), json.loads(b64url_decode(payload)),
            ("%s.%s" % (head, payload)).encode("ascii"), b64url_decode(sig))


# RFC 8410: SubjectPublicKeyInfo of an Ed25519 key is this DER prefix + the 32 raw bytes.
_ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def ed25519_pem(x):
    """The PEM "PUBLIC KEY" of a JWK's x (base64url of the raw 32-byte key)."""
    raw = b64url_decode(x)
    assert len(raw) == 32, "an Ed25519 public key is 32 bytes, x gives %d" % len(raw)
    der = base64.b64encode(_ED25519_SPKI_PREFIX + raw).decode("ascii")
    lines = [der[i:i + 64] for i in range(0, len(der), 64)]
    return "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n" % "\n".join(lines)


def openssl_verify(x, signing_input, signature):
    """Verifies an Ed25519 signature with `openssl pkeyutl -verify -rawin`; returns
    (ok, openssl's output)."""
    with tempfile.TemporaryDirectory(prefix="dvcid-jwt-") as d:
        pem, data, sig = (os.path.join(d, n) for n in ("pub.pem", "input", "sig.bin"))
        with open(pem, "w", encoding="ascii") as f:
            f.write(ed25519_pem(x))
        with open(data, "wb") as f:
            f.write(signing_input)
        with open(sig, "wb") as f:
            f.write(signature)
        p = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pem,
                            "-rawin", "-in", data, "-sigfile", sig],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30,
                           check=False)
        out = p.stdout.decode("utf-8", "replace")
        return p.returncode == 0 and "Signature Verified Successfully" in out, out


# ---- assertions -------------------------------------------------------------------------


class SigninTestCase(StackTestCase):
    """A StackTestCase with the assertions of the sign-in tests."""

    OTP_TTL = 300
    RESEND_AFTER = 60

    def check_otp_object(self, otp, phone, what):
        self.assertIsInstance(otp, dict, "%s: otp %r" % (what, otp))
        self.assertEqual(set(otp), {"phone_masked", "length", "expires_in", "resend_after"},
                         "%s: otp keys %r" % (what, otp))
        self.assertEqual(otp.get("phone_masked"), mask_phone(phone), "%s: %r" % (what, otp))
        self.assertEqual(otp.get("length"), 6, "%s: %r" % (what, otp))
        self.assertIsInstance(otp.get("expires_in"), int, "%s: %r" % (what, otp))
        self.assertTrue(self.OTP_TTL - 2 <= otp["expires_in"] <= self.OTP_TTL,
                        "%s: expires_in %r" % (what, otp))
        self.assertIsInstance(otp.get("resend_after"), int, "%s: %r" % (what, otp))
        self.assertTrue(max(0, self.RESEND_AFTER - 2) <= otp["resend_after"] <= self.RESEND_AFTER,
                        "%s: resend_after %r" % (what, otp))

    def check_sms(self, phone, purpose, what):
        """Waits for the next SMS to phone for purpose; checks it and returns its code."""
        line = self.stack.last_otp_line(phone, purpose)
        self.assertEqual(line.get("to"), e164(phone), "%s: %r" % (what, line))
        self.assertEqual(line.get("purpose"), purpose, "%s: %r" % (what, line))
        code = otp_code(line)
        self.assertRegex(code, r"^\d{6}$", "%s: the code has 6 digits: %r" % (what, line))
        return code

    def check_session_answer(self, r, what="verify"):
        """200 {session: {token, expires_in}, access_token, token_type: "Bearer"} with the
        session cookie; returns the token."""
        self.assertStatus(r, 200, what)
        self.assertEqual(set(r.body), {"session", "access_token", "token_type"},
                         "%s: keys %r" % (what, r.body))
        self.assertEqual(r.body["token_type"], "Bearer", what)
        sess = r.body["session"]
        self.assertIsInstance(sess, dict, "%s: %r" % (what, r.body))
        self.assertEqual(set(sess), {"token", "expires_in"}, "%s: %r" % (what, sess))
        token = sess["token"]
        self.assertIsInstance(token, str, what)
        # 256 random bits: at least 43 base64url characters (or 64 hex).
        self.assertRegex(token, r"^[A-Za-z0-9_-]{43,}$", "%s: token shape" % what)
        self.assertIsInstance(sess["expires_in"], int, "%s: %r" % (what, sess))
        self.assertGreater(sess["expires_in"], 0, "%s: %r" % (what, sess))
        self.assertIsInstance(r.body["access_token"], str, what)
        self.assertEqual(r.body["access_token"].count("."), 2,
                         "%s: access_token is a compact JWS" % what)
        cookies = r.headers.get_all("Set-Cookie") or []
        ours = [c for c in cookies if c.strip().startswith(COOKIE_NAME + "=")]
        self.assertEqual(len(ours), 1, "%s: one %s cookie in %r" % (what, COOKIE_NAME, cookies))
        parts = [p.strip() for p in ours[0].split(";")]
        self.assertEqual(parts[0], "%s=%s" % (COOKIE_NAME, token),
                         "%s: the cookie holds the same token" % what)
        attrs = {p.split("=", 1)[0].lower(): (p.split("=", 1) + [""])[1] for p in parts[1:]}
        self.assertIn("httponly", attrs, "%s: cookie %r" % (what, ours[0]))
        self.assertEqual(attrs.get("samesite", "").lower(), "lax", "%s: cookie %r"
                         % (what, ours[0]))
        return token

    def check_me(self, r, acc, phones, what="GET /v1/me"):
        """200 {id_number, full_name, phones: [{phone_masked, primary}]}; phones is a list of
        (national phone, primary) in any order."""
        self.assertStatus(r, 200, what)
        self.assertEqual(set(r.body), {"id_number", "full_name", "phones"}, "%s: %r"
                         % (what, r.body))
        self.assertEqual(r.body["id_number"], acc["id_number"], what)
        self.assertIsInstance(r.body["full_name"], str, what)
        self.assertTrue(r.body["full_name"], what)
        self.check_phone_list(r.body["phones"], phones, what)

    def check_phone_list(self, got, phones, what):
        self.assertIsInstance(got, list, "%s: phones %r" % (what, got))
        for p in got:
            self.assertIsInstance(p, dict, "%s: %r" % (what, got))
            self.assertEqual(set(p), {"phone_masked", "primary"}, "%s: %r" % (what, got))
            self.assertIsInstance(p["primary"], bool, "%s: %r" % (what, got))
        want = sorted((mask_phone(ph), bool(pr)) for ph, pr in phones)
        have = sorted((p["phone_masked"], p["primary"]) for p in got)
        self.assertEqual(have, want, "%s: phones" % what)

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

    def assertAttemptsLeft(self, r, left, what=""):
        err = self.assertError(r, 400, "otp_invalid", what)
        self.assertEqual(err.get("attempts_left"), left, "%s: %r" % (what, err))

    def assertUnauthorized(self, r, what=""):
        self.assertError(r, 401, "unauthorized", what)
