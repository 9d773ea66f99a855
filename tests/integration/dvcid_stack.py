"""dvcid_stack: starts the four real dvcid processes of one build on a temporary data
dir and a free port, and drives them over HTTP (Python 3 standard library only).

Used by every tests/integration/test_*.py. The build comes from DVCID_BIN (the CMake
build dir, set by ctest); the sources from DVCID_SRC. A Stack is a context manager:

    with Stack(otp={"ttl": 2}) as st:
        status, headers, body = st.request("POST", "/v1/captcha")

On exit every process gets SIGTERM and must exit 0 with no sanitizer report in its
log; otherwise the stack raises AssertionError, so a crash or a leak fails the test.
The temp dir is removed unless something failed (set DVCID_KEEP=1 to always keep it).
"""

import collections
import ctypes
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest


def _processes():
    """The processes of the tree's `processes` file, in its start order: each process's
    peers exist before it (stop order is the reverse)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "processes")
    with open(path, encoding="utf-8") as f:
        return tuple(line.strip() for line in f if re.match(r"[a-z]", line))


PROCESSES = _processes()

# Strings a sanitizer prints when it finds something (ASan, UBSan, LSan).
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer")

PASSWORD = "Tr0ng!Dong2024"
FULL_NAME = "Nguyễn Văn An"

Response = collections.namedtuple("Response", "status headers body")

_used = set()
_used_lock = threading.Lock()


def _unique(make):
    with _used_lock:
        while True:
            value = make()
            if value not in _used:
                _used.add(value)
                return value


def new_phone():
    """A random Vietnamese mobile in national form, e.g. "0912345678" (unique per run)."""
    return _unique(lambda: "091" + "".join(random.choice("0123456789") for _ in range(7)))


def e164(phone):
    """National "0912345678" -> "+84912345678"."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("84") and len(digits) == 11:
        return "+" + digits
    assert digits.startswith("0") and len(digits) == 10, phone
    return "+84" + digits[1:]


def mask_phone(phone):
    """The API's phone_masked: national form, first 3 and last 3 digits kept."""
    national = "0" + e164(phone)[3:]
    return national[:3] + "****" + national[-3:]


