"""Routing between two real providers at once: an HTTP provider (a stub) and an
SMPP SMSC (the Node simulator). Numbers of one prefix go to SMPP by route; the rest
to HTTP, with SMPP as stand-by; when HTTP fails, its breaker opens and traffic
moves to SMPP; once it works again a probe finds it and traffic comes back. SIGHUP
rereads the routes and weights (issue 17.4); a route to a provider not running is refused.

Needs [sms] provider = http accepted by the configuration, and the delivery keys
of sms-worker/sms_settings.h (routes, breaker_*) in the config table."""

import random
import signal
import time
import unittest

from dvcid_stack import Stack, e164, new_phone, write_config
from sms_peers import Smsc, StubHttp, wait_log


def viettel_phone():
    return "098" + "".join(random.choice("0123456789") for _ in range(7))


class RoutingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stub = StubHttp()
        cls.smsc = Smsc()
        try:
            cls.smsc.start()
            cls.stack = Stack(sms={
                "provider": "http",
                "http_url": cls.stub.url(),
                "http_success": "200",
                "http_timeout_ms": 1000,
                "smpp_host": "127.0.0.1",
                "smpp_port": cls.smsc.port,
                "smpp_system_id": Smsc.SYSTEM_ID,
                "smpp_password": Smsc.PASSWORD,
                "routes": "+8498,+8497=smpp; *=http*1,smpp*0",
                "breaker_failures": 1,
                "breaker_cooldown_ms": 4000,
            })
            cls.stack.__enter__()
        except BaseException:
            cls.smsc.stop()
            cls.stub.stop()
            raise
        cls.failed = False

    @classmethod
    def tearDownClass(cls):
        try:
            cls.stack.close(failed=cls.failed)
        finally:
            cls.smsc.stop()
            cls.stub.stop()

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > before:
            type(self).failed = True
        return out

    def start(self, phone):
        r = self.stack.start_registration(phone=phone)
        self.assertEqual(r.status, 201, r.body)

    def test_prefix_weights_and_failover(self):
        # A Viettel number takes its route to the SMSC; another number goes to HTTP.
        vt, other = viettel_phone(), new_phone()
        self.start(vt)
        self.start(other)
        self.smsc.wait_for(e164(vt)[1:])
        self.stub.wait_for(e164(other))
        self.assertEqual(self.stub.for_phone(e164(vt)), [])
        self.assertEqual([s for s in self.smsc.submits() if s["dest"] == e164(other)[1:]], [])

        # HTTP fails: the breaker opens and the retry goes to the stand-by SMSC.
        self.stub.set(default="500")
        failing = new_phone()
        self.start(failing)
        self.stub.wait_for(e164(failing))
        self.smsc.wait_for(e164(failing)[1:], timeout=10)
        wait_log(self.stack, "sms-worker", "sms provider http: breaker open")
        # While it is open, new messages go straight to the SMSC.
        during = new_phone()
        self.start(during)
        self.smsc.wait_for(e164(during)[1:], timeout=5)
        self.assertEqual(self.stub.for_phone(e164(during)), [])

        # HTTP works again: after the cool-down a probe finds it, traffic comes back.
        self.stub.set(default="ok")
        time.sleep(4.1)
        after = new_phone()
        self.start(after)
        self.stub.wait_for(e164(after), timeout=10)
        wait_log(self.stack, "sms-worker", "sms provider http: breaker closed")
        self.assertEqual([s for s in self.smsc.submits() if s["dest"] == e164(after)[1:]], [])

    def test_routes_reload(self):
        # SIGHUP rereads the routes and their weights over the providers running: every
        # number to the SMSC, HTTP only as stand-by; then a route to a provider that does
        # not run is refused and the routes in force stay; the first routes come back.
        st = self.stack
        routes = st.config["sms"]["routes"]

        def reload(new, needle, count):
            st.config["sms"]["routes"] = new
            write_config(st.config_path, st.config)
            st.kill("sms-worker", signal.SIGHUP)
            for _ in range(100):
                if wait_log(st, "sms-worker", needle).count(needle) >= count:
                    return
                time.sleep(0.05)
            self.fail("no %d x %r in the sms-worker log" % (count, needle))

        try:
            reload("*=smpp*1,http*0", "configuration reloaded from", 1)
            moved = new_phone()
            self.start(moved)
            self.smsc.wait_for(e164(moved)[1:], timeout=10)
            self.assertEqual(self.stub.for_phone(e164(moved)), [], "the new weights route it")
            reload("*=pigeon", "configuration reload refused, the running settings stay: "
                               "[sms] routes:", 1)
            still = new_phone()
            self.start(still)
            self.smsc.wait_for(e164(still)[1:], timeout=10)
            self.assertEqual(self.stub.for_phone(e164(still)), [], "the routes in force stay")
        finally:
            reload(routes, "configuration reloaded from", 2)
        back = new_phone()
        self.start(back)
        self.stub.wait_for(e164(back), timeout=10)


if __name__ == "__main__":
    unittest.main(verbosity=2)
