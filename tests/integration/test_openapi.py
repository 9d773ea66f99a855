"""docs/openapi.yaml stays true (issue 18.2): the routes it lists are the gateway's, and
every answer of every route, driven through its main successes and errors on a real
stack, is one the spec describes (status, headers, content type, JSON body by Draft
2020-12 with the components resolved).

SourceTest reads the gateway's own tables (gateway/gw_routes.c, gateway/gw_errors.c,
gateway/www/) and the spec; AnswersTest asks a running gateway: every spec path answers
405 with the spec's methods in Allow to a method no route takes (a path the gateway did
not serve would be 404), then each flow runs, each answer checked by openapi_spec.Spec.
Argon2 runs about ten times in all (two registrations, six sign-in passwords, a reset),
so the test stays short under ASan. Every (operation, status) validated is recorded, and
the last test wants each operation seen with a success and with an error.
"""

import json
import os
import re
import sys
import time
import unittest

import jsonschema
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import (PASSWORD, Response, StackTestCase, new_identity,  # noqa: E402
                         new_phone)
from openapi_spec import SRC, Spec  # noqa: E402

NEW_PASSWORD = "M0i!MatKhau2025"


def wrong(code):
    """A code of the same length that is not code."""
    return "%0*d" % (len(code), (int(code) + 1) % 10 ** len(code))


def read(rel):
    with open(os.path.join(SRC, rel), encoding="utf-8") as f:
        return f.read()


def source_routes():
    """{(METHOD, pattern)} of gateway/gw_routes.c's table, plus the page files."""
    text = read("gateway/gw_routes.c")
    table = text[text.index("s_routes[] = {"):]
    table = table[:table.index("\n};")]
    routes = set()
    for kind, pattern in re.findall(r"\b(POST|GET|LOCAL)\(\s*\"([^\"]+)\"", table):
        routes.add(("POST" if kind == "POST" else "GET", pattern))
    assert len(routes) > 20, "the route table was not read: %r" % routes
    routes.add(("GET", "/static/{id}"))  # gw_page: /static/<a file of gateway/www/>
    return routes


def page_files():
    www = os.path.join(SRC, "gateway", "www")
    out = []
    for root, _, files in os.walk(www):
        for name in files:
            if not name.startswith("."):
                out.append(os.path.relpath(os.path.join(root, name), www))
    return sorted(out)


