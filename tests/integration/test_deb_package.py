"""The Debian package (debian/, `make deb`) in a fresh Debian 12 root: scripts/deb.sh
builds the .deb from this tree, `debootstrap --variant=minbase bookworm` makes a root,
and in it `apt-get install ./dvcid_*.deb` resolves the package's dependencies from the
Debian mirror; lintian finds nothing in the .deb. Then, inside that root:
- postinst made the dvcid system user and group (systemd-sysusers) and gave /etc/dvcid to
  group dvcid (systemd-tmpfiles): root:dvcid 0750, dvcid.conf root:dvcid 0640, a conffile;
- dvcid.target and the four units it wants are enabled, and nothing was started (no
  systemd runs in a chroot: deb-systemd-invoke does nothing);
- the four services run as their installed units say (ExecStart=, User=, UMask=, the
  directories of StateDirectory=/RuntimeDirectory= made as systemd makes them) with the
  packaged /etc/dvcid/dvcid.conf edited as an operator would (ports, the file provider, a
  captcha test answer): /readyz, a whole registration, `dvcctl status`;
- the manual pages are installed; a reinstall keeps the edited conffile; purge removes
  the binaries, the conffile and the units' links and keeps the accounts in /var/lib/dvcid.

Needs root (debootstrap, chroot, mount namespaces: tests/integration/deb_chroot.sh), and
debootstrap, dpkg-buildpackage and lintian (scripts/deps.sh test installs them) and a
Debian mirror: DVCID_DEBIAN_MIRROR, else the bookworm one of /etc/apt/sources.list*.
Without root, debootstrap or a mount namespace it prints SKIPPED and exits 77; without
the other tools it fails. Everything lives in DVCID_BIN/deb-package-test
(kept after a failure, removed at the next run). Prints how long each step took.
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import PROCESSES, Stack, _tail, free_port  # noqa: E402

SKIP_EXIT = 77
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("DVCID_SRC") or os.path.dirname(os.path.dirname(HERE))
CHROOT = os.path.join(HERE, "deb_chroot.sh")
SUITE = "bookworm"
BINARIES = ("dvcid-gateway", "dvcid-account-svc", "dvcid-otp-svc", "dvcid-sms-worker",
            "dvcctl", "dvcid-load")
TIMES = []  # (step, seconds), printed at the end


def unavailable():
    """Why this machine cannot run the test, or None."""
    if os.geteuid() != 0:
        return "needs root (debootstrap, chroot, mount namespaces)"
    for tool in ("debootstrap", "unshare", "chroot"):
        if not shutil.which(tool):
            return "%s not found (scripts/deps.sh test installs it)" % tool
    r = subprocess.run(["unshare", "--mount", "true"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.STDOUT)
    if r.returncode != 0:
        return "this machine refuses a mount namespace (a container without CAP_SYS_ADMIN?)"
    return None


def debian_mirror():
    """DVCID_DEBIAN_MIRROR, else the first URI of a `bookworm main` source of this host."""
    if os.environ.get("DVCID_DEBIAN_MIRROR"):
        return os.environ["DVCID_DEBIAN_MIRROR"]
    paths = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*"))
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError:
            continue
        if path.endswith(".sources"):  # deb822 stanzas
            for stanza in re.split(r"\n\s*\n", text):
                fields = {}
                for line in stanza.splitlines():
                    if line[:1] not in ("#", " ", "\t") and ":" in line:
                        key, _, value = line.partition(":")
                        fields[key.strip().lower()] = value.split()
                if ("deb" in fields.get("types", []) and SUITE in fields.get("suites", [])
                        and "main" in fields.get("components", []) and fields.get("uris")):
                    return fields["uris"][0]
        else:
            for line in text.splitlines():
                m = re.match(r"\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(\S+)\s+(.*)", line)
                if m and m.group(2) == SUITE and "main" in m.group(3).split():
                    return m.group(1)
    return "http://deb.debian.org/debian"


def run(cmd, what, log, timeout=600):
    """Runs cmd with its output in log (appended), timed as step what; raises with the
    log's tail when it fails."""
    t0 = time.monotonic()
    with open(log, "ab") as f:
        f.write(("\n$ %s\n" % " ".join(cmd)).encode())
        f.flush()
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                           timeout=timeout)
    TIMES.append((what, time.monotonic() - t0))
    if r.returncode != 0:
        raise AssertionError("%s failed (status %d); %s:\n%s"
                             % (what, r.returncode, log, _tail(log, 60)))


