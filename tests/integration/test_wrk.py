"""wrk through the stack (issue 15): scripts/wrk-dvcid.lua, the script make bench drives wrk
with, run for 2 s per mode against a stack in test mode, so it cannot rot. Only counts are
asserted, never a rate: every start answered 201, every right code 200 otp_verified, every
wrong code 400 otp_invalid, and nothing else (no socket error, no other status)."""

import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import StackTestCase  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "wrk-dvcid.lua")
TEST_CODE = "246810"


class WrkTest(StackTestCase):
    # What scripts/bench-stack.sh sets for a load run (test numbers +8430, code, captcha).
    stack_config = {
        "otp": {"test_phone_prefix": "+8430", "test_code": TEST_CODE, "resend_after": 0,
                "max_attempts": 100, "max_failures_per_flow": 1000,
                "max_failures_per_phone_hour": 100000, "max_sends_per_flow": 100,
                "max_sends_per_phone_hour": 1000000, "max_sends_per_ip_hour": 100000000,
                "max_sends_per_prefix_hour": 100000000},
        "account": {"max_registration_starts_per_ip_hour": 100000000},
        "captcha": {"max_per_ip_hour": 100000000},
    }

    def wrk(self, mode, wrong=20):
        """Runs wrk -t1 -c8 -d2s with the script; returns its counts (the wrk-dvcid line)."""
        exe = shutil.which("wrk")
        self.assertIsNotNone(exe, "wrk is not installed (scripts/deps.sh test installs it)")
        cmd = [exe, "-t1", "-c8", "-d2s", "--timeout", "10s", "-s", SCRIPT, self.stack.url,
               "--", mode, TEST_CODE, "TEST", "030", "", str(wrong)]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, "%s\n%s%s" % (" ".join(cmd), p.stdout, p.stderr))
        lines = [line for line in p.stdout.splitlines() if line.startswith("wrk-dvcid ")]
        self.assertEqual(len(lines), 1, p.stdout)
        r = json.loads(lines[0][len("wrk-dvcid "):])
        self.assertEqual(r["mode"], mode)
        e = r["errors"]
        self.assertEqual((e["connect"], e["read"], e["write"], e["timeout"]), (0, 0, 0, 0), r)
        self.assertEqual(r["unexpected"], 0, r)
        self.assertGreater(r["ok_start"], 0, r)
        return r

    def test_start(self):
        r = self.wrk("start")
        self.assertEqual(r["errors"]["status"], 0, r)  # no non-2xx answer
        self.assertEqual(r["ok_verify"] + r["ok_wrong"], 0, r)
        self.assertEqual(r["requests"], r["ok_start"], r)

    def test_mix_verifies_codes(self):
        r = self.wrk("mix")
        self.assertEqual(r["errors"]["status"], 0, r)  # no non-2xx answer
        self.assertGreater(r["ok_verify"], 0, r)
        self.assertLessEqual(r["ok_verify"], r["ok_start"], r)
        self.assertEqual(r["requests"], r["ok_start"] + r["ok_verify"], r)
        # Codes go out as starts come back, so the mix stays about even.
        self.assertGreaterEqual(r["ok_verify"], r["ok_start"] - 8, r)

    def test_verify_wrong_then_right(self):
        r = self.wrk("verify", wrong=3)
        # The only non-2xx answers are the wrong codes, each 400 otp_invalid.
        self.assertEqual(r["errors"]["status"], r["ok_wrong"], r)
        self.assertGreater(r["ok_verify"], 0, r)
        self.assertGreaterEqual(r["ok_wrong"], 3 * r["ok_verify"], r)
        self.assertEqual(r["requests"], r["ok_start"] + r["ok_wrong"] + r["ok_verify"], r)


if __name__ == "__main__":
    unittest.main()
