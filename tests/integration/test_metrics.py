"""GET /metrics (issue 5): one Prometheus exposition covering all four services,
with requests by route and status, OTP events, SMS counts, batch sizes, LMDB use and
argon2 time; each metric family described once."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvcid_stack import StackTestCase  # noqa: E402


class MetricsTest(StackTestCase):
    def test_metrics_cover_all_services(self):
        st = self.stack
        st.register()
        r = st.request("GET", "/metrics")
        self.assertStatus(r, 200, "/metrics")
        self.assertTrue(r.headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        text = r.body
        for service in ("gateway", "account-svc", "otp-svc", "sms-worker"):
            self.assertIn('service="%s"' % service, text, "series of %s" % service)
        for needle in (
                'dvcid_http_requests_total{service="gateway",instance="0-0",route="/v1/registrations",'
                'status="201"} 1',
                'dvcid_requests_total{service="account-svc",instance="0-0",op="reg_password",status="ok"} 1',
                'dvcid_otp_events_total{service="otp-svc",instance="0-0",event="issued",purpose="REGISTER"} 1',
                'dvcid_otp_events_total{service="otp-svc",instance="0-0",event="verified",purpose="REGISTER"} 1',
                'dvcid_argon2_seconds_count{service="account-svc",instance="0-0",op="hash"} 1',
                'dvcid_lmdb_used_bytes{service="otp-svc",instance="0-0"}',
                'dvcid_batch_items_bucket{service="account-svc",instance="0-0",le="1"}'):
            self.assertIn(needle, text)
        types = re.findall(r"^# TYPE (\S+) ", text, re.M)
        self.assertEqual(len(types), len(set(types)), "one TYPE line per family")
        helps = set(re.findall(r"^# HELP (\S+) ", text, re.M))
        self.assertEqual(set(types) - helps, set(), "a HELP line on every family")
        # Every series names its process: service and instance (issue 20.1).
        for line in text.splitlines():
            if line and not line.startswith("#") and not line.startswith("dvcid_backend_up"):
                self.assertRegex(line, r'^[a-z_0-9]+\{service="[a-z-]+",instance="\d+-\d+"')
        for service in ("account-svc", "otp-svc", "sms-worker"):
            self.assertIn('dvcid_backend_up{service="%s",instance="0-0"} 1' % service, text)
        # Every sample line parses as name{labels} value.
        for line in text.splitlines():
            if line and not line.startswith("#"):
                self.assertRegex(line, r'^[a-z_0-9]+\{(?:[a-z_]+="[^"]*",?)*\} '
                                       r'(?:-?[0-9.]+(?:e[+-]?[0-9]+)?|\+Inf)$')

    def test_metrics_without_backends(self):
        st = self.stack
        st.stop("account-svc")
        try:
            r = st.request("GET", "/metrics")
            self.assertStatus(r, 200, "the gateway's own metrics answer alone")
            self.assertIn('service="gateway"', r.body)
            self.assertNotIn('dvcid_requests_total{service="otp-svc"', r.body)
            # The backends missing are not a hole: each says it is down.
            for service in ("account-svc", "otp-svc", "sms-worker"):
                self.assertIn('dvcid_backend_up{service="%s",instance="0-0"} 0' % service,
                              r.body)
        finally:
            st.start("account-svc")
            st.wait_ready()


if __name__ == "__main__":
    unittest.main()