def mounts_under(path):
    """Mount points of this (the host's) namespace at or below path."""
    out = []
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        for line in f:
            point = line.split()[4].replace("\\040", " ")
            if point == path or point.startswith(path + "/"):
                out.append(point)
    return out


def remove_tree(path):
    """rm -rf of a work dir that held a chroot, never across a mount point."""
    if not os.path.lexists(path):
        return
    left = mounts_under(os.path.realpath(path))
    if left:
        raise AssertionError("still mounted under %s, not removed: %s" % (path, left))
    subprocess.run(["rm", "-rf", "--one-file-system", path], check=True)


def parse_unit(path):
    """{key: last value} of a unit's [Service] section (what the test needs of it)."""
    out, section = {}, None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if line.startswith("["):
                section = line.strip("[]")
            elif section == "Service" and "=" in line and not line.startswith("#"):
                key, _, value = line.partition("=")
                out[key.strip()] = value.strip()
    return out


def passwd_entry(root, name):
    """(uid, gid, home) of user name in root's /etc/passwd, or None."""
    with open(os.path.join(root, "etc/passwd"), encoding="utf-8") as f:
        for line in f:
            p = line.rstrip("\n").split(":")
            if p[0] == name:
                return int(p[2]), int(p[3]), p[5]
    return None


def group_id(root, name):
    with open(os.path.join(root, "etc/group"), encoding="utf-8") as f:
        for line in f:
            p = line.split(":")
            if p[0] == name:
                return int(p[2])
    return None


class ChrootStack(Stack):
    """The four services of the installed package, each started as its unit says inside
    the root (deb_chroot.sh: the service itself is the child, SIGTERM and exit status
    as in any Stack), reading the root's /etc/dvcid/dvcid.conf."""

    def __init__(self, root, port):
        super().__init__()
        self.root = root
        self.port = port
        self.sink = os.path.join(root, "var/lib/dvcid/sms/outbox.jsonl")
        self.units = {name: parse_unit(os.path.join(root, "lib/systemd/system",
                                                    "dvcid-%s.service" % name))
                      for name in PROCESSES}

        def umask():
            os.umask(int(self.units["gateway"]["UMask"], 8))
        self.preexec = umask

    def command(self, name):
        u = self.units[name]
        return [CHROOT, self.root, "setpriv", "--reuid=" + u["User"], "--regid=" + u["Group"],
                "--init-groups", "--"] + u["ExecStart"].split()


class DebPackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        bindir = os.environ.get("DVCID_BIN") or os.path.join(SRC, "build")
        cls.work = os.path.join(os.path.abspath(bindir), "deb-package-test")
        remove_tree(cls.work)
        os.makedirs(cls.work)
        cls.log = os.path.join(cls.work, "steps.log")
        cls.root = os.path.join(cls.work, "root")
        out = os.path.join(cls.work, "deb")
        # debootstrap waits on the mirror and the disk while the package build is on the
        # CPUs: the two at once (its own log, so neither's output is mixed in the other's).
        boot_failed = []

        def debootstrap():
            try:
                run(["debootstrap", "--variant=minbase", SUITE, cls.root, debian_mirror()],
                    "debootstrap --variant=minbase " + SUITE,
                    os.path.join(cls.work, "debootstrap.log"))
            except AssertionError as e:
                boot_failed.append(e)

        boot = threading.Thread(target=debootstrap)
        boot.start()
        try:
            run([os.path.join(SRC, "scripts/deb.sh"), out], "scripts/deb.sh", cls.log)
        finally:
            boot.join()
        if boot_failed:
            raise boot_failed[0]
        debs = glob.glob(os.path.join(out, "dvcid_*.deb"))
        assert len(debs) == 1, debs
        cls.deb = debs[0]
        shutil.copy("/etc/resolv.conf", os.path.join(cls.root, "etc/resolv.conf"))
        shutil.copy(cls.deb, os.path.join(cls.root, "tmp"))
        cls.in_root = "/tmp/" + os.path.basename(cls.deb)
        # After the install, still in its PID namespace: every process but this shell's
        # own is one that a maintainer script left running.
        run([CHROOT, "--pid", cls.root, "sh", "-c",
             "apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get -q install -y "
             "--no-install-recommends \"$1\" && ls -l /proc/[0-9]*/exe >/tmp/processes "
             "2>/dev/null; true", "sh", cls.in_root],
            "apt-get install ./" + os.path.basename(cls.deb), cls.log)

    @classmethod
    def tearDownClass(cls):
        total = sum(t for _, t in TIMES)
        print("deb package test: %s; total %.1f s" % (
            ", ".join("%s %.1f s" % step for step in TIMES), total), flush=True)

    def chroot(self, *cmd, pid=True):
        """Runs cmd in the root; returns its output (fails the test on a non-zero exit)."""
        r = subprocess.run([CHROOT] + (["--pid"] if pid else []) + [self.root] + list(cmd),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True, timeout=300)
        self.assertEqual(r.returncode, 0, "%s:\n%s" % (" ".join(cmd), r.stdout))
        return r.stdout

    def path(self, rel):
        return os.path.join(self.root, rel.lstrip("/"))

    def test_0_lintian(self):
        """Debian's own checks find nothing (debian/dvcid.lintian-overrides says why the two
        deliberate exceptions are)."""
        t0 = time.monotonic()
        r = subprocess.run(["lintian", "--fail-on", "error,warning", self.deb],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True, timeout=300)
        TIMES.append(("lintian", time.monotonic() - t0))
        complaints = [line for line in r.stdout.splitlines()
                      if not line.startswith("running with root privileges")]
        self.assertEqual((r.returncode, complaints), (0, []), r.stdout)

    def test_1_installed_files(self):
        for name in BINARIES:
            self.assertTrue(os.access(self.path("/usr/bin/" + name), os.X_OK), name)
        for page in ("man8/dvcid-gateway.8", "man8/dvcid-account-svc.8", "man8/dvcid-otp-svc.8",
                     "man8/dvcid-sms-worker.8", "man8/dvcctl.8", "man1/dvcid-load.1",
                     "man5/dvcid.conf.5"):
            self.assertTrue(os.path.isfile(self.path("/usr/share/man/%s.gz" % page)), page)
        conffiles = self.chroot("dpkg-query", "-W", "-f=${Conffiles}", "dvcid").split()
        self.assertEqual(conffiles[:1], ["/etc/dvcid/dvcid.conf"], "dvcid.conf is a conffile")

    def test_2_user_and_permissions(self):
        user = passwd_entry(self.root, "dvcid")
        self.assertIsNotNone(user, "systemd-sysusers made no dvcid user")
        uid, gid, home = user
        self.assertLess(uid, 1000, "a system user")
        self.assertEqual(home, "/var/lib/dvcid")
        self.assertEqual(group_id(self.root, "dvcid"), gid)
        for rel, mode in (("/etc/dvcid", 0o750), ("/etc/dvcid/dvcid.conf", 0o640)):
            st = os.stat(self.path(rel))
            self.assertEqual((st.st_uid, st.st_gid, st.st_mode & 0o7777), (0, gid, mode),
                             "%s: systemd-tmpfiles gives it to root:dvcid %o" % (rel, mode))

    def test_3_enabled_not_started(self):
        etc = self.path("/etc/systemd/system")
        self.assertEqual(os.readlink(os.path.join(etc, "multi-user.target.wants/dvcid.target")),
                         "/lib/systemd/system/dvcid.target")
        self.assertEqual(sorted(os.listdir(os.path.join(etc, "dvcid.target.wants"))),
                         sorted("dvcid-%s.service" % p for p in PROCESSES))
        with open(self.path("/tmp/processes"), encoding="utf-8") as f:
            running = [line for line in f if "dvcid" in line]
        self.assertEqual(running, [], "the install started something")

    def test_4_stack_from_the_package(self):
        """The operator's steps of deploy/README.md, then the services as the units start
        them, the packaged config read by user dvcid through its group."""
        conf = self.path("/etc/dvcid/dvcid.conf")
        with open(conf, encoding="utf-8") as f:
            text = f.read()
        port, mport = free_port(), free_port()
        for pattern, value in ((r"listen", "127.0.0.1:%d" % port),
                               (r"management_listen", "127.0.0.1:%d" % mport),
                               (r"provider", "file"), (r"test_answer", "TEST"),
                               (r"argon2_mem_mib", "19"), (r"min_free_mib", "64")):
            text, n = re.subn(r"(?m)^%s = .*$" % pattern, "%s = %s" % (pattern, value), text)
            self.assertEqual(n, 1, "dvcid.conf has one %s line" % pattern)
        with open(conf, "w", encoding="utf-8") as f:  # same file: its owner and mode stay
            f.write(text)
        user = passwd_entry(self.root, "dvcid")
        t0 = time.monotonic()
        st = ChrootStack(self.root, port)
        try:
            for name, u in st.units.items():
                for key, base in (("StateDirectory", "var/lib"), ("RuntimeDirectory", "run")):
                    if key not in u:
                        continue
                    d = os.path.join(self.root, base, u[key])
                    os.makedirs(os.path.dirname(d), mode=0o755, exist_ok=True)
                    os.makedirs(d, exist_ok=True)
                    os.chown(d, user[0], user[1])
                    os.chmod(d, int(u[key + "Mode"], 8))
            st.start_all()
            self.assertEqual(st.request("GET", "/readyz").body, {"status": "ready"})
            done = st.register()
            self.assertEqual(done["account"]["phone_masked"][:3], done["phone"][:3])
            # dvcctl asks each backend over its socket (root, as an operator would)
            status = self.chroot("dvcctl", "status")
            for name in PROCESSES[:3]:
                self.assertRegex(status, r"(?m)^%s +yes +yes " % name, status)
            for name in ("account", "otp", "sms"):
                d = self.path("/var/lib/dvcid/" + name)
                owners = {os.stat(os.path.join(d, f)).st_uid for f in os.listdir(d)}
                self.assertEqual(owners, {user[0]}, "%s: written by user dvcid" % d)
        except BaseException:
            st.close(failed=True)
            raise
        st.close()
        TIMES.append(("the stack", time.monotonic() - t0))
        self.__class__.edited = text

    def test_5_reinstall_and_purge(self):
        edited = getattr(self, "edited", None)
        t0 = time.monotonic()
        self.chroot("dpkg", "-i", self.in_root)
        if edited is not None:
            with open(self.path("/etc/dvcid/dvcid.conf"), encoding="utf-8") as f:
                self.assertEqual(f.read(), edited, "a reinstall overwrote the edited conffile")
        self.chroot("apt-get", "-q", "purge", "-y", "dvcid")
        for rel in ["/usr/bin/" + b for b in BINARIES] + [
                "/etc/dvcid/dvcid.conf", "/lib/systemd/system/dvcid.target",
                "/etc/systemd/system/multi-user.target.wants/dvcid.target",
                "/etc/systemd/system/dvcid.target.wants"]:
            self.assertFalse(os.path.lexists(self.path(rel)), "%s left after purge" % rel)
        if edited is not None:
            self.assertTrue(os.listdir(self.path("/var/lib/dvcid/account")),
                            "purge removed the accounts")
        TIMES.append(("reinstall and purge", time.monotonic() - t0))


if __name__ == "__main__":
    why = unavailable()
    if why:
        print("SKIPPED: test_deb_package: %s" % why, flush=True)
        sys.exit(SKIP_EXIT)
    result = unittest.main(verbosity=2, exit=False).result
    if result.wasSuccessful():
        remove_tree(os.path.join(os.path.abspath(os.environ.get("DVCID_BIN") or
                                                 os.path.join(SRC, "build")), "deb-package-test"))
    sys.exit(0 if result.wasSuccessful() else 1)
