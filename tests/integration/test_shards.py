"""Account shards (issue 8): two account-svc shards behind one gateway, then the split
from 2 to 4 shards of docs/SHARDING.md (stop, copy, switch, prune, verify).

Checks: each account lands on the shard its ID number's hash names (the same hash in
Python here); sign-in steps, sessions (/v1/me) and captchas made on the other shard all
route right; JWKS is the union of every shard's keys; /readyz goes red while a shard is
down; a shard refuses a key it does not own (a stale map); after the split every
account is on exactly one shard, `dvcctl shards` finds nothing misplaced, the account
total is unchanged, and every account (and a session made before the split) still works.
"""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvcid_stack import Stack, StackTestCase, write_config  # noqa: E402
from signin_helpers import me, register_account, sign_in, start_login  # noqa: E402


def shard_of(id_number, n):
    """cmn_shard_key_of_id_number: the first two bytes of an unkeyed 8-byte BLAKE2b."""
    h = hashlib.blake2b(id_number.encode(), digest_size=8).digest()
    return ((h[0] << 8) | h[1]) % n


class ShardStack(Stack):
    """The stack with account-svc as n shards ("account-svc#S", --shard S)."""

    def __init__(self, n):
        super().__init__()
        self.shard_count = 0
        self.set_shards(n)

    def set_shards(self, n):
        for s in range(self.shard_count):
            self.order.remove("account-svc#%d" % s)
        if "account-svc" in self.order:
            self.order.remove("account-svc")
        self.shard_count = n
        self.config["account"]["endpoint"] = " | ".join(
            "ipc://%s/account-%d.ipc" % (self.tmp, s) for s in range(n))
        write_config(self.config_path, self.config)
        at = self.order.index("gateway")
        self.order[at:at] = ["account-svc#%d" % s for s in range(n)]

    def command(self, name):
        if name.startswith("account-svc#"):
            return [self.binaries["account-svc"], "--config", self.config_path,
                    "--shard", name.split("#")[1]]
        return super().command(name)

    def dvcctl(self, *args):
        return subprocess.run([os.path.join(self.bindir, "dvcctl"), "--config", self.config_path]
                              + list(args), capture_output=True, text=True, timeout=30)


class ShardTest(StackTestCase):
    @classmethod
    def setUpClass(cls):
        cls._failed = False
        cls.stack = ShardStack(2)
        try:
            cls.stack.start_all()
        except BaseException:
            cls.stack.close(failed=True)
            raise

    def stats(self):
        r = self.stack.dvcctl("shards")
        return r

    def test_shards_and_split(self):
        st = self.stack
        # --- two shards -------------------------------------------------------------
        accounts = [register_account(st) for _ in range(12)]
        where = [shard_of(a["id_number"], 2) for a in accounts]
        self.assertEqual(set(where), {0, 1}, "12 accounts all on one shard: %r" % where)
        r = st.dvcctl("shards")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("accounts 12, misplaced 0", r.stdout)
        r = st.dvcctl("status")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for s in range(2):
            self.assertRegex(r.stdout, r"account-svc/%d +yes +yes" % s)
        for a, s in zip(accounts, where):
            r = st.dvcctl("account", a["id_number"])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        sessions = {}
        for a in accounts:
            got = sign_in(st, a)  # captcha from either shard, start, verify by flow id
            sessions[a["id_number"]] = got["token"]
            m = me(st, got["token"])  # routed by the token's key
            self.assertEqual(m.status, 200, m.body)
            self.assertEqual(m.body["id_number"], a["id_number"])
        # Captchas come from both shards (round robin): the gate crosses shards.
        cids = {st.captcha()[12:16] for _ in range(8)}
        self.assertEqual({int(c, 16) % 2 for c in cids}, {0, 1}, cids)

        jwks = st.request("GET", "/.well-known/jwks.json")
        self.assertEqual(jwks.status, 200, jwks.body)
        self.assertEqual(len({k["kid"] for k in jwks.body["keys"]}), 2,
                         "each shard signs with its own key: %r" % jwks.body)

        metrics = st.request("GET", "/metrics")
        self.assertEqual(metrics.status, 200)
        text = metrics.body if isinstance(metrics.body, str) else metrics.raw.decode()
        self.assertIn('shard="0"', text)
        self.assertIn('shard="1"', text)

        # A captcha made on shard 1 is checked there: with shard 1 stopped, a sign-in
        # of an account of shard 0 with it cannot pass.
        on0 = next(a for a, s in zip(accounts, where) if s == 0)
        cid1 = next(c for c in (st.captcha() for _ in range(10)) if int(c[12:16], 16) % 2 == 1)
        st.kill("account-svc#1", signal.SIGSTOP)
        try:
            r = st.request("GET", "/readyz", timeout=10)
            self.assertEqual(r.status, 503, "readyz with a shard stopped: %r" % (r.body,))
            r = start_login(st, on0["id_number"], on0["password"], captcha_id=cid1)
            self.assertIn(r.status, (503, 504), r.body)
        finally:
            st.kill("account-svc#1", signal.SIGCONT)
        st.wait_ready()

        # A stale map (one shard only) sends shard 1's accounts to shard 0: refused.
        stale = dict(st.config)
        stale["account"] = dict(st.config["account"])
        stale["account"]["endpoint"] = "ipc://%s/account-0.ipc" % st.tmp
        stale_path = os.path.join(st.tmp, "stale.conf")
        write_config(stale_path, stale)
        on1 = next(a for a, s in zip(accounts, where) if s == 1)
        r = subprocess.run([os.path.join(st.bindir, "dvcctl"), "--config", stale_path,
                            "account", on1["id_number"]], capture_output=True, text=True,
                           timeout=30)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        with open(st.log_path("account-svc#0"), encoding="utf-8", errors="replace") as f:
            self.assertIn("refused on shard 0", f.read())

        # --- split 2 -> 4 (docs/SHARDING.md) ----------------------------------------
        for s in range(2):
            st.stop("account-svc#%d" % s)
        st.stop("gateway")
        for s in range(2):
            src = os.path.join(st.var, "account-%d" % s)
            dst = os.path.join(st.var, "account-%d" % (s + 2))
            os.makedirs(dst, mode=0o700)
            for name in os.listdir(src):  # keys and captcha.key come along
                if name in ("data.mdb", "lock.mdb"):
                    continue
                p = os.path.join(src, name)
                (shutil.copytree if os.path.isdir(p) else shutil.copy2)(p, os.path.join(dst, name))
            r = subprocess.run(["mdb_copy", "-c", src, dst], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
        st.set_shards(4)
        for name in st.order:
            if name.startswith("account-svc#") or name == "gateway":
                st.start(name)
        st.wait_ready()
        r = st.dvcctl("shards")
        self.assertEqual(r.returncode, 1, "before the prune the copies are misplaced: "
                         + r.stdout + r.stderr)
        self.assertIn("accounts 24,", r.stdout)
        r = st.dvcctl("shard-prune")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = st.dvcctl("shards")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("accounts 12, misplaced 0", r.stdout)
        for a in accounts:
            m = me(st, sessions[a["id_number"]])  # a session from before the split
            self.assertEqual(m.status, 200, (a["id_number"], m.body))
            got = sign_in(st, a)
            self.assertEqual(me(st, got["token"]).status, 200)
        new = [register_account(st) for _ in range(8)]
        for a in new:
            sign_in(st, a)
        r = st.dvcctl("shards")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("accounts 20, misplaced 0", r.stdout)


if __name__ == "__main__":
    unittest.main()
