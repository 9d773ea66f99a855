"""The gateway answers every keep-alive connection it holds, however many are ready at
once (issue 7; docs/BENCHMARKS.md "Held answers").

Two bugs seen under load, each with a test that failed before its fix:
- libmicrohttpd 0.9.75's own epoll threads wait again, before handling anything, after an
  epoll_wait that returned exactly 128 events: with 128 or 256 busy keep-alive clients on
  one HTTP thread, every request hung until the client gave up (gateway/gw_loop.h);
- the default connection limit (FD_SETSIZE - 4 = 1020) left connections past it
  unaccepted, their requests unanswered.

The load comes from dvcid-load (closed loop: each connection sends its next request as
soon as the last is answered). /readyz asks account-svc through the bridge, so each
request is suspended and resumed: a resume that wakes nobody hangs too. No timing is
asserted beyond the client's timeout, which is far above any normal answer (ms) and below
the gateway's 15 s connection timeout that ended the old hangs."""

import json
import os
import resource
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import StackTestCase  # noqa: E402

CONNECTIONS_MANY = 1500
TIMEOUT_MS = 8000


def _raise_open_files(need):
    """Lets this process and its children (the stack, dvcid-load) open `need` files."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < need:
        raise AssertionError("the open-file hard limit is %d; this test needs %d" % (hard, need))
    if soft != resource.RLIM_INFINITY and soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


# Before the stack starts: the gateway inherits the limit (and raises its own soft limit).
_raise_open_files(2 * CONNECTIONS_MANY + 512)


class _LoadCase(StackTestCase):
    def load(self, path, connections, duration="2"):
        exe = os.path.join(self.stack.bindir, "dvcid-load")
        cmd = [exe, "--url", self.stack.url, "--get", path, "--connections", str(connections),
               "--duration", duration, "--warmup", "0", "--timeout", str(TIMEOUT_MS), "--json"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, "%s\n%s" % (" ".join(cmd), p.stderr))
        return json.loads(p.stdout)

    def assertAllAnswered(self, r, connections):
        self.assertEqual(r["requests"]["failed"], 0, json.dumps(r["steps"], indent=1))
        self.assertEqual(r["connects"], connections, "each client connection opened once")
        # Every connection got answers, not just some of them.
        self.assertGreaterEqual(r["requests"]["ok"], connections)


class OneHttpThreadTest(_LoadCase):
    # A slow backend (a sanitizer build on a busy machine) must not pass for a hang: the
    # gateway's own deadline stays below the client's timeout, and far above any answer.
    stack_config = {"gateway": {"threads": 1, "timeout_ms": 6000}}

    def test_128_ready_requests_on_one_thread(self):
        self.assertAllAnswered(self.load("/healthz", 128), 128)

    def test_256_resumed_connections_on_one_thread(self):
        self.assertAllAnswered(self.load("/readyz", 256), 256)


class ManyConnectionsTest(_LoadCase):
    def test_1500_keepalive_connections_all_answered(self):
        # /healthz is answered by the gateway alone: what is tested is that every
        # connection is accepted and served, not the backends' pace under a sanitizer.
        self.assertAllAnswered(self.load("/healthz", CONNECTIONS_MANY, duration="3"),
                               CONNECTIONS_MANY)


if __name__ == "__main__":
    unittest.main()
