"""dvcctl import (issue 14): accounts written straight into a stopped account-svc's
store with account-svc's own record code are real accounts: sign-in with the bench
password works end to end (argon2id verified, OTP to the stored phone), a wrong
password is refused, the account is looked up like any other, a second import of the
same people creates nothing, and a registration of an imported ID meets the account.
The import is written in key order (MDB_APPEND) over several commits: full leaves and no
freelist left behind (runs sorted apart interleave, free most pages, and LMDB then rewrites
that freelist at every later commit of account-svc: docs/BENCHMARKS.md "Data size")."""
import os
import random
import re
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

    def assert_dense(self, env, n):
        """The accounts table of env holds n records in full leaves (an account record is
        about 200 bytes: 20 to a 4 KiB page, at most 17 at 85 %), with no freelist."""
        stat = subprocess.run(["mdb_stat", "-ef", "-s", "accounts", env], capture_output=True,
                              text=True, timeout=30)
        self.assertEqual(stat.returncode, 0, stat.stderr)
        free = int(re.search(r"Free pages: (\d+)", stat.stdout).group(1))
        leaves = int(re.findall(r"Leaf pages: (\d+)", stat.stdout)[-1])
        self.assertLessEqual(free, 16, stat.stdout)
        self.assertLessEqual(leaves, n // 17 + 1, stat.stdout)

    def test_imported_accounts_sign_in(self):
        st = self.stack
        listing = os.path.join(st.tmp, "imported.txt")
        seed = str(random.randrange(1, 1 << 40))
        args = ("import", "3000", "--seed", seed, "--password", PASSWORD,
                "--phone-prefix", "+84919", "--accounts", listing, "--sample", "20",
                "--commit-every", "500")
        st.stop("account-svc")
        r = self.ctl(*args)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("imported 3000 accounts (0 were there)", r.stdout)
        self.assert_dense(os.path.join(st.var, "account"), 3000)
        st.start("account-svc")
        st.wait_ready()
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
