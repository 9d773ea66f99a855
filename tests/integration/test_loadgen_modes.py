"""dvcid-load for load testers (issue 18.6), against the real stack: the CSV rows add up to
the totals, the .hgrm file is HdrHistogram's text with the right count, rate steps and
ramps reach rising rates, Poisson arrivals keep the count, --sources makes the gateway see
many clients (a per-address limit that trips from one address does not from many, and
is still counted per address), and --help names every option of every parser. No timing
is asserted beyond rates an idle gateway reaches many times over."""

import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import StackTestCase  # noqa: E402

TEST_CODE = "123456"
SRC = os.environ.get("DVCID_SRC") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PER_IP = 10  # registration starts a client address may make in an hour


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def read_hgrm(path):
    """The rows (value, percentile, count) and the footer numbers of a .hgrm file."""
    rows, footer = [], {}
    with open(path) as f:
        lines = f.read().splitlines()
    header = lines[0].split()
    for line in lines[1:]:
        if line.startswith("#["):
            for part in line.strip("#[]").split(","):
                k, v = part.split("=")
                footer[k.strip()] = float(v)
        elif line.strip():
            cols = line.split()
            rows.append((float(cols[0]), float(cols[1]), int(cols[2])))
    return header, rows, footer


class LoadgenModesTest(StackTestCase):
    stack_config = {
        # The tester's own address is a trusted proxy: its X-Forwarded-For names the client.
        "gateway": {"trusted_proxies": "127.0.0.1/32"},
        "otp": {"test_phone_prefix": "+8430", "test_code": TEST_CODE,
                "max_sends_per_phone_hour": 1000000, "max_sends_per_ip_hour": 100000000,
                "max_sends_per_prefix_hour": 100000000},
        "account": {"max_registration_starts_per_ip_hour": PER_IP},
        "captcha": {"max_per_ip_hour": 100000000},
    }

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="dvcid-lgmodes-")
        self.addCleanup(self.tmp.cleanup)

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def run_load(self, *args, expect_rc=0):
        exe = os.path.join(self.stack.bindir, "dvcid-load")
        cmd = [exe, "--url", self.stack.url, "--test-code", TEST_CODE, "--captcha-answer", "TEST",
               "--phone-prefix", "+8430"] + list(args)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, expect_rc, "%s\n%s" % (" ".join(cmd), p.stderr))
        return p

    def load(self, *args, expect_rc=0):
        return json.loads(self.run_load(*(list(args) + ["--json"]), expect_rc=expect_rc).stdout)

    def assertAddsUp(self, rows, r):
        """Interval rows sum to the total row, which is the JSON's totals."""
        intervals = [x for x in rows if x["kind"] == "interval"]
        total = [x for x in rows if x["kind"] == "total"]
        self.assertEqual(len(total), 1)
        total = total[0]
        self.assertEqual(rows[-1], total, "the total row is last")
        for col in ("requests", "ok", "errors", "err_4xx", "err_5xx", "err_timeout",
                    "err_conn", "err_other", "flows"):
            self.assertEqual(sum(int(x[col]) for x in intervals), int(total[col]), col)
        self.assertEqual(int(total["ok"]), r["requests"]["ok"])
        self.assertEqual(int(total["errors"]), r["requests"]["failed"])
        self.assertEqual(int(total["requests"]), r["requests"]["ok"] + r["requests"]["failed"])
        for x in rows:
            self.assertEqual(int(x["requests"]), int(x["ok"]) + int(x["errors"]), x)
            self.assertEqual(int(x["errors"]), sum(int(x[c]) for c in (
                "err_4xx", "err_5xx", "err_timeout", "err_conn", "err_other")), x)
        # Intervals follow each other without gaps.
        for a, b in zip(intervals, intervals[1:]):
            self.assertAlmostEqual(float(a["t_end_s"]), float(b["t_start_s"]), places=3)
        return intervals, total

    def test_csv_and_hdr(self):
        out, hdr = self.path("run.csv"), self.path("run.hgrm")
        r = self.load("--get", "/healthz", "--rate", "200", "--duration", "2", "--warmup", "0.5",
                      "--interval", "0.5", "--csv", out, "--hdr", hdr)
        self.assertEqual(r["requests"]["ok"], 400, "200/s for 2 s: every arrival counted")
        rows = read_csv(out)
        with open(out) as f:
            head = f.readline().strip().split(",")
        self.assertEqual(head[:8], ["kind", "step", "target_rate", "t_start_s", "t_end_s",
                                    "requests", "ok", "errors"])
        self.assertEqual(head[-6:], ["p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms",
                                     "mean_ms"])
        intervals, total = self.assertAddsUp(rows, r)
        self.assertGreaterEqual(len(intervals), 4)
        self.assertAlmostEqual(float(intervals[0]["t_start_s"]), 0.0, places=3)
        for x in intervals[:4]:
            self.assertAlmostEqual(float(x["target_rate"]), 200.0, places=3)
            lat = [float(x[k]) for k in ("p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms")]
            self.assertEqual(lat, sorted(lat), x)
        self.assertAlmostEqual(float(total["req_per_s"]), 200.0, delta=1.0)

        header, hrows, footer = read_hgrm(hdr)
        self.assertEqual(header, ["Value", "Percentile", "TotalCount", "1/(1-Percentile)"])
        self.assertGreater(len(hrows), 20)
        for a, b in zip(hrows, hrows[1:]):
            self.assertLessEqual(a[0], b[0], "values never go down")
            self.assertLessEqual(a[1], b[1], "percentiles never go down")
            self.assertLessEqual(a[2], b[2], "counts never go down")
        self.assertEqual(hrows[-1][1], 1.0)
        self.assertEqual(hrows[-1][2], r["requests"]["ok"])
        self.assertEqual(footer["Total count"], r["requests"]["ok"])
        self.assertEqual(footer["SubBuckets"], 2048)
        self.assertIn("Buckets", footer)
        self.assertIn("StdDeviation", footer)
        lat = r["steps"]["get"]["latency_ms"]
        self.assertAlmostEqual(footer["Max"], lat["max"], delta=0.0015)
        self.assertAlmostEqual(footer["Mean"], lat["mean"], delta=0.0015)
        # 90 % is one of the levels (0, 10, ..., 50, 55, ..., 87.5, 88.75, 90, ...): the same
        # value as the JSON's p90, to the printed microsecond.
        p90 = [v for v, p, c in hrows if abs(p - 0.9) < 1e-9]
        self.assertEqual(len(p90), 1, hrows)
        self.assertAlmostEqual(p90[0], lat["p90"], delta=0.0015)

    def test_rate_steps(self):
        out = self.path("steps.csv")
        r = self.load("--get", "/healthz", "--steps", "20,60,180", "--step-duration", "1",
                      "--interval", "0.5", "--csv", out)
        self.assertEqual(r["requests"]["ok"], 260, "20 + 60 + 180 arrivals")
        rows = read_csv(out)
        intervals, total = self.assertAddsUp(rows, r)
        steps = [x for x in rows if x["kind"] == "step"]
        self.assertEqual([int(x["step"]) for x in steps], [1, 2, 3])
        self.assertEqual([float(x["target_rate"]) for x in steps], [20.0, 60.0, 180.0])
        for col in ("requests", "ok", "flows"):
            self.assertEqual(sum(int(x[col]) for x in steps), int(total[col]), col)
        achieved = [float(x["flows_per_s"]) for x in steps]
        self.assertEqual(achieved, sorted(achieved), "achieved rates rise with the steps")
        for got, want in zip(achieved, (20, 60, 180)):
            self.assertAlmostEqual(got, want, delta=want * 0.25)
        # Interval rows carry their step's number and target.
        for x in intervals:
            self.assertIn(x["step"], ("1", "2", "3"))
        self.assertEqual([x["target_rate"] for x in r["rate_steps"]], [20.0, 60.0, 180.0])
        self.assertEqual([x["requests"] for x in r["rate_steps"]],
                         [int(x["requests"]) for x in steps])

    def test_ramp_with_poisson_arrivals(self):
        out = self.path("ramp.csv")
        r = self.load("--get", "/healthz", "--ramp", "20:220:2", "--arrivals", "poisson",
                      "--seed", "7", "--interval", "0.5", "--csv", out)
        self.assertEqual(r["arrivals"], "poisson")
        self.assertEqual(r["seed"], 7)
        # 240 expected (the mean rate 120/s for 2 s); Poisson: within 4 sigma (~62).
        n = r["requests"]["ok"]
        self.assertLess(abs(n - 240), 62, n)
        rows = read_csv(out)
        intervals, _ = self.assertAddsUp(rows, r)
        targets = [float(x["target_rate"]) for x in intervals[:4]]
        self.assertEqual(targets, sorted(targets), "the target rises along the ramp")
        self.assertAlmostEqual(targets[0], 45.0, delta=0.5)  # mean of 20..70 over 0.5 s
        self.assertAlmostEqual(targets[3], 195.0, delta=0.5)
        first = sum(int(x["flows"]) for x in intervals[:2])
        last = sum(int(x["flows"]) for x in intervals[2:])
        # Expected 70 and 170 (seeded, so the same arrivals every run).
        self.assertGreater(last, 1.5 * first, "the second half of the ramp carries more")

    def test_sources_through_trusted_forwarded_for(self):
        start = ["--flow", "start", "--no-captcha", "--rate", "24", "--duration", "1"]
        # One address (the tester's own): the per-address limit trips after PER_IP starts.
        out = self.path("one.csv")
        r = self.load(*start, "--csv", out)
        self.assertEqual(r["steps"]["reg_start"]["ok"], PER_IP, r["steps"])
        self.assertEqual(r["steps"]["reg_start"]["failed"], 24 - PER_IP)
        self.assertEqual(list(r["steps"]["reg_start"]["errors"]), ["429 rate_limited"])
        self.assertEqual(int(read_csv(out)[-1]["err_4xx"]), 24 - PER_IP)
        # 24 simulated clients: one start each, nothing trips.
        r = self.load(*start, "--sources", "24")
        self.assertEqual(r["sources"], 24)
        self.assertEqual(r["requests"]["failed"], 0, r["steps"])
        self.assertEqual(r["flows"]["start"]["done"], 24)
        # Two clients (a /30 has two hosts): 12 starts each, each client's limit apart.
        r = self.load(*start, "--source-cidr", "10.9.0.0/30")
        self.assertEqual(r["sources"], 2)
        self.assertEqual(r["steps"]["reg_start"]["ok"], 2 * PER_IP, r["steps"])
        self.assertEqual(r["steps"]["reg_start"]["errors"], {"429 rate_limited": 24 - 2 * PER_IP})
        p = self.run_load(*start, "--source-cidr", "10.9.0.0/30", "--sources", "3", expect_rc=2)
        self.assertIn("2 host addresses", p.stderr)

    def test_help_names_every_option(self):
        p = self.run_load("--help")
        text = p.stdout
        p2 = self.run_load("sms", "--help")
        self.assertEqual(p2.stdout, text, "a mode's --help is the same text")
        for mode in ("sms", "argon2", "commits", "smpp-ceiling", "--get"):
            self.assertIn("dvcid-load %s" % mode, text)
        with open(os.path.join(SRC, "docs", "LOADGEN.md")) as f:
            doc = f.read()
        loadgen = os.path.join(SRC, "tools", "loadgen")
        parsed = set()
        for name in sorted(os.listdir(loadgen)):
            if not name.endswith(".c"):
                continue
            with open(os.path.join(loadgen, name)) as f:
                src = f.read()
            for opt in re.findall(r'\{"([a-z0-9-]+)",\s*(?:required|no)_argument', src):
                parsed.add(opt)
                self.assertRegex(text, r"(?m)^  --%s\b" % re.escape(opt),
                                 "--help lacks --%s (%s)" % (opt, name))
                self.assertIn("`--%s" % opt, doc, "docs/LOADGEN.md lacks --%s (%s)" % (opt, name))
        self.assertGreater(len(parsed), 40, "the option tables were found")
        # Every option --help lists is one a parser takes, and the text fits 79 columns.
        listed = set(re.findall(r"(?m)^  --([a-z0-9-]+)", text))
        self.assertEqual(listed - parsed, set(), "--help lists options nobody parses")
        self.assertEqual([x for x in text.splitlines() if len(x) > 79], [])


if __name__ == "__main__":
    unittest.main()
