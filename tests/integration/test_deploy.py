"""deploy/: `cmake --install` of this build puts the binaries, the systemd units, the dvcid
user (sysusers.d), the config permissions (tmpfiles.d), the production configuration and
the deployment guide where deploy/install.cmake says; `systemd-analyze verify` accepts
every unit (plain, template and a template instance) without a single message about
them; each service unit has the directives the deployment relies on; the sandbox scores
at most MAX_EXPOSURE in `systemd-analyze security`; the installed binaries start with the
installed production configuration (its paths moved to a temp dir) and answer /readyz;
reinstalling never overwrites an edited configuration; DESTDIR staging keeps the final
paths in the units.

Runs without a running systemd: `systemd-analyze verify` and `security --offline` only
read unit files. Standard library only; DVCID_BIN is the build dir, DVCID_SRC the tree.
"""

import collections
import http.client
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import Stack, free_port  # noqa: E402

SERVICES = {  # unit stem -> (installed binary, StateDirectory leaf, binds an ipc socket)
    "gateway": ("dvcid-gateway", "gateway", False),
    "account-svc": ("dvcid-account-svc", "account", True),
    "otp-svc": ("dvcid-otp-svc", "otp", True),
    "sms-worker": ("dvcid-sms-worker", "sms", True),
}
# The services that also come as a template, one unit per instance (--instance %i).
TEMPLATED = ("account-svc", "otp-svc", "sms-worker")
# The storage.dir subfolder each binary opens its LMDB in (cmn_main_data_dir callers).
DATA_SUBDIR = {"account-svc": "account", "otp-svc": "otp", "sms-worker": "sms"}
# The config key whose ipc endpoint each service binds.
ENDPOINT_KEY = {"account-svc": ("account", "endpoint"), "otp-svc": ("otp", "endpoint"),
                "sms-worker": ("sms", "endpoint")}
MAX_EXPOSURE = 2.0  # systemd-analyze security: 0 best, 10 worst; ours is 1.4

# Directives every service unit must carry, with the value (None: any non-empty value).
REQUIRED = {
    "Service": {
        "Type": "notify", "NotifyAccess": "main", "WatchdogSec": None,
        "Restart": "on-failure", "User": "dvcid", "Group": "dvcid", "UMask": "0077",
        "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
        "PrivateDevices": "yes", "NoNewPrivileges": "yes", "CapabilityBoundingSet": "",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6", "LockPersonality": "yes",
        "MemoryDenyWriteExecute": "yes", "RestrictNamespaces": "yes",
        "RestrictRealtime": "yes", "RestrictSUIDSGID": "yes", "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes", "ProtectControlGroups": "yes",
        "SystemCallArchitectures": "native", "StateDirectoryMode": "0700",
        # systemctl reload: SIGHUP rereads the config (cmn_service_reload.c)
        "ExecReload": "/bin/kill -HUP $MAINPID",
    },
}


Answer = collections.namedtuple("Answer", "status body")


def _get(host, port, path):
    """GET path on host:port (the gateway's management listener): (status, text)."""
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return Answer(r.status, r.read().decode("utf-8"))
    finally:
        conn.close()


def cmake_command(bindir):
    """The cmake that configured the build (its cache says), else the one on PATH."""
    try:
        with open(os.path.join(bindir, "CMakeCache.txt"), encoding="utf-8") as f:
            for line in f:
                if line.startswith("CMAKE_COMMAND:INTERNAL="):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return shutil.which("cmake") or "cmake"


def parse_unit(path):
    """{section: {key: [values...]}} of a systemd unit file (keys may repeat)."""
    out, section = {}, None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                out.setdefault(section, {})
                continue
            key, _, value = line.partition("=")
            out[section].setdefault(key.strip(), []).append(value.strip())
    return out


def parse_ini(text):
    """{(section, key): value} of a dvcid config, inline " ;" comments dropped."""
    out, section = {}, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in ";#":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        value = re.split(r"\s;", value, maxsplit=1)[0].strip()
        out[(section, key.strip())] = value
    return out


class DeployTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bindir = os.environ.get("DVCID_BIN") or os.path.join(
            os.environ.get("DVCID_SRC", os.getcwd()), "build")
        cls.cmake = cmake_command(cls.bindir)
        cls.tmp = tempfile.mkdtemp(prefix="dvcid-deploy-")
        cls.prefix = os.path.join(cls.tmp, "prefix")
        cls.install(cls.prefix)
        cls.unitdir = os.path.join(cls.prefix, "lib", "systemd", "system")
        cls.confdir = os.path.join(cls.prefix, "etc", "dvcid")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def install(cls, prefix, destdir=None):
        env = dict(os.environ)
        env.pop("DESTDIR", None)
        if destdir:
            env["DESTDIR"] = destdir
        r = subprocess.run([cls.cmake, "--install", cls.bindir, "--prefix", prefix],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                           universal_newlines=True, timeout=120)
        if r.returncode != 0:
            raise AssertionError("cmake --install failed:\n" + r.stdout)
        return r.stdout

    def units(self):
        return sorted(n for n in os.listdir(self.unitdir) if n.startswith("dvcid"))

    # ---- what is installed ----------------------------------------------------------

    def test_files_installed(self):
        if not os.path.isdir(self.unitdir):
            self.fail("no units under %s: does CMakeLists.txt include deploy/install.cmake?"
                      % self.unitdir)
        expected = ["dvcid-%s.service" % stem for stem in SERVICES]
        expected += ["dvcid-%s@.service" % stem for stem in TEMPLATED]
        expected += ["dvcid.target"]
        self.assertEqual(self.units(), sorted(expected))
        for stem, (binary, _, _) in SERVICES.items():
            path = os.path.join(self.prefix, "bin", binary)
            self.assertTrue(os.access(path, os.X_OK), path)
        for rel in ("lib/sysusers.d/dvcid.conf", "lib/tmpfiles.d/dvcid.conf",
                    "share/doc/dvcid/deploy.md", "share/doc/dvcid/three-hosts.conf",
                    "share/doc/dvcid/prometheus-alerts.yml",
                    "share/doc/dvcid/prometheus-scrape.yml",
                    "share/doc/dvcid/grafana-dashboard.json", "etc/dvcid/dvcid.conf"):
            self.assertTrue(os.path.isfile(os.path.join(self.prefix, rel)), rel)
        conf = os.path.join(self.confdir, "dvcid.conf")
        self.assertEqual(stat.S_IMODE(os.stat(conf).st_mode), 0o640,
                         "the config may hold provider passwords: 0640, group dvcid")
        with open(os.path.join(self.prefix, "lib/sysusers.d/dvcid.conf"), encoding="utf-8") as f:
            self.assertRegex(f.read(), r"(?m)^u dvcid - ")
        with open(os.path.join(self.prefix, "lib/tmpfiles.d/dvcid.conf"), encoding="utf-8") as f:
            self.assertIn("z %s/*.conf 0640 root dvcid" % self.confdir, f.read())

    def test_service_directives(self):
        for stem, (binary, leaf, ipc) in SERVICES.items():
            for template in (False, True) if stem in TEMPLATED else (False,):
                name = "dvcid-%s%s.service" % (stem, "@" if template else "")
                with self.subTest(unit=name):
                    u = parse_unit(os.path.join(self.unitdir, name))
                    svc = u.get("Service", {})
                    for key, want in REQUIRED["Service"].items():
                        self.assertIn(key, svc, "%s lacks %s=" % (name, key))
                        if want is not None:
                            self.assertEqual(svc[key][-1], want, "%s: %s=" % (name, key))
                        else:
                            self.assertTrue(svc[key][-1], "%s: %s= is empty" % (name, key))
                    self.assertIn("@system-service", svc["SystemCallFilter"])
                    conf = os.path.join(self.confdir, "dvcid.conf")
                    self.assertEqual(svc["ExecStart"], ["%s --config %s%s" % (
                        os.path.join(self.prefix, "bin", binary), conf,
                        " --instance %i" if template else "")])
                    # Instances share the service's directories (one LMDB environment),
                    # which one stopping instance must not remove under the others.
                    # (a template account-svc may be any shard: account-S below dvcid/)
                    state = "dvcid" if template and stem == "account-svc" else "dvcid/" + leaf
                    self.assertEqual(svc["StateDirectory"], [state])
                    if ipc:
                        self.assertEqual(svc["RuntimeDirectory"], ["dvcid/" + leaf])
                        self.assertEqual(svc["RuntimeDirectoryMode"], ["0700"])
                    self.assertEqual(svc.get("RuntimeDirectoryPreserve"),
                                     ["yes"] if template else None)
                    self.assertEqual(u["Unit"]["PartOf"], ["dvcid.target"])
                    self.assertEqual(u["Install"]["WantedBy"], ["dvcid.target"])
        u = parse_unit(os.path.join(self.unitdir, "dvcid.target"))
        self.assertEqual(u["Install"]["WantedBy"], ["multi-user.target"])

    def test_config_matches_units(self):
        """The production config puts each service's data and socket in the directories
        its unit gives it (StateDirectory=, RuntimeDirectory=), and nowhere else."""
        with open(os.path.join(self.confdir, "dvcid.conf"), encoding="utf-8") as f:
            cfg = parse_ini(f.read())
        self.assertEqual(cfg[("storage", "dir")], "/var/lib/dvcid")
        self.assertEqual(cfg.get(("captcha", "test_answer"), ""), "")
        for stem, (section, key) in ENDPOINT_KEY.items():
            u = parse_unit(os.path.join(self.unitdir, "dvcid-%s.service" % stem))
            endpoint = cfg[(section, key)]
            rundir = "/run/" + u["Service"]["RuntimeDirectory"][0] + "/"
            self.assertTrue(endpoint.startswith("ipc://" + rundir), (stem, endpoint, rundir))
            state = "/var/lib/" + u["Service"]["StateDirectory"][0]
            self.assertEqual(state, "/var/lib/dvcid/" + DATA_SUBDIR[stem], stem)
        sink = cfg[("sms", "file")]
        self.assertTrue(sink.startswith("/var/lib/dvcid/sms/"), sink)

    def test_three_hosts_guide_shows_the_tested_file(self):
        """deploy/README.md "Three hosts" shows three-hosts.conf in full, as it is: the file
        test_multihost runs is the one the guide tells users to install."""
        with open(os.path.join(self.prefix, "share/doc/dvcid/three-hosts.conf"),
                  encoding="utf-8") as f:
            conf = f.read()
        with open(os.path.join(self.prefix, "share/doc/dvcid/deploy.md"), encoding="utf-8") as f:
            guide = f.read()
        self.assertIn("```ini\n%s```\n" % conf, guide)

    # ---- systemd's own checks ---------------------------------------------------------

    def verify(self, paths):
        """systemd-analyze verify; fails on a non-zero exit or any line about our units."""
        exe = shutil.which("systemd-analyze")
        self.assertIsNotNone(exe, "systemd-analyze not found (scripts/deps.sh test installs "
                                  "systemd)")
        r = subprocess.run([exe, "verify", "--man=no"] + paths, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True, timeout=120)
        ours = [line for line in r.stdout.splitlines() if "dvcid" in line]
        self.assertEqual(r.returncode, 0, "systemd-analyze verify failed:\n" + r.stdout)
        self.assertEqual(ours, [], "systemd-analyze verify complains:\n" + r.stdout)

    def test_systemd_analyze_verify(self):
        self.verify([os.path.join(self.unitdir, n) for n in self.units()])

    def test_systemd_analyze_verify_instances(self):
        """A template is only complete with an instance (%i in the command line)."""
        d = os.path.join(self.tmp, "instances")
        os.makedirs(d, exist_ok=True)
        paths = []
        for n in self.units():
            if "@." in n:
                # as deployed: dvcid-otp-svc@1, dvcid-account-svc@1-0 (shard 1, instance 0)
                name = n.replace("@.", "@1-0." if n.startswith("dvcid-account-svc") else "@1.")
                inst = os.path.join(d, name)
                if not os.path.lexists(inst):
                    os.symlink(os.path.join(self.unitdir, n), inst)
                paths.append(inst)
        self.verify(paths)

    def test_verify_catches_mistakes(self):
        """The check itself works: an unknown key or a missing binary in one unit fails it."""
        d = os.path.join(self.tmp, "broken")
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(self.unitdir, d)
        path = os.path.join(d, "dvcid-otp-svc.service")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for name, bad, says in (
                ("unknown key", text.replace("UMask=0077", "UMask=0077\nUmask=0077"),
                 "Unknown key"),
                ("missing binary", text.replace("/bin/dvcid-otp-svc", "/bin/no-such-svc"),
                 "not executable")):
            with open(path, "w", encoding="utf-8") as f:
                f.write(bad)
            with self.subTest(mistake=name):
                with self.assertRaisesRegex(AssertionError, says):
                    self.verify([os.path.join(d, n) for n in self.units()])

    def test_sandbox_exposure(self):
        exe = shutil.which("systemd-analyze")
        self.assertIsNotNone(exe)
        for stem in SERVICES:
            name = "dvcid-%s.service" % stem
            r = subprocess.run([exe, "security", "--offline=yes", "--no-pager",
                                os.path.join(self.unitdir, name)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True, timeout=120)
            m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
            self.assertIsNotNone(m, "no exposure level for %s:\n%s" % (name, r.stdout))
            self.assertLessEqual(float(m.group(1)), MAX_EXPOSURE,
                                 "%s is exposed %s:\n%s" % (name, m.group(1), r.stdout))

    # ---- the installed stack runs with the installed config ---------------------------

    def test_installed_stack_serves(self):
        """The installed binaries with the production config, its /var/lib/dvcid and
        /run/dvcid moved into a temp dir (systemd would create them), answer /readyz."""
        with open(os.path.join(self.confdir, "dvcid.conf"), encoding="utf-8") as f:
            prod = f.read()
        st = Stack()
        try:
            run = os.path.join(st.tmp, "run")
            for leaf in DATA_SUBDIR.values():  # RuntimeDirectory= of each backend
                os.makedirs(os.path.join(run, leaf), mode=0o700)
            text = prod.replace("/var/lib/dvcid", st.var).replace("/run/dvcid", run)
            text = re.sub(r"(?m)^listen = \S+", "listen = 127.0.0.1:%d" % st.port, text)
            mport = free_port()
            text, n = re.subn(r"(?m)^management_listen = \S+",
                              "management_listen = 127.0.0.1:%d" % mport, text)
            self.assertEqual(n, 1, "dvcid.conf names gateway.management_listen")
            # argon2's production memory is not what this test is about
            text = re.sub(r"(?m)^argon2_mem_mib = \S+", "argon2_mem_mib = 19", text)
            # As shipped, the SMS provider is left to fill in: sms-worker says so and stops.
            with open(st.config_path, "w", encoding="utf-8") as f:
                f.write(text)
            r = subprocess.run([os.path.join(self.prefix, "bin", "dvcid-sms-worker"), "--config",
                                st.config_path], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, universal_newlines=True, timeout=30,
                               cwd=st.tmp)
            self.assertNotEqual(r.returncode, 0, "started with no SMS provider:\n" + r.stdout)
            self.assertIn("sms.http_url is empty: set the send URL of your SMS gateway",
                          r.stdout)
            # The operator's step: a provider (here one that delivers nowhere).
            text, n = re.subn(r"(?m)^http_url = *(;.*)?$",
                              "http_url = http://127.0.0.1:9/send?to={to_digits}&text={text}",
                              text)
            self.assertEqual(n, 1, "dvcid.conf has an empty http_url to fill in")
            with open(st.config_path, "w", encoding="utf-8") as f:
                f.write(text)
            for stem, (binary, _, _) in SERVICES.items():
                st.binaries[stem] = os.path.join(self.prefix, "bin", binary)
            st.start_all()
            r = st.request("GET", "/readyz")
            self.assertEqual(r.status, 200, r)
            # Production: what only ops may see is off the public listener (issue 21.3).
            self.assertEqual(r.body, {"status": "ready"}, "public /readyz: the status only")
            self.assertEqual(st.request("GET", "/metrics").status, 404, "public /metrics")
            m = _get("127.0.0.1", mport, "/metrics")
            self.assertEqual(m.status, 200, m)
            self.assertIn('dvcid_backend_up{service="otp-svc",instance="0-0"} 1', m.body)
            d = _get("127.0.0.1", mport, "/readyz")
            self.assertEqual(d.status, 200, d)
            self.assertEqual(json.loads(d.body)["status"], "ready")
            self.assertEqual(sorted((b["service"], b["instance"], b["up"])
                                    for b in json.loads(d.body)["backends"]),
                             [("account-svc", "0-0", True), ("otp-svc", "0-0", True),
                              ("sms-worker", "0-0", True)])
            self.assertEqual(_get("127.0.0.1", mport, "/v1/me").status, 404,
                             "the management listener serves no API route")
        except BaseException:
            st.close(failed=True)
            raise
        st.close()

    def test_systemd_check_script_parses(self):
        """deploy/check-under-systemd.sh (run by hand, as root) is at least valid bash."""
        src = os.environ.get("DVCID_SRC") or os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.abspath(__file__))))
        script = os.path.join(src, "deploy", "check-under-systemd.sh")
        r = subprocess.run(["bash", "-n", script], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertTrue(os.access(script, os.X_OK), script)

    # ---- reinstalling and staging --------------------------------------------------------

    def test_reinstall_keeps_edited_config(self):
        prefix = os.path.join(self.tmp, "again")
        self.install(prefix)
        conf = os.path.join(prefix, "etc", "dvcid", "dvcid.conf")
        new = conf + ".new"
        self.install(prefix)  # unchanged: nothing to keep, no .new
        self.assertFalse(os.path.exists(new))
        with open(conf, "a", encoding="utf-8") as f:
            f.write("\n[log]\nlevel = debug\n")
        with open(conf, encoding="utf-8") as f:
            edited = f.read()
        out = self.install(prefix)
        with open(conf, encoding="utf-8") as f:
            self.assertEqual(f.read(), edited, "an edited config was overwritten")
        self.assertTrue(os.path.isfile(new), out)
        with open(os.path.join(self.confdir, "dvcid.conf"), encoding="utf-8") as f:
            ours = f.read()
        with open(new, encoding="utf-8") as f:
            self.assertEqual(f.read(), ours)

    def test_destdir_staging(self):
        """DESTDIR=stage --prefix /usr/local: files land under stage, the units name the
        final paths, and the config goes to /etc/dvcid (as for --prefix /usr)."""
        stage = os.path.join(self.tmp, "stage")
        self.install("/usr/local", destdir=stage)
        unit = os.path.join(stage, "usr/local/lib/systemd/system/dvcid-gateway.service")
        svc = parse_unit(unit)["Service"]
        self.assertEqual(svc["ExecStart"],
                         ["/usr/local/bin/dvcid-gateway --config /etc/dvcid/dvcid.conf"])
        self.assertTrue(os.path.isfile(os.path.join(stage, "etc/dvcid/dvcid.conf")))
        self.assertTrue(os.path.isfile(os.path.join(stage, "usr/local/bin/dvcid-gateway")))
        self.assertFalse(os.path.exists(os.path.join(stage, "usr/local/etc")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
