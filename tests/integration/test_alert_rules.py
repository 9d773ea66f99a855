"""Alerts and dashboard that stay true (issue 18.3).

- `promtool check rules deploy/prometheus-alerts.yml` passes, and `promtool check config`
  on deploy/prometheus-scrape.yml (its rule_files pointed at that file);
- every dashboard expression parses as PromQL (each is checked by promtool as a
  recording rule);
- every metric the `dvcid` rule group and the dashboard name exists in a running stack's
  /metrics (after one registration: HTTP, account, OTP and SMS series); the `dvcid-host`
  group names only the exporter metrics listed in HOST_METRICS, never a dvcid_ series;
- the capacities the ratios divide by are the configured ones: dvcid_pool_capacity is
  account-svc's hash_workers + hash_queue, and the storage counters that alerts read with
  increase() exist at 0 before their first event.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvcid_stack import StackTestCase  # noqa: E402

SRC = os.environ.get("DVCID_SRC") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
RULES = os.path.join(SRC, "deploy", "prometheus-alerts.yml")
SCRAPE = os.path.join(SRC, "deploy", "prometheus-scrape.yml")
DASHBOARD = os.path.join(SRC, "deploy", "grafana-dashboard.json")
PROMTOOL = shutil.which("promtool")

# What the dvcid-host group may read, and from where (prometheus-scrape.yml's jobs).
HOST_METRICS = {
    "node_systemd_unit_state": "node_exporter --collector.systemd",
    "node_systemd_service_restart_total": "node_exporter --collector.systemd.enable-restarts-metrics",
    "node_filesystem_avail_bytes": "node_exporter (filesystem collector)",
    "node_filesystem_size_bytes": "node_exporter (filesystem collector)",
    "probe_success": "blackbox_exporter (job dvcid-healthz)",
    "up": "Prometheus itself (job dvcid)",
}

KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan"}


def metric_names(expr):
    """The metric names a PromQL expression selects: identifiers that are not
    functions, aggregation clauses, keywords, label names, durations or numbers."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)       # string literals
    e = re.sub(r"\{[^}]*\}", " ", e)                    # label matchers
    e = re.sub(r"\[[^\]]*\]", " ", e)                   # range selectors
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\boffset\s+\w+", " ", e)
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        name, before, after = m.group(0), e[:m.start()], e[m.end():]
        if name.lower() in KEYWORDS or re.match(r"\s*\(", after):
            continue
        if before and (before[-1].isdigit() or before[-1] == "."):
            continue  # 1e3, 5m
        names.add(name)
    return names


def promtool(*args):
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60)


def exposed_names(text):
    """Every series name of an exposition: the samples', and for each family declared
    by a TYPE line its name (and a histogram's _bucket, _sum, _count) even with no
    sample yet."""
    names = set()
    for line in text.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            names.add(m.group(1))
            if m.group(2) == "histogram":
                names.update(m.group(1) + s for s in ("_bucket", "_sum", "_count"))
        elif line and not line.startswith("#"):
            names.add(re.match(r"[^{ ]+", line).group(0))
    return names


def load_rules():
    with open(RULES, encoding="utf-8") as f:
        return {g["name"]: g["rules"] for g in yaml.safe_load(f)["groups"]}


def dashboard_exprs():
    with open(DASHBOARD, encoding="utf-8") as f:
        dash = json.load(f)
    return [(p["title"], t["expr"]) for p in dash["panels"] for t in p.get("targets", [])]


@unittest.skipIf(PROMTOOL is None, "promtool not found (Debian package prometheus: "
                 "scripts/deps.sh test installs it)")
