"""dvcid_netns: "hosts" for tests, made of Linux network namespaces (iproute2), each with
a loopback and one veth into a bridge, so processes on different hosts talk over real
tcp between real interfaces (Python 3 standard library only; needs root or
CAP_NET_ADMIN + CAP_SYS_ADMIN).

    net = Network(["a", "b", "c"])      # host i gets 10.77.0.(i+1)/24 on eth0
    net.up()                            # raises on any failure (after tearing down)
    argv = net.wrap("b", ["otp-svc", "--config", "b.conf"])   # runs inside host b
    sock = net.connect("a", ("10.77.0.1", 8080), timeout=5)  # the test reaching host a
    net.down()                          # kills what runs inside, deletes every namespace

Names carry the test's pid (dvcit<pid>-<host>, the bridge in dvcit<pid>-sw), so parallel
runs never share one, and up() first deletes the namespaces of earlier runs whose process
is gone (a run killed by a ctest timeout could not clean up). Every run has its own
namespaces, so all runs can use the same addresses and ports.
"""

import contextlib
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import time

NETNS_DIR = "/var/run/netns"
PREFIX = "dvcit"
CLONE_NEWNET = 0x40000000
CAP_SYS_ADMIN = 21  # ip netns add bind-mounts the namespace under /var/run/netns
CAP_NET_ADMIN = 12

_libc = ctypes.CDLL(None, use_errno=True)


def unavailable():
    """None when namespaces can be made here, else why not (for a skip message). Only a
    missing privilege or a missing iproute2 counts: with both, a failure is a failure."""
    if not shutil.which("ip"):
        return "iproute2 (the ip command) is not installed: scripts/deps.sh test installs it"
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            caps = int(re.search(r"(?m)^CapEff:\s*([0-9a-f]+)", f.read()).group(1), 16)
    except (OSError, AttributeError):
        return "cannot read this process's capabilities from /proc/self/status"
    missing = [name for name, bit in (("CAP_NET_ADMIN", CAP_NET_ADMIN),
                                      ("CAP_SYS_ADMIN", CAP_SYS_ADMIN))
               if not caps & (1 << bit)]
    if missing:
        return "this process lacks %s (euid %d): network namespaces need root" % (
            " and ".join(missing), os.geteuid())
    return None


def _ip(*args, check=True):
    r = subprocess.run(["ip"] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True, timeout=30)
    if check and r.returncode != 0:
        raise AssertionError("ip %s: exit %d: %s" % (" ".join(args), r.returncode,
                                                     r.stdout.strip()))
    return r


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ours():
    """The names of every namespace any test run made (dvcit<pid>-...)."""
    try:
        return sorted(n for n in os.listdir(NETNS_DIR) if n.startswith(PREFIX))
    except FileNotFoundError:
        return []


def _delete(name):
    """Kills every process inside namespace name, then deletes it (its veths go with it)."""
    for _ in range(50):
        pids = [int(p) for p in _ip("netns", "pids", name, check=False).stdout.split()
                if p.isdigit()]
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)
    _ip("netns", "del", name, check=False)


def clean_stale():
    """Deletes the namespaces left by runs whose test process is gone."""
    for name in _ours():
        m = re.match(PREFIX + r"(\d+)-", name)
        if m and not _pid_alive(int(m.group(1))):
            _delete(name)


@contextlib.contextmanager
def _inside(path):
    """Runs the block with this thread in the network namespace at path (setns(2) moves
    only the calling thread); sockets made inside stay in that namespace."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(path, os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise OSError(err, "setns(%s): %s" % (path, os.strerror(err)))
        finally:
            os.close(target)
        try:
            yield
        finally:
            if _libc.setns(own, CLONE_NEWNET) != 0:  # a thread left elsewhere: stop here
                os._exit(70)
    finally:
        os.close(own)


class Network:
    """Hosts (network namespaces) on one bridge. hosts: short names ("a", "b", ...);
    host i gets <subnet>.(i+1)/24 on its eth0 and has its loopback up."""

    def __init__(self, hosts, subnet="10.77.0"):
        self.hosts = list(hosts)
        self.subnet = subnet
        self.tag = "%s%d" % (PREFIX, os.getpid())
        self.switch = self.tag + "-sw"
        self.made = []  # namespaces created, deleted by down()

    def ns(self, host):
        return "%s-%s" % (self.tag, host)

    def addr(self, host):
        return "%s.%d" % (self.subnet, self.hosts.index(host) + 1)

    def up(self):
        clean_stale()
        try:
            self._make(self.switch)
            _ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
            _ip("-n", self.switch, "link", "set", "br0", "up")
            for i, host in enumerate(self.hosts):
                ns = self.ns(host)
                self._make(ns)
                port = "p%d" % i
                _ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port,
                    "netns", self.switch)
                _ip("-n", self.switch, "link", "set", port, "master", "br0", "up")
                _ip("-n", ns, "addr", "add", "%s/24" % self.addr(host), "dev", "eth0")
                _ip("-n", ns, "link", "set", "eth0", "up")
            for host in self.hosts:
                self._wait_reachable(host)
        except BaseException:
            self.down()
            raise

    def _make(self, name):
        _ip("netns", "add", name)
        self.made.append(name)
        _ip("-n", name, "link", "set", "lo", "up")

    def _wait_reachable(self, host, timeout=10):
        """Waits for duplicate address detection to finish (an address is usable only
        then): tcp to a closed port of host from another host answers refused."""
        others = [h for h in self.hosts if h != host]
        if not others:
            return
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.connect(others[0], (self.addr(host), 9), timeout=1).close()
                return
            except ConnectionRefusedError:
                return
            except OSError as e:
                if time.monotonic() > deadline:
                    raise AssertionError("host %s (%s) not reachable from %s: %s"
                                         % (host, self.addr(host), others[0], e))
                time.sleep(0.05)

    def down(self):
        """Kills every process inside the namespaces and deletes them; safe to repeat."""
        for name in reversed(self.made):
            _delete(name)
        self.made = []

    def wrap(self, host, argv):
        """argv run inside host's namespace."""
        return ["ip", "netns", "exec", self.ns(host)] + list(argv)

    def connect(self, host, address, timeout):
        """A tcp socket connected to address from inside host."""
        with _inside(os.path.join(NETNS_DIR, self.ns(host))):
            return socket.create_connection(address, timeout=timeout)

    def run(self, host, argv, **kw):
        """subprocess.run of argv inside host."""
        return subprocess.run(self.wrap(host, argv), **kw)

    def pids(self, host):
        return [int(p) for p in _ip("netns", "pids", self.ns(host)).stdout.split() if p.isdigit()]

    def __enter__(self):
        self.up()
        return self

    def __exit__(self, *exc):
        self.down()
        return False
