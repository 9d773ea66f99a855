"""Two registrations of one ID number at the same time: exactly one succeeds
(security.md "Accounts and sessions": MDB_NOOVERWRITE). 20 flows of one ID, each with
its own captcha and phone, all reach otp_verified; then their 20 password steps fire
at once behind a barrier: one 201, nineteen 409 account_exists."""

import collections
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import PASSWORD, StackTestCase, new_identity, new_phone  # noqa: E402

FLOWS = 20


class ConcurrentRegistrationTest(StackTestCase):
    def test_one_id_twenty_flows(self):
        st = self.stack
        id_number, dob = new_identity()
        prepared = [None] * FLOWS
        answers = [None] * FLOWS
        errors = []
        barrier = threading.Barrier(FLOWS, timeout=120)

        def flow(i):
            try:
                phone = new_phone()
                r = st.start_registration(id_number=id_number, date_of_birth=dob, phone=phone)
                assert r.status == 201, "flow %d start: %d %r" % (i, r.status, r.body)
                rid = r.body["registration_id"]
                code = st.last_otp(phone, "register", timeout=15)
                v = st.request("POST", "/v1/registrations/%s/otp/verify" % rid,
                               json={"code": code})
                assert v.status == 200, "flow %d verify: %d %r" % (i, v.status, v.body)
                prepared[i] = rid
            except BaseException as e:  # reported below; the barrier must not hang
                errors.append(e)
                barrier.abort()
                return
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                return
            answers[i] = st.request(
                "POST", "/v1/registrations/%s/password" % rid,
                json={"password": PASSWORD, "password_confirm": PASSWORD}, timeout=60)

        threads = [threading.Thread(target=flow, args=(i,)) for i in range(FLOWS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
        self.assertFalse(errors, "flows failed before the password step: %s"
                         % "; ".join(map(str, errors)))
        self.assertEqual(len(set(prepared)), FLOWS, "distinct registration ids: %r" % prepared)
        self.assertNotIn(None, answers, "every password step answered")
        by_status = collections.Counter(
            (r.status, (r.body.get("error") or {}).get("code") if isinstance(r.body, dict)
             else None) for r in answers)
        self.assertEqual(by_status, collections.Counter({(201, None): 1,
                                                         (409, "account_exists"): FLOWS - 1}),
                         "exactly one 201 and %d x 409 account_exists; got %r; answers: %r"
                         % (FLOWS - 1, dict(by_status), [(r.status, r.body) for r in answers]))
        for r in answers:
            if r.status == 409:
                self.assertError(r, 409, "account_exists", "a losing password step")
            else:
                self.assertEqual(r.body["account"]["id_number"], id_number, r.body)

        # Afterwards the ID is taken at the very start, and no OTP is sent for it.
        phone = new_phone()
        r = st.start_registration(id_number=id_number, date_of_birth=dob, phone=phone)
        self.assertError(r, 409, "account_exists", "a new registration of the taken ID")
        self.assertEqual(st.wait_no_sms(phone, 0.5), [], "no SMS for a taken ID")


if __name__ == "__main__":
    unittest.main()
