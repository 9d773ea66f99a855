"""Faults under load (issue 5): a steady stream of registrations and sign-ins while each
of the four processes is killed with SIGKILL in turn at a random moment and brought back
(as systemd's Restart= would). Afterwards every request answered 2xx has its effect
(the account exists, the code's SMS is in the sink, the session opens /v1/me), every
other answer was a JSON error, and the stack serves again. A second test freezes
processes with SIGSTOP: deadlines answer 504 in time, and work resumes after SIGCONT."""
import os
import random
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvcid_stack import (PASSWORD, StackTestCase, e164, new_identity,  # noqa: E402
                         new_phone, otp_code)

TRANSIENT = (503, 504)
KILL_ORDER = ["sms-worker", "otp-svc", "account-svc", "gateway"]


class Traffic:
    """Worker threads running whole flows; every HTTP answer is recorded."""

    def __init__(self, st, workers=3):
        self.st = st
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answers = []  # (step, status, body, during) for every answer
        self.no_answer = []  # (step, error, t0, t1): the connection failed
        self.accounts = []  # (id_number, phone): password step answered 201
        self.codes_sent = []  # (phone, purpose): a 2xx answer that says a code was sent
        self.sessions = []  # tokens from 200 sign-in verifies
        self.killing = None  # the process being killed right now, for the record
        self.windows = {}  # process -> (killed at, ready again at), monotonic
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(workers)]

    def _call(self, step, method, path, json=None, headers=None):
        during = self.killing
        t0 = time.monotonic()
        try:
            r = self.st.request(method, path, json=json, headers=headers, timeout=8)
        except (OSError, Exception) as e:  # connection refused/reset: the gateway died
            with self.lock:
                self.no_answer.append((step, repr(e), t0, time.monotonic()))
            time.sleep(0.05)  # the gateway is coming back: no busy loop meanwhile
            return None
        with self.lock:
            self.answers.append((step, r.status, r.body, during))
        return r

    def _code(self, phone, purpose):
        try:
            return otp_code(self.st.last_otp_line(phone, purpose, timeout=10))
        except AssertionError:
            return None  # judged at the end: a 2xx that sent a code must have its SMS

    def _flow(self):
        id_number, dob = new_identity()
        phone = new_phone()
        c = self._call("captcha", "POST", "/v1/captcha")
        if not c or c.status != 201:
            return
        r = self._call("reg_start", "POST", "/v1/registrations", json={
            "id_number": id_number, "full_name": "Trần Thị Bình", "date_of_birth": dob,
            "phone": phone, "captcha_id": c.body["captcha_id"], "captcha_answer": "TEST"})
        if not r or r.status != 201:
            return
        with self.lock:
            self.codes_sent.append((phone, "register"))
        rid = r.body["registration_id"]
        code = self._code(phone, "register")
        if not code:
            return
        v = self._call("reg_verify", "POST", "/v1/registrations/%s/otp/verify" % rid,
                       json={"code": code})
        if not v or v.status != 200:
            return
        p = self._call("reg_password", "POST", "/v1/registrations/%s/password" % rid,
                       json={"password": PASSWORD, "password_confirm": PASSWORD})
        if not p or p.status != 201:
            return
        with self.lock:
            self.accounts.append((id_number, phone))
        lg = self._call("login_start", "POST", "/v1/logins", json={
            "id_number": id_number, "password": PASSWORD, "captcha_id": "x",
            "captcha_answer": "TEST"})
        if not lg or lg.status != 201:
            return
        with self.lock:
            self.codes_sent.append((phone, "login"))
        code = self._code(phone, "login")
        if not code:
            return
        s = self._call("login_verify", "POST", "/v1/logins/%s/otp/verify" % lg.body["login_id"],
                       json={"code": code})
        if s and s.status == 200:
            with self.lock:
                self.sessions.append(s.body["session"]["token"])

    def _run(self):
        while not self.stop.is_set():
            self._flow()

    def start(self):
        for t in self.threads:
            t.start()

    def join(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)


