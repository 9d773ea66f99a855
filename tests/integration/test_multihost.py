"""Multi-host (issue 8): the dvcid processes on three "hosts" made of network namespaces
joined by a bridge (dvcid_netns), every ZeroMQ link over tcp between them:

    host a 10.77.0.1   gateway (HTTP 10.77.0.1:8080; the test reaches it from inside a)
    host b 10.77.0.2   account-svc, otp-svc
    host c 10.77.0.3   sms-worker (file sink: the test reads the codes there)

Checks: registrations and sign-ins succeed across the hosts, the services are reached
over the hosts' tcp addresses and not over loopback.

Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and iproute2; without them it says why and
exits 77, which ctest reports as Skipped. With them, any failure is a failure.
"""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvcid_cluster import Cluster  # noqa: E402
from dvcid_netns import Network, unavailable  # noqa: E402
from dvcid_stack import StackTestCase  # noqa: E402
from signin_helpers import me, register_account, sign_in  # noqa: E402

SKIP_EXIT = 77  # tests/CMakeLists.txt: SKIP_RETURN_CODE
HOSTS = ("a", "b", "c")
# (host, port) of each backend -> the hosts whose processes connect to it.
CALLERS = {("b", 7101): {"a"}, ("b", 7102): {"b"}, ("c", 7103): {"b"}}


def build(net):
    """The layout of deploy/README.md "Three hosts", on net."""
    cl = Cluster(net, gateway_host="a")
    b, c = net.addr("b"), net.addr("c")
    endpoints = {
        "account": {"endpoint": "tcp://%s:7101" % b},
        "otp": {"endpoint": "tcp://%s:7102" % b},
        "sms": {"endpoint": "tcp://%s:7103" % c},
        # Plaintext between hosts must be asked for (cmn_curve) until CURVE is on here.
        "curve": {"allow_plain_remote": "true"},
    }
    for host in HOSTS:
        cl.configure(host, **endpoints)
    cl.add("c.sms-worker", "c", "sms-worker")
    cl.add("b.otp-svc", "b", "otp-svc")
    cl.add("b.account-svc", "b", "account-svc")
    cl.add("a.gateway", "a", "gateway")
    return cl


class MultiHostTest(StackTestCase):
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

    def test_a_flows_across_hosts(self):
        """Registrations and sign-ins through the gateway on a, with every service on
        another host."""
        st = self.stack
        for _ in range(4):
            acc = register_account(st)
            s = sign_in(st, acc)
            r = me(st, s["token"])
            self.assertStatus(r, 200, "GET /v1/me")
            self.assertEqual(r.body["id_number"], acc["id_number"])

    def test_b_links_are_tcp_between_hosts(self):
        """Each backend's tcp port has established connections from exactly the hosts of
        its callers (ss inside each namespace): the links really cross the hosts."""
        net = self.stack.net
        by_addr = {net.addr(h): h for h in HOSTS}
        for (host, port), callers in sorted(CALLERS.items()):
            out = net.run(host, ["ss", "-Htn", "state", "established", "( sport = :%d )" % port],
                          stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
            peers = {by_addr.get(line.split()[-1].rsplit(":", 1)[0], line)
                     for line in out.splitlines()}
            self.assertEqual(peers, callers, "peers of %s:%d" % (host, port))

if __name__ == "__main__":
    why = unavailable()
    if why:
        print("SKIPPED: test_multihost needs network namespaces: %s" % why, flush=True)
        sys.exit(SKIP_EXIT)
    unittest.main(verbosity=2)
