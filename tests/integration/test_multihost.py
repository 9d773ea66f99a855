"""Multi-host (issue 8): the dvcid processes on "hosts" made of network namespaces joined
by a bridge (dvcid_netns), all with deploy/three-hosts.conf (the configuration of
deploy/README.md "Three hosts", its paths moved to a temp dir), every ZeroMQ link over tcp
between the hosts with CURVE, keys made by `dvcctl keygen` as the README says:

    host a 10.77.0.1   dvc-a: gateway (the test reaches 127.0.0.1:8080 from inside a)
    host b 10.77.0.2   dvc-b: account-svc shard 0 (instances 0, 1), otp-svc (0, 1)
    host c 10.77.0.3   dvc-c: account-svc shard 1 (instances 0, 1), sms-worker (0, 1; file
                       sink: the test reads the codes there)
    host d 10.77.0.4   dvc-d: an intruder, the same config and its own key, which no host
                       allows

Checks: registrations and sign-ins succeed across the hosts and the accounts land on both
shards; each instance's port is connected from exactly its callers' hosts; kill -9 of one
instance of each service while flows run fails no flow, and its callers see it go and
come back; "Add an instance" under flows; the intruder is refused, the services log it,
and the cluster goes on.

Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and iproute2; without them it says why and
exits 77, which ctest reports as Skipped. With them, any failure is a failure.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvcid_cluster import Cluster  # noqa: E402
from dvcid_netns import Network, unavailable  # noqa: E402
from dvcid_stack import StackTestCase, read_config  # noqa: E402
from signin_helpers import ROOMY_OTP, me, register_account, sign_in  # noqa: E402

SKIP_EXIT = 77  # tests/CMakeLists.txt: SKIP_RETURN_CODE
SRC = os.environ.get("DVCID_SRC") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CONF = os.path.join(SRC, "deploy", "three-hosts.conf")
HOSTS = ("a", "b", "c", "d")  # host x is dvc-x of the README
CLUSTER = ("a", "b", "c")
GATEWAY_HOST, INTRUDER = "a", "d"
# Config section of each backend's endpoint list, in start order (peers first).
BACKENDS = (("sms", "sms-worker"), ("otp", "otp-svc"), ("account", "account-svc"))
# Where a host's files go (its directory under the test's temp dir).
MOVES = {"/var/lib/dvcid": "var", "/etc/dvcid": "etc"}
# What a test run changes in the README's file (beyond its paths).
# (log level debug: otp-svc logs each code it verifies, which shows who served.)
TEST_OVERRIDES = {"captcha": {"test_answer": "TEST"}, "account": {"argon2_mem_mib": 19},
                  "otp": dict(ROOMY_OTP), "log": {"level": "debug"}}


def endpoint_list(value):
    """[[(address, port, server key name) of each instance] of each shard] of a list
    "tcp://10.77.0.2:7101@dvc-b, ... | ..." (the form three-hosts.conf uses)."""
    shards = []
    for shard in value.split("|"):
        insts = []
        for ep in re.split(r"[,\s]+", shard.strip()):
            if ep:
                m = re.match(r"^tcp://([0-9.]+):([0-9]+)@(\S+)$", ep)
                assert m, "unexpected endpoint %r in %s" % (ep, CONF)
                insts.append((m.group(1), int(m.group(2)), m.group(3)))
        shards.append(insts)
    return shards


def build(net):
    """The cluster of three-hosts.conf on net: keys, one config per host (paths moved),
    one process per endpoint of each list on the host that owns its address (backends
    first), then the gateway. cl.endpoint_of[label] is (address, port) of a backend."""
    config = read_config(CONF)
    cl = Cluster(net, gateway_host=GATEWAY_HOST, config=config, **TEST_OVERRIDES)
    by_addr = {net.addr(h): h for h in HOSTS}
    make_keys(cl, HOSTS, trusted=CLUSTER)
    for host in HOSTS:
        cl.configure(host, moves=MOVES)
    cl.endpoint_of = {}
    for section, service in BACKENDS:
        shards = endpoint_list(config[section]["endpoint"])
        for s, insts in enumerate(shards):
            for i, (addr, port, key) in enumerate(insts):
                host = by_addr[addr]
                assert key == "dvc-" + host, "%s: %s serves on %s" % (CONF, key, addr)
                label = "%s.%s.%d.%d" % (host, service, s, i)
                # What the units pass: --instance %i, "S-I" for a shard of several.
                instance = "%d-%d" % (s, i) if len(shards) > 1 else str(i)
                cl.add(label, host, service, ["--instance", instance])
                cl.endpoint_of[label] = (addr, port)
    cl.add("%s.gateway" % GATEWAY_HOST, GATEWAY_HOST, "gateway")
    return cl


def make_keys(cl, hosts, trusted):
    """deploy/README.md "CURVE keys": on every host `dvcctl keygen self DIR` makes its key
    pair; the public certs of the trusted hosts, named after them (dvc-b.cert), go into
    every host's peers/ (the clients allowed in, and the servers' keys)."""
    dvcctl = os.path.join(cl.bindir, "dvcctl")
    for host in hosts:
        os.makedirs(curve_dir(cl, host))
        r = subprocess.run([dvcctl, "keygen", "self", curve_dir(cl, host)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True, timeout=30)
        assert r.returncode == 0, "dvcctl keygen on %s: %s" % (host, r.stdout)
        secret = os.path.join(curve_dir(cl, host), "self.cert_secret")
        assert os.stat(secret).st_mode & 0o077 == 0, "%s is readable by others" % secret
    for host in hosts:
        peers = os.path.join(curve_dir(cl, host), "peers")
        os.makedirs(peers)
        for other in trusted:
            shutil.copy(os.path.join(curve_dir(cl, other), "self.cert"),
                        os.path.join(peers, "dvc-%s.cert" % other))


def curve_dir(cl, host):
    """/etc/dvcid/curve of host (the moved path)."""
    return os.path.join(cl.host_dir(host), "etc", "curve")


class Flows:
    """Threads running whole flows (register, sign in, GET /v1/me) until stopped. Each
    flow ends done, in doubt (one of its requests was answered 503 "unavailable": caught
    in flight by a kill, done once or not at all; the flow stops there) or failed
    (anything else), recorded with its times."""

    def __init__(self, st, workers=3):
        self.st = st
        self.workers = workers
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.done = []  # (start, end, id_number)
        self.doubt = []  # (start, end, the 503 answer's request)
        self.failed = []  # (start, end, error)
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(workers)]

    def _run(self):
        me_thread = threading.get_ident()
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                acc = register_account(self.st)
                r = me(self.st, sign_in(self.st, acc)["token"])
                assert r.status == 200, "GET /v1/me: %s %r" % (r.status, r.body)
                with self.lock:
                    self.done.append((t0, time.monotonic(), acc["id_number"]))
            except (AssertionError, OSError) as e:
                with self.st.doubt_lock:
                    mine = [(m, p) for t, m, p, at in self.st.in_doubt
                            if t == me_thread and at >= t0]
                with self.lock:
                    if mine:
                        self.doubt.append((t0, time.monotonic(), mine[0]))
                    else:
                        self.failed.append((t0, time.monotonic(), str(e)[:2000]))

    def count(self):
        with self.lock:
            return len(self.done)

    def wait_more(self, n, timeout):
        """Waits until n more flows are done; returns how many were."""
        start = self.count()
        deadline = time.monotonic() + timeout
        while self.count() < start + n and time.monotonic() < deadline and not self.failed:
            time.sleep(0.05)
        return self.count() - start

    def __enter__(self):
        self.st.in_doubt = []
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)
        self.st.in_doubt = None
        return False


class MultiHostTest(StackTestCase):
    registered = []  # accounts made by the tests, in order

    @classmethod
    def setUpClass(cls):
        reason = unavailable()
        if reason:
            raise unittest.SkipTest(reason)
        cls._failed = False
        cls.net = Network(HOSTS)
        cls.net.up()
        try:
            cls.stack = build(cls.net)
            cls.stack.__enter__()
        except BaseException:
            cls.net.down()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.stack.close(failed=cls._failed)
        finally:
            cls.net.down()

    def shards(self):
        """{shard: host} of account-svc."""
        st = self.stack
        return {int(lb.split(".")[2]): st.where[lb][0] for lb in st.labels("account-svc")}

    def shard_accounts(self, shard, nshards):
        """Entries in the accounts database of shard (mdb_stat on its LMDB directory:
        account-S with several shards, else account)."""
        st = self.stack
        path = st.data_dir(self.shards()[shard], "account-%d" % shard if nshards > 1 else "account")
        r = subprocess.run(["mdb_stat", "-s", "accounts", path], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True, timeout=30)
        self.assertEqual(r.returncode, 0, "mdb_stat %s: %s" % (path, r.stdout))
        return int(re.search(r"Entries: (\d+)", r.stdout).group(1))

    def test_a_flows_across_hosts(self):
        """Registrations and sign-ins through the gateway on a, every service elsewhere,
        until both shards hold accounts; the shards hold exactly the accounts made."""
        st = self.stack
        nshards = len(self.shards())
        self.assertEqual(nshards, 2, "three-hosts.conf has two account shards")
        made = 0
        for _ in range(40):
            acc = register_account(st)
            made += 1
            r = me(st, sign_in(st, acc)["token"])
            self.assertStatus(r, 200, "GET /v1/me")
            self.assertEqual(r.body["id_number"], acc["id_number"])
            counts = [self.shard_accounts(s, nshards) for s in range(nshards)]
            if made >= 4 and min(counts) >= 2:
                break
        self.assertGreaterEqual(min(counts), 2, "accounts per shard: %r" % counts)
        self.assertEqual(sum(counts), made, "accounts per shard: %r" % counts)
        # dvcctl on the gateway's host sees the same, over CURVE, nothing misplaced.
        r = st.net.run(GATEWAY_HOST, [os.path.join(st.bindir, "dvcctl"), "--config",
                                      st.host_config_path[GATEWAY_HOST], "shards"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=60)
        self.assertEqual(r.returncode, 0, "dvcctl shards: %s" % r.stdout)
        for shard, n in enumerate(counts):
            self.assertRegex(r.stdout, r"(?m)^shard %d of %d: accounts %d\b" % (shard, nshards, n))
        self.assertRegex(r.stdout, r"(?m)^accounts %d\b" % made)

    def test_b_links_are_tcp_between_hosts(self):
        """Each instance's port has established connections from exactly the hosts of
        its callers (ss inside each namespace): the links really cross the hosts."""
        st = self.stack
        by_addr = {st.net.addr(h): h for h in HOSTS}
        for label, (addr, port) in sorted(st.endpoint_of.items()):
            host = st.where[label][0]
            out = st.net.run(host, ["ss", "-Htn", "state", "established",
                                    "( sport = :%d )" % port],
                             stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
            peers = {by_addr.get(line.split()[-1].rsplit(":", 1)[0], line)
                     for line in out.splitlines()}
            want = {st.where[lb][0] for lb in self.callers(label)}
            self.assertEqual(peers, want, "peers of %s (%s:%d)" % (label, addr, port))

    def test_c_kill_one_instance(self):
        """kill -9 of one instance of each service in turn while flows run: flows go on
        while it is down, none fails (a request caught in flight may be answered 503 in
        doubt, never anything else), its callers log it dropped, and once started again
        (as systemd's Restart= would) they log it up."""
        st = self.stack
        accounts = st.labels("account-svc")
        victims = [accounts[0], accounts[-1], st.labels("otp-svc")[0],
                   st.labels("sms-worker")[-1]]
        with Flows(st) as flows:
            self.assertGreaterEqual(flows.wait_more(3, 30), 3, "no flows before the kills")
            try:
                self.kill_each(st, flows, victims)
            finally:
                for victim in victims:  # a failure above leaves none down for the next test
                    if st.procs[victim].poll() is not None:
                        st.start(victim)
                        st.wait_log(victim, "%s ready" % st.where[victim][1])
            flows.wait_more(3, 30)
        self.assertEqual(flows.failed, [], "flows failed")
        # At most one request of each worker is in flight when an instance dies.
        self.assertLessEqual(len(flows.doubt), flows.workers * len(victims), flows.doubt)
        print("\n%d flows done, %d stopped by a 503 in doubt (%s)" % (
            len(flows.done), len(flows.doubt), ", ".join("%s %s" % d[2] for d in flows.doubt)))

    def kill_each(self, st, flows, victims):
        for victim in victims:
            service = st.where[victim][1]
            endpoint = "(tcp://%s:%d)" % st.endpoint_of[victim]
            callers = self.callers(victim)
            self.wait_live(callers, endpoint, True)
            st.kill(victim, signal.SIGKILL)
            went = flows.wait_more(5, 30)
            self.assertEqual(flows.failed, [], "flows failed after kill -9 of %s" % victim)
            self.assertGreaterEqual(went, 5, "flows stopped after kill -9 of %s" % victim)
            self.wait_live(callers, endpoint, False)
            st.start(victim)
            st.wait_log(victim, "%s ready" % service)
            self.wait_live(callers, endpoint, True)

    def callers(self, label):
        """The processes that connect to label's instance (the layout says)."""
        st = self.stack
        service = st.where[label][1]
        if service == "account-svc":  # the gateway, and every account instance but itself
            return ["%s.gateway" % GATEWAY_HOST] + [  # (captchas are checked across shards)
                lb for lb in st.labels("account-svc") if lb != label]
        return st.labels({"otp-svc": "account-svc", "sms-worker": "otp-svc"}[service])

    def wait_live(self, labels, endpoint, live, timeout=15):
        """Waits until each process of labels has logged endpoint (an instance it asks)
        "is up" (live) or "dropped" (not live) last, in its current run."""
        deadline = time.monotonic() + timeout
        for lb in labels:
            while True:
                text = self.stack.log(lb)
                text = text[text.rfind(" starting (config "):]  # this run of the process
                ups, drops = text.rfind(endpoint + " is up"), text.rfind(endpoint + " dropped")
                if (ups > drops) == live:
                    break
                self.assertLess(time.monotonic(), deadline, "%s: %s not %s in its log:\n%s" % (
                    lb, endpoint, "up" if live else "dropped", text[-3000:]))
                time.sleep(0.05)

    def wait_count(self, label, text, n, timeout=15):
        """Waits until text appears n times in label's log."""
        deadline = time.monotonic() + timeout
        while self.stack.log(label).count(text) < n:
            self.assertLess(time.monotonic(), deadline, "%s: %r not %d times in its log:\n%s"
                            % (label, text, n, self.stack.log(label)[-3000:]))
            time.sleep(0.05)

    def test_d_add_an_instance(self):
        """deploy/README.md "Add an instance" while flows run: a third otp-svc on b, its
        endpoint appended to the list in every host's file, then each caller (account
        instance) restarted in turn: every caller connects to it, it serves codes, and no
        flow fails meanwhile (a request caught by a stopping caller may be 503 in doubt)."""
        st = self.stack
        host = st.where[st.labels("otp-svc")[0]][0]
        addr, port = st.net.addr(host), 7122
        st.config["otp"]["endpoint"] += ", tcp://%s:%d@dvc-%s" % (addr, port, host)
        for h in HOSTS:
            st.configure(h, moves=MOVES)
        label = "%s.otp-svc.0.2" % host
        st.add(label, host, "otp-svc", ["--instance", "2"])
        st.endpoint_of[label] = (addr, port)
        endpoint = "(tcp://%s:%d)" % (addr, port)
        with Flows(st) as flows:
            st.start(label)
            st.wait_log(label, "otp-svc ready")
            for caller in self.callers(label):
                st.stop(caller)
                st.start(caller)
                st.wait_log(caller, "account-svc ready")
                self.wait_live([caller], endpoint, True)
                # Back in rotation (its own callers see it) before the next one goes.
                self.wait_live(self.callers(caller), "(tcp://%s:%d)" % st.endpoint_of[caller],
                               True)
                self.assertGreaterEqual(flows.wait_more(2, 30), 2, "flows after %s" % caller)
            deadline = time.monotonic() + 30
            while " otp verify " not in st.log(label) and time.monotonic() < deadline:
                time.sleep(0.1)
        self.assertEqual(flows.failed, [], "flows failed")
        self.assertIn(" otp verify ", st.log(label), "the new instance verified no code")
        self.assertLessEqual(len(flows.doubt), len(self.callers(label)), flows.doubt)

    def test_e_intruder_refused(self):
        """A gateway on host d, whose key is on no host's allow-list, gets no answer from
        any backend (503 and a red /readyz), every account-svc instance logs the refused
        handshake, and the cluster's own gateway goes on serving."""
        st = self.stack
        backends = st.labels("account-svc")
        before = {lb: st.log(lb).count("refused a connection") for lb in backends}
        intruder = "%s.gateway" % INTRUDER
        st.add(intruder, INTRUDER, "gateway")
        st.start(intruder)
        st.wait_log(intruder, "gateway ready")
        for lb in backends:
            self.wait_count(lb, "refused a connection", before[lb] + 1)
        for path, method, want in (("/readyz", "GET", 503), ("/v1/captcha", "POST", 503)):
            r = self.request_from(INTRUDER, method, path)
            self.assertEqual(r.status, want, "intruder's %s %s: %s %r" % (method, path, r.status,
                                                                          r.body))
        acc = register_account(st)
        self.assertStatus(me(st, sign_in(st, acc)["token"]), 200, "the cluster after the intruder")

    def request_from(self, host, method, path):
        """A request to the gateway of host (the cluster's Stack talks to a's)."""
        st = self.stack
        saved = st.gateway_host
        st.gateway_host = host  # the same config: the same 127.0.0.1:8080, inside host
        try:
            return st.request(method, path)
        finally:
            st.gateway_host = saved


if __name__ == "__main__":
    why = unavailable()
    if why:
        print("SKIPPED: test_multihost needs network namespaces: %s" % why, flush=True)
        sys.exit(SKIP_EXIT)
    unittest.main(verbosity=2)