class StaticChecks(unittest.TestCase):
    def test_names_parser(self):
        # The check below is only as good as this parser: it finds what it must, and
        # not what it must not.
        self.assertEqual(
            metric_names('histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{x="y"}'
                         '[5m]))) > 0.5 and on() b_total / c offset 5m or vector(0) > 1e3'),
            {"a_bucket", "b_total", "c"})
        self.assertEqual(metric_names('max by (service) (dvcid_x / dvcid_y) > 0.8'),
                         {"dvcid_x", "dvcid_y"})

    def test_promtool_rules_and_config(self):
        r = promtool("check", "rules", RULES)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"SUCCESS: \d+ rules found")
        with tempfile.TemporaryDirectory(prefix="dvcid-prom-") as tmp:
            with open(SCRAPE, encoding="utf-8") as f:
                conf = yaml.safe_load(f)
            conf["rule_files"] = [RULES]
            path = os.path.join(tmp, "prometheus.yml")
            with open(path, "w", encoding="utf-8") as f:
                yaml.safe_dump(conf, f)
            r = promtool("check", "config", path)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_promtool_catches_a_bad_rule(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
            f.write("groups:\n  - name: x\n    rules:\n      - alert: X\n"
                    "        expr: sum(rate(dvcid_x[5m]) > \n")
        try:
            self.assertNotEqual(promtool("check", "rules", f.name).returncode, 0)
        finally:
            os.unlink(f.name)

    def test_dashboard_expressions_parse(self):
        exprs = dashboard_exprs()
        self.assertGreaterEqual(len(exprs), 15)
        rules = {"groups": [{"name": "dashboard", "rules": [
            {"record": "dvcid:dashboard:%d" % i, "expr": e} for i, (_, e) in enumerate(exprs)]}]}
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
            yaml.safe_dump(rules, f)
        try:
            r = promtool("check", "rules", f.name)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        finally:
            os.unlink(f.name)

    def test_host_group_names_only_exporter_metrics(self):
        groups = load_rules()
        self.assertEqual(set(groups), {"dvcid", "dvcid-host"})
        for rule in groups["dvcid-host"]:
            names = metric_names(rule["expr"])
            self.assertTrue(names, rule["alert"])
            self.assertEqual(names - set(HOST_METRICS), set(),
                             "%s reads a metric no listed exporter gives" % rule["alert"])
        for rule in groups["dvcid"]:
            self.assertEqual({n for n in metric_names(rule["expr"]) if not n.startswith("dvcid_")},
                             set(), "%s: the dvcid group reads only dvcid's series" % rule["alert"])


@unittest.skipIf(PROMTOOL is None, "promtool not found")
class RunningStackNames(StackTestCase):
    stack_config = {"account": {"hash_workers": 2, "hash_queue": 7}}

    def scrape_until(self, wanted, timeout=6):
        """/metrics until every wanted name is there (otp-svc's outbox gauge is set by
        its 1 s timer) or timeout; returns (names, text)."""
        deadline = time.time() + timeout
        while True:
            r = self.stack.request("GET", "/metrics")
            self.assertStatus(r, 200, "/metrics")
            names = exposed_names(r.body)
            if wanted <= names or time.time() > deadline:
                return names, r.body
            time.sleep(0.5)

    def test_every_named_metric_exists(self):
        self.stack.register()
        wanted = {}
        for rule in load_rules()["dvcid"]:
            for n in metric_names(rule["expr"]):
                wanted.setdefault(n, []).append("alert " + rule["alert"])
        for title, expr in dashboard_exprs():
            for n in metric_names(expr):
                wanted.setdefault(n, []).append("panel " + title)
        self.assertIn("dvcid_pool_capacity", wanted)
        names, text = self.scrape_until(set(wanted))
        missing = {n: used for n, used in wanted.items() if n not in names}
        self.assertEqual(missing, {}, "named in rules or dashboard, absent from /metrics")
        # The negative case, through the same path: a made-up name is reported.
        self.assertNotIn("dvcid_no_such_series", names)

        # The ratios' denominators are the configured capacities.
        self.assertIn('dvcid_pool_capacity{service="account-svc",instance="0-0"} 9\n', text,
                      "hash_workers 2 + hash_queue 7")
        for svc in ("account-svc", "otp-svc", "sms-worker"):
            for c in ("dvcid_storage_faults_total", "dvcid_storage_rollbacks_total"):
                self.assertIn('%s{service="%s",instance="0-0"} 0\n' % (c, svc), text)


if __name__ == "__main__":
    unittest.main()