class FaultTest(StackTestCase):
    stack_config = {
        "otp": {"max_sends_per_phone_hour": 1000, "max_sends_per_ip_hour": 100000,
                "max_sends_per_prefix_hour": 100000},
        "account": {"max_registration_starts_per_ip_hour": 100000000},
        "captcha": {"max_per_ip_hour": 100000000},
    }

    def _settle(self, st):
        st.wait_ready(timeout=30)

    def test_kill9_each_process_under_load(self):
        st = self.stack
        rng = random.Random(os.environ.get("DVCID_FAULT_SEED") or time.time())
        traffic = Traffic(st)
        traffic.start()
        try:
            time.sleep(2)
            for name in KILL_ORDER:
                time.sleep(rng.uniform(0.5, 3.0))
                traffic.killing = name
                killed_at = time.monotonic()
                st.kill(name, signal.SIGKILL)
                time.sleep(rng.uniform(0.1, 0.8))
                st.start(name)  # what systemd's Restart=on-failure does
                self._settle(st)
                traffic.windows[name] = (killed_at, time.monotonic())
                traffic.killing = None
            time.sleep(2)
        finally:
            traffic.join()
        answered = len(traffic.answers)
        self.assertGreater(answered, 150, "a few hundred requests under faults")
        print("faults: %d answers, %d without answer, %d accounts, %d sessions"
              % (answered, len(traffic.no_answer), len(traffic.accounts), len(traffic.sessions)))

        # Every answer is 2xx or a JSON error with a code and a message.
        for step, status, body, during in traffic.answers:
            if status >= 300:
                self.assertIsInstance(body, dict, "%s %d not JSON (during %s)" % (step, status,
                                                                                  during))
                err = body.get("error", {})
                self.assertTrue(err.get("code") and err.get("message"),
                                "%s %d: %r" % (step, status, body))
                self.assertIn(status, TRANSIENT + (409, 400, 404, 410, 429),
                              "%s %d during %s: %r" % (step, status, during, body))
        # Only the gateway's own death may leave a request without any answer.
        down_from, down_to = traffic.windows["gateway"]
        for step, error, t0, t1 in traffic.no_answer:
            self.assertTrue(t1 >= down_from and t0 <= down_to,
                            "%s got no answer (%s) outside the gateway's death (%.2f-%.2f, "
                            "gateway down %.2f-%.2f)" % (step, error, t0, t1, down_from, down_to))

        # Nothing answered 2xx is lost: every code it announced reached the sink...
        deadline = time.monotonic() + 20
        missing = None
        while time.monotonic() < deadline:
            missing = [(p, purpose) for p, purpose in traffic.codes_sent
                       if not st.sms_for(p, purpose)]
            if not missing:
                break
            time.sleep(0.5)
        self.assertEqual(missing, [], "SMS lost for 2xx answers")
        # ...every account exists (a new registration of its ID is refused)...
        for id_number, phone in traffic.accounts:
            r = st.start_registration(id_number=id_number, phone=new_phone())
            self.assertError(r, 409, "account_exists", "account %s after the faults" % id_number)
        # ...and every session still opens /v1/me.
        for token in traffic.sessions:
            r = st.request("GET", "/v1/me", headers={"Authorization": "Bearer " + token})
            self.assertStatus(r, 200, "a session answered 200 before the faults")

        # The stack serves again, end to end.
        st.register()

    def test_sigstop_deadlines_and_recovery(self):
        st = self.stack
        # otp-svc frozen: a start waits on it and gets 504 within the deadline.
        st.kill("otp-svc", signal.SIGSTOP)
        try:
            t0 = time.monotonic()
            phone = new_phone()
            r = st.start_registration(phone=phone)
            took = time.monotonic() - t0
            self.assertError(r, 504, "timeout", "start with otp-svc frozen")
            self.assertLess(took, 2.5, "answered in %.2f s" % took)
        finally:
            st.kill("otp-svc", signal.SIGCONT)
        st.wait_ready()
        st.register()
        # sms-worker frozen: the start is answered (the outbox holds the SMS) and the
        # code arrives once it runs again.
        st.kill("sms-worker", signal.SIGSTOP)
        try:
            phone = new_phone()
            r = st.start_registration(phone=phone)
            self.assertStatus(r, 201, "start with sms-worker frozen")
            self.assertEqual(st.sms_for(phone), [], "no SMS while sms-worker is frozen")
        finally:
            st.kill("sms-worker", signal.SIGCONT)
        code = st.last_otp(phone, "register", timeout=15)
        v = st.request("POST", "/v1/registrations/%s/otp/verify" % r.body["registration_id"],
                       json={"code": code})
        self.assertStatus(v, 200, "the code that waited in the outbox works")
        self.assertEqual(e164(phone), st.sms_for(phone)[0]["to"])


if __name__ == "__main__":
    unittest.main()
