"""Cross-site request forgery (issue 21 part 2): a POST without a body needs no content
type, so before gw_csrf a page on another site, or on a sibling subdomain (same-site, so
the SameSite=Lax session cookie goes along), could log a user out or spend sends. Every
POST now is refused 403 cross_site when the browser says it comes from elsewhere
(Sec-Fetch-Site cross-site/same-site, an Origin neither the gateway's own nor in
gateway.allowed_origins); requests with neither header (curl, servers) go on. And the
session cookie is Secure by default (gateway.cookie_secure = true)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from signin_helpers import (ROOMY_OTP, SigninTestCase, cookie, me,  # noqa: E402
                            register_account, sign_in)

PORTAL = "https://portal.example.vn"


class CsrfTest(SigninTestCase):
    stack_config = {"otp": ROOMY_OTP, "gateway": {"allowed_origins": PORTAL}}

    def own_origin(self):
        return "http://127.0.0.1:%d" % self.stack.port

    def test_cross_site_logout_is_refused(self):
        st = self.stack
        s = sign_in(st, register_account(st))
        attacks = (
            ({"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, "another site"),
            ({"Origin": "https://forum.dichvucong.example", "Sec-Fetch-Site": "same-site"},
             "a sibling subdomain"),
            ({"Origin": "https://evil.example"}, "an older browser: Origin only"),
            ({"Origin": "null"}, "a sandboxed frame"),
        )
        for headers, what in attacks:
            h = dict(cookie(s["token"]), **headers)
            r = st.request("POST", "/v1/logout", headers=h)
            self.assertError(r, 403, "cross_site", "logout from %s" % what)
            self.assertStatus(me(st, s["token"]), 200, "the session lives after %s" % what)
        # The gateway's own page, a configured portal, and curl (no browser headers).
        s2 = sign_in(st, register_account(st))
        r = st.request("POST", "/v1/logout", headers=dict(
            cookie(s["token"]), Origin=self.own_origin(), **{"Sec-Fetch-Site": "same-origin"}))
        self.assertStatus(r, 204, "logout from the gateway's own page")
        self.assertStatus(me(st, s["token"]), 401, "that session ended")
        r = st.request("POST", "/v1/logout", headers=dict(cookie(s2["token"]), Origin=PORTAL,
                                                          **{"Sec-Fetch-Site": "cross-site"}))
        self.assertStatus(r, 204, "logout from an allowed origin")
        s3 = sign_in(st, register_account(st))
        r = st.request("POST", "/v1/logout", headers=cookie(s3["token"]))
        self.assertStatus(r, 204, "logout with neither header (curl)")

    def test_every_post_is_checked(self):
        st = self.stack
        evil = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
        r = st.request("POST", "/v1/captcha", headers=evil)
        self.assertError(r, 403, "cross_site", "captcha from another site")
        r = st.request("POST", "/v1/logins", json={"id_number": "001099012345"}, headers=evil)
        self.assertError(r, 403, "cross_site", "a JSON POST from another site")
        r = st.request("POST", "/v1/registrations/%s/otp/resend" % ("a" * 32), headers=evil)
        self.assertError(r, 403, "cross_site", "resend from another site")
        # Reading is not a change: GET answers as before.
        r = st.request("GET", "/healthz", headers=evil)
        self.assertStatus(r, 200, "GET from another site")
        r = st.request("POST", "/v1/captcha", headers={"Origin": self.own_origin()})
        self.assertStatus(r, 201, "captcha from our own origin")

    def test_cookie_secure_by_default(self):
        s = sign_in(self.stack, register_account(self.stack))
        cookies = s["answer"].headers.get_all("Set-Cookie") or []
        self.assertTrue(cookies and all("secure" in [p.strip().lower() for p in c.split(";")]
                                        for c in cookies),
                        "the session cookie is Secure by default: %r" % cookies)


if __name__ == "__main__":
    unittest.main()
