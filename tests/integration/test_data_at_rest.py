"""Nothing secret at rest in clear (api.md section 5, security.md "OTP" and "Logs"):
after several whole registrations (with resends, so many codes), no password and no OTP
code appears in any file under storage.dir except the SMS sink (which plays the phone
and so holds the codes), nor in any process's log. ID numbers are keys: not tested."""

import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import PROCESSES, StackTestCase, new_phone  # noqa: E402

FLOWS = 8
PASSWORDS = ["Tr0ng!Dong%02dKhanh" % i for i in range(FLOWS // 2)] + [
    "Mật!Khẩu%02dHồ Gươm" % i for i in range(FLOWS - FLOWS // 2)]


class DataAtRestTest(StackTestCase):
    stack_config = {"otp": {"resend_after": 1}}

    def files(self, root, skip):
        for d, _, names in os.walk(root):
            for n in names:
                path = os.path.join(d, n)
                if os.path.realpath(path) != os.path.realpath(skip):
                    yield path

    def test_no_secret_at_rest(self):
        st = self.stack
        codes, passwords = [], []
        for i in range(FLOWS):
            phone = new_phone()
            r = st.start_registration(phone=phone)
            self.assertStatus(r, 201, "start %d" % i)
            rid = r.body["registration_id"]
            codes.append(st.last_otp(phone))
            for _ in range(2):  # two resends: three codes per flow
                time.sleep(1.1)
                r = st.request("POST", "/v1/registrations/%s/otp/resend" % rid)
                self.assertStatus(r, 200, "resend %d" % i)
                codes.append(st.last_otp(phone))
            r = st.request("POST", "/v1/registrations/%s/otp/verify" % rid,
                           json={"code": codes[-1]})
            self.assertStatus(r, 200, "verify %d" % i)
            pw = PASSWORDS[i]
            r = st.request("POST", "/v1/registrations/%s/password" % rid,
                           json={"password": pw, "password_confirm": pw})
            self.assertStatus(r, 201, "password %d" % i)
            passwords.append(pw)
        codes = sorted(set(codes))
        self.assertGreaterEqual(len(codes), 3 * FLOWS - 1, codes)

        # Stop everything (exit 0 checked), so every write is on disk before the scan.
        for name in reversed(PROCESSES):
            st.stop(name)

        code_re = re.compile(b"|".join(re.escape(c.encode()) for c in codes))
        pw_re = re.compile(b"|".join(re.escape(p.encode("utf-8")) for p in passwords))

        # Positive control: the sink holds every code (so the scan can find them).
        with open(st.sink, "rb") as f:
            sink = f.read()
        self.assertEqual({m.group().decode() for m in code_re.finditer(sink)}, set(codes),
                         "the sink holds every code sent")

        scanned, code_hits, pw_hits = 0, [], []
        for path in self.files(st.var, st.sink):
            with open(path, "rb") as f:
                data = f.read()
            scanned += len(data)
            for m in pw_re.finditer(data):
                pw_hits.append((path, m.start(), m.group()))
            for m in code_re.finditer(data):
                code_hits.append((path, m.start(), data[max(0, m.start() - 24):m.end() + 24]))
        self.assertGreater(scanned, 0, "nothing under %s" % st.var)
        self.assertEqual(pw_hits, [], "passwords in clear under storage.dir")
        # A 6-digit ASCII run occurs by chance in random binary data with probability about
        # (10/256)^6 per offset; a hit is only noise when the code stands among bytes that
        # are not text (a code in a text record is a leak). Report every hit in full.
        # Sealed records (SMS jobs, cached replies) are random bytes, where such runs do
        # occur: a leak is a code among bytes that look like a record (strings, tags).
        in_text = [h for h in code_hits if _text_context(h[2])]
        self.assertEqual(in_text, [], "OTP codes under storage.dir (%d bytes scanned; "
                         "every hit: %r)" % (scanned, code_hits))

        # Logs: never a password, an OTP or a token (security.md "Logs").
        for name in PROCESSES:
            with open(st.log_path(name), "rb") as f:
                log = f.read()
            self.assertEqual(pw_re.findall(log), [], "a password in the %s log" % name)
            bounded = re.compile(rb"(?<![0-9A-Fa-f])(?:" + code_re.pattern + rb")(?![0-9A-Fa-f])")
            hits = [log[max(0, m.start() - 60):m.end() + 20] for m in bounded.finditer(log)]
            self.assertEqual(hits, [], "an OTP code in the %s log" % name)

        for name in PROCESSES:
            st.start(name)
        st.wait_ready()


def _text_context(window):
    """True when the bytes around a hit look like a record (mostly printable ASCII)."""
    printable = sum(1 for b in window if 32 <= b < 127)
    # Random bytes are printable 37 % of the time; a protobuf or JSON record around a
    # string field well over half.
    return printable >= len(window) * 0.5


if __name__ == "__main__":
    unittest.main()
