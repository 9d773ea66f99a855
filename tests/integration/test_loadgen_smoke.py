"""dvcid-load smoke (issue 7): the load generator works against the real stack and counts
right. No timing is asserted: only counts, which are exact for an open-loop run (every
arrival intended inside the window is counted once) and for failures by code."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import StackTestCase  # noqa: E402

TEST_CODE = "123456"


class LoadgenSmokeTest(StackTestCase):
    stack_config = {
        "otp": {"test_phone_prefix": "+8430", "test_code": TEST_CODE, "resend_after": 0,
                "max_sends_per_phone_hour": 1000000, "max_sends_per_ip_hour": 100000000,
                "max_sends_per_prefix_hour": 100000000},
        # Every flow comes from 127.0.0.1: no per-address limit of account-svc either.
        "account": {"max_registration_starts_per_ip_hour": 100000000},
        "captcha": {"max_per_ip_hour": 100000000},
    }

    def load(self, *args, expect_rc=0):
        """Runs dvcid-load against the stack with --json; returns the parsed result."""
        exe = os.path.join(self.stack.bindir, "dvcid-load")
        cmd = [exe, "--url", self.stack.url, "--test-code", TEST_CODE, "--captcha-answer", "TEST",
               "--phone-prefix", "+8430", "--json"] + list(args)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, expect_rc, "%s\n%s" % (" ".join(cmd), p.stderr))
        return json.loads(p.stdout)

    def assertNoFailures(self, r):
        self.assertEqual(r["requests"]["failed"], 0, json.dumps(r["steps"], indent=1))

    def test_open_loop_counts_every_arrival(self):
        r = self.load("--flow", "start", "--no-captcha", "--rate", "20", "--duration", "2")
        self.assertNoFailures(r)
        self.assertEqual(r["mode"], "open")
        self.assertEqual(r["steps"]["reg_start"]["ok"], 40)
        self.assertEqual(r["flows"]["start"]["done"], 40)
        lat = r["steps"]["reg_start"]["latency_ms"]
        self.assertTrue(0 < lat["p50"] <= lat["p99"] <= lat["p999"] <= lat["max"], lat)

    def test_registration_closed_loop(self):
        r = self.load("--flow", "register", "--connections", "3", "--duration", "2")
        self.assertNoFailures(r)
        s = r["steps"]
        self.assertGreater(r["flows"]["register"]["done"], 0)
        self.assertGreaterEqual(s["captcha"]["ok"], s["reg_start"]["ok"])
        self.assertGreaterEqual(s["reg_start"]["ok"], s["reg_verify"]["ok"])
        self.assertGreaterEqual(s["reg_verify"]["ok"], s["reg_password"]["ok"])
        self.assertGreater(s["reg_password"]["ok"], 0)

    def test_sign_in_with_prepared_accounts(self):
        with tempfile.TemporaryDirectory() as d:
            accounts = os.path.join(d, "accounts.txt")
            r = self.load("--flow", "login", "--prepare", "4", "--accounts", accounts,
                          "--connections", "2", "--duration", "2")
            self.assertNoFailures(r)
            self.assertEqual(r["prepare"]["accounts"], 4)
            with open(accounts) as f:
                ids = f.read().split()
            self.assertEqual(len(ids), 4)
            self.assertEqual(len(set(ids)), 4)
            self.assertGreater(r["flows"]["login"]["done"], 0)
            # The file is reused: no second prepare.
            r = self.load("--flow", "login", "--accounts", accounts, "--rate", "4",
                          "--duration", "1")
            self.assertNoFailures(r)
            self.assertNotIn("prepare", r)
            self.assertEqual(r["flows"]["login"]["done"], 4)

    def test_unhappy_paths(self):
        r = self.load("--flow", "resend:1,wrong-code:1", "--wrong", "2", "--rate", "10",
                      "--duration", "2")
        self.assertNoFailures(r)
        self.assertEqual(r["flows"]["resend"]["done"] + r["flows"]["wrong-code"]["done"], 20)
        self.assertEqual(r["flows"]["resend"]["done"], 10)
        self.assertGreater(r["steps"]["reg_wrong_code"]["ok"], 0)
        self.assertGreater(r["steps"]["reg_resend"]["ok"], 0)

    def test_failures_counted_by_code(self):
        # A code that is not the server's: every verify answers 400 otp_invalid.
        exe_args = ["--flow", "otp", "--no-captcha", "--rate", "10", "--duration", "1"]
        r = self.load("--test-code", "000000", *exe_args)
        self.assertEqual(r["steps"]["reg_start"]["ok"], 10)
        self.assertEqual(r["steps"]["reg_verify"]["failed"], 10)
        self.assertEqual(r["steps"]["reg_verify"]["errors"], {"400 otp_invalid": 10})
        self.assertEqual(r["flows"]["otp"]["failed"], 10)

    def test_get_and_nothing_listening(self):
        r = self.load("--get", "/healthz", "--connections", "2", "--duration", "1")
        self.assertNoFailures(r)
        self.assertGreater(r["steps"]["get"]["ok"], 0)
        # No server: every request fails, exit status 1, failures by reason.
        exe = os.path.join(self.stack.bindir, "dvcid-load")
        p = subprocess.run([exe, "--url", "http://127.0.0.1:9", "--get", "/", "--rate", "5",
                            "--duration", "1", "--json"], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        r = json.loads(p.stdout)
        self.assertEqual(r["steps"]["get"]["failed"], 5)
        self.assertEqual(list(r["steps"]["get"]["errors"]), ["connect: Connection refused"])


if __name__ == "__main__":
    unittest.main()
