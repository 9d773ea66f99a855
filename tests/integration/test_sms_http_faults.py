"""The `http` provider against a provider stub that misbehaves on purpose: server
errors, answers that are not the success rule, throttling (429) and answers slower
than sms.http_timeout_ms are each logged and retried until the message is taken,
with its message_id as the idempotency key on every try, and counted per provider; a
provider that takes a message and never sends its receipt leaves it "unconfirmed"
(logged, counted, shown by dvcctl); a JSON POST body carries every placeholder
escaped for JSON.

Needs [sms] provider = http accepted by the configuration, and the delivery keys
of sms-worker/sms_settings.h in the config table."""

import json
import os
import subprocess
import unittest

from dvcid_stack import Stack, e164, free_port, new_phone
from sms_peers import StubHttp, otp_in, register_with, sms_metric, wait_log


class HttpFaultsTest(unittest.TestCase):
    body = '{"to":"{to}","digits":"{to_digits}","text":"{text}","id":"{message_id}"}'

    @classmethod
    def setUpClass(cls):
        cls.stub = StubHttp()
        try:
            cls.stack = Stack(sms={
                "provider": "http",
                "http_url": cls.stub.url("/api/sms"),
                "http_method": "POST",
                "http_body": cls.body,
                "http_content_type": "application/json",
                "http_headers": "Authorization: Bearer t0ken|X-Client: dvcid",
                "http_success": "200;OK",
                "http_timeout_ms": 800,
                "breaker_failures": 1000,
                # Receipts are awaited (a listener is there) and none ever comes.
                "dlr_listen": "127.0.0.1:%d" % free_port(),
                "receipt_timeout_s": 1,
            })
            cls.stack.__enter__()
        except BaseException:
            cls.stub.stop()
            raise
        cls.failed = False

    @classmethod
    def tearDownClass(cls):
        try:
            cls.stack.close(failed=cls.failed)
        finally:
            cls.stub.stop()

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > before:
            type(self).failed = True
        return out

    def setUp(self):
        self.stub.set(script=[], default="ok")

    def start(self, phone):
        r = self.stack.start_registration(phone=phone)
        self.assertEqual(r.status, 201, r.body)

    def count(self, name):
        return sms_metric(self.stack, "dvcid_sms_provider_%s_total" % name, "http")

    def test_json_body_and_headers(self):
        def code_for(phone):
            req = self.stub.wait_for(e164(phone))[-1]
            self.assertEqual(req["method"], "POST")
            self.assertEqual(req["path"], "/api/sms")
            self.assertEqual(req["headers"].get("Authorization"), "Bearer t0ken")
            self.assertEqual(req["headers"].get("Content-Type"), "application/json")
            obj = json.loads(req["body"])
            self.assertEqual(obj["to"], e164(phone))
            self.assertEqual(obj["digits"], e164(phone)[1:])
            self.assertTrue(obj["id"])
            return otp_in(obj["text"])

        register_with(self.stack, code_for)

    def test_bad_answers_retried(self):
        before = {k: self.count(k) for k in ("failed", "throttled", "retried", "sent")}
        self.stub.set(script=["500", "garbage", "429"])
        phone = new_phone()
        self.start(phone)
        reqs = self.stub.wait_for(e164(phone), count=4, timeout=20)
        ids = {json.loads(r["body"])["id"] for r in reqs}
        self.assertEqual(len(ids), 1, "one message_id on every try: %r" % ids)
        log = wait_log(self.stack, "sms-worker", "sms sent message_id=%s" % ids.pop())
        self.assertIn("HTTP 500", log)
        self.assertIn("not the success rule", log)
        self.assertIn("sms throttled message_id=", log)
        self.assertNotIn("t0ken", log)
        # Counted: two bad answers (failed, each retried), one throttling, one sent.
        self.assertEqual(self.count("failed") - before["failed"], 2)
        self.assertEqual(self.count("retried") - before["retried"], 2)
        self.assertEqual(self.count("throttled") - before["throttled"], 1)
        self.assertEqual(self.count("sent") - before["sent"], 1)

    def test_slow_provider(self):
        unknown = self.count("unknown")
        self.stub.set(script=[("slow", 2.0)])
        phone = new_phone()
        self.start(phone)
        reqs = self.stub.wait_for(e164(phone), count=2, timeout=15)
        ids = {json.loads(r["body"])["id"] for r in reqs}
        self.assertEqual(len(ids), 1, ids)
        log = wait_log(self.stack, "sms-worker", "sms sent message_id=%s" % ids.pop())
        self.assertIn("Timeout was reached", log)
        self.assertEqual(self.count("unknown") - unknown, 1, "the timeout is not counted")

    def test_no_receipt(self):
        unconfirmed = self.count("unconfirmed")
        phone = new_phone()
        self.start(phone)
        mid = json.loads(self.stub.wait_for(e164(phone))[-1]["body"])["id"]
        wait_log(self.stack, "sms-worker", "sms message_id=%s: no delivery receipt from http in "
                 "time" % mid, timeout=15)
        self.assertGreater(self.count("unconfirmed"), unconfirmed)
        r = subprocess.run([os.path.join(self.stack.bindir, "dvcctl"), "--config",
                            self.stack.config_path, "sms-status", mid],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"state\s+unconfirmed")
        self.assertRegex(r.stdout, r"receipt\s+20")


if __name__ == "__main__":
    unittest.main(verbosity=2)
