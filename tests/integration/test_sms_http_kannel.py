"""The `http` provider against a real Kannel (bearerbox + smsbox + the fake SMSC of
kannel-extras), started here on free ports: registrations deliver their OTP through
Kannel with the right number, sender and text (the operator's Vietnamese text with
diacritics, so UCS-2 through Kannel); many are in flight at once; Kannel's delivery
reports (dlr-url) come back to sms-worker and are recorded.

Needs [sms] provider = http accepted by the configuration, and the delivery keys
of sms-worker/sms_settings.h (dlr_listen, texts_file) in the config table."""

import os
import tempfile
import threading
import time
import unittest

from dvcid_stack import Stack, e164, free_port, new_phone
from sms_peers import (Kannel, conversion, otp_in, register_with, sms_metric, wait_log,
                       wait_metric)


# One UCS-2 segment (70 characters): Kannel, as configured here (max-messages 1),
# would cut a longer one.
TEXTS = """[register]
vi = DVCQG: Mã đăng ký tài khoản {code}, hiệu lực {minutes} phút. Không chia sẻ mã.
"""


class KannelHttpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        fd, cls.texts = tempfile.mkstemp(prefix="dvcid-texts-", suffix=".conf")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(TEXTS)
        cls.kannel = Kannel().start()
        cls.dlr_port = free_port()
        try:
            cls.stack = Stack(sms={
                "provider": "http",
                "http_url": cls.kannel.sendsms_url("&dlr-mask=3&dlr-url={dlr_url}"),
                "http_method": "GET",
                "http_success": "202;Accepted",
                "dlr_listen": "127.0.0.1:%d" % cls.dlr_port,
                "texts_file": cls.texts,
            })
            cls.stack.__enter__()
        except BaseException:
            cls.kannel.stop()
            raise
        cls.failed = False

    @classmethod
    def tearDownClass(cls):
        try:
            cls.stack.close(failed=cls.failed)
        finally:
            if cls.failed:
                print(cls.kannel.logs())
            cls.kannel.stop()
            os.unlink(cls.texts)

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > before:
            type(self).failed = True
        return out

    def code_for(self, phone):
        msgs = self.kannel.wait_for(e164(phone)[1:])
        sender, receiver, text = msgs[-1]
        self.assertEqual(sender, "DVCQG")
        self.assertTrue(text.startswith("DVCQG: Mã đăng ký tài khoản "), text)
        self.assertTrue(text.endswith(", hiệu lực 5 phút. Không chia sẻ mã."), text)
        return otp_in(text)

    def test_registration_through_kannel(self):
        phone = register_with(self.stack, self.code_for)
        # Nothing went to the file sink: the SMS took the real gateway.
        self.assertEqual(self.stack.sms_for(phone), [])
        log = wait_log(self.stack, "sms-worker", "via=http", timeout=5)
        self.assertIn("sms sent message_id=", log)
        self.assertNotIn(self.kannel.PASSWORD, log)

    def test_receipts_recorded(self):
        phone = new_phone()
        register_with(self.stack, self.code_for, phone=phone)
        # Kannel's fake SMSC reports delivery (dlr-mask 1|2): recorded per message.
        wait_metric(self.stack, "dvcid_sms_provider_delivered_total", "http", timeout=10)
        # Counted: delivered with its latency, and the verified code (conversion).
        self.assertGreaterEqual(sms_metric(self.stack, "dvcid_sms_provider_delivered_total",
                                           "http"), 1)
        self.assertGreaterEqual(sms_metric(self.stack, "dvcid_sms_delivery_seconds_count",
                                           "http"), 1)
        deadline = time.monotonic() + 10
        while conversion(self.stack, "http", e164(phone)[:5])[1] < 1 and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertGreaterEqual(conversion(self.stack, "http", e164(phone)[:5])[1], 1)

    def test_many_in_flight(self):
        phones = [new_phone() for _ in range(12)]
        errors = []

        def one(phone):
            try:
                register_with(self.stack, self.code_for, phone=phone)
            except BaseException as e:  # collected for the main thread
                errors.append(e)

        threads = [threading.Thread(target=one, args=(p,)) for p in phones]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        for p in phones:
            self.assertEqual(len(self.kannel.wait_for(e164(p)[1:])), 1, "sent twice to %s" % p)


if __name__ == "__main__":
    unittest.main(verbosity=2)
