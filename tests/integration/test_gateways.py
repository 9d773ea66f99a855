"""Several gateways behind one load balancer (issue 8): two gateway processes on their
own ports in front of the same services, requests alternating between them. The
gateways hold no state of their own, so every limit counts across both: the sends per
phone (otp-svc), the wrong codes per challenge (otp-svc), the wrong passwords per ID
number (account-svc), and a flow or a session begun at one gateway goes on at the other.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvcid_stack import Stack, StackTestCase, free_port, new_phone, write_config  # noqa: E402
from signin_helpers import me, register_account, sign_in, start_login  # noqa: E402

SENDS_PER_PHONE = 3
ATTEMPTS = 4


class TwoGatewayStack(Stack):
    """The stack plus "gateway#2", on its own port and config file; request() alternates
    between the two gateways."""

    def __init__(self):
        super().__init__(otp={"max_sends_per_phone_hour": SENDS_PER_PHONE,
                              "max_attempts": ATTEMPTS, "resend_after": 0})
        self.port2 = free_port()
        second = {s: dict(k) for s, k in self.config.items()}
        second["gateway"]["listen"] = "127.0.0.1:%d" % self.port2
        self.config2 = os.path.join(self.tmp, "gateway2.conf")
        write_config(self.config2, second)
        self.order.append("gateway#2")
        self.turn = 0
        self.pin = None  # a port every request goes to (wait_ready)
        self.ports_used = set()

    def command(self, name):
        if name == "gateway#2":
            return [self.binaries["gateway"], "--config", self.config2]
        return super().command(name)

    def wait_ready(self, timeout=20):
        """Each gateway must answer /readyz 200 on its own port."""
        for port in (self.port, self.port2):
            self.pin = port
            try:
                super().wait_ready(timeout)
            finally:
                self.pin = None

    def connection(self, timeout):
        import http.client
        self.turn += 1
        port = self.pin or (self.port if self.turn % 2 else self.port2)
        self.ports_used.add(port)
        return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)


class GatewaysTest(StackTestCase):
    @classmethod
    def setUpClass(cls):
        cls._failed = False
        cls.stack = TwoGatewayStack()
        try:
            cls.stack.start_all()
        except BaseException:
            cls.stack.close(failed=True)
            raise

    def test_flows_cross_gateways(self):
        st = self.stack
        acc = register_account(st)  # captcha, start, verify, password: alternating
        got = sign_in(st, acc)
        for _ in range(4):
            r = me(st, got["token"])
            self.assertEqual(r.status, 200, r.body)
        self.assertEqual(st.ports_used, {st.port, st.port2})

    def test_send_limit_per_phone_across_gateways(self):
        st = self.stack
        phone = new_phone()
        statuses = [st.start_registration(phone=phone).status for _ in range(SENDS_PER_PHONE + 2)]
        self.assertEqual(statuses[:SENDS_PER_PHONE], [201] * SENDS_PER_PHONE, statuses)
        self.assertEqual(statuses[SENDS_PER_PHONE:], [429, 429], statuses)

    def test_wrong_codes_across_gateways(self):
        st = self.stack
        phone = new_phone()
        r = st.start_registration(phone=phone)
        self.assertEqual(r.status, 201, r.body)
        rid = r.body["registration_id"]
        code = st.last_otp(phone, "register")
        wrong = "%06d" % ((int(code) + 1) % 1000000)
        lefts = []
        for _ in range(ATTEMPTS):
            v = st.request("POST", "/v1/registrations/%s/otp/verify" % rid, json={"code": wrong})
            lefts.append((v.status, v.body["error"].get("attempts_left")))
        self.assertEqual([s for s, _ in lefts[:-1]], [400] * (ATTEMPTS - 1), lefts)
        self.assertEqual([a for _, a in lefts[:-1]], list(range(ATTEMPTS - 1, 0, -1)), lefts)
        self.assertEqual(lefts[-1][0], 429, lefts)
        v = st.request("POST", "/v1/registrations/%s/otp/verify" % rid, json={"code": code})
        self.assertNotEqual(v.status, 200, "the right code after the last attempt: %r" % (v.body,))

    def test_password_lockout_across_gateways(self):
        st = self.stack
        acc = register_account(st)
        statuses = [start_login(st, acc["id_number"], "Sai!MatKhau99").status for _ in range(8)]
        self.assertIn(423, statuses, statuses)
        first = statuses.index(423)
        self.assertTrue(all(s == 401 for s in statuses[:first]), statuses)
        self.assertTrue(all(s == 423 for s in statuses[first:]), statuses)


if __name__ == "__main__":
    unittest.main()
