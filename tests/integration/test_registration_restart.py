"""Faults in the middle of a registration (security.md "Durability and faults"): every
process restarted (SIGTERM) or killed (SIGKILL) between steps, and the flow goes on;
a backend that is down or hung makes the gateway answer 503/504 quickly, and nothing
is half-done."""

import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import PASSWORD, PROCESSES, StackTestCase, new_phone  # noqa: E402


class RestartTest(StackTestCase):
    stack_config = {"otp": {"resend_after": 1}}

    def post(self, rid, step, body=None, **kw):
        return self.stack.request("POST", "/v1/registrations/%s/%s" % (rid, step),
                                  json=body, **kw)

    def start_flow(self):
        phone = new_phone()
        r = self.stack.start_registration(phone=phone)
        self.assertStatus(r, 201, "start")
        return r.body["registration_id"], phone, self.stack.last_otp(phone)

    def finish(self, rid, code, what):
        r = self.post(rid, "otp/verify", {"code": code})
        self.assertStatus(r, 200, "verify " + what)
        r = self.post(rid, "password", {"password": PASSWORD, "password_confirm": PASSWORD})
        self.assertStatus(r, 201, "password " + what)

    def test_restart_every_process_mid_flow(self):
        st = self.stack
        rid, phone, _ = self.start_flow()
        for name in PROCESSES:
            st.restart(name)  # SIGTERM, exit 0 checked, start, /readyz 200
        time.sleep(1.2)
        r = self.post(rid, "otp/resend")
        self.assertStatus(r, 200, "resend after restarting all four processes")
        code = st.last_otp(phone)
        self.finish(rid, code, "after restarts")

    def test_code_survives_restarts(self):
        # The code sent before the restarts is still the one that works.
        st = self.stack
        rid, phone, code = self.start_flow()
        for name in reversed(PROCESSES):
            st.restart(name)
        self.finish(rid, code, "with the code sent before the restarts")

    def test_kill9_account_and_otp_mid_flow(self):
        st = self.stack
        rid, phone, code = self.start_flow()
        st.kill("account-svc", signal.SIGKILL)
        st.kill("otp-svc", signal.SIGKILL)
        st.start("otp-svc")
        st.start("account-svc")
        st.wait_ready()
        # The answered start is durable: the flow and its challenge survived kill -9.
        self.finish(rid, code, "after kill -9 of account-svc and otp-svc")

    def test_kill9_between_verify_and_password(self):
        st = self.stack
        rid, phone, code = self.start_flow()
        r = self.post(rid, "otp/verify", {"code": code})
        self.assertStatus(r, 200, "verify")
        st.kill("account-svc", signal.SIGKILL)
        st.start("account-svc")
        st.wait_ready()
        r = self.post(rid, "password", {"password": PASSWORD, "password_confirm": PASSWORD})
        self.assertStatus(r, 201, "password after kill -9 of account-svc")

    def test_sms_worker_down_message_arrives_later(self):
        # An SMS queued while sms-worker is dead is delivered when it comes back
        # (otp-svc's outbox), or the start is refused as a whole (503/504).
        st = self.stack
        st.kill("sms-worker", signal.SIGKILL)
        phone = new_phone()
        r = st.start_registration(phone=phone, captcha_id=st.captcha())
        self.assertIn(r.status, (201, 503, 504), "start with sms-worker dead: %d %r"
                      % (r.status, r.body))
        st.start("sms-worker")
        st.wait_ready()
        if r.status != 201:
            self.assertError(r, r.status, {503: "unavailable", 504: "timeout"}[r.status])
            return
        code = st.last_otp(phone, timeout=15)
        self.finish(r.body["registration_id"], code, "with the SMS sent after sms-worker came back")

    def test_account_down_answers_503_quickly(self):
        st = self.stack
        cid = st.captcha()  # captchas are account-svc's: take one while it runs
        phone = new_phone()
        st.stop("account-svc")
        try:
            t0 = time.monotonic()
            r = st.start_registration(phone=phone, captcha_id=cid)
            took = time.monotonic() - t0
            self.assertIn(r.status, (503, 504), "start with account-svc down: %d %r"
                          % (r.status, r.body))
            self.assertError(r, r.status, {503: "unavailable", 504: "timeout"}[r.status],
                             "account-svc down")
            self.assertLess(took, 2.5, "answered in %.2f s" % took)
            ready = st.request("GET", "/readyz")
            self.assertNotEqual(ready.status, 200, "/readyz with account-svc down")
            self.assertStatus(st.request("GET", "/healthz"), 200, "/healthz: the gateway lives")
        finally:
            st.start("account-svc")
            st.wait_ready()
        self.assertEqual(st.wait_no_sms(phone, 1.0), [], "nothing half-done: no SMS")
        rid, phone, code = self.start_flow()
        self.finish(rid, code, "after account-svc came back")

    def test_account_hung_answers_504(self):
        st = self.stack
        cid = st.captcha()
        st.kill("account-svc", signal.SIGSTOP)
        try:
            t0 = time.monotonic()
            r = st.start_registration(phone=new_phone(), captcha_id=cid)
            took = time.monotonic() - t0
            self.assertError(r, 504, "timeout", "start with account-svc stopped")
            self.assertLess(took, 2.5, "answered in %.2f s" % took)
        finally:
            st.kill("account-svc", signal.SIGCONT)
        st.wait_ready()
        rid, phone, code = self.start_flow()
        self.finish(rid, code, "after SIGCONT")

    def test_late_request_not_executed(self):
        # security.md: every request has a deadline. A start that the gateway already
        # answered 504 must not be executed later, when account-svc wakes up: the user
        # was told it failed, so no flow and no SMS.
        st = self.stack
        phone = new_phone()
        cid = st.captcha()
        st.kill("account-svc", signal.SIGSTOP)
        try:
            r = st.start_registration(phone=phone, captcha_id=cid)
            self.assertError(r, 504, "timeout", "start with account-svc stopped")
        finally:
            st.kill("account-svc", signal.SIGCONT)
        st.wait_ready()
        late = st.wait_no_sms(phone, 2.0)
        self.assertEqual(late, [], "the 504'd start was executed after SIGCONT: an SMS went "
                         "to a phone whose registration answered 504: %r" % late)


if __name__ == "__main__":
    unittest.main()
