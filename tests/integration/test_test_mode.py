"""Test mode cannot reach production by accident (issue 20.2): a process started with a
test setting (the file SMS provider, otp.test_phone_prefix / test_code, captcha.test_answer)
warns at start and exports dvcid_test_mode; under systemd (NOTIFY_SOCKET set, as in every
dvcid unit) it refuses to start unless [service] allow_test_mode = true."""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvcid_stack import StackTestCase, write_config  # noqa: E402

BINDIR = os.environ.get("DVCID_BIN") or os.path.join(
    os.environ.get("DVCID_SRC", os.getcwd()), "build")


class TestModeStartTest(unittest.TestCase):
    def run_otp(self, config, notify, extra_env=None, wait=1.5):
        """Starts otp-svc on config; returns (exit code or None if still running, log)."""
        with tempfile.TemporaryDirectory() as tmp:
            config.setdefault("storage", {})["dir"] = tmp
            config.setdefault("otp", {})["endpoint"] = "ipc://%s/otp.ipc" % tmp
            path = os.path.join(tmp, "t.conf")
            write_config(path, config)
            env = dict(os.environ)
            env.pop("NOTIFY_SOCKET", None)
            if notify:
                env["NOTIFY_SOCKET"] = os.path.join(tmp, "no-such-notify-socket")
            env.update(extra_env or {})
            p = subprocess.Popen([os.path.join(BINDIR, "otp-svc"), "--config", path],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
            try:
                out, _ = p.communicate(timeout=wait)
                return p.returncode, out.decode(errors="replace")
            except subprocess.TimeoutExpired:
                p.terminate()
                out, _ = p.communicate(timeout=10)
                return None, out.decode(errors="replace")

    def test_refused_under_systemd(self):
        rc, log = self.run_otp({"otp": {"test_phone_prefix": "+8430", "test_code": "246810"}},
                               notify=True)
        self.assertIsNotNone(rc, "started in test mode under systemd:\n" + log)
        self.assertNotEqual(rc, 0)
        self.assertIn("refusing to start under systemd in test mode", log)
        self.assertIn("test mode: test_phone_prefix is on", log)
        # The refusal names the file to edit and what to put there.
        self.assertRegex(log, r"test mode \(\w+ and more\) with /\S+/t\.conf: ")
        self.assertIn("Set [sms] provider = http or smpp", log)

    def test_allowed_explicitly(self):
        rc, log = self.run_otp({"service": {"allow_test_mode": "true"}}, notify=True)
        self.assertIsNone(rc, "allow_test_mode = true did not start:\n" + log)
        self.assertIn("test mode: sms_file_provider is on", log)

    def test_allowed_from_the_environment(self):
        rc, log = self.run_otp({}, notify=True,
                               extra_env={"DVCID_SERVICE_ALLOW_TEST_MODE": "true"})
        self.assertIsNone(rc, "DVCID_SERVICE_ALLOW_TEST_MODE did not start:\n" + log)

    def test_warned_outside_systemd(self):
        rc, log = self.run_otp({"captcha": {"test_answer": "TEST"}}, notify=False)
        self.assertIsNone(rc, "did not start outside systemd:\n" + log)
        self.assertIn("test mode: captcha_test_answer is on", log)

    def test_production_settings_start_quietly(self):
        rc, log = self.run_otp({"sms": {"provider": "http", "http_url": "http://127.0.0.1:9/"}},
                               notify=True)
        self.assertIsNone(rc, "a production config did not start under systemd:\n" + log)
        self.assertNotIn("test mode", log)


class TestModeMetricsTest(StackTestCase):
    def test_exported(self):
        text = self.stack.request("GET", "/metrics").body
        for service in ("gateway", "account-svc", "otp-svc", "sms-worker"):
            labels = 'service="%s",instance="0-0"' % service
            self.assertIn('dvcid_test_mode{%s,setting="sms_file_provider"} 1' % labels, text)
            self.assertIn('dvcid_test_mode{%s,setting="test_code"} 0' % labels, text)
            self.assertRegex(text, r'dvcid_build_info\{%s,version="[0-9][^"]*"\} 1' % labels)


if __name__ == "__main__":
    unittest.main()
