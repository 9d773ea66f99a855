"""Live reload (issue 17.4, 18.2): SIGHUP makes every process reread its configuration
file between two batches. Under light traffic that runs throughout (a thread asking for
captchas, the JWKS and registration starts), a changed OTP lifetime (otp-svc), access
token lifetime (account-svc) and SMS text (sms-worker) take effect with no request
failed, and otp-svc rebuilds its pumping-defence table; a key that cannot change live is
kept with a warning naming it; a file with a key given twice is refused with file:line by
every process and the running settings stay, a list only otp-svc parses by otp-svc; after `dvcctl rotate-key` and SIGHUP the new key signs and is in the JWKS, with no
restart; dvcid_config_reloads_total{result} counts it all. `--check-config` of each
binary says 0 to a good file and 1 with file:line to a bad one."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import PROCESSES, Stack, StackTestCase, new_phone, write_config  # noqa: E402
from signin_helpers import jwt_parts, openssl_verify, register_account, sign_in  # noqa: E402

TEXTS = """[register]
vi = DVCQG %s: ma dang ky {code}, hieu luc {minutes} phut. Khong chia se ma nay.
"""


class Traffic(threading.Thread):
    """Requests all along a test: each answer must be the expected one."""

    def __init__(self, st):
        super().__init__(daemon=True)
        self.st = st
        self.stop = threading.Event()
        self.done, self.failed = 0, []

    def one(self, n):
        st = self.st
        if n % 3 == 0:
            r = st.request("GET", "/.well-known/jwks.json")
            ok = r.status == 200 and r.body.get("keys")
        elif n % 3 == 1:
            r = st.request("POST", "/v1/captcha")
            ok = r.status == 201
        else:
            r = st.start_registration(phone=new_phone())
            ok = r.status == 201
        if not ok:
            self.failed.append("%d %r" % (r.status, r.body))

    def run(self):
        n = 0
        while not self.stop.is_set():
            try:
                self.one(n)
            except Exception as e:  # noqa: BLE001: every failure is counted, not raised here
                self.failed.append(repr(e))
            self.done += 1
            n += 1
            time.sleep(0.03)


class ReloadTest(StackTestCase):
    @classmethod
    def setUpClass(cls):
        cls._failed = False
        st = cls.stack = Stack(captcha={"test_answer": "TEST", "max_per_ip_hour": 100000},
                               account={"max_registration_starts_per_ip_hour": 100000},
                               otp={"ttl": 300, "max_sends_per_ip_hour": 100000,
                                    "max_sends_per_prefix_hour": 100000},
                               token={"access_ttl": 300})
        cls.texts = os.path.join(st.tmp, "texts.conf")
        with open(cls.texts, "w", encoding="utf-8") as f:
            f.write(TEXTS % "A")
        st.config["sms"]["texts_file"] = cls.texts
        write_config(st.config_path, st.config)
        st.__enter__()

    def metrics(self):
        r = self.stack.request("GET", "/metrics")
        return r.body if isinstance(r.body, str) else r.body.decode()

    def reloads(self):
        """{(service, result): count} of dvcid_config_reloads_total over the stack."""
        text = self.metrics()
        out = {}
        for m in re.finditer(r'dvcid_config_reloads_total\{service="([^"]+)",[^}]*'
                             r'result="(\w+)"\} (\d+)', text):
            out[(m.group(1), m.group(2))] = out.get((m.group(1), m.group(2)), 0) + int(m.group(3))
        return out

    def hup(self, result, names=PROCESSES):
        """SIGHUP to names; waits until each has counted one more reload of result."""
        before = self.reloads()
        for name in names:
            self.stack.kill(name, signal.SIGHUP)
        deadline = time.monotonic() + 15
        while True:
            now = self.reloads()
            behind = [n for n in names if now.get((n, result), 0) < before.get((n, result), 0) + 1]
            if not behind:
                return
            self.assertLess(time.monotonic(), deadline, "no %s reload counted by %s: %r\n%s"
                            % (result, behind, now, self.stack.logs_tail(10)))
            time.sleep(0.1)

    def write(self, **changes):
        """The stack's config with changes ({section: {key: value}}) written over it."""
        config = {s: dict(k) for s, k in self.stack.config.items()}
        for section, keys in changes.items():
            config.setdefault(section, {}).update(keys)
        write_config(self.stack.config_path, config)
        return config

    def log(self, name):
        with open(self.stack.log_path(name), encoding="utf-8", errors="replace") as f:
            return f.read()

    def registration(self):
        """A registration start: (its OTP's expires_in, the SMS text it sent)."""
        phone = new_phone()
        r = self.stack.start_registration(phone=phone)
        self.assertStatus(r, 201, "registration start")
        return r.body["otp"]["expires_in"], self.stack.last_otp_line(phone, "register")["text"]

    def access_ttl(self):
        _, claims, _, _ = jwt_parts(sign_in(self.stack, self.acc)["access_token"])
        return claims["exp"] - claims["iat"]

    def wait_for(self, cond, what, timeout=30):
        deadline = time.monotonic() + timeout
        while not cond():
            self.assertLess(time.monotonic(), deadline, what)
            time.sleep(0.05)

    def test_reload(self):
        st = self.stack
        self.acc = register_account(st)
        traffic = Traffic(st)
        traffic.start()
        try:
            # Running before the first reload, and still answering after the last: the
            # checks take 1-2 s on a quiet machine, so a fixed count over them says nothing.
            self.wait_for(lambda: traffic.done >= 5, "traffic before the reloads")
            before = traffic.done
            self.check_live_changes()
            self.check_bad_file()
            self.check_rotate_key()
            after = traffic.done
            self.wait_for(lambda: traffic.done >= max(50, after + 5), "traffic after the reloads")
        finally:
            traffic.stop.set()
            traffic.join(timeout=15)
        self.assertGreater(after, before, "the traffic ran during the reloads")
        self.assertEqual(traffic.failed, [], "no request failed across the reloads (of %d)"
                         % traffic.done)

    def check_live_changes(self):
        ttl, text = self.registration()
        self.assertTrue(298 <= ttl <= 300, ttl)
        self.assertIn("DVCQG A:", text)
        self.assertEqual(self.access_ttl(), 300)
        with open(self.texts, "w", encoding="utf-8") as f:
            f.write(TEXTS % "B")
        self.stack.config = self.write(otp={"ttl": 240, "operators": "+8491=reloadop"},
                                       token={"access_ttl": 120}, gateway={"timeout_ms": 3000})
        self.hup("ok")
        ttl, text = self.registration()
        self.assertTrue(238 <= ttl <= 240, "otp.ttl reloaded in otp-svc: expires_in %r" % ttl)
        self.assertIn("DVCQG B:", text, "the SMS text reloaded in sms-worker")
        self.assertIn("hieu luc 4 phut", text, "{minutes} of the new otp.ttl")
        self.assertEqual(self.access_ttl(), 120, "token.access_ttl reloaded in account-svc")
        deadline = time.monotonic() + 5  # the pumping defence's table, rebuilt (a gauge a second)
        while 'operator="reloadop"' not in self.metrics():
            self.assertLess(time.monotonic(), deadline, "otp.operators reloaded in otp-svc")
            time.sleep(0.2)
        self.assertRegex(self.log("gateway"), r"reload: \[gateway\] timeout_ms cannot change in "
                                              r"a running process: kept as running")
        for name in PROCESSES:
            self.assertIn("configuration reloaded from %s" % self.stack.config_path,
                          self.log(name), name)

    def check_bad_file(self):
        path = self.stack.config_path
        good = open(path, encoding="utf-8").read()
        bad = good.replace("[otp]\n", "[otp]\nttl = 60\n", 1)
        line = bad.splitlines().index("ttl = 60") + 1
        with open(path, "w", encoding="utf-8") as f:
            f.write(bad)
        self.hup("refused")
        for name in PROCESSES:
            self.assertRegex(self.log(name), r"configuration reload refused, the running settings "
                                             r"stay: %s:\d+: \[otp\] ttl given twice \(first at "
                                             r"line %d\)" % (re.escape(path), line), name)
        ttl, text = self.registration()
        self.assertTrue(238 <= ttl <= 240, "the running otp.ttl stays: %r" % ttl)
        self.assertIn("DVCQG B:", text)
        self.assertEqual(self.access_ttl(), 120, "the running access_ttl stays")
        # --check-config says the same, and 0 once the file is good again.
        for name in PROCESSES:
            r = subprocess.run([self.stack.binaries[name], "--check-config", path],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 1, "%s --check-config of a bad file" % name)
            self.assertRegex(r.stderr, r"%s:\d+: \[otp\] ttl given twice \(first at line %d\)"
                             % (re.escape(path), line), name)
        # What one service parses of its own: sms-worker the provider's success rule; the
        # gateway, which does not read it, takes the file.
        other = os.path.join(self.stack.tmp, "other.conf")
        with open(other, "w", encoding="utf-8") as f:
            f.write("[sms]\nprovider = http\nhttp_url = http://127.0.0.1:1/s?to={to}\n"
                    "http_success = 2yy\n")
        r = subprocess.run([self.stack.binaries["sms-worker"], "--check-config", other],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("%s: sms http: sms.http_success \"2yy\": expected" % other, r.stderr)
        r = subprocess.run([self.stack.binaries["gateway"], "--check-config", other],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # A list only otp-svc parses: it refuses, with the key, and keeps its table.
        with open(path, "w", encoding="utf-8") as f:
            f.write(good.replace("[otp]\n", "[otp]\nallowed_countries = abc\n", 1))
        self.hup("refused", ["otp-svc"])
        self.assertIn("configuration reload refused, the running settings stay: [otp] "
                      "allowed_countries: \"abc\"", self.log("otp-svc"))
        r = subprocess.run([self.stack.binaries["otp-svc"], "--check-config", path],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("[otp] allowed_countries", r.stderr)
        with open(path, "w", encoding="utf-8") as f:
            f.write(good)
        for name in PROCESSES:
            r = subprocess.run([self.stack.binaries[name], "--check-config", path],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, "%s --check-config: %s" % (name, r.stderr))
            self.assertIn("configuration valid", r.stdout, name)

    def check_rotate_key(self):
        st = self.stack
        before = {k["kid"] for k in st.request("GET", "/.well-known/jwks.json").body["keys"]}
        r = subprocess.run([os.path.join(st.bindir, "dvcctl"), "--config", st.config_path,
                            "rotate-key"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        kid = re.search(r"new signing key (\S+)", r.stdout).group(1)
        self.assertNotIn(kid, before)
        pid = st.procs["account-svc"].pid
        self.hup("ok", ["account-svc"])
        self.assertEqual(st.procs["account-svc"].pid, pid, "no restart")
        keys = {k["kid"]: k for k in st.request("GET", "/.well-known/jwks.json").body["keys"]}
        self.assertIn(kid, keys, "the new key is in the JWKS")
        self.assertTrue(before <= set(keys), "the old keys stay in the JWKS")
        header, _, signing_input, sig = jwt_parts(sign_in(st, self.acc)["access_token"])
        self.assertEqual(header["kid"], kid, "the new key signs")
        ok, out = openssl_verify(keys[kid]["x"], signing_input, sig)
        self.assertTrue(ok, "the new key's token verifies with its JWKS entry: %s" % out)


if __name__ == "__main__":
    unittest.main()
