"""dvcid-load sms and smpp-ceiling smoke (issue 7): sms-worker driven alone, with the file
provider and over SMPP to the simulator of tests/sms-smsc, and the plain SMPP client. No
timing is asserted: only that each works and counts right (every message acknowledged once,
handed over once, each in the sink or at the SMSC exactly once, errors reported)."""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import _find_binary  # noqa: E402
from sms_peers import Smsc, _stop  # noqa: E402

BINDIR = os.environ.get("DVCID_BIN") or os.path.join(
    os.environ.get("DVCID_SRC", os.getcwd()), "build")


class Worker:
    """sms-worker alone on a temp dir, with the [sms] lines given."""

    def __init__(self, sms):
        self.tmp = tempfile.TemporaryDirectory(prefix="dvcid-lgsms-")
        d = self.tmp.name
        self.sink = os.path.join(d, "var", "sms-outbox.jsonl")
        self.endpoint = "ipc://%s/sms.ipc" % d
        self.log_path = os.path.join(d, "sms-worker.log")
        conf = os.path.join(d, "sms.conf")
        with open(conf, "w") as f:
            f.write("[storage]\ndir = %s/var\n[sms]\nendpoint = %s\n" % (d, self.endpoint))
            for k, v in sms.items():
                f.write("%s = %s\n" % (k, v))
            f.write("[log]\nlevel = info\n")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([_find_binary(BINDIR, "sms-worker"), "--config", conf],
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def wait_log(self, needle, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as f:
                if needle in f.read().decode("utf-8", "replace"):
                    return
            time.sleep(0.05)
        raise AssertionError("%r not in the sms-worker log" % needle)

    def stop(self):
        _stop(self.proc)
        self.log.close()
        self.tmp.cleanup()


def load(*args, expect_rc=0):
    exe = _find_binary(BINDIR, "dvcid-load")
    p = subprocess.run([exe] + list(args) + ["--json"], capture_output=True, text=True,
                       timeout=120)
    if p.returncode != expect_rc:
        raise AssertionError("dvcid-load %s: exit %d, not %d\n%s"
                             % (" ".join(args), p.returncode, expect_rc, p.stderr))
    return json.loads(p.stdout) if p.stdout.strip() else None, p.stderr


class LoadgenSmsTest(unittest.TestCase):
    def assertAllHanded(self, r, n):
        self.assertTrue(r["ok"], r)
        self.assertEqual(r["messages"], n)
        self.assertEqual(r["acked"], n)
        self.assertEqual(r["handed_over"], n)
        for k in ("failed", "duplicates", "timeouts", "unexpected_replies", "dead"):
            self.assertEqual(r[k], 0, k)

    def test_file_provider(self):
        tmp = tempfile.mkdtemp(prefix="dvcid-lgsms-sink-")
        sink = os.path.join(tmp, "sms-outbox.jsonl")
        w = Worker({"provider": "file", "file": sink})
        try:
            r, _ = load("sms", "--endpoint", w.endpoint, "--count", "700", "--inflight", "64",
                        "--sink", sink)
            self.assertAllHanded(r, 700)
            self.assertEqual(r["sink"], {"path": sink, "lines": 700, "unique": 700,
                                         "foreign": 0, "readable": True})
            # A second run has ids of its own: nothing is a duplicate, the sink holds both.
            r2, _ = load("sms", "--endpoint", w.endpoint, "--count", "300", "--inflight", "300",
                         "--sink", sink)
            self.assertAllHanded(r2, 300)
            self.assertEqual(r2["sink"]["lines"], 300)
            with open(sink) as f:
                lines = [json.loads(line) for line in f]
            self.assertEqual(len(lines), 1000)
            self.assertEqual(len({x["message_id"] for x in lines}), 1000)
            self.assertTrue(all(x["to"].startswith("+8430") and len(x["to"]) == 12
                                for x in lines), lines[0])
        finally:
            w.stop()
            for f in os.listdir(tmp):
                os.unlink(os.path.join(tmp, f))
            os.rmdir(tmp)

    def test_no_answer_is_an_error(self):
        with tempfile.TemporaryDirectory() as d:
            r, err = load("sms", "--endpoint", "ipc://%s/nobody.ipc" % d, "--count", "5",
                          "--timeout", "1", expect_rc=1)
            self.assertIsNone(r)
            self.assertIn("no metrics from", err)
        _, err = load("sms", "--count", "5", expect_rc=2)
        self.assertIn("usage:", err)

    def test_smpp(self):
        smsc = Smsc().start()
        try:
            r, _ = load("smpp-ceiling", "--host", "127.0.0.1", "--port", str(smsc.port),
                        "--system-id", Smsc.SYSTEM_ID, "--password", Smsc.PASSWORD,
                        "--window", "8", "--count", "250")
            self.assertTrue(r["ok"], r)
            self.assertEqual((r["accepted"], r["refused"], r["unexpected"]), (250, 0, 0))
            subs = smsc.submits()
            self.assertEqual(len(subs), 250)
            self.assertEqual(len({s["dest"] for s in subs}), 250)
            self.assertTrue(all(s["status"] == 0 for s in subs))
            # Refusals are counted as such, never as accepted.
            smsc.reset()
            smsc.mode(reject=5)
            r, _ = load("smpp-ceiling", "--host", "127.0.0.1", "--port", str(smsc.port),
                        "--system-id", Smsc.SYSTEM_ID, "--password", Smsc.PASSWORD,
                        "--count", "20", expect_rc=1)
            self.assertEqual((r["accepted"], r["refused"]), (15, 5))
            self.assertFalse(r["ok"])

            smsc.reset()
            w = Worker({"provider": "smpp", "smpp_host": "127.0.0.1",
                        "smpp_port": smsc.port, "smpp_system_id": Smsc.SYSTEM_ID,
                        "smpp_password": Smsc.PASSWORD, "smpp_window": 16, "smpp_tps": 0})
            try:
                w.wait_log("bound to")
                r, _ = load("sms", "--endpoint", w.endpoint, "--count", "400", "--inflight",
                            "100")
                self.assertAllHanded(r, 400)
                subs = smsc.submits()
                self.assertEqual(len(subs), 400)
                self.assertEqual(len({s["dest"] for s in subs}), 400)
            finally:
                w.stop()
        finally:
            smsc.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