def birth_date_for(id_number, month_day="05-12"):
    """A birth date that agrees with a CCCD's century/gender digit and year digits."""
    century = 1900 + (int(id_number[3]) // 2) * 100
    return "%04d-%s" % (century + int(id_number[4:6]), month_day)


def new_identity(year=None):
    """(id_number, date_of_birth): a valid CCCD of Hà Nội (001) and a birth date it
    agrees with; the 6-digit tail is random and unique per run."""
    if year is None:
        year = random.randint(1950, 2005)
    century_digit = (year - 1900) // 100 * 2 + random.randint(0, 1)

    def make():
        return "001%d%02d%06d" % (century_digit, year % 100, random.randint(0, 999999))

    id_number = _unique(make)
    month_day = "%02d-%02d" % (random.randint(1, 12), random.randint(1, 28))
    return id_number, birth_date_for(id_number, month_day)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _find_binary(bindir, name):
    for candidate in (name, "dvcid-" + name, os.path.join(name, name)):
        path = os.path.join(bindir, candidate)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise AssertionError("binary %r not found under DVCID_BIN=%s" % (name, bindir))


def _tail(path, lines=40):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return "(cannot read %s: %s)" % (path, e)
    text = data.decode("utf-8", "replace").splitlines()
    return "\n".join(text[-lines:])


class Stack:
    """The four processes on a temp dir. overrides: {"otp": {"ttl": 3}, ...} merged
    into the config written for them."""

    def __init__(self, **overrides):
        self.bindir = os.environ.get("DVCID_BIN") or os.path.join(
            os.environ.get("DVCID_SRC", os.getcwd()), "build")
        self.binaries = {name: _find_binary(self.bindir, name) for name in PROCESSES}
        self.tmp = tempfile.mkdtemp(prefix="dvcid-it-")
        self.var = os.path.join(self.tmp, "var")
        self.sink = os.path.join(self.var, "sms-outbox.jsonl")
        self.port = free_port()
        self.config = {
            # /metrics and /readyz details on the API's port, as in deploy/dev.conf: no
            # management listener, so stacks side by side need no second free port.
            "gateway": {"listen": "127.0.0.1:%d" % self.port, "timeout_ms": 2000,
                        "management_listen": "", "public_metrics": "true"},
            "storage": {"dir": self.var},
            "account": {
                "endpoint": "ipc://%s/account.ipc" % self.tmp,
                "argon2_ops": 2,
                "argon2_mem_mib": 19,
                "registration_ttl": 1800,
            },
            "otp": {"endpoint": "ipc://%s/otp.ipc" % self.tmp},
            "captcha": {"test_answer": "TEST"},
            "sms": {
                "endpoint": "ipc://%s/sms.ipc" % self.tmp,
                "provider": "file",
                "file": self.sink,
            },
            "log": {"level": "info"},
        }
        for section, keys in overrides.items():
            self.config.setdefault(section, {}).update(keys)
        self.config_path = os.path.join(self.tmp, "dvcid.conf")
        write_config(self.config_path, self.config)
        self.order = list(PROCESSES)  # start order of the processes (names) this stack runs
        self.http_host = "127.0.0.1"  # where the gateway's port is reached
        self.preexec = None  # run in each child before exec (die_with_parent, say)
        self.procs = {}
        self.stopped = set()  # SIGSTOPped, to be continued before shutdown
        self.killed = set()  # pids SIGKILLed on purpose
        self.judged = set()  # pids whose exit status was checked
        self.problems = []
        self._seen = {}  # (to, purpose) -> message ids already handed out
        self._lock = threading.Lock()
        self.closed = False

    # ---- processes ----------------------------------------------------------------

    @property
    def url(self):
        return "http://%s:%d" % (self.http_host, self.port)

    def log_path(self, name):
        return os.path.join(self.tmp, name + ".log")

    def command(self, name):
        """The argv of process name (a subclass may add flags or a namespace)."""
        return [self.binaries[name], "--config", self.config_path]

    def environment(self, name):
        """The environment of process name (a subclass may add to it)."""
        env = dict(os.environ)
        # Not under systemd: a runner that is (NOTIFY_SOCKET) would make test mode refuse.
        env.pop("NOTIFY_SOCKET", None)
        env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        return env

    def start(self, name):
        old = self.procs.get(name)
        assert old is None or old.poll() is not None, "%s is already running" % name
        if old is not None:
            self._check_exit(name, old)  # an unexpected end is recorded, not forgotten
        env = self.environment(name)
        log = open(self.log_path(name), "ab")
        try:
            self.procs[name] = subprocess.Popen(
                self.command(name), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                cwd=self.tmp, env=env, preexec_fn=self.preexec)
        finally:
            log.close()

    def start_all(self):
        for name in self.order:
            self.start(name)
        self.wait_ready()

    def _check_exit(self, name, proc):
        """Records and returns a problem when proc (ended) did not exit 0; each process
        is judged once, and one that was SIGKILLed on purpose is not judged."""
        if proc.pid in self.judged:
            return None
        self.judged.add(proc.pid)
        code = proc.returncode
        if code == 0 or (code == -signal.SIGKILL and proc.pid in self.killed):
            return None
        what = "signal %d" % -code if code < 0 else "status %d" % code
        problem = "%s exited with %s (expected 0); log tail:\n%s" % (
            name, what, _tail(self.log_path(name)))
        self.problems.append(problem)
        return problem

    def stop(self, name, check=True):
        """SIGTERM, wait up to 5 s, and (check) require exit status 0."""
        proc = self.procs.get(name)
        if proc is None:
            return
        if proc.poll() is None:
            if name in self.stopped:
                proc.send_signal(signal.SIGCONT)
                self.stopped.discard(name)
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                self.judged.add(proc.pid)
                problem = "%s did not exit within 5 s of SIGTERM" % name
                self.problems.append(problem)
                raise AssertionError(problem)
        if check:
            problem = self._check_exit(name, proc)
            if problem:
                raise AssertionError(problem)

    def kill(self, name, sig):
        """Sends sig. SIGKILL: waits for the end (no exit status check). SIGSTOP and
        SIGCONT are remembered, so shutdown continues a stopped process first."""
        proc = self.procs[name]
        proc.send_signal(sig)
        if sig == signal.SIGKILL:
            self.killed.add(proc.pid)
            proc.wait(timeout=10)
        elif sig == signal.SIGSTOP:
            self.stopped.add(name)
        elif sig == signal.SIGCONT:
            self.stopped.discard(name)

    def restart(self, name):
        """stop + start + wait_ready. A bad exit still fails the caller, but the process
        is started again first, so the tests after it do not fail in its wake."""
        try:
            self.stop(name)
        except AssertionError:
            self.start(name)
            self.wait_ready()
            raise
        self.start(name)
        self.wait_ready()

    def wait_ready(self, timeout=20):
        """Waits until GET /readyz answers 200; raises with every log's tail if not."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            for name in self.dead():
                raise AssertionError("%s exited while waiting for /readyz\n%s"
                                     % (name, self.logs_tail()))
            try:
                last = self.request("GET", "/readyz", timeout=2)
                if last.status == 200:
                    return
            except (OSError, http.client.HTTPException) as e:
                last = e
            time.sleep(0.1)
        raise AssertionError("GET /readyz not 200 within %d s (last: %r)\n%s"
                             % (timeout, last, self.logs_tail()))

    def dead(self):
        """Processes that ended without being asked to: "name (status n)" each."""
        return ["%s (status %s)" % (name, proc.returncode) for name, proc in self.procs.items()
                if proc.poll() is not None and proc.pid not in self.killed
                and proc.pid not in self.judged]

    def logs_tail(self, lines=40):
        out = []
        for name in self.order:
            out.append("----- %s (%s) -----\n%s" % (name, self.log_path(name),
                                                     _tail(self.log_path(name), lines)))
        return "\n".join(out)

    def close(self, failed=False):
        """Stops everything (SIGTERM), checks exit statuses and logs, removes the temp
        dir unless something failed. Raises AssertionError on a problem."""
        if self.closed:
            return
        self.closed = True
        for name in reversed(self.order):
            if name in self.procs:
                try:
                    self.stop(name)
                except AssertionError:
                    pass  # recorded in self.problems
        for name in self.order:
            try:
                with open(self.log_path(name), "rb") as f:
                    text = f.read().decode("utf-8", "replace")
            except OSError:
                continue
            for mark in SANITIZER_MARKS:
                if mark in text:
                    at = text.index(mark)
                    self.problems.append("%s log has %r:\n%s" % (
                        name, mark, text[max(0, at - 200):at + 3000]))
        if failed or self.problems:
            sys.stderr.write("\n===== dvcid stack kept in %s =====\n%s\n"
                             % (self.tmp, self.logs_tail()))
        elif not os.environ.get("DVCID_KEEP"):
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self.problems:
            raise AssertionError("dvcid stack problems:\n" + "\n\n".join(self.problems))

    def __enter__(self):
        try:
            self.start_all()
        except BaseException:
            self.close(failed=True)
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close(failed=exc_type is not None)
        return False

    # ---- HTTP ---------------------------------------------------------------------

    def connection(self, timeout):
        """A new HTTP connection to the gateway (a subclass may reach it elsewhere)."""
        return http.client.HTTPConnection(self.http_host, self.port, timeout=timeout)

    def request(self, method, path, json=None, raw=None, headers=None, timeout=10):
        """One HTTP request on a new connection. json: a value sent as JSON; raw: bytes
        (or str) sent as they are. Returns Response(status, headers, body) where body is
        the parsed JSON when the answer is JSON, else the text."""
        hdrs = {}
        body = None
        if json is not None:
            body = _json_dumps(json).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        elif raw is not None:
            body = raw.encode("utf-8") if isinstance(raw, str) else raw
            hdrs["Content-Type"] = "application/json"
        elif method in ("POST", "PUT", "PATCH"):
            body = b""
        hdrs.update(headers or {})
        conn = self.connection(timeout)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in hdrs.items():
                conn.putheader(k, v)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders()
            if body:
                # The server may answer (413) and close before reading a big body.
                try:
                    for i in range(0, len(body), 65536):
                        conn.send(body[i:i + 65536])
                except (BrokenPipeError, ConnectionResetError):
                    pass
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, resp.headers, _decode(resp.headers, data))
        finally:
            conn.close()

    def request_chunked(self, method, path, chunks, content_type="application/json",
                        timeout=10):
        """A request whose body goes with Transfer-Encoding: chunked (no length known in
        advance). Returns a Response, or None when the server hung up without answering."""
        conn = self.connection(timeout)
        try:
            try:
                conn.request(method, path, body=iter(chunks), encode_chunked=True,
                             headers={"Content-Type": content_type,
                                      "Transfer-Encoding": "chunked"})
            except (BrokenPipeError, ConnectionResetError):
                pass
            try:
                resp = conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                return None
            return Response(resp.status, resp.headers, _decode(resp.headers, data))
        finally:
            conn.close()

    def captcha(self):
        """POST /v1/captcha; checks 201 and the image data URL; returns the captcha id."""
        r = self.request("POST", "/v1/captcha")
        assert r.status == 201, "POST /v1/captcha: %s %r %s" % (r.status, r.body, self.dead())
        assert isinstance(r.body, dict), r
        cid, image = r.body.get("captcha_id"), r.body.get("image")
        assert isinstance(cid, str) and cid, "captcha_id: %r" % (r.body,)
        assert isinstance(image, str) and (
            image.startswith("data:image/svg+xml;base64,")
            or image.startswith("data:image/png;base64,")), "image: %r" % (image or "")[:80]
        return cid

    # ---- SMS sink -----------------------------------------------------------------

    def sinks(self):
        """The SMS sink files (the file provider's) of every sms-worker of this stack."""
        return [self.sink]

    def sms_lines(self):
        """Every complete JSON line of the SMS sinks (a half-written last line is skipped)."""
        out = []
        for sink in self.sinks():
            try:
                with open(sink, "rb") as f:
                    data = f.read()
            except FileNotFoundError:
                continue
            lines = data.split(b"\n")
            for line in lines[:-1]:  # the part after the last "\n" is not complete yet
                if line.strip():
                    out.append(_json_loads(line.decode("utf-8")))
        return out

    def sms_for(self, phone, purpose=None):
        """Lines to phone (any form), optionally of one purpose, duplicates (same
        message_id) dropped."""
        to = e164(phone)
        out, ids = [], set()
        for line in self.sms_lines():
            if line.get("to") != to or (purpose is not None and line.get("purpose") != purpose):
                continue
            mid = line.get("message_id")
            if mid in ids:
                continue
            ids.add(mid)
            out.append(line)
        return out

    def last_otp_line(self, phone, purpose, timeout=5):
        """Waits (up to timeout) for a line to phone for purpose not handed out yet and
        returns it (the newest)."""
        key = (e164(phone), purpose)
        deadline = time.monotonic() + timeout
        while True:
            lines = self.sms_for(phone, purpose)
            with self._lock:
                seen = self._seen.setdefault(key, set())
                fresh = [ln for ln in lines if ln.get("message_id") not in seen]
                if fresh:
                    seen.update(ln.get("message_id") for ln in lines)
                    return fresh[-1]
            if time.monotonic() > deadline:
                raise AssertionError("no new SMS to %s for %r within %d s; sink has %d lines:\n%s"
                                     % (key[0], purpose, timeout, len(self.sms_lines()),
                                        self.logs_tail(15)))
            time.sleep(0.05)

    def last_otp(self, phone, purpose="register", timeout=5):
        """Waits for a new SMS to phone for purpose and returns its code."""
        return otp_code(self.last_otp_line(phone, purpose, timeout))

    def wait_no_sms(self, phone, wait=1.0):
        """Waits wait seconds, then returns every line ever sent to phone (tests use a
        fresh phone and expect [])."""
        time.sleep(wait)
        return self.sms_for(phone)

    # ---- flows --------------------------------------------------------------------

    def start_registration(self, id_number=None, phone=None, full_name=FULL_NAME,
                           date_of_birth=None, email=None, captcha_id=None,
                           captcha_answer="TEST"):
        """POST /v1/registrations with a fresh captcha; returns the Response."""
        if id_number is None:
            id_number, dob = new_identity()
            date_of_birth = date_of_birth or dob
        if date_of_birth is None:
            date_of_birth = birth_date_for(id_number)
        body = {
            "id_number": id_number,
            "full_name": full_name,
            "date_of_birth": date_of_birth,
            "phone": phone if phone is not None else new_phone(),
            "captcha_id": captcha_id if captcha_id is not None else self.captcha(),
            "captcha_answer": captcha_answer,
        }
        if email is not None:
            body["email"] = email
        return self.request("POST", "/v1/registrations", json=body)

    def register(self, id_number=None, phone=None, password=PASSWORD, **fields):
        """The whole happy path: captcha, start, OTP from the sink, verify, password.
        Returns a dict with id_number, phone, registration_id, codes, password, account."""
        if id_number is None:
            id_number, dob = new_identity()
            fields.setdefault("date_of_birth", dob)
        phone = phone or new_phone()
        r = self.start_registration(id_number=id_number, phone=phone, **fields)
        assert r.status == 201, "POST /v1/registrations: %s %r %s" % (r.status, r.body,
                                                                       self.dead())
        rid = r.body["registration_id"]
        code = self.last_otp(phone, "register")
        v = self.request("POST", "/v1/registrations/%s/otp/verify" % rid, json={"code": code})
        assert v.status == 200, "verify: %s %r %s" % (v.status, v.body, self.dead())
        p = self.request("POST", "/v1/registrations/%s/password" % rid,
                         json={"password": password, "password_confirm": password})
        assert p.status == 201, "password: %s %r %s" % (p.status, p.body, self.dead())
        return {"id_number": id_number, "phone": phone, "registration_id": rid,
                "codes": [code], "password": password, "account": p.body.get("account")}


def read_config(path):
    """A dvcid INI file as {section: {key: value}}: inline " ;" comments dropped, indented
    lines appended to the value above (as the services read it)."""
    config, section, key = {}, None, None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            text = re.split(r"\s[;#]", " " + raw.rstrip("\n"), maxsplit=1)[0][1:]
            if not text.strip() or text.lstrip()[0] in ";#":
                continue
            if text[0] in " \t" and key is not None:
                config[section][key] += text.strip()
            elif text.startswith("["):
                section, key = text.strip().strip("[]"), None
                config.setdefault(section, {})
            else:
                key, _, value = text.partition("=")
                key = key.strip()
                config[section][key] = value.strip()
    return config


def write_config(path, config):
    """Writes config ({section: {key: value}}) as a dvcid INI file."""
    with open(path, "w", encoding="utf-8") as f:
        for section, keys in config.items():
            f.write("[%s]\n" % section)
            for key, value in keys.items():
                f.write("%s = %s\n" % (key, value))
            f.write("\n")


_PR_SET_PDEATHSIG = 1


def die_with_parent():
    """A preexec for Popen: the child gets SIGKILL when the thread that started it ends
    (a ctest timeout kills only the test), so no service outlives its test. Start such
    children from the main thread only."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def otp_code(line):
    """The code of an OTP SMS line: the only run of 6 or more digits in its text."""
    runs = re.findall(r"\d{6,}", line.get("text", ""))
    assert len(runs) == 1, "SMS text must hold exactly one 6+ digit run: %r" % (line,)
    return runs[0]


def _json_dumps(value):
    return json.dumps(value, ensure_ascii=False)


def _json_loads(text):
    return json.loads(text)


def _decode(headers, data):
    ctype = headers.get("Content-Type", "")
    text = data.decode("utf-8", "replace")
    if "json" in ctype:
        try:
            return json.loads(data.decode("utf-8"))
        except ValueError:
            return text
    return text


class StackTestCase(unittest.TestCase):
    """One Stack per test class, started in setUpClass with stack_config and closed in
    tearDownClass; a failed test keeps the temp dir and prints the logs' tails, and a
    sanitizer report or a bad exit status fails the class."""

    stack_config = {}
    _failed = False

    @classmethod
    def setUpClass(cls):
        cls._failed = False
        cls.stack = Stack(**cls.stack_config)
        cls.stack.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.stack.close(failed=cls._failed)

    def run(self, result=None):
        if result is None:
            return super().run(result)
        before = len(result.failures) + len(result.errors)
        out = super().run(result)
        if len(result.failures) + len(result.errors) > before:
            type(self)._failed = True
        return out

    # ---- assertions ---------------------------------------------------------------

    def _dead(self):
        dead = self.stack.dead()
        return " [processes dead: %s]" % ", ".join(dead) if dead else ""

    def assertStatus(self, r, status, what=""):
        self.assertEqual(r.status, status, "%s: expected %d, got %d %r%s"
                         % (what or "request", status, r.status, r.body, self._dead()))

    def assertError(self, r, status, code, what=""):
        """r is the error answer {"error": {"code", "message", ...}} with a Vietnamese
        message; returns the error object."""
        label = what or "request"
        self.assertEqual((r.status, _code_of(r.body)), (status, code),
                         "%s: expected %d %s, got %d %r%s"
                         % (label, status, code, r.status, r.body, self._dead()))
        self.assertTrue(r.headers.get("Content-Type", "").startswith("application/json"),
                        "%s: Content-Type %r" % (label, r.headers.get("Content-Type")))
        err = r.body["error"]
        msg = err.get("message")
        self.assertIsInstance(msg, str, "%s: message %r" % (label, err))
        self.assertTrue(msg.strip(), "%s: empty message %r" % (label, err))
        self.assertTrue(any(ord(c) > 127 for c in msg),
                        "%s: message is not Vietnamese (no diacritics): %r" % (label, msg))
        return err

    def assertRetryAfter(self, r, at_most, what=""):
        err = r.body["error"]
        ra = err.get("retry_after")
        self.assertIsInstance(ra, int, "%s: retry_after %r" % (what, err))
        self.assertTrue(1 <= ra <= at_most, "%s: retry_after %r not in 1..%d" % (what, ra, at_most))
        header = r.headers.get("Retry-After")
        self.assertIsNotNone(header, "%s: no Retry-After header" % what)
        self.assertTrue(header.isdigit() and abs(int(header) - ra) <= 1,
                        "%s: Retry-After %r vs retry_after %r" % (what, header, ra))
        return ra


def _code_of(body):
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"].get("code")
    return None
