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


def keygen(name, directory, roles=None):
    r = subprocess.run([DVCCTL, "keygen", name, directory] + ([roles] if roles else []),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, "dvcctl keygen %s: %s%s" % (name, r.stdout, r.stderr)
    return os.path.join(directory, name + ".cert")


def key_dirs(cls, prefix):
    """A temp tree of keys for a test class: cls.keys, cls.clients; returns the secret dir."""
    cls.keys = tempfile.mkdtemp(prefix=prefix)
    cls.clients = os.path.join(cls.keys, "clients")
    os.makedirs(cls.clients)
    return os.path.join(cls.keys, "secret")


class CurveTest(StackTestCase):
    @classmethod
    def setUpClass(cls):
        secret = key_dirs(cls, "dvcid-curve-")
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


class RolesStack(Stack):
    """Each process with its own key ([curve] cert through DVCID_CURVE_CERT)."""

    certs = {}

    def environment(self, name):
        env = super().environment(name)
        env["DVCID_CURVE_CERT"] = self.certs[name]
        return env


class CurveRolesTest(StackTestCase):
    """Issue 19.5: each service its own key, and an allow-list per method class: with
    [curve] require_roles, administration (unlock, dead letters, a flow's SMS) only from
    a key with the admin role, SmsSend only from otp-svc's, OtpIssue only from
    account-svc's; a key without roles calls nothing; the citizens' flows still work."""

    @classmethod
    def setUpClass(cls):
        secret = key_dirs(cls, "dvcid-roles-")
        cls.servers = cls.clients  # each endpoint names its server's public cert
        roles = {"gateway": "gateway", "account-svc": "account-svc", "otp-svc": "otp-svc",
                 "sms-worker": "sms-worker", "ops": "admin", "norole": None}
        cls.cert = {n: keygen(n, secret, r) for n, r in roles.items()}
        for n in roles:
            shutil.copy(cls.cert[n], cls.clients)
        RolesStack.certs = {n: cls.cert[n] for n in
                            ("gateway", "account-svc", "otp-svc", "sms-worker")}
        ports = [free_port() for _ in range(3)]
        cls.stack_config = {
            "account": {"endpoint": "tcp://127.0.0.1:%d@account-svc" % ports[0]},
            "otp": {"endpoint": "tcp://127.0.0.1:%d@otp-svc" % ports[1]},
            "sms": {"endpoint": "tcp://127.0.0.1:%d@sms-worker" % ports[2]},
            "curve": {"enabled": "true", "cert": cls.cert["gateway"], "clients": cls.clients,
                      "servers": cls.servers, "allow_plain_local": "false",
                      "require_roles": "true"},
        }
        cls._failed = False
        cls.stack = RolesStack(**cls.stack_config)
        cls.stack.__enter__()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.keys, ignore_errors=True)

    def ctl_as(self, who, *args):
        config = {s: dict(k) for s, k in self.stack.config.items()}
        config["curve"]["cert"] = self.cert[who]
        path = os.path.join(self.stack.tmp, "dvcctl-%s-%d.conf" % (who, time.monotonic_ns()))
        write_config(path, config)
        return subprocess.run([DVCCTL, "--config", path] + list(args), capture_output=True,
                              text=True, timeout=30)

    def raw(self, who, endpoint, server_pub, body):
        """The Reply (text) to one Request with body (empty) sent as who over CURVE."""
        from test_hostile_frames import Wire, decode_reply
        _rid, msg = Wire().request(body)
        env = dict(os.environ, ZFRAMES_CERT=self.cert[who], ZFRAMES_SERVER=server_pub)
        r = subprocess.run([os.path.join(self.stack.bindir, "dvcid-zframes"), "send",
                            endpoint], input="5000 %s\n" % msg.hex(), env=env,
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.split()
        self.assertEqual(out[0], "reply", "%s %s: no answer (%s)" % (who, body, r.stdout))
        return decode_reply(out[1]) or ""

    def refused_count(self):
        r = self.stack.request("GET", "/metrics")
        self.assertStatus(r, 200, "metrics")
        return sum(float(ln.rsplit(" ", 1)[1]) for ln in r.body.splitlines()
                   if ln.startswith("dvcid_peer_refused_total"))

    def test_keygen_roles(self):
        with open(self.cert["ops"], encoding="utf-8") as f:
            self.assertIn('roles = "admin"', f.read())
        r = subprocess.run([DVCCTL, "keygen", "bad", self.keys, "root"], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 1, "an unknown role is refused")
        self.assertIn("roles", r.stderr)

    def test_flows_with_a_key_per_service(self):
        st = self.stack
        acc = st.register()
        r = st.request("POST", "/v1/logins", json={
            "id_number": acc["id_number"], "password": acc["password"], "captcha_id": "x",
            "captcha_answer": "TEST"})
        self.assertStatus(r, 201, "sign-in with a key per service")
        # The admin key is served for administration.
        r = self.ctl_as("ops", "account", acc["id_number"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.ctl_as("ops", "dead-letters")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_method_classes(self):
        st = self.stack
        acc = st.register()
        before = self.refused_count()
        # A stolen gateway key (or otp-svc's) cannot unlock, read accounts or dead letters.
        for who in ("gateway", "otp-svc", "norole"):
            for args in (("unlock", acc["id_number"]), ("account", acc["id_number"]),
                         ("dead-letters",)):
                r = self.ctl_as(who, *args)
                self.assertNotEqual(r.returncode, 0, "%s may not %s: %s" % (who, args, r.stdout))
        # Straight to the services with raw frames: SmsSend with the gateway's key and
        # OtpIssue with otp-svc's own are refused before any handler runs; the same
        # (empty) SmsSend with otp-svc's key reaches the handler, which refuses it as
        # invalid instead.
        sms_ep = st.config["sms"]["endpoint"].split("@")[0]
        otp_ep = st.config["otp"]["endpoint"].split("@")[0]
        sms_pub = os.path.join(self.clients, "sms-worker.cert")
        otp_pub = os.path.join(self.clients, "otp-svc.cert")
        self.assertIn("UNAUTHORIZED", self.raw("gateway", sms_ep, sms_pub, "sms_send"))
        self.assertIn("UNAUTHORIZED", self.raw("otp-svc", otp_ep, otp_pub, "otp_issue"))
        self.assertNotIn("UNAUTHORIZED", self.raw("otp-svc", sms_ep, sms_pub, "sms_send"))
        self.assertIn("UNAUTHORIZED", self.raw("norole", sms_ep, sms_pub, "sms_send"))
        after = self.refused_count()
        self.assertGreaterEqual(after - before, 12, "each refusal is counted")
        for name in ("account-svc", "sms-worker"):
            with open(st.log_path(name), encoding="utf-8", errors="replace") as f:
                self.assertIn("its cert's roles do not include", f.read())
        # The allowed key still unlocks.
        r = self.ctl_as("ops", "unlock", acc["id_number"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_sms_switch_admin_only(self):
        """dvcctl sms pause | resume | status (issue 17.1): the admin role only."""
        st = self.stack
        otp_ep = st.config["otp"]["endpoint"].split("@")[0]
        otp_pub = os.path.join(self.clients, "otp-svc.cert")
        for who in ("gateway", "account-svc", "otp-svc", "norole"):
            for what in ("pause", "status"):
                r = self.ctl_as(who, "sms", what)
                self.assertNotEqual(r.returncode, 0, "%s may not sms %s: %s" % (who, what, r.stdout))
        self.assertIn("UNAUTHORIZED", self.raw("account-svc", otp_ep, otp_pub, "otp_sms_pause"))
        self.assertIn("UNAUTHORIZED", self.raw("gateway", otp_ep, otp_pub, "otp_sms_resume"))
        r = self.ctl_as("ops", "sms", "status")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("sms        sending", r.stdout, "nobody without the role paused it")
        r = self.ctl_as("ops", "sms", "pause")
        self.assertIn("PAUSED", r.stdout, r.stderr)
        r = self.ctl_as("ops", "sms", "resume")
        self.assertIn("sms        sending", r.stdout, r.stderr)


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
