"""Sessions and access tokens (security.md "Accounts and sessions", api.md GET /v1/me,
POST /v1/logout, GET /.well-known/jwks.json): logout kills its session and only it;
/v1/me without a live session is 401; the JWKS holds Ed25519 keys; the access_token is
an EdDSA JWT with kid, iss, aud, an opaque sub, iat, exp and amr, whose signature
openssl (not our code) verifies with the JWKS key and refuses once tampered with; keys
are files of mode 0600 that survive a restart of account-svc."""

import json
import os
import re
import stat
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import PROCESSES, new_phone, otp_code  # noqa: E402
from signin_helpers import (COOKIE_NAME, NEW_PASSWORD, ROOMY_OTP,  # noqa: E402
                            SigninTestCase, add_phone, b64url_decode, b64url_encode, bearer,
                            cookie, jwt_parts, login_step, me, openssl_verify,
                            register_account, reset_step, sign_in, start_reset,
                            started_login)

ISSUER = "https://dichvucong.example.vn"
AUDIENCE = "dvc-portals-it"
ACCESS_TTL = 120
SESSION_TTL = 3600


class SessionsJwtTest(SigninTestCase):
    stack_config = {"otp": ROOMY_OTP,
                    "token": {"issuer": ISSUER, "audience": AUDIENCE,
                              "access_ttl": ACCESS_TTL, "session_ttl": SESSION_TTL}}

    def jwks(self):
        r = self.stack.request("GET", "/.well-known/jwks.json")
        self.assertStatus(r, 200, "GET /.well-known/jwks.json")
        self.assertTrue(r.headers.get("Content-Type", "").startswith("application/json"),
                        r.headers.get("Content-Type"))
        return r.body

    def key_for(self, kid):
        keys = [k for k in self.jwks()["keys"] if k.get("kid") == kid]
        self.assertEqual(len(keys), 1, "one JWKS key with kid %r" % kid)
        return keys[0]

    def test_logout(self):
        st = self.stack
        acc = register_account(st)
        s1, s2, s3 = sign_in(st, acc), sign_in(st, acc), sign_in(st, acc)
        r = st.request("POST", "/v1/logout", headers=bearer(s1["token"]))
        self.assertStatus(r, 204, "logout with Bearer")
        self.assertEqual(r.body, "", "204 has no body")
        cleared = [c for c in (r.headers.get_all("Set-Cookie") or [])
                   if c.strip().startswith(COOKIE_NAME + "=")]
        self.assertEqual(len(cleared), 1, "logout clears the cookie: %r"
                         % r.headers.get_all("Set-Cookie"))
        self.assertRegex(cleared[0].lower(), r"max-age=0|expires=thu, 01 jan 1970",
                         "the cleared cookie expires now: %r" % cleared[0])
        self.assertUnauthorized(me(st, s1["token"]), "me after logout")
        self.assertUnauthorized(st.request("GET", "/v1/me", headers=cookie(s1["token"])),
                                "me with the cookie after logout")
        r = st.request("POST", "/v1/logout", headers=bearer(s1["token"]))
        self.assertUnauthorized(r, "logout twice")
        # Only that session ended.
        self.assertStatus(me(st, s2["token"]), 200, "another session of the account")
        r = st.request("POST", "/v1/logout", headers=cookie(s2["token"]))
        self.assertStatus(r, 204, "logout with the cookie")
        self.assertUnauthorized(me(st, s2["token"]), "me after logout by cookie")
        self.assertStatus(me(st, s3["token"]), 200, "the third session")

    def test_no_session(self):
        st = self.stack
        for headers, what in (({}, "no token"),
                              (bearer("A" * 43), "an unknown token"),
                              (bearer(""), "an empty Bearer"),
                              (bearer("bad token with spaces"), "a malformed token"),
                              ({"Authorization": "Basic dXNlcjpwYXNz"}, "Basic"),
                              (cookie("B" * 43), "an unknown cookie"),
                              ({"Cookie": "other=1"}, "another cookie")):
            with self.subTest(what=what):
                self.assertUnauthorized(st.request("GET", "/v1/me", headers=headers),
                                        "GET /v1/me with %s" % what)
                self.assertUnauthorized(st.request("POST", "/v1/logout", headers=headers),
                                        "logout with %s" % what)
        # The access token is for other portals, not a session.
        acc = register_account(st)
        s = sign_in(st, acc)
        self.assertUnauthorized(me(st, s["access_token"]), "the access token as a session")

    def test_no_secret_at_rest_or_in_logs(self):
        # api.md section 5 and security.md "Logs": session tokens stored as hashes,
        # passwords as argon2id, codes as keyed hashes; none of them in a log.
        st = self.stack
        acc = register_account(st)
        sessions = [sign_in(st, acc) for _ in range(2)]
        codes = []
        for s in sessions:
            codes.append(st.sms_for(acc["phone"], "login")[-1]["text"])
        added = new_phone()
        add_phone(st, sessions[0]["token"], added)
        codes.append(st.sms_for(added, "add_phone")[-1]["text"])
        r = start_reset(st, acc["id_number"], acc["phone"])
        self.assertStatus(r, 202, "reset")
        reset_id = r.body["reset_id"]
        reset_code = st.last_otp(acc["phone"], "password_reset")
        self.assertStatus(reset_step(st, reset_id, "otp/verify", {"code": reset_code}), 200)
        self.assertStatus(reset_step(st, reset_id, "password", {
            "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}), 200)
        latest = sign_in(st, dict(acc, password=NEW_PASSWORD))
        sessions.append(latest)
        codes = sorted({otp_code({"text": t}) for t in codes} | {reset_code})

        for name in reversed(PROCESSES):
            st.stop(name)
        try:
            secrets = [s["token"].encode() for s in sessions]
            secrets += [s["access_token"].split(".")[2].encode() for s in sessions]
            secrets += [acc["password"].encode(), NEW_PASSWORD.encode()]
            secret_re = re.compile(b"|".join(re.escape(x) for x in secrets))
            code_re = re.compile(rb"(?<![0-9])(?:" + b"|".join(c.encode() for c in codes)
                                 + rb")(?![0-9])")
            hits = []
            for root, _, files in os.walk(st.var):
                for name in files:
                    path = os.path.join(root, name)
                    if os.path.realpath(path) == os.path.realpath(st.sink):
                        continue
                    with open(path, "rb") as f:
                        data = f.read()
                    hits += [(path, m.group()) for m in secret_re.finditer(data)]
                    hits += [(path, m.group(), data[max(0, m.start() - 24):m.end() + 24])
                             for m in code_re.finditer(data)
                             if _text_like(data[max(0, m.start() - 24):m.end() + 24])]
            self.assertEqual(hits, [], "secrets in clear under storage.dir")
            for name in PROCESSES:
                with open(st.log_path(name), "rb") as f:
                    log = f.read()
                self.assertEqual(secret_re.findall(log), [], "a token or password in the %s "
                                 "log" % name)
                self.assertEqual(code_re.findall(log), [], "an OTP code in the %s log" % name)
        finally:
            for name in PROCESSES:
                st.start(name)
            st.wait_ready()
        self.assertStatus(me(st, latest["token"]), 200, "the session after the restart")

    def test_session_answer(self):
        st = self.stack
        s = sign_in(st, register_account(st))
        self.check_session_answer(s["answer"])
        self.assertEqual(s["answer"].body["session"]["expires_in"], SESSION_TTL,
                         "expires_in is token.session_ttl")
        set_cookie = [c for c in s["answer"].headers.get_all("Set-Cookie")
                      if c.startswith(COOKIE_NAME + "=")][0]
        attrs = [a.strip().lower() for a in set_cookie.split(";")[1:]]
        self.assertIn("path=/", attrs, set_cookie)
        self.assertIn("max-age=%d" % SESSION_TTL, attrs, set_cookie)

    def test_jwks(self):
        body = self.jwks()
        self.assertEqual(set(body), {"keys"}, body)
        keys = body["keys"]
        self.assertIsInstance(keys, list, body)
        self.assertGreaterEqual(len(keys), 1, body)
        self.assertEqual(len({k.get("kid") for k in keys}), len(keys), "distinct kids")
        for k in keys:
            self.assertEqual(k.get("kty"), "OKP", k)
            self.assertEqual(k.get("crv"), "Ed25519", k)
            self.assertEqual(k.get("alg"), "EdDSA", k)
            self.assertIsInstance(k.get("kid"), str, k)
            self.assertTrue(k["kid"], k)
            self.assertRegex(k.get("x", ""), r"^[A-Za-z0-9_-]{43}$", "x is base64url: %r" % k)
            self.assertEqual(len(b64url_decode(k["x"])), 32, k)
            self.assertNotIn("d", k, "never the private key")

    def test_access_token(self):
        st = self.stack
        acc = register_account(st)
        before = int(time.time())
        s = sign_in(st, acc)
        after = int(time.time())
        header, claims, signing_input, sig = jwt_parts(s["access_token"])
        self.assertEqual(header.get("alg"), "EdDSA", header)
        self.assertIn(header.get("typ", "JWT"), ("JWT", "at+jwt"), header)
        key = self.key_for(header.get("kid"))

        for claim in ("iss", "aud", "sub", "iat", "exp", "amr"):
            self.assertIn(claim, claims, claims)
        self.assertEqual(claims["iss"], ISSUER, claims)
        aud = claims["aud"]
        self.assertIn(AUDIENCE, aud if isinstance(aud, list) else [aud], claims)
        self.assertIsInstance(claims["iat"], int, claims)
        self.assertIsInstance(claims["exp"], int, claims)
        self.assertTrue(before - 5 <= claims["iat"] <= after + 5, "iat is now: %r" % claims)
        self.assertGreater(claims["exp"], claims["iat"], claims)
        self.assertEqual(claims["exp"] - claims["iat"], ACCESS_TTL, "exp is token.access_ttl "
                         "after iat: %r" % claims)
        self.assertEqual(claims["amr"], ["pwd", "otp"], claims)
        sub = claims["sub"]
        self.assertIsInstance(sub, str, claims)
        self.assertTrue(sub, claims)
        self.assertNotEqual(sub, acc["id_number"], "sub is not the ID number")
        self.assertNotIn(acc["id_number"], json.dumps(claims), "the ID number is nowhere")
        self.assertNotIn(acc["id_number"][-6:], sub, "sub carries no part of the ID number")
        self.assertNotIn(acc["phone"][-7:], json.dumps(claims), "the phone is nowhere")

        # sub is stable for the account and differs between accounts.
        _, claims2, _, _ = jwt_parts(sign_in(st, acc)["access_token"])
        self.assertEqual(claims2["sub"], sub, "the same sub at every sign-in of an account")
        _, claims3, _, _ = jwt_parts(sign_in(st, register_account(st))["access_token"])
        self.assertNotEqual(claims3["sub"], sub, "another account, another sub")

        # The signature, by a tool that is not ours.
        ok, out = openssl_verify(key["x"], signing_input, sig)
        self.assertTrue(ok, "openssl refuses the access token's signature: %s" % out)
        head_b64, payload_b64, sig_b64 = s["access_token"].split(".")
        forged = dict(claims, sub=claims3["sub"])
        forged_b64 = b64url_encode(json.dumps(forged, separators=(",", ":")).encode())
        ok, out = openssl_verify(key["x"], ("%s.%s" % (head_b64, forged_b64)).encode(), sig)
        self.assertFalse(ok, "openssl accepts a tampered payload: %s" % out)
        flipped = bytes([sig[0] ^ 1]) + sig[1:]
        ok, out = openssl_verify(key["x"], signing_input, flipped)
        self.assertFalse(ok, "openssl accepts a tampered signature: %s" % out)

    def test_key_files_and_restarts(self):
        st = self.stack
        # Every key file under storage.dir is readable by its owner only (mode 0600).
        found = []
        for root, _, files in os.walk(st.var):
            for name in files:
                if name.endswith(".key"):
                    path = os.path.join(root, name)
                    found.append(path)
                    mode = stat.S_IMODE(os.stat(path).st_mode)
                    self.assertEqual(mode, 0o600, "%s has mode %o" % (path, mode))
        self.assertTrue(found, "no key file under %s" % st.var)

        acc = register_account(st)
        s = sign_in(st, acc)
        keys_before = self.jwks()["keys"]
        # Flows half done survive restarts too (api.md section 5): a sign-in waiting for
        # its code, a reset waiting for its code, a phone waiting to be added.
        waiting = register_account(st)
        login_id, _, login_code = started_login(st, waiting)
        r = start_reset(st, waiting["id_number"], waiting["phone"])
        self.assertStatus(r, 202, "reset")
        reset_id, reset_code = r.body["reset_id"], st.last_otp(waiting["phone"], "password_reset")
        added = new_phone()
        r = st.request("POST", "/v1/me/phones", json={"phone": added}, headers=bearer(s["token"]))
        self.assertStatus(r, 200, "add phone")
        add_code = st.last_otp(added, "add_phone")

        st.restart("otp-svc")
        st.restart("account-svc")

        self.check_session_answer(login_step(st, login_id, "otp/verify", {"code": login_code}),
                                  "a sign-in started before the restarts")
        r = reset_step(st, reset_id, "otp/verify", {"code": reset_code})
        self.assertStatus(r, 200, "a reset started before the restarts")
        r = st.request("POST", "/v1/me/phones/verify", json={"code": add_code},
                       headers=bearer(s["token"]))
        self.assertStatus(r, 200, "a phone added across the restarts")
        self.assertEqual(self.jwks()["keys"], keys_before, "the keys are loaded, not made anew")
        header, _, signing_input, sig = jwt_parts(s["access_token"])
        ok, out = openssl_verify(self.key_for(header["kid"])["x"], signing_input, sig)
        self.assertTrue(ok, "a token from before the restart verifies: %s" % out)
        self.assertStatus(me(st, s["token"]), 200, "a session survives a restart")
        s2 = sign_in(st, acc)
        header2 = jwt_parts(s2["access_token"])[0]
        self.assertEqual(header2["kid"], header["kid"], "the same key signs after the restart")


def _text_like(window):
    """True when the bytes around a hit look like text: a 6-digit run in random binary
    data happens by chance, one in a text record is a leak."""
    return sum(1 for b in window if 32 <= b < 127) >= len(window) * 0.8


if __name__ == "__main__":
    unittest.main()
