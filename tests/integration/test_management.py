"""The gateway's management listener (issue 21.3): with the production defaults
(gateway.public_metrics = false) the public listener answers /metrics with 404 and /readyz
with the status only, while gateway.management_listen serves /metrics and /readyz with
every backend instance's state, and nothing of the API."""
import http.client
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvcid_stack import StackTestCase, free_port  # noqa: E402

MPORT = free_port()


def mget(path, method="GET"):
    conn = http.client.HTTPConnection("127.0.0.1", MPORT, timeout=10)
    try:
        conn.request(method, path)
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8")
    finally:
        conn.close()


class ManagementTest(StackTestCase):
    stack_config = {"gateway": {"management_listen": "127.0.0.1:%d" % MPORT,
                                "public_metrics": "false"}}

    def test_public_listener_hides_details(self):
        st = self.stack
        r = st.request("GET", "/metrics")
        self.assertError(r, 404, "not_found", "public /metrics")
        r = st.request("GET", "/readyz")
        self.assertStatus(r, 200, "public /readyz")
        self.assertEqual(r.body, {"status": "ready"}, "the status and nothing else")
        self.assertStatus(st.request("GET", "/healthz"), 200, "public /healthz")

    def test_management_listener_serves_ops(self):
        status, text = mget("/metrics")
        self.assertEqual(status, 200, text)
        for service in ("gateway", "account-svc", "otp-svc", "sms-worker"):
            self.assertIn('dvcid_build_info{service="%s",instance="0-0"' % service, text)
        status, text = mget("/readyz")
        self.assertEqual(status, 200, text)
        body = json.loads(text)
        self.assertEqual(body["status"], "ready")
        self.assertEqual(sorted((b["service"], b["instance"], b["up"]) for b in body["backends"]),
                         [("account-svc", "0-0", True), ("otp-svc", "0-0", True),
                          ("sms-worker", "0-0", True)])
        self.assertEqual(mget("/healthz")[0], 200)
        # Nothing of the API or the page there.
        self.assertEqual(mget("/v1/captcha", "POST")[0], 404)
        self.assertEqual(mget("/")[0], 404)

    def test_management_readyz_names_the_dead(self):
        st = self.stack
        st.stop("sms-worker")
        try:
            status, text = mget("/readyz")
            self.assertEqual(status, 503, text)
            body = json.loads(text)
            self.assertEqual(body["status"], "unavailable")
            up = {(b["service"], b["instance"]): b["up"] for b in body["backends"]}
            self.assertEqual(up, {("account-svc", "0-0"): True, ("otp-svc", "0-0"): True,
                                  ("sms-worker", "0-0"): False})
            r = st.request("GET", "/readyz")
            self.assertEqual((r.status, r.body), (503, {"status": "unavailable"}),
                             "public: still the status only")
        finally:
            st.start("sms-worker")
            st.wait_ready()


if __name__ == "__main__":
    unittest.main()
