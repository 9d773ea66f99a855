"""The `smpp` provider against an SMSC simulator on a third-party SMPP library (the
npm package `smpp`, tests/sms-smsc), started here: registrations deliver their OTP
over SMPP with receipts recorded; a link dropped in mid-send loses nothing and sends
nothing twice that was known as sent; throttling, refusals, a stalled SMSC and
missing receipts are each handled, logged and counted.

Needs [sms] provider = smpp accepted by the configuration, and the delivery keys of
sms-worker/sms_settings.h in the config table."""

import signal
import threading
import time
import unittest

from dvcid_stack import Stack, e164, new_phone
from sms_peers import (Smsc, conversion, otp_in, register_with, sms_metric, wait_log,
                       wait_metric)


class SmppTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.smsc = Smsc().start()
        try:
            cls.stack = Stack(sms={
                "provider": "smpp",
                "smpp_host": "127.0.0.1",
                "smpp_port": cls.smsc.port,
                "smpp_system_id": Smsc.SYSTEM_ID,
                "smpp_password": Smsc.PASSWORD,
                "smpp_window": 4,
                "smpp_timeout_ms": 1500,
                "smpp_reconnect_ms": 1000,
                "breaker_failures": 1000,
                "receipt_timeout_s": 3,
            })
            cls.stack.__enter__()
        except BaseException:
            cls.smsc.stop()
            raise
        cls.failed = False

    @classmethod
    def tearDownClass(cls):
        try:
            cls.stack.close(failed=cls.failed)
        finally:
            if cls.failed:
                print(cls.smsc.logs())
            cls.smsc.stop()

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > before:
            type(self).failed = True
        return out

    def setUp(self):
        self.smsc.reset()

    def code_for(self, phone):
        subs = self.smsc.wait_for(e164(phone)[1:])
        ok = [s for s in subs if s["status"] == 0]
        self.assertTrue(ok or subs, subs)
        s = (ok or subs)[-1]
        self.assertEqual(s["source"], "DVCQG")
        self.assertEqual(s["coding"], 0)  # plain ASCII text goes as GSM-7
        self.assertIn("dang ky tai khoan", s["text"])
        return otp_in(s["text"])

    def start(self, phone):
        r = self.stack.start_registration(phone=phone)
        self.assertEqual(r.status, 201, r.body)

    def count(self, name):
        return sms_metric(self.stack, "dvcid_sms_provider_%s_total" % name, "smpp")

    def log(self):
        with open(self.stack.log_path("sms-worker"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def test_a_registration_and_receipt(self):
        phone = register_with(self.stack, self.code_for)
        self.assertEqual(self.stack.sms_for(phone), [])
        wait_metric(self.stack, "dvcid_sms_provider_delivered_total", "smpp")
        # Counted: sent, delivered, and one send -> delivery latency.
        self.assertGreaterEqual(self.count("sent"), 1)
        self.assertGreaterEqual(
            sms_metric(self.stack, "dvcid_sms_delivery_seconds_count", "smpp"), 1)
        # Conversion: the SMS went over SMPP and its code was verified.
        deadline = time.monotonic() + 10
        while conversion(self.stack, "smpp", e164(phone)[:5])[1] < 1 and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        sent, verified = conversion(self.stack, "smpp", e164(phone)[:5])
        self.assertGreaterEqual(sent, 1)
        self.assertGreaterEqual(verified, 1)
        self.assertIn("sms smpp: bound to 127.0.0.1", self.log())
        self.assertNotIn(Smsc.PASSWORD, self.log())

    def test_b_link_dropped_mid_send(self):
        binds = self.smsc.binds()
        unknown = self.count("unknown")
        self.smsc.mode(drop_after=3)
        phones = [new_phone() for _ in range(8)]
        threads = [threading.Thread(target=self.start, args=(p,)) for p in phones]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        deadline = time.monotonic() + 30
        while True:
            subs = self.smsc.submits()
            done = {s["dest"] for s in subs if s["responded"] and s["status"] == 0}
            if all(e164(p)[1:] in done for p in phones) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        for p in phones:
            mine = [s for s in subs if s["dest"] == e164(p)[1:]]
            ok = [s for s in mine if s["responded"] and s["status"] == 0]
            # Nothing lost: every message reached the SMSC and was accepted once.
            self.assertEqual(len(ok), 1, "accepted %d times: %r" % (len(ok), mine))
            # Nothing known as sent went again: no submit after the accepted one.
            later = [s for s in mine if s["at"] > ok[0]["at"]]
            self.assertEqual(later, [], "sent again after it was accepted: %r" % mine)
        self.assertGreater(len(subs), len(phones), "the drop lost no submit: %r" % subs)
        self.assertGreater(self.smsc.binds(), binds, "no new bind after the drop")
        self.assertIn("submits unanswered", self.log())
        self.assertGreater(self.count("unknown"), unknown, "the unanswered submit is not counted")

    def test_c_throttled(self):
        throttled = self.count("throttled")
        self.smsc.mode(throttle=2)
        phone = new_phone()
        self.start(phone)
        deadline = time.monotonic() + 15
        while True:
            subs = self.smsc.wait_for(e164(phone)[1:])
            if subs[-1]["status"] == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        statuses = [s["status"] for s in subs]
        self.assertEqual(statuses[0], 0x58, statuses)  # ESME_RTHROTTLED
        self.assertEqual(statuses[-1], 0, statuses)
        self.assertEqual(statuses.count(0), 1, statuses)
        self.assertIn("sms throttled message_id=", self.log())
        self.assertEqual(self.count("throttled"), throttled + 2)

    def test_d_refused_for_good(self):
        rejected = self.count("rejected")
        self.smsc.mode(reject=1)
        phone = new_phone()
        self.start(phone)
        subs = self.smsc.wait_for(e164(phone)[1:])
        self.assertEqual(subs[0]["status"], 0x0B)
        wait_log(self.stack, "sms-worker", "refused for good")
        self.assertEqual(self.count("rejected"), rejected + 1)
        time.sleep(1.5)
        self.assertEqual(len(self.smsc.wait_for(e164(phone)[1:])), 1, "retried a refusal")

    def test_e_stalled_smsc(self):
        unknown = self.count("unknown")
        self.smsc.mode(stall=True)
        phone = new_phone()
        self.start(phone)
        self.smsc.wait_for(e164(phone)[1:])
        wait_log(self.stack, "sms-worker", "submit_sm_resp timed out", timeout=10)
        self.smsc.mode(stall=False)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            ok = [s for s in self.smsc.submits()
                  if s["dest"] == e164(phone)[1:] and s["responded"] and s["status"] == 0]
            if ok:
                break
            time.sleep(0.1)
        self.assertTrue(ok, "never delivered after the SMSC recovered")
        self.assertGreater(self.count("unknown"), unknown, "the timeout is not counted")

    def test_f_no_receipt(self):
        unconfirmed = self.count("unconfirmed")
        self.smsc.mode(receipts="none")
        phone = new_phone()
        self.start(phone)
        self.smsc.wait_for(e164(phone)[1:])
        wait_log(self.stack, "sms-worker", "no delivery receipt from smpp in time", timeout=15)
        # Earlier tests' messages may be the ones logged: wait for this one's count.
        deadline = time.monotonic() + 15
        while self.count("unconfirmed") <= unconfirmed and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertGreater(self.count("unconfirmed"), unconfirmed)

    def test_g_kill9_with_messages_out(self):
        # The SMSC takes submits and never answers; sms-worker dies with them out.
        self.smsc.mode(stall=True)
        phones = [new_phone() for _ in range(3)]
        for p in phones:
            self.start(p)
        for p in phones:
            self.smsc.wait_for(e164(p)[1:])
        self.stack.kill("sms-worker", signal.SIGKILL)
        self.smsc.mode(stall=False)
        self.stack.start("sms-worker")
        # Their leases are given back at the start: sent again at once, not lost.
        for p in phones:
            deadline = time.monotonic() + 10
            while True:
                ok = [s for s in self.smsc.submits()
                      if s["dest"] == e164(p)[1:] and s["responded"] and s["status"] == 0]
                if ok or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            self.assertEqual(len(ok), 1, "after kill -9: %r" % self.smsc.wait_for(e164(p)[1:]))
        wait_log(self.stack, "sms-worker", "out with a provider at the last stop are due again")


if __name__ == "__main__":
    unittest.main(verbosity=2)
