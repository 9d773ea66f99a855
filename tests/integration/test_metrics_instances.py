"""Metrics per instance (issue 20.1): two instances each of account-svc, otp-svc and
sms-worker behind one gateway. Under a steady stream of registrations and sign-ins the
gateway's /metrics is scraped again and again: every process shows under its own
instance label, every backend instance has dvcid_backend_up 1, and no counter series
(by its full label set: counters, histogram buckets, counts and sums) ever goes down
from one scrape to the next, as it would if two instances alternated under one label.
Then one otp-svc instance is killed: it shows as dvcid_backend_up 0 while the others'
counters keep going up."""
import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvcid_stack import Stack, free_port  # noqa: E402
from test_faults import Traffic  # noqa: E402

ORDER = ["sms-worker.0", "sms-worker.1", "otp-svc.0", "otp-svc.1", "account-svc.0",
         "account-svc.1", "gateway"]
BACKENDS = [(s, "0-%d" % i) for s in ("account-svc", "otp-svc", "sms-worker") for i in (0, 1)]
SAMPLE = re.compile(r'^([a-z_0-9]+)(\{[^}]*\}) (\S+)$')


def scrape(st):
    """(values by (name, labels) of every monotonic series, backend_up by (service,
    instance), instances seen by service)."""
    r = st.request("GET", "/metrics", timeout=10)
    assert r.status == 200, r.status
    kinds = dict(re.findall(r"^# TYPE (\S+) (\S+)$", r.body, re.M))
    mono, up, seen = {}, {}, {}
    for line in r.body.splitlines():
        m = SAMPLE.match(line)
        if not m:
            continue
        name, labels, value = m.group(1), m.group(2), float(m.group(3))
        lab = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if name == "dvcid_backend_up":
            up[(lab["service"], lab["instance"])] = value
            continue
        seen.setdefault(lab.get("service"), set()).add(lab.get("instance"))
        family = re.sub(r"_(bucket|count|sum)$", "", name)
        if kinds.get(name) == "counter" or kinds.get(family) == "histogram":
            mono[(name, labels)] = value
    return mono, up, seen


class MetricsInstances(Stack):
    """The stack of ORDER: "service.I" runs service with --instance I."""

    def __init__(self):
        p = [free_port() for _ in range(6)]
        super().__init__(
            account={"endpoint": "tcp://127.0.0.1:%d, tcp://127.0.0.1:%d" % (p[0], p[1])},
            otp={"endpoint": "tcp://127.0.0.1:%d, tcp://127.0.0.1:%d" % (p[2], p[3]),
                 "max_sends_per_phone_hour": 1000, "max_sends_per_ip_hour": 100000,
                 "max_sends_per_prefix_hour": 100000},
            sms={"endpoint": "tcp://127.0.0.1:%d, tcp://127.0.0.1:%d" % (p[4], p[5])},
            gateway={"timeout_ms": 5000})
        self.order = list(ORDER)

    def command(self, name):
        service, _, instance = name.partition(".")
        argv = [self.binaries[service], "--config", self.config_path]
        return argv + (["--instance", instance] if instance else [])


class MetricsInstancesTest(unittest.TestCase):
    def test_counters_never_go_down(self):
        with MetricsInstances() as st:
            self._run(st)

    def _monotonic(self, before, after, what):
        for key, value in after.items():
            if key in before:
                self.assertGreaterEqual(value, before[key], "%s went down (%s)" % (key, what))

    def _run(self, st):
        traffic = Traffic(st, workers=3)
        traffic.start()
        scrapes = 0
        try:
            # /readyz is green once one instance of each answers; the gateway's links to
            # the others may still be coming up: wait for all, then every scrape has them.
            deadline = time.monotonic() + 10
            while True:
                last, up, _ = scrape(st)
                if all(up.get(b) == 1.0 for b in BACKENDS):
                    break
                self.assertLess(time.monotonic(), deadline, "not every instance up: %r" % up)
                time.sleep(0.1)
            seen = {}
            deadline = time.monotonic() + 12
            while time.monotonic() < deadline:
                now, up, s = scrape(st)
                scrapes += 1
                self._monotonic(last, now, "scrape %d" % scrapes)
                for b in BACKENDS:
                    self.assertEqual(up.get(b), 1.0, "%s-%s up at scrape %d" % (b + (scrapes,)))
                for service, instances in s.items():
                    seen.setdefault(service, set()).update(instances)
                last = now
                time.sleep(0.1)
            for service, instance in BACKENDS:
                self.assertIn(instance, seen.get(service, set()), "%s %s" % (service, instance))
            # Both otp-svc instances served requests, each counted under its own label.
            for inst in ("0-0", "0-1"):
                served = sum(v for (n, lab), v in last.items()
                             if n == "dvcid_requests_total" and 'service="otp-svc"' in lab
                             and 'instance="%s"' % inst in lab)
                self.assertGreater(served, 0, "otp-svc %s answered requests" % inst)
            # A dead instance is a 0, not a hole; the others' counters go on.
            st.kill("otp-svc.1", signal.SIGKILL)
            deadline = time.monotonic() + 10
            while True:
                now, up, _ = scrape(st)
                self._monotonic(last, now, "after the kill")
                last = now
                if up.get(("otp-svc", "0-1")) == 0.0:
                    break
                self.assertLess(time.monotonic(), deadline, "otp-svc 0-1 still up: %r" % up)
                time.sleep(0.2)
            for b in BACKENDS:
                if b != ("otp-svc", "0-1"):
                    self.assertEqual(up.get(b), 1.0, "%s-%s up with otp-svc 0-1 dead" % b)
        finally:
            traffic.join()
        print("metrics instances: %d scrapes, %d answers" % (scrapes, len(traffic.answers)))
        self.assertGreater(scrapes, 20, "scraped again and again")
        self.assertGreater(len(traffic.answers), 50, "under traffic")


if __name__ == "__main__":
    unittest.main()
