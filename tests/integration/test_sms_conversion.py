"""Conversion (issue 6): OTP SMS sent and verified per provider and number prefix,
through the real processes, with two providers of the same kind (two HTTP stubs:
[sms] http and a named [sms.second]) routed by prefix. otp-svc writes a
"verified" event in the verification's transaction into its outbox and sends it
until sms-worker acknowledges; sms-worker counts it once, for the provider and
prefix of the SMS whose code was verified. A flow that resends counts two SMS sent
and one verified. The counters are in sms-worker's LMDB: a restart keeps them and
adds nothing. Also `dvcctl sms-status` for one message and for a flow."""

import os
import random
import re
import subprocess
import time
import unittest

from dvcid_stack import PASSWORD, e164, mask_phone, new_identity
from sms_peers import PeersStackTest, StubHttp, conversion, otp_in, series, wait_log


def phone_with(prefix):
    """A fresh national number starting with prefix ("098", "091")."""
    return prefix + "".join(random.choice("0123456789") for _ in range(7))


class ConversionTest(PeersStackTest):
    @classmethod
    def peers_new(cls):
        return [StubHttp(), StubHttp()]

    @classmethod
    def peer_config(cls, peers):
        cls.first, cls.second = peers
        return {"otp": {"resend_after": 0},
                "sms": {"provider": "http", "http_url": cls.first.url(), "http_success": "200",
                        "routes": "+8498=second; *=http"},
                "sms.second": {"kind": "http",
                               "http_url": cls.second.url("/v2?to={to}&text={text}&id={message_id}")}}

    # ---- helpers ----------------------------------------------------------------------

    def metrics(self):
        r = self.stack.request("GET", "/metrics")
        self.assertEqual(r.status, 200)
        return r.body

    def counts(self, provider, prefix):
        return conversion(self.stack, provider, prefix)

    def wait_counts(self, provider, prefix, want, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            got = self.counts(provider, prefix)
            if got == want or time.monotonic() > deadline:
                self.assertEqual(got, want, "sent, verified of %s %s" % (provider, prefix))
                return
            time.sleep(0.1)

    def ctl(self, *args):
        exe = os.path.join(self.stack.bindir, "dvcctl")
        return subprocess.run([exe, "--config", self.stack.config_path] + list(args),
                              capture_output=True, text=True, timeout=30)

    def sms(self, stub, phone, count):
        """The count-th request to phone at stub: (message id, code)."""
        req = stub.wait_for(e164(phone), count=count)[count - 1]
        return req["query"]["id"], otp_in(req["query"]["text"])

    def start(self, phone):
        id_number, dob = new_identity()
        r = self.stack.start_registration(id_number=id_number, date_of_birth=dob, phone=phone)
        self.assertEqual(r.status, 201, r.body)
        return r.body["registration_id"]

    def verify(self, rid, code):
        v = self.stack.request("POST", "/v1/registrations/%s/otp/verify" % rid, json={"code": code})
        self.assertEqual(v.status, 200, v.body)
        p = self.stack.request("POST", "/v1/registrations/%s/password" % rid,
                               json={"password": PASSWORD, "password_confirm": PASSWORD})
        self.assertEqual(p.status, 201, p.body)

    # ---- the test ---------------------------------------------------------------------

    def test_conversion_per_provider_and_prefix(self):
        # A +8498 number goes to [sms.second]: one SMS, verified.
        viettel = phone_with("098")
        rid = self.start(viettel)
        mid, code = self.sms(self.second, viettel, 1)
        self.assertEqual(self.first.for_phone(e164(viettel)), [], "routed by prefix")
        self.wait_counts("second", "+8498", (1.0, 0.0))
        self.verify(rid, code)
        self.wait_counts("second", "+8498", (1.0, 1.0))
        self.assertEqual(self.counts("http", "+8498"), (0.0, 0.0))

        # A +8491 number through [sms] http, resent once and verified with the second
        # code: two SMS sent, one verified (once per challenge, not per SMS).
        vina = phone_with("091")
        rid2 = self.start(vina)
        first_id, _ = self.sms(self.first, vina, 1)
        again = self.stack.request("POST", "/v1/registrations/%s/otp/resend" % rid2)
        self.assertEqual(again.status, 200, again.body)
        second_id, code2 = self.sms(self.first, vina, 2)
        self.assertNotEqual(first_id, second_id)
        self.wait_counts("http", "+8491", (2.0, 0.0))
        self.verify(rid2, code2)
        self.wait_counts("http", "+8491", (2.0, 1.0))
        text = self.metrics()
        self.assertEqual(series(text, "dvcid_sms_conversion_ratio", provider="http",
                                prefix="+8491"), 0.5)
        self.assertEqual(series(text, "dvcid_sms_verified_events_total", result="counted"), 2.0)

        # One never verified: sent moves, verified does not.
        rid3 = self.start(phone_with("091"))
        self.wait_counts("http", "+8491", (3.0, 1.0))

        # Restarts lose nothing and count nothing twice: otp-svc sends unacknowledged
        # events again (sms-worker answers "duplicate" for a repeat); the counters are
        # in sms-worker's LMDB.
        self.stack.restart("otp-svc")
        self.stack.restart("sms-worker")
        self.stack.wait_ready()
        self.wait_counts("second", "+8498", (1.0, 1.0))
        self.wait_counts("http", "+8491", (3.0, 1.0))

        # A verification while sms-worker is down is not lost: the event waits in
        # otp-svc's outbox and is counted once when sms-worker is back.
        late = phone_with("098")
        rid4 = self.start(late)
        _, code4 = self.sms(self.second, late, 1)
        self.wait_counts("second", "+8498", (2.0, 1.0))
        self.stack.stop("sms-worker")
        v = self.stack.request("POST", "/v1/registrations/%s/otp/verify" % rid4,
                               json={"code": code4})
        self.assertEqual(v.status, 200, v.body)
        time.sleep(2.5)  # otp-svc retries every second meanwhile
        self.stack.start("sms-worker")
        self.stack.wait_ready()
        self.wait_counts("second", "+8498", (2.0, 2.0))
        wait_log(self.stack, "otp-svc", "sms verified event")
        time.sleep(1.5)
        self.assertEqual(self.counts("second", "+8498"), (2.0, 2.0), "counted once")

        # dvcctl sms-status: one message, and each SMS of a flow.
        r = self.ctl("sms-status", second_id)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"state\s+sent")
        self.assertRegex(r.stdout, r"provider\s+http\n")
        self.assertRegex(r.stdout, r"prefix\s+\+8491")
        self.assertRegex(r.stdout, r"verified\s+yes")
        self.assertNotIn(e164(vina), r.stdout)
        self.assertNotIn(e164(vina)[3:], r.stdout, "the number is masked")
        self.assertRegex(r.stdout, r"to\s+%s\n" % re.escape(mask_phone(vina)))
        r = self.ctl("sms-status", first_id)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"verified\s+no")
        r = self.ctl("sms-status", "--flow", rid2)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"messages\s+2")
        self.assertLess(r.stdout.index(first_id), r.stdout.index(second_id), "oldest first")
        self.assertRegex(r.stdout, r"purpose\s+REGISTER")
        self.assertIn(mask_phone(vina), r.stdout)
        r = self.ctl("sms-status", mid)
        self.assertRegex(r.stdout, r"provider\s+second")
        r = self.ctl("sms-status", "--flow", rid3)
        self.assertRegex(r.stdout, r"messages\s+1")

        # Exit codes: not found 1, bad usage 2, no answer 3.
        r = self.ctl("sms-status", "0" * 32)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not found", r.stderr)
        self.assertEqual(self.ctl("sms-status", "--flow", "0" * 32).returncode, 1)
        self.assertEqual(self.ctl("sms-status").returncode, 2)
        self.assertEqual(self.ctl("sms-status", "--flow", "xyz").returncode, 2)
        r = self.ctl("sms-status", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: dvcctl sms-status", r.stdout)
        self.assertIn("sms-status", self.ctl("--help").stdout)
        self.stack.stop("sms-worker")
        try:
            self.assertEqual(self.ctl("sms-status", mid).returncode, 3)
        finally:
            self.stack.start("sms-worker")
            self.stack.wait_ready()


if __name__ == "__main__":
    unittest.main(verbosity=2)
