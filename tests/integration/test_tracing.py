"""Logs and tracing (issue 18.4): the gateway takes a caller's W3C traceparent (or its
X-Request-Id) as the trace of the request, answers with it, and passes it through every
hop in the envelope's trace_id, so the log lines of all four processes carry it; with
[log] format = json every line of every process is one JSON object."""
import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvcid_stack import FULL_NAME, StackTestCase, new_identity, new_phone  # noqa: E402

PROCESSES = ("gateway", "account-svc", "otp-svc", "sms-worker")
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00-%s-00f067aa0ba902b7-01" % TRACE_ID


class TracingTest(StackTestCase):
    # debug: the ordinary request lines are debug (gw_http.c); json: the format under test.
    stack_config = {"log": {"level": "debug", "format": "json"}}

    def log_records(self, name):
        """Every line of name's log, each parsed as JSON (a line that is not fails)."""
        records = []
        with open(self.stack.log_path(name), encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except ValueError as e:
                    self.fail("%s log line %d is not JSON (%s): %r" % (name, n, e, line))
                self.assertIsInstance(rec, dict, line)
                for key in ("ts", "level", "service", "msg"):
                    self.assertIn(key, rec, "%s line %d" % (name, n))
                self.assertRegex(rec["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
                self.assertIn(rec["level"], ("debug", "info", "warn", "error"))
                records.append(rec)
        return records

    def wait_traced(self, trace, want, timeout=5):
        """{process: [its records with trace]} once for every process of want one of
        them holds its message part (want: {process: text}), or at timeout."""
        deadline = time.time() + timeout
        while True:
            found = {n: [r for r in self.log_records(n) if r.get("trace") == trace]
                     for n in PROCESSES}
            if all(any(text in r["msg"] for r in found[n]) for n, text in want.items()):
                return found
            if time.time() > deadline:
                self.fail("trace %s: wanted %r, found %r" % (trace, want, found))
            time.sleep(0.2)

    def test_traceparent_reaches_every_process(self):
        st = self.stack
        hdr = {"traceparent": PARENT}
        cap = st.request("POST", "/v1/captcha", headers=hdr)
        self.assertStatus(cap, 201, "captcha")
        id_number, birth = new_identity()
        r = st.request("POST", "/v1/registrations", headers=hdr, json={
            "id_number": id_number, "full_name": FULL_NAME,
            "date_of_birth": birth, "phone": new_phone(),
            "captcha_id": cap.body["captcha_id"], "captcha_answer": "TEST"})
        self.assertStatus(r, 201, "registration start")
        self.assertEqual(r.headers.get("X-Request-Id"), TRACE_ID)
        tp = r.headers.get("traceparent", "")
        m = re.fullmatch(r"00-([0-9a-f]{32})-([0-9a-f]{16})-01", tp)
        self.assertTrue(m, "answer's traceparent: %r" % tp)
        self.assertEqual(m.group(1), TRACE_ID, "the caller's trace id")
        self.assertNotEqual(m.group(2), "00f067aa0ba902b7", "the gateway's own span")
        # The hops' lines: the gateway's request, the registration, the code, the SMS.
        found = self.wait_traced(TRACE_ID, {
            "gateway": "POST /v1/registrations 201", "account-svc": "registration",
            "otp-svc": "otp sent", "sms-worker": "sms queued"})
        for name in PROCESSES:
            self.assertEqual({rec["service"] for rec in found[name]}, {name})
        # No phone number, ID number or code in clear on any traced line.
        for recs in found.values():
            for rec in recs:
                self.assertNotIn(id_number, rec["msg"])

    def test_request_id_and_fresh_ids(self):
        st = self.stack
        r = st.request("POST", "/v1/captcha", headers={"X-Request-Id": "portal-req-7"})
        self.assertStatus(r, 201, "captcha")
        self.assertEqual(r.headers.get("X-Request-Id"), "portal-req-7")
        self.assertIsNone(r.headers.get("traceparent"), "not a W3C trace: no traceparent")
        self.wait_traced("portal-req-7", {"gateway": "POST /v1/captcha 201"})

        # Malformed headers are ignored, never echoed: a fresh W3C trace instead.
        r = st.request("POST", "/v1/captcha", headers={
            "X-Request-Id": "bad id\"<script>", "traceparent": "00-%s-00f067aa0ba902b7-01" % ("0" * 32)})
        self.assertStatus(r, 201, "captcha")
        rid = r.headers.get("X-Request-Id", "")
        self.assertRegex(rid, r"^[0-9a-f]{32}$")
        self.assertNotEqual(rid, "0" * 32)
        self.assertRegex(r.headers.get("traceparent", ""), r"^00-%s-[0-9a-f]{16}-00$" % rid)
        # Errors and the page's own files carry them too.
        for path in ("/v1/nothing-here", "/"):
            r = st.request("GET", path, headers={"traceparent": PARENT})
            self.assertEqual(r.headers.get("X-Request-Id"), TRACE_ID, path)
            self.assertTrue(r.headers.get("traceparent", "").startswith("00-" + TRACE_ID), path)


if __name__ == "__main__":
    unittest.main()
