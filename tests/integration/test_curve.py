"""CURVE on every ZeroMQ socket (issue 8): keys made with `dvcctl keygen`, the four
processes on tcp loopback with [curve] enabled, flows work end to end; dvcctl with an
allowed key is served, while a client whose key is not allowed, one with the wrong
server key and one without CURVE are refused, and the service logs each refusal.
Plaintext to another host without CURVE stops start-up."""
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvcid_stack import Stack, StackTestCase, free_port, write_config  # noqa: E402

BINDIR = os.environ.get("DVCID_BIN") or os.path.join(
    os.environ.get("DVCID_SRC", os.getcwd()), "build")
DVCCTL = os.path.join(BINDIR, "dvcctl")


def keygen(name, directory):
    r = subprocess.run([DVCCTL, "keygen", name, directory], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, "dvcctl keygen %s: %s%s" % (name, r.stdout, r.stderr)
    return os.path.join(directory, name + ".cert")


class CurveTest(StackTestCase):
    @classmethod
    def setUpClass(cls):
        cls.keys = tempfile.mkdtemp(prefix="dvcid-curve-")
        secret = os.path.join(cls.keys, "secret")
        cls.clients = os.path.join(cls.keys, "clients")
        os.makedirs(cls.clients)
        # This host's cert (every process here uses it, as server and as client), the ops
        # team's key, and a stranger's.
        cls.host = keygen("host", secret)
        cls.ops = keygen("ops", secret)
        cls.stranger = keygen("stranger", secret)
        for name in ("host", "ops"):
            shutil.copy(os.path.join(secret, name + ".cert"), cls.clients)
        # What a client elsewhere knows of this host: its public cert, by name.
        cls.servers = os.path.join(cls.keys, "servers")
        os.makedirs(cls.servers)
        shutil.copy(cls.host, cls.servers)
        ports = [free_port() for _ in range(3)]
        cls.stack_config = {
            "account": {"endpoint": "tcp://127.0.0.1:%d" % ports[0]},
            "otp": {"endpoint": "tcp://127.0.0.1:%d" % ports[1]},
            "sms": {"endpoint": "tcp://127.0.0.1:%d" % ports[2]},
            "curve": {"enabled": "true", "cert": cls.host, "clients": cls.clients,
                      "allow_plain_local": "false"},
        }
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.keys, ignore_errors=True)

    def ctl_with(self, curve, *args, server="@host"):
        """dvcctl with the stack's config but these [curve] keys, each endpoint naming
        the server's cert (server: "@NAME", "@<Z85 key>" or "" for none)."""
        config = {s: dict(k) for s, k in self.stack.config.items()}
        for section in ("account", "otp", "sms"):
            config[section]["endpoint"] += server
        config["curve"] = dict(curve, servers=self.servers)
        path = os.path.join(self.stack.tmp, "dvcctl-%d.conf" % time.monotonic_ns())
        write_config(path, config)
        return subprocess.run([DVCCTL, "--config", path] + list(args), capture_output=True,
                              text=True, timeout=30)

    def wait_log(self, name, text, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.stack.log_path(name), encoding="utf-8", errors="replace") as f:
                if text in f.read():
                    return
            time.sleep(0.1)
        self.fail("%s log lacks %r:\n%s" % (name, text, self.stack.logs_tail(10)))

    def test_keygen(self):
        mode = stat.S_IMODE(os.stat(self.host + "_secret").st_mode)
        self.assertEqual(mode, 0o600, "the secret half is private")
        with open(self.host, encoding="utf-8") as f:
            public = f.read()
        self.assertIn("public-key", public)
        self.assertNotIn("secret-key", public, "the public cert holds no secret")
        r = subprocess.run([DVCCTL, "keygen", "host", os.path.dirname(self.host)],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1, "an existing key is not overwritten")
        self.assertIn("already exists", r.stderr)

    def test_flows_over_curve(self):
        st = self.stack
        for name in ("account-svc", "otp-svc", "sms-worker"):
            self.wait_log(name, ", CURVE)")
        acc = st.register()
        r = st.request("POST", "/v1/logins", json={
            "id_number": acc["id_number"], "password": acc["password"], "captcha_id": "x",
            "captcha_answer": "TEST"})
        self.assertStatus(r, 201, "sign-in over CURVE")
        code = st.last_otp(acc["phone"], "login")
        v = st.request("POST", "/v1/logins/%s/otp/verify" % r.body["login_id"],
                       json={"code": code})
        self.assertStatus(v, 200, "sign-in verify over CURVE")

    def test_allowed_client(self):
        r = self.ctl_with({"enabled": "true", "cert": self.ops}, "status")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"account-svc\s+yes")

    def test_refused_clients_are_logged(self):
        # A key that is not in [curve] clients.
        r = self.ctl_with({"enabled": "true", "cert": self.stranger}, "account",
                          "001099000000")
        self.assertEqual(r.returncode, 3, "refused: no answer (%s)" % r.stderr)
        self.wait_log("account-svc", "peer's public key is not allowed (ZAP 400)")
        # An allowed key, but a wrong server key for the endpoint (a Z85 key this time).
        with open(self.stranger, encoding="utf-8") as f:
            wrong = [ln.split('"')[1] for ln in f if "public-key" in ln][0]
        r = self.ctl_with({"enabled": "true", "cert": self.ops}, "account", "001099000000",
                          server="@" + wrong)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.wait_log("account-svc", "cryptographic error (wrong server key")
        # Without CURVE at all (plaintext allowed on loopback for this client).
        r = self.ctl_with({"enabled": "false"}, "account", "001099000000", server="")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.wait_log("account-svc", "(CURVE on one side only")
        # The service still serves the allowed ones.
        self.assertEqual(self.ctl_with({"enabled": "true", "cert": self.ops},
                                       "status").returncode, 0)


class PlaintextPolicyTest(unittest.TestCase):
    def test_remote_plaintext_stops_startup(self):
        st = Stack(otp={"endpoint": "tcp://10.255.255.1:7102"})
        try:
            exe = st.binaries["otp-svc"]
            r = subprocess.run([exe, "--config", st.config_path], capture_output=True,
                               text=True, timeout=30)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("is not a loopback or ipc endpoint: it needs [curve] enabled = true",
                          r.stdout + r.stderr)
            r = subprocess.run([exe, "--config", st.config_path, "--instance", "1"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 1)
            self.assertIn("--shard 0 --instance 1: [otp] endpoint has 1 shards, shard 0 has 1 "
                          "instances", r.stdout + r.stderr)
        finally:
            shutil.rmtree(st.tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
