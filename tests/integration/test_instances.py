"""Instances with failover (issue 8): two account-svc and two otp-svc processes on tcp
loopback, each pair sharing its LMDB environment, behind one gateway. Under a steady
stream of registrations and sign-ins, one instance is killed with SIGKILL and another
frozen with SIGSTOP, for each service in turn. A test-side watchdog does what systemd's
WatchdogSec= does (a process that stops petting it is killed: a frozen process may hold
the shared LMDB write lock, which only its death gives back) and the harness restarts
the dead ones as Restart=on-failure would. Afterwards: every HTTP request was answered,
none with a 5xx but the 503s of requests caught in the middle (in doubt: first effects
committed, answer not, so not done twice), every account exists once, every code
announced reached the sink exactly once (no SMS twice), and every session opens /v1/me."""
import collections
import os
import select
import signal
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvcid_stack import Stack, free_port, new_phone  # noqa: E402
from test_faults import Traffic  # noqa: E402

ORDER = ["sms-worker", "otp-svc.0", "otp-svc.1", "account-svc.0", "account-svc.1", "gateway"]
WATCHDOG_S = 2.0


class Watchdog:
    """systemd's watchdog for a stack: each process gets its own NOTIFY_SOCKET and
    WATCHDOG_USEC; one that said READY=1 and then no WATCHDOG=1 for WATCHDOG_S is killed
    (SIGKILL; systemd's default is SIGABRT, which would only add a core dump)."""

    def __init__(self, st):
        self.st = st
        self.socks = {}  # process name -> its notify socket
        self.last = {}  # process name -> monotonic time of its last READY/WATCHDOG
        self.kills = []  # (name, monotonic time)
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def env(self, name):
        path = os.path.join(self.st.tmp, "notify-%s.sock" % name)
        if name not in self.socks:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind(path)
            s.setblocking(False)
            self.socks[name] = s
        with self.lock:
            self.last.pop(name, None)  # armed again by the new process's READY=1
        return {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": str(int(WATCHDOG_S * 1e6))}

    def _run(self):
        by_fd = {}
        while not self.done.is_set():
            socks = list(self.socks.items())
            by_fd = {s.fileno(): name for name, s in socks}
            ready, _, _ = select.select([s for _, s in socks], [], [], 0.05)
            now = time.monotonic()
            for s in ready:
                try:
                    data = s.recv(4096)
                except BlockingIOError:
                    continue
                name = by_fd[s.fileno()]
                with self.lock:
                    for line in data.split(b"\n"):
                        if line in (b"READY=1", b"WATCHDOG=1"):
                            # The process of this name now: a restart arms a new one.
                            self.last[name] = (now, self.st.procs.get(name))
                        elif line == b"STOPPING=1":
                            self.last.pop(name, None)
            with self.lock:
                late = [(n, p) for n, (t, p) in self.last.items() if now - t > WATCHDOG_S]
                for name, _ in late:
                    del self.last[name]
            for name, proc in late:
                if proc is not None and proc.poll() is None:
                    self.st.killed.add(proc.pid)
                    proc.send_signal(signal.SIGKILL)
                    self.st.stopped.discard(name)
                    self.kills.append((name, now))

    def close(self):
        self.done.set()
        self.thread.join(timeout=5)
        for s in self.socks.values():
            s.close()


class TimedTraffic(Traffic):
    """Traffic that also records when each answered request began and ended."""

    def __init__(self, st):
        super().__init__(st)
        self.timed = []  # (step, status, error code, t0, t1)

    def _call(self, step, method, path, json=None, headers=None):
        t0 = time.monotonic()
        r = super()._call(step, method, path, json=json, headers=headers)
        if r is not None:
            with self.lock:
                self.timed.append((step, r.status, _code(r.body), t0, time.monotonic()))
        return r


class Instances(Stack):
    """The stack of ORDER: "service.I" runs service with --instance I."""

    def __init__(self):
        ports = [free_port() for _ in range(4)]
        super().__init__(
            account={"endpoint": "tcp://127.0.0.1:%d, tcp://127.0.0.1:%d" % tuple(ports[:2]),
                     "max_registration_starts_per_ip_hour": 100000000},
            otp={"endpoint": "tcp://127.0.0.1:%d tcp://127.0.0.1:%d" % tuple(ports[2:]),
                 "max_sends_per_phone_hour": 1000, "max_sends_per_ip_hour": 100000,
                 "max_sends_per_prefix_hour": 100000},
            captcha={"max_per_ip_hour": 100000000},
            # Room for a frozen instance's watchdog kill inside a request's deadline.
            gateway={"timeout_ms": 5000},
            # The watchdog below plays systemd (NOTIFY_SOCKET): test mode must be allowed.
            service={"allow_test_mode": "true"})
        self.order = list(ORDER)
        self.watchdog = Watchdog(self)
        self.watchdog.thread.start()

    def command(self, name):
        service, _, instance = name.partition(".")
        argv = [self.binaries[service], "--config", self.config_path]
        return argv + (["--instance", instance] if instance else [])

    def environment(self, name):
        env = super().environment(name)
        env.update(self.watchdog.env(name))
        return env

    def restart_dead(self):
        """Starts again what the watchdog or the test killed (Restart=on-failure)."""
        for name in self.order:
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is not None and proc.pid in self.killed:
                self.start(name)

    def close(self, failed=False):
        self.watchdog.close()
        super().close(failed)


class InstancesTest(unittest.TestCase):
    def test_kill_and_freeze_instances_under_load(self):
        st = Instances()
        failed = True
        st.__enter__()
        try:
            self._run(st)
            failed = False
        finally:
            st.close(failed=failed)

    def _fault(self, st, traffic, name, sig, hold):
        traffic.killing = name
        self.faults.append(time.monotonic())
        st.kill(name, sig)
        time.sleep(hold)
        st.restart_dead()
        traffic.killing = None
        time.sleep(1.5)

    def _run(self, st):
        self.faults = []  # when each fault began
        traffic = TimedTraffic(st)
        traffic.start()
        try:
            time.sleep(2)
            self._fault(st, traffic, "account-svc.0", signal.SIGKILL, 2.0)
            self._fault(st, traffic, "otp-svc.1", signal.SIGSTOP, WATCHDOG_S + 1.5)
            self._fault(st, traffic, "otp-svc.0", signal.SIGKILL, 2.0)
            self._fault(st, traffic, "account-svc.1", signal.SIGSTOP, WATCHDOG_S + 1.5)
            time.sleep(1)
        finally:
            traffic.join()
        statuses = collections.Counter(status for _, status, _, _ in traffic.answers)
        print("instances: %d answers %s, %d without answer, %d accounts, %d sessions, "
              "watchdog kills %s" % (len(traffic.answers), dict(statuses),
                                     len(traffic.no_answer), len(traffic.accounts),
                                     len(traffic.sessions), [n for n, _ in st.watchdog.kills]))
        for step, status, code, t0, t1 in traffic.timed:
            if status >= 300:
                print("  %s %d %s (%.2f-%.2f s; faults at %s)" % (
                    step, status, code, t0, t1, ["%.2f" % f for f in self.faults]))
        self.assertGreater(len(traffic.answers), 100, "a steady stream of requests")
        self.assertEqual(traffic.no_answer, [], "every request gets an HTTP answer")
        # A request in flight on a dead or frozen instance goes to the other one, which
        # answers it (from the reply cache when it was done already). Only one caught in
        # the middle of a multi-step handler (its first effects committed, its answer
        # not) is answered 503: doing it again could send a second SMS.
        def in_flight_at_a_fault(t0, t1):
            return any(t0 <= f <= t1 for f in self.faults)

        in_doubt = [step for step, status, code, t0, t1 in traffic.timed
                    if status == 503 and code == "unavailable" and in_flight_at_a_fault(t0, t1)]
        errors = [(step, status, code) for step, status, code, t0, t1 in traffic.timed
                  if status >= 500 and not (status == 503 and code == "unavailable"
                                            and in_flight_at_a_fault(t0, t1))]
        self.assertEqual(errors, [], "no 5xx but the in-doubt 503s")
        self.assertLessEqual(len(in_doubt), 4 * len(traffic.threads),
                             "in doubt: at most the requests in flight at each fault")
        self.assertEqual(sorted(n for n, _ in st.watchdog.kills), ["account-svc.1", "otp-svc.1"],
                         "the watchdog ends exactly the frozen instances")

        # Every code announced by a 2xx reached the sink exactly once: nothing lost,
        # nothing sent twice.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if all(st.sms_for(p, purpose) for p, purpose in traffic.codes_sent):
                break
            time.sleep(0.5)
        for phone, purpose in traffic.codes_sent:
            self.assertEqual(len(st.sms_for(phone, purpose)), 1,
                             "one SMS for the one %s send to %s" % (purpose, phone))
        ids = [line.get("message_id") for line in st.sms_lines()]
        twice = [i for i, n in collections.Counter(ids).items() if n > 1]
        self.assertEqual(twice, [], "no SMS handed to the provider twice")
        sends_in_doubt = sum(1 for step in in_doubt if step in ("reg_start", "login_start"))
        self.assertLessEqual(len(set(ids)), len(traffic.codes_sent) + sends_in_doubt,
                             "no SMS beyond the sends answered 2xx and those in doubt")
        # Every account exists, once; every session opens /v1/me.
        for id_number, _ in traffic.accounts:
            r = st.start_registration(id_number=id_number, phone=new_phone())
            self.assertEqual((r.status, r.body.get("error", {}).get("code")),
                             (409, "account_exists"), id_number)
        for token in traffic.sessions:
            r = st.request("GET", "/v1/me", headers={"Authorization": "Bearer " + token})
            self.assertEqual(r.status, 200, "a session made during the faults")
        # Failover happened where it was asked for: asks moved to the other instance.
        logs = "".join(open(st.log_path(n), encoding="utf-8", errors="replace").read()
                       for n in ("gateway", "account-svc.0", "account-svc.1"))
        self.assertIn("dropped: no new requests go there", logs)
        st.register()


def _code(body):
    return body.get("error", {}).get("code") if isinstance(body, dict) else None


if __name__ == "__main__":
    unittest.main()
