"""dvcctl import (issue 14): accounts written straight into a stopped account-svc's
store with account-svc's own record code are real accounts: sign-in with the bench
password works end to end (argon2id verified, OTP to the stored phone), a wrong
password is refused, the account is looked up like any other, a second import of the
same people creates nothing, and a registration of an imported ID meets the account."""
import os
import random
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvcid_stack import StackTestCase, birth_date_for, mask_phone  # noqa: E402
from signin_helpers import ROOMY_OTP, sign_in, start_login  # noqa: E402

PASSWORD = "Nh@p!Khau2026"


class DvcctlImportTest(StackTestCase):
    stack_config = {"otp": ROOMY_OTP}

    def ctl(self, *args):
        exe = os.path.join(self.stack.bindir, "dvcctl")
        return subprocess.run([exe, "--config", self.stack.config_path] + list(args),
                              capture_output=True, text=True, timeout=60)

    def test_imported_accounts_sign_in(self):
        st = self.stack
        listing = os.path.join(st.tmp, "imported.txt")
        seed = str(random.randrange(1, 1 << 40))
        args = ("import", "3000", "--seed", seed, "--password", PASSWORD,
                "--phone-prefix", "+84919", "--accounts", listing, "--sample", "20")
        st.stop("account-svc")
        r = self.ctl(*args)
        st.start("account-svc")
        st.wait_ready()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("imported 3000 accounts (0 were there)", r.stdout)
        with open(listing) as f:
            people = [line.split() for line in f if line.strip()]
        self.assertEqual(len(people), 20, "--sample 20 of 3000")
        self.assertEqual(len({p[0] for p in people}), 20, "distinct ID numbers")
        for id_number, phone in (people[0], people[-1]):
            acc = {"id_number": id_number, "phone": phone, "password": PASSWORD}
            s = sign_in(st, acc)
            self.assertTrue(s["token"] and s["access_token"])
            looked = self.ctl("account", id_number)
            self.assertEqual(looked.returncode, 0, looked.stderr)
            self.assertIn(mask_phone(phone), looked.stdout)
        bad = start_login(st, people[1][0], "Sai!Mat1khau")
        self.assertNotEqual(bad.status, 201, "a wrong password does not sign in")
        self.assertIn(bad.status, (401, 422), bad.body)
        # A registration of an imported ID ends at the account that exists.
        reg = st.request("POST", "/v1/registrations", json={
            "id_number": people[2][0], "full_name": "Trần Thị Bình",
            "date_of_birth": birth_date_for(people[2][0]), "phone": "0919999999",
            "captcha_id": st.captcha(), "captcha_answer": "TEST"})
        self.assertNotEqual(reg.status, 500, reg.body)
        # Importing the same people again writes nothing new (account-svc may run: LMDB's
        # writer lock is shared between processes).
        again = self.ctl(*args)
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertIn("imported 0 accounts (3000 were there)", again.stdout)
        self.assertEqual(self.ctl("import", "x").returncode, 2, "bad usage: exit 2")


if __name__ == "__main__":
    unittest.main()
