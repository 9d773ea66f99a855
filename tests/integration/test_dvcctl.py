"""dvcctl against the real stack: status, account lookup with masked output, unlock
of a locked ID, rotate-key, clear usage errors and exit codes."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvcid_stack import StackTestCase, mask_phone  # noqa: E402


class DvcctlTest(StackTestCase):
    # max_consecutive as low: the lock dvcctl shows and lifts is the ID-wide one.
    stack_config = {"login": {"max_failures": 2, "max_consecutive": 2, "lock_seconds": 600}}

    def ctl(self, *args):
        exe = os.path.join(self.stack.bindir, "dvcctl")
        return subprocess.run([exe, "--config", self.stack.config_path] + list(args),
                              capture_output=True, text=True, timeout=30)

    def test_config_by_default(self):
        """No --config: $DVCID_CONFIG names the file (else /etc/dvcid/dvcid.conf when it
        exists): status reaches this stack's services, which the defaults would not."""
        exe = os.path.join(self.stack.bindir, "dvcctl")
        env = dict(os.environ, DVCID_CONFIG=self.stack.config_path)
        r = subprocess.run([exe, "status"], capture_output=True, text=True, timeout=30, env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"otp-svc\s+yes\s+yes")
        r = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30)
        self.assertIn("/etc/dvcid/dvcid.conf when it exists", r.stdout)

    def test_status(self):
        r = self.ctl("status")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for name in ("account-svc", "otp-svc", "sms-worker"):
            self.assertRegex(r.stdout, r"%s\s+yes\s+yes" % name)
        # The sms-worker row shows its queue depth (the last column): a number.
        # The sms-worker row shows its queue depth: a number, then the storage columns:
        # data in use and its share of max_map, then the free disk.
        self.assertRegex(r.stdout, r"\nsms-worker\s+yes\s+yes\s+\S+\s+\S+\s+\S+\s+\d+\s+"
                                   r"\d+ MiB \d+\.\d%\s+\d+ MiB\n")
        for name in ("account-svc", "otp-svc"):
            self.assertRegex(r.stdout, r"\n%s\s+yes.*\s\d+ MiB \d+\.\d%%\s+\d+ MiB\n" % name)
        m = self.stack.request("GET", "/metrics")
        self.assertRegex(m.body if isinstance(m.body, str) else m.body.decode(),
                         r'dvcid_sms_queue_depth\{service="sms-worker",instance="0-0"\} \d+')
        self.stack.stop("sms-worker")
        try:
            r = self.ctl("status")
            self.assertEqual(r.returncode, 3, "a service that does not answer: exit 3")
            self.assertRegex(r.stdout, r"sms-worker\s+no")
        finally:
            self.stack.start("sms-worker")
            self.stack.wait_ready()

    def test_account_lookup_and_unlock(self):
        st = self.stack
        acc = st.register()
        r = self.ctl("account", acc["id_number"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(mask_phone(acc["phone"]), r.stdout)
        self.assertNotIn(acc["id_number"], r.stdout, "the ID number is masked")
        self.assertIn("locked    no", r.stdout)
        wrong = {"id_number": acc["id_number"], "password": "Sai!Mat1khau",
                 "captcha_id": "x", "captcha_answer": "TEST"}
        for _ in range(2):
            st.request("POST", "/v1/logins", json=wrong)
        self.assertError(st.request("POST", "/v1/logins", json=dict(wrong, password=acc["password"])),
                         423, "account_locked", "locked")
        self.assertIn("locked    until", self.ctl("account", acc["id_number"]).stdout)
        r = self.ctl("unlock", acc["id_number"])
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "unlocked"), r.stderr)
        ok = st.request("POST", "/v1/logins", json=dict(wrong, password=acc["password"]))
        self.assertStatus(ok, 201, "the right password works after unlock")
        r = self.ctl("account", "001099000000")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not found", r.stderr)

    def test_rotate_key_and_usage(self):
        r = self.ctl("rotate-key")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("new signing key", r.stdout)
        keys = os.listdir(os.path.join(self.stack.var, "account", "keys"))
        self.assertEqual(len([k for k in keys if k.endswith(".key")]), 2)
        self.assertEqual(self.ctl("nope").returncode, 2)
        self.assertEqual(self.ctl("account").returncode, 2)
        self.assertIn("usage: dvcctl", self.ctl("--help").stdout)


if __name__ == "__main__":
    unittest.main()
