"""SMS-pumping defence (issue 17.1), through the real processes and the file SMS sink.

PrefixTest (short windows): registrations to one prefix (+8430111) whose codes are never
verified get the prefix blocked with a Vietnamese 429 sms_prefix_blocked and Retry-After,
while another prefix still gets its code; a prefix or a number on otp.pump_safe_list is
never blocked;
a block that comes back after it ended lasts twice as long (level 1); a prefix past its
daily budget answers 429 sms_budget_exhausted even though it converts; a non-+84 number
is refused by default, by the gateway's validation over HTTP and by otp-svc itself when
asked directly (VALIDATION_FAILED phone: country_not_allowed); dvcctl sms status shows
the block with its reason and the operators' conversion; /metrics counts the refusals.

SwitchTest: dvcctl sms pause makes every start answer 503 sms_paused, and stays paused
over an otp-svc restart (LMDB); resume lifts it; the service's daily budget refuses once
spent. Every refused request leaves no SMS in the sink."""

import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import StackTestCase  # noqa: E402

SRC = os.environ.get("DVCID_SRC") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class PumpCase(StackTestCase):
    def ctl(self, *args):
        exe = os.path.join(self.stack.bindir, "dvcctl")
        return subprocess.run([exe, "--config", self.stack.config_path] + list(args),
                              capture_output=True, text=True, timeout=30)

    def start(self, phone):
        return self.stack.start_registration(phone=phone)

    def assertSent(self, phone):
        r = self.start(phone)
        self.assertStatus(r, 201, "start to %s" % phone)
        return r, self.stack.last_otp(phone, "register")

    def assertNoSms(self, phone):
        self.assertEqual(self.stack.wait_no_sms(phone, wait=0.3), [], "an SMS to %s" % phone)

    def metric(self, name, labels=""):
        body = self.stack.request("GET", "/metrics").body
        total = 0.0
        for line in body.splitlines():
            if line.startswith(name + "{") and labels in line:
                total += float(line.rsplit(" ", 1)[1])
        return total

    def wait_metric(self, name, labels="", at_least=1, timeout=5):
        """The metric once it reaches at_least (gauges are set each second)."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.metric(name, labels)
            if got >= at_least or time.monotonic() > deadline:
                return got
            time.sleep(0.2)

    def otp_log(self):
        with open(self.stack.log_path("otp-svc"), "rb") as f:
            return f.read().decode("utf-8", "replace")


class PrefixTest(PumpCase):
    # The safe number +84301110000 sits inside the pumped prefix: its SMS count in the
    # prefix's conversion (6 of them: twice pump_min_sends, so that the sliding window
    # keeps the prefix over min_sends for 30 s whichever moment the test runs at), yet it
    # is never blocked itself.
    stack_config = {"otp": {"pump_window": 60, "pump_min_sends": 3, "pump_floor_percent": 50,
                            "pump_block_seconds": 4, "pump_block_max_seconds": 16,
                            "pump_safe_list": "+8430333, +84301110000",
                            "daily_budget_per_prefix": 8, "max_sends_per_phone_hour": 50,
                            "resend_after": 0,
                            "operators": "+8430=test, +8430111=pumped"}}

    def test_prefix_blocked_escalates_safe_list_apart(self):
        safe = "0301110000"
        for _ in range(6):
            self.assertSent(safe)
        # Six SMS to +8430111, no code typed back: conversion 0 % (floor 50 %).
        blocked = "0301110099"
        r = self.start(blocked)
        err = self.assertError(r, 429, "sms_prefix_blocked", "the prefix is blocked")
        first = self.assertRetryAfter(r, 4, "first block")
        self.assertIn("số điện thoại này", err["message"])
        self.assertIn("sms pumping: prefix +8430111 (pumped) blocked for 4 s, level 0: "
                      "conversion 0% of 6 SMS", self.otp_log())
        self.assertNoSms(blocked)
        # The rest of the prefix is blocked with it, but not the safe number in it; another
        # prefix is apart.
        self.assertError(self.start("0301119998"), 429, "sms_prefix_blocked", "same prefix")
        self.assertNoSms("0301119998")
        self.assertSent(safe)
        self.assertSent("0302220001")

        # The block ends; the window still holds the bad conversion: blocked again,
        # twice as long.
        time.sleep(first + 0.3)
        r = self.start("0301110098")
        self.assertError(r, 429, "sms_prefix_blocked", "blocked again")
        again = self.assertRetryAfter(r, 8, "second block")
        self.assertGreater(again, 4, "the repeat lasts longer")
        self.assertNoSms("0301110098")
        # dvcctl shows why and until when; /metrics has the block and the refusals.
        out = self.ctl("sms", "status")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r"\+8430111\s+pumped\s+until .*level 1: conversion 0% of "
                                     r"\d+ SMS in 60 s \(floor 50%, min 3 SMS\)")
        self.assertRegex(out.stdout, r"pumped\s+sent \d+ verified 0")
        self.assertGreaterEqual(self.wait_metric("dvcid_otp_pump_blocked_prefixes"), 1)
        self.assertGreaterEqual(self.metric("dvcid_otp_pump_blocks_total"), 2)
        self.assertGreaterEqual(self.metric("dvcid_otp_sms_refused_total",
                                            'reason="prefix_blocked"'), 3)

        # A safe prefix: seven unverified SMS, never blocked.
        for i in range(7):
            self.assertSent("030333%04d" % i)

    def test_daily_budget_per_prefix(self):
        st = self.stack
        # Eight SMS to +8430444, each verified (conversion 100 %): then the day's budget.
        for i in range(8):
            r, code = self.assertSent("030444%04d" % i)
            rid = r.body["registration_id"]
            v = st.request("POST", "/v1/registrations/%s/otp/verify" % rid, json={"code": code})
            self.assertStatus(v, 200, "verify %d" % i)
        r = self.start("0304440099")
        err = self.assertError(r, 429, "sms_budget_exhausted", "the prefix's budget")
        self.assertRetryAfter(r, 86400, "until the day ends")
        self.assertIn("trong ngày", err["message"])
        self.assertNoSms("0304440099")
        self.assertGreaterEqual(self.metric("dvcid_otp_sms_refused_total",
                                            'reason="budget_prefix"'), 1)
        out = self.ctl("sms", "status")
        self.assertRegex(out.stdout, r"\+8430444\s+8 of 8")

    def test_foreign_number_refused(self):
        st = self.stack
        r = self.start("+85512345678")
        err = self.assertError(r, 422, "validation_failed", "a Cambodian number over HTTP")
        self.assertIn({"field": "phone", "code": "invalid"}, err.get("details", []))
        # otp-svc refuses it too, asked directly (as a compromised peer would).
        flow = "".join("\\%03o" % b for b in os.urandom(16))
        deadline = int(time.time() * 1000) + 10000
        text = ('request_id: 77 deadline_ms: %d trace_id: "pump-test" '
                'otp_issue { flow_id: "%s" purpose: PURPOSE_REGISTER phone: "+85512345678" }'
                % (deadline, flow))
        enc = subprocess.run(["protoc-c", "--proto_path=" + SRC, "--encode=dvcid.Request",
                              "proto/dvcid.proto"], input=text.encode(), cwd=SRC,
                             capture_output=True, check=True).stdout
        tool = os.path.join(st.bindir, "dvcid-zframes")
        out = subprocess.run([tool, "send", st.config["otp"]["endpoint"]],
                             input="5000 %s\n" % enc.hex(), capture_output=True, text=True,
                             timeout=30, check=True).stdout.split()
        self.assertEqual(out[0], "reply", out)
        dec = subprocess.run(["protoc-c", "--proto_path=" + SRC, "--decode=dvcid.Reply",
                              "proto/dvcid.proto"], input=bytes.fromhex(out[1]), cwd=SRC,
                             capture_output=True, check=True).stdout.decode()
        self.assertIn("STATUS_VALIDATION_FAILED", dec)
        self.assertIn('code: "country_not_allowed"', dec)
        self.assertEqual([ln for ln in st.sms_lines() if ln.get("to") == "+85512345678"], [])
        self.assertGreaterEqual(self.metric("dvcid_otp_sms_refused_total", 'reason="country"'), 1)


class SwitchTest(PumpCase):
    stack_config = {"otp": {"daily_budget": 3}}

    def test_pause_survives_restart_and_budget(self):
        st = self.stack
        out = self.ctl("sms", "pause")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("PAUSED since", out.stdout)
        r = self.start("0305550001")
        err = self.assertError(r, 503, "sms_paused", "paused")
        self.assertIn("tạm dừng", err["message"])
        self.assertNoSms("0305550001")
        st.restart("otp-svc")
        self.assertError(self.start("0305550002"), 503, "sms_paused", "paused after a restart")
        self.assertNoSms("0305550002")
        self.assertIn("PAUSED", self.ctl("sms", "status").stdout)
        self.assertGreaterEqual(self.wait_metric("dvcid_otp_sms_paused"), 1)
        out = self.ctl("sms", "resume")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("sms        sending", out.stdout)
        for i in range(3):
            self.assertSent("030666%04d" % i)
        r = self.start("0306660099")
        self.assertError(r, 429, "sms_budget_exhausted", "the service's budget")
        self.assertRetryAfter(r, 86400, "until the day ends")
        self.assertNoSms("0306660099")
        self.assertIn("budget     3 of 3 SMS today", self.ctl("sms", "status").stdout)
        self.assertGreaterEqual(self.metric("dvcid_otp_sms_refused_total",
                                            'reason="budget_service"'), 1)
        self.assertEqual(self.ctl("sms", "bogus").returncode, 2)


if __name__ == "__main__":
    unittest.main()