class SourceTest(unittest.TestCase):
    """The spec against the gateway's source: nothing to start."""

    @classmethod
    def setUpClass(cls):
        cls.spec = Spec.load()

    def test_yaml_parses_as_openapi_31(self):
        with open(os.path.join(SRC, "docs", "openapi.yaml"), encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        self.assertEqual(doc["openapi"], "3.1.0")
        for key in ("info", "paths", "components"):
            self.assertIn(key, doc)
        ids = [op["operationId"] for _, _, _, op in self.spec.ops]
        self.assertEqual(len(ids), len(set(ids)), "operationIds are unique")
        # Every schema is a Draft 2020-12 schema once its $refs are resolved.
        for name in doc["components"]["schemas"]:
            jsonschema.Draft202012Validator.check_schema(self.spec.schema(name))

    def test_every_route_and_only_routes(self):
        routes, spec = source_routes(), self.spec.paths()
        self.assertEqual(sorted(routes - spec), [],
                         "routes of gateway/gw_routes.c missing from docs/openapi.yaml")
        self.assertEqual(sorted(spec - routes), [],
                         "paths in docs/openapi.yaml the gateway does not serve")

    def test_page_files_listed(self):
        param = self.spec.resolve(self.spec.doc["paths"]["/static/{file}"]["get"]["parameters"])
        enum = [p for p in param if p.get("name") == "file"][0]["schema"]["enum"]
        self.assertEqual(sorted(enum), page_files(), "gateway/www/ vs /static/{file}")

    def test_error_codes_match_the_table(self):
        text = read("gateway/gw_errors.c")
        table = set(re.findall(r"\{\s*(\d{3}),\s*\"([a-z_]+)\"", text))
        self.assertGreater(len(table), 20)
        enum = set(self.spec.schema("ErrorCode")["enum"])
        self.assertEqual(sorted(enum), sorted({c for _, c in table}),
                         "ErrorCode vs gateway/gw_errors.c")
        # Each code is allowed in the answer of its status wherever that status is listed.
        for _, template, method, op in self.spec.ops:
            if template == "/readyz":
                continue  # its 503 is the readiness document, not an error
            for status, resp in op["responses"].items():
                media = self.spec.resolve(resp).get("content", {}).get("application/json")
                if not media or not status.startswith(("4", "5")):
                    continue
                for http, code in table:
                    if str(http) != status:
                        continue
                    body = {"error": {"code": code, "message": "Lỗi"}}
                    if code == "validation_failed":
                        body["error"]["details"] = [{"field": "phone", "code": "invalid"}]
                    if code == "account_locked":
                        body["error"]["retry_after"] = 5
                    ok = jsonschema.Draft202012Validator(media["schema"]).is_valid(body)
                    generic = code in ("internal", "unavailable", "method_not_allowed",
                                       "payload_too_large", "unsupported_media_type",
                                       "cross_site", "not_found", "timeout",
                                       "invalid_request")
                    if generic:
                        self.assertTrue(ok, "%s %s %s must allow %s" % (
                            method, template, status, code))

    def test_generic_answers_listed(self):
        """What the HTTP layer answers for any route is in every route's list."""
        for _, template, method, op in self.spec.ops:
            have = set(op["responses"])
            if template == "/static/{file}":
                continue  # the page's files: not the route table, no 405
            need = {"405"}
            backend = template not in ("/", "/healthz", "/.well-known/openid-configuration",
                                       "/readyz")
            if backend and template != "/metrics":
                need |= {"500", "503", "504"}
            if method == "POST":
                need |= {"400", "403", "413", "415"}
            if "{" in template:
                need.add("404")
            self.assertEqual(sorted(need - have), [], "%s %s" % (method, template))


class AnswersTest(StackTestCase):
    """Every route driven on a real stack; every answer validated."""

    stack_config = {
        "otp": {"resend_after": 1, "max_sends_per_phone_hour": 100,
                "max_sends_per_ip_hour": 5000, "max_sends_per_prefix_hour": 5000},
        "login": {"max_failures": 2},
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.spec = Spec.load()

    # ---- one request, checked -------------------------------------------------------

    def call(self, method, path, body=None, status=None, code=None, **kw):
        st = self.stack
        r = st.request(method, path, json=body, **kw)
        self.spec.check(method, path, r)
        if status is not None:
            got = (r.status, r.body.get("error", {}).get("code")
                   if isinstance(r.body, dict) else None)
            self.assertEqual(got[0], status, "%s %s: %d %r%s" % (
                method, path, r.status, r.body, self._dead()))
            if code is not None:
                self.assertEqual(got[1], code, "%s %s: %r" % (method, path, r.body))
        if 200 <= r.status < 300 and kw.get("raw") is None:
            self.spec.check_request(method, path, body)
        return r

    def resend(self, path, **kw):
        """POST path (a resend or method switch) until otp.resend_after (1 s) has passed:
        the first try, right after a code, is the 429 rate_limited of the spec."""
        for _ in range(4):
            r = self.call("POST", path, **kw)
            if r.status != 429:
                return r
            time.sleep(min(2, r.body["error"]["retry_after"]) + 0.05)
        return r

    def flow_step_errors(self, base, steps, headers=None):
        """For each (step, body) of the flow at base: 404 for a flow id nobody has, and
        what the gateway answers itself (common_post_errors)."""
        unknown = re.sub(r"/[0-9a-f]{32}$", "/" + "d" * 32, base)
        for step, body in steps:
            self.call("POST", "%s/%s" % (unknown, step), body, status=404, code="not_found",
                      headers=headers)
            self.common_post_errors("%s/%s" % (base, step), needs_body=body is not None,
                                    headers=headers)

    def resend_and_verify(self, phone, purpose, resend, verify, body=None, headers=None,
                          drop=True):
        """POST resend (a resend, method switch, new phone: body) until it is allowed,
        then a wrong code at verify (400 otp_invalid with attempts_left) and the right
        one. drop: a code went to phone for purpose before (it is skipped). Returns the
        answer of the right code."""
        st = self.stack
        if drop:
            st.last_otp(phone, purpose)
        r = self.resend(resend, body=body, headers=headers)
        self.assertEqual(r.status, 200, "%s: %r" % (resend, r.body))
        code = st.last_otp(phone, purpose)
        r = self.call("POST", verify, {"code": wrong(code)}, status=400, code="otp_invalid",
                      headers=headers)
        self.assertIn("attempts_left", r.body["error"])
        return self.call("POST", verify, {"code": code}, status=200, headers=headers)

    def captcha(self):
        return self.call("POST", "/v1/captcha", status=201).body["captcha_id"]

    def bearer(self, token):
        return {"Authorization": "Bearer " + token}

    def common_post_errors(self, path, needs_body, headers=None):
        """What the gateway answers itself, before any backend: 413, 415, 403, 400 (not
        an object, an unknown lang, and {} when the route needs fields)."""
        h = dict(headers or {})
        for raw, extra, status in ((b"{\"x\": \"" + b"a" * 70000 + b"\"}", {}, 413),
                                   ("{}", {"Content-Type": "text/plain"}, 415),
                                   ("[1, 2]", {}, 400)):
            self.call("POST", path, raw=raw, status=status, headers=dict(h, **extra))
        self.call("POST", path, status=403, code="cross_site", headers=dict(
            h, **{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}))
        if needs_body:
            r = self.call("POST", path, {}, status=400, code="invalid_request", headers=h)
            self.assertTrue(r.body["error"]["details"], path)
        r = self.call("POST", path, {"lang": "fr"}, status=400, code="invalid_request",
                      headers=h)
        self.assertIn({"field": "lang", "code": "invalid"}, r.body["error"]["details"])

    # ---- the tests ------------------------------------------------------------------

    def test_0_every_spec_path_is_served(self):
        """A method no route takes is 405 with Allow = the spec's methods for the path."""
        for template, item in self.spec.doc["paths"].items():
            if template.startswith("/static/"):
                continue
            path = re.sub(r"\{[^}]+\}", "0" * 32, template)
            r = self.stack.request("DELETE", path)
            self.spec.check("DELETE", path, r)
            self.assertEqual(r.status, 405, "DELETE %s: %d %r" % (path, r.status, r.body))
            allow = sorted(a.strip() for a in r.headers.get("Allow", "").split(","))
            want = sorted({m.upper() for m in item if m in ("get", "post")} |
                          ({"HEAD"} if "get" in item else set()))
            self.assertEqual(allow, want, "Allow of %s" % template)
            wrong = "POST" if "get" in item else "GET"
            self.call(wrong, path, status=405, code="method_not_allowed")
        r = self.stack.request("GET", "/v1/nothing-here")
        self.assertEqual(r.status, 404)
        self.spec.validate(r.body, self.spec.schema("Error404"), "an unknown route")

    def test_1_service_routes(self):
        st = self.stack
        page = self.call("GET", "/", status=200)
        self.call("GET", "/", status=304, headers={"If-None-Match": page.headers["ETag"]})
        for name in page_files():
            r = self.call("GET", "/static/" + name, status=200)
            self.call("GET", "/static/" + name, status=304,
                      headers={"If-None-Match": r.headers["ETag"]})
        self.call("GET", "/static/no-such-file.js", status=404, code="not_found")
        r = self.call("GET", "/healthz", status=200, headers={"X-Request-Id": "ops-check:1"})
        self.assertEqual(r.headers["X-Request-Id"], "ops-check:1")
        self.assertIsNone(r.headers.get("traceparent"), "no W3C trace, no traceparent")
        self.call("GET", "/readyz", status=200)
        self.call("GET", "/metrics", status=200)
        r = self.call("GET", "/.well-known/jwks.json", status=200)
        self.assertGreaterEqual(len(r.body["keys"]), 1)
        r = self.call("GET", "/.well-known/openid-configuration", status=200)
        self.assertEqual(r.body["jwks_uri"], "http://127.0.0.1:%d/.well-known/jwks.json"
                         % st.port)
        # A Host that is not host[:port] would steer a portal's key fetch: 400.
        conn = st.connection(10)
        try:
            conn.putrequest("GET", "/.well-known/openid-configuration", skip_host=True)
            conn.putheader("Host", "evil.example/steal")
            conn.endheaders()
            resp = conn.getresponse()
            r = Response(resp.status, resp.headers, json.loads(resp.read()))
        finally:
            conn.close()
        self.spec.check("GET", "/.well-known/openid-configuration", r)
        self.assertEqual((r.status, r.body["error"]["code"]), (400, "invalid_request"))
        r = st.request("HEAD", "/healthz")
        self.spec.check("HEAD", "/healthz", r)

    def test_2_registration(self):
        self.common_post_errors("/v1/captcha", needs_body=False)
        self.common_post_errors("/v1/registrations", needs_body=True)
        idn, dob = new_identity()
        phone = new_phone()
        body = {"id_number": idn, "full_name": "Nguyễn Văn An", "date_of_birth": dob,
                "phone": phone, "captcha_id": self.captcha(), "captcha_answer": "TEST"}
        r = self.call("POST", "/v1/registrations", dict(body, phone="0212345678"),
                      status=422, code="validation_failed")
        self.assertIn({"field": "phone", "code": "invalid"}, r.body["error"]["details"])
        self.call("POST", "/v1/registrations", dict(body, captcha_id=self.captcha(),
                                                    captcha_answer="WRONG"),
                  status=400, code="captcha_invalid")
        body["captcha_id"] = self.captcha()
        rid = self.call("POST", "/v1/registrations", body, status=201).body["registration_id"]
        base = "/v1/registrations/" + rid
        pw = {"password": PASSWORD, "password_confirm": PASSWORD}
        self.flow_step_errors(base, (("otp/resend", None), ("otp/verify", {"code": "123456"}),
                                     ("password", pw)))
        self.call("POST", base + "/password", pw, status=409, code="flow_state")
        r = self.resend_and_verify(phone, "register", base + "/otp/resend", base + "/otp/verify")
        self.assertEqual(r.body["state"], "otp_verified")
        r = self.call("POST", base + "/password", {"password": PASSWORD,
                                                   "password_confirm": PASSWORD + "x"},
                      status=422, code="validation_failed")
        self.call("POST", base + "/password", {"password": "short", "password_confirm":
                                               "short"}, status=422, code="validation_failed")
        self.call("POST", base + "/password", pw, status=201)
        body["captcha_id"] = self.captcha()
        self.call("POST", "/v1/registrations", body, status=409, code="account_exists")
        type(self).account = {"id_number": idn, "phone": phone, "dob": dob}

    def register(self):
        """A second account, by the same checked calls (no error paths)."""
        idn, dob = new_identity()
        phone = new_phone()
        rid = self.call("POST", "/v1/registrations", {
            "id_number": idn, "full_name": "Trần Thị Bình", "date_of_birth": dob,
            "phone": phone, "captcha_id": self.captcha(), "captcha_answer": "TEST",
            "lang": "en"}, status=201).body["registration_id"]
        code = self.stack.last_otp(phone, "register")
        self.call("POST", "/v1/registrations/%s/otp/verify" % rid, {"code": code}, status=200)
        self.call("POST", "/v1/registrations/%s/password" % rid,
                  {"password": PASSWORD, "password_confirm": PASSWORD}, status=201)
        return {"id_number": idn, "phone": phone}

    def login(self, acc, password=PASSWORD, status=201, code=None):
        return self.call("POST", "/v1/logins", {
            "id_number": acc["id_number"], "password": password,
            "captcha_id": self.captcha(), "captcha_answer": "TEST"}, status=status, code=code)

    def test_3_sign_in_me_logout_lost_phone(self):
        acc = self.account
        self.common_post_errors("/v1/logins", needs_body=True)
        self.call("POST", "/v1/logins", {"id_number": "12ab", "password": PASSWORD,
                                         "captcha_id": self.captcha(),
                                         "captcha_answer": "TEST"},
                  status=422, code="validation_failed")
        self.call("POST", "/v1/logins", {"id_number": acc["id_number"], "password": PASSWORD,
                                         "captcha_id": self.captcha(),
                                         "captcha_answer": "NOPE"},
                  status=400, code="captcha_invalid")
        self.login(acc, "Sai!MatKhau1", status=401, code="invalid_credentials")
        base = "/v1/logins/" + self.login(acc).body["login_id"]
        self.flow_step_errors(base, (("otp/resend", None), ("otp/method", {"method_id": "m0"}),
                                     ("otp/verify", {"code": "123456"}),
                                     ("phone", {"new_phone": new_phone()}),
                                     ("phone/verify", {"code": "123456"})))
        self.call("POST", base + "/otp/method", {"method_id": "m9"}, status=422,
                  code="validation_failed")
        r = self.resend_and_verify(acc["phone"], "login", base + "/otp/resend",
                                   base + "/otp/verify")
        token = r.body["session"]["token"]

        # the signed-in user
        self.call("GET", "/v1/me", status=401, code="unauthorized")
        self.call("GET", "/v1/me", status=401, code="unauthorized",
                  headers=self.bearer("0" * 64))
        self.call("GET", "/v1/me", status=200, headers=self.bearer(token))
        self.call("GET", "/v1/me", status=200, headers={"Cookie": "dvcid_session=" + token})
        for path in ("/v1/me/phones", "/v1/me/phones/verify"):
            self.call("POST", path, {"phone": new_phone(), "code": "123456"}, status=401,
                      code="unauthorized")
        auth = self.bearer(token)
        self.common_post_errors("/v1/me/phones", needs_body=True, headers=auth)
        self.common_post_errors("/v1/me/phones/verify", needs_body=True, headers=auth)
        self.call("POST", "/v1/me/phones", {"phone": "12345"}, status=422,
                  code="validation_failed", headers=auth)
        second = new_phone()
        r = self.resend_and_verify(second, "add_phone", "/v1/me/phones", "/v1/me/phones/verify",
                                   body={"phone": second}, headers=auth, drop=False)
        self.assertEqual(len(r.body["phones"]), 2)
        r = self.call("POST", "/v1/me/phones", {"phone": second}, status=422,
                      code="validation_failed", headers=auth)
        self.assertIn({"field": "phone", "code": "already_added"}, r.body["error"]["details"])
        self.call("POST", "/v1/me/phones/verify", {"code": "123456"}, status=409,
                  code="flow_state", headers=auth)

        # another sign-in, its code to the second phone, then logout
        r = self.login(acc)
        base = "/v1/logins/" + r.body["login_id"]
        other = [m for m in r.body["methods"] if not m["primary"]][0]["method_id"]
        r = self.resend_and_verify(second, "login", base + "/otp/method", base + "/otp/verify",
                                   body={"method_id": other}, drop=False)
        token2 = self.bearer(r.body["session"]["token"])
        self.common_post_errors("/v1/logout", needs_body=False, headers=token2)
        self.call("POST", "/v1/logout", status=204, headers=token2)
        self.call("POST", "/v1/logout", status=401, code="unauthorized", headers=token2)
        self.call("POST", "/v1/logout", status=401, code="unauthorized")

        # lost phone: a third sign-in proves a new number instead
        base = "/v1/logins/" + self.login(acc).body["login_id"]
        self.call("POST", base + "/phone", {"new_phone": "0243456789"}, status=422,
                  code="validation_failed")
        new = new_phone()
        r = self.resend_and_verify(new, "phone_change", base + "/phone", base + "/phone/verify",
                                   body={"new_phone": new}, drop=False)
        self.assertTrue(r.body["changed"])
        self.call("GET", "/v1/me", status=401, code="unauthorized", headers=auth)

    def test_4_password_reset_and_unlock(self):
        acc = self.register()
        self.common_post_errors("/v1/password-resets", needs_body=True)
        body = {"id_number": acc["id_number"], "phone": acc["phone"],
                "captcha_id": self.captcha(), "captcha_answer": "TEST"}
        self.call("POST", "/v1/password-resets", dict(body, phone="abc"), status=422,
                  code="validation_failed")
        self.call("POST", "/v1/password-resets", dict(body, captcha_answer="NOPE"),
                  status=400, code="captcha_invalid")
        decoy = dict(body, id_number=new_identity()[0], captcha_id=self.captcha())
        self.call("POST", "/v1/password-resets", decoy, status=202)
        body["captcha_id"] = self.captcha()
        base = "/v1/password-resets/" + self.call("POST", "/v1/password-resets", body,
                                                  status=202).body["reset_id"]
        pw = {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
        self.flow_step_errors(base, (("otp/resend", None), ("otp/verify", {"code": "123456"}),
                                     ("password", pw)))
        self.call("POST", base + "/password", pw, status=409, code="flow_state")
        r = self.resend_and_verify(acc["phone"], "password_reset", base + "/otp/resend",
                                   base + "/otp/verify")
        self.assertEqual(r.body["state"], "otp_verified")
        self.call("POST", base + "/password", dict(pw, password_confirm="x"), status=422,
                  code="validation_failed")
        r = self.call("POST", base + "/password", pw, status=200)
        self.assertEqual(r.body["state"], "done")

        # lock the ID (login.max_failures = 2), then lift the lock with the phone
        self.login(acc, "Sai!MatKhau1", status=401, code="invalid_credentials")
        self.login(acc, "Sai!MatKhau2", status=423, code="account_locked")
        self.login(acc, NEW_PASSWORD, status=423, code="account_locked")
        self.common_post_errors("/v1/unlocks", needs_body=True)
        body = {"id_number": acc["id_number"], "captcha_id": self.captcha(),
                "captcha_answer": "TEST"}
        self.call("POST", "/v1/unlocks", dict(body, id_number="x"), status=422,
                  code="validation_failed")
        self.call("POST", "/v1/unlocks", dict(body, captcha_answer="NOPE"), status=400,
                  code="captcha_invalid")
        body["captcha_id"] = self.captcha()
        base = "/v1/unlocks/" + self.call("POST", "/v1/unlocks", body,
                                          status=202).body["unlock_id"]
        self.flow_step_errors(base, (("otp/resend", None), ("otp/verify", {"code": "123456"})))
        r = self.resend_and_verify(acc["phone"], "unlock", base + "/otp/resend",
                                   base + "/otp/verify")
        self.assertEqual(r.body["state"], "unlocked")
        self.login(acc, NEW_PASSWORD, status=201)

    def test_5_codes_run_out(self):
        """otp.max_attempts (5) wrong codes: the last is 429 otp_attempts_exceeded."""
        r = self.stack.start_registration()
        self.spec.check("POST", "/v1/registrations", r)
        verify = "/v1/registrations/%s/otp/verify" % r.body["registration_id"]
        for _ in range(4):
            self.call("POST", verify, {"code": "000000"}, status=400, code="otp_invalid")
        self.call("POST", verify, {"code": "000000"}, status=429, code="otp_attempts_exceeded")

    def test_8_backend_down(self):
        """account-svc stopped: /readyz 503, and its routes 503 unavailable (or 504)."""
        st = self.stack
        st.stop("account-svc")
        try:
            deadline = time.monotonic() + 10
            while self.call("GET", "/readyz").status != 503:
                self.assertLess(time.monotonic(), deadline, "/readyz still 200")
                time.sleep(0.2)
            for method, path, headers in (("POST", "/v1/captcha", None),
                                          ("GET", "/.well-known/jwks.json", None),
                                          ("GET", "/v1/me", self.bearer("0" * 64))):
                r = self.call(method, path, headers=headers)
                self.assertIn(r.status, (503, 504), "%s %s: %r" % (method, path, r.body))
        finally:
            st.start("account-svc")
            st.wait_ready()

    def test_9_every_operation_answered(self):
        """Each operation was seen with a success and with an error, all validated."""
        missing = []
        for _, template, method, op in self.spec.ops:
            statuses = {s for o, s in self.spec.seen if o == op["operationId"]}
            if not any(s < 400 for s in statuses) or not any(s >= 400 for s in statuses):
                missing.append("%s %s: %s" % (method, template, sorted(statuses)))
        self.assertEqual(missing, [], "operations not driven through a success and an error")
        # The running gateway's own names of the routes it answered (its request counter is
        # labelled by route pattern): every route of the table, each one in the spec.
        text = self.stack.request("GET", "/metrics").body
        counted = set(re.findall(r'^dvcid_http_requests_total\{[^}]*route="([^"]+)",status="(\d+)"',
                                 text, re.M))
        patterns = {p for p, _ in counted if p != "other"}
        spec_paths = {p for _, p in self.spec.paths()}
        self.assertEqual(sorted(patterns - spec_paths), [], "routes the gateway counted")
        listed = {}
        for _, template, _, op in self.spec.ops:
            path = re.sub(r"\{[^}]+\}", "{id}", template)
            listed.setdefault(path, set()).update(op["responses"])
        self.assertEqual(sorted((p, s) for p, s in counted if p != "other" and
                                s not in listed[p]), [], "statuses the gateway counted")
        self.assertEqual(sorted(patterns), sorted({p for _, p in source_routes()} -
                                                  {"/static/{id}"}))


if __name__ == "__main__":
    unittest.main(verbosity=2)
