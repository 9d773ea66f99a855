"""Failover between two providers of the same kind (issue 6): two HTTP providers
([sms] http and [sms.http2], two stubs) and two SMPP binds ([sms] smpp and
[sms.smpp2], two Node SMSC simulators), each pair a route with the second as
stand-by (weight 0). When the first fails (HTTP 500; an SMSC that stops answering
submit_sm), its breaker opens and the message goes to the second; while it is
open, new messages go straight there; once it works again a probe after the
cool-down finds it and traffic comes back. A registration completes with a code
the stand-by delivered, and the per-provider counters say who sent what."""

import random
import time
import unittest

from dvcid_stack import e164, new_phone
from sms_peers import (PeersStackTest, Smsc, StubHttp, otp_in, register_with, sms_metric,
                       wait_log)


def viettel_phone():
    return "098" + "".join(random.choice("0123456789") for _ in range(7))


class SameKindFailoverTest(PeersStackTest):
    @classmethod
    def peers_new(cls):
        return [StubHttp(), StubHttp(), Smsc(), Smsc()]

    @classmethod
    def peer_config(cls, peers):
        cls.a, cls.b, cls.s1, cls.s2 = peers
        smpp = {"smpp_system_id": Smsc.SYSTEM_ID, "smpp_password": Smsc.PASSWORD}
        return {
            "sms": dict(smpp, provider="http", http_url=cls.a.url(), http_success="200",
                        http_timeout_ms=1000, smpp_host="127.0.0.1", smpp_port=cls.s1.port,
                        smpp_timeout_ms=1500, smpp_reconnect_ms=300,
                        routes="+8498=smpp*1,smpp2*0; *=http*1,http2*0",
                        breaker_failures=1, breaker_cooldown_ms=3000),
            "sms.http2": {"kind": "http", "http_url": cls.b.url("/b?to={to}&text={text}")},
            "sms.smpp2": dict(smpp, kind="smpp", smpp_host="127.0.0.1", smpp_port=cls.s2.port),
        }

    def start(self, phone):
        r = self.stack.start_registration(phone=phone)
        self.assertEqual(r.status, 201, r.body)

    def sent_by(self, provider):
        return sms_metric(self.stack, "dvcid_sms_provider_sent_total", provider)

    def test_a_two_http_providers(self):
        first = new_phone()
        self.start(first)
        self.a.wait_for(e164(first))
        self.assertEqual(self.b.for_phone(e164(first)), [], "the stand-by took a message")

        # The first answers 500: its breaker opens and the retry goes to the second.
        self.a.set(default="500")
        failing = new_phone()
        self.start(failing)
        self.a.wait_for(e164(failing))
        self.b.wait_for(e164(failing), timeout=10)
        wait_log(self.stack, "sms-worker", "sms provider http: breaker open")
        # While it is open the second takes new messages, the whole flow included.
        during = register_with(self.stack, lambda p: otp_in(self.b.wait_for(
            e164(p), timeout=5)[-1]["query"]["text"]))
        self.assertEqual(self.a.for_phone(e164(during)), [])
        self.assertGreaterEqual(self.sent_by("http2"), 2)

        # The first works again: after the cool-down a probe finds it.
        self.a.set(default="ok")
        time.sleep(3.2)
        after = new_phone()
        self.start(after)
        self.a.wait_for(e164(after), timeout=10)
        wait_log(self.stack, "sms-worker", "sms provider http: breaker closed")
        self.assertEqual(self.b.for_phone(e164(after)), [])

    def test_b_two_smpp_binds(self):
        first = viettel_phone()
        self.start(first)
        self.s1.wait_for(e164(first)[1:])
        deadline = time.monotonic() + 5
        while self.s2.binds() < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.s2.binds(), 1, "the stand-by bind is up too")

        # The first SMSC stops answering submit_sm: the wait for the answer times out
        # (UNKNOWN), its breaker opens, and the message goes to the second bind.
        self.s1.mode(stall=True)
        stalled = viettel_phone()
        self.start(stalled)
        self.s1.wait_for(e164(stalled)[1:])
        wait_log(self.stack, "sms-worker", "sms provider smpp: breaker open", timeout=10)
        got = self.s2.wait_for(e164(stalled)[1:], timeout=10)
        self.assertTrue(any(s["status"] == 0 for s in got), got)
        during = viettel_phone()
        self.start(during)
        self.s2.wait_for(e164(during)[1:], timeout=5)
        self.assertEqual([s for s in self.s1.submits() if s["dest"] == e164(during)[1:]], [])

        # It answers again: a probe after the cool-down brings traffic back.
        self.s1.mode(stall=False)
        time.sleep(3.2)
        back = viettel_phone()
        self.start(back)
        self.s1.wait_for(e164(back)[1:], timeout=10)
        wait_log(self.stack, "sms-worker", "sms provider smpp: breaker closed", timeout=10)
        self.assertEqual([s for s in self.s2.submits() if s["dest"] == e164(back)[1:]], [])
        self.assertGreaterEqual(self.sent_by("smpp2"), 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
