"""sms_peers: real third-party SMS peers for the sms-worker integration tests.

- Kannel: bearerbox + smsbox (Debian `kannel`) with the fake SMSC of `kannel-extras`
  (`fakesmsc`), on free ports, config written here. Messages that reach the fake SMSC
  are read from fakesmsc's output.
- Smsc: the SMPP 3.4 SMSC simulator of tests/sms-smsc (Node, npm package `smpp`),
  with a small HTTP control port to record submits, drop the link, stall or
  throttle, and send delivery receipts.
- StubHttp: a tiny HTTP provider stub (Python) whose answers a test chooses: bad
  answers, slow answers, success.

A missing peer (no Kannel, no node, no `npm ci` done) fails with a clear message:
nothing here skips.
"""

import http.server
import json
import os
import re
import shutil
import signal
import socketserver
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request

from dvcid_stack import StackTestCase, free_port

KANNEL_BIN = "/usr/sbin"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
SRC = os.environ.get("DVCID_SRC") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
SMSC_DIR = os.path.join(SRC, "tests", "sms-smsc")


def _need(path, what):
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise AssertionError("%s not found at %s: install it (scripts/deps.sh test installs "
                             "kannel and kannel-extras)" % (what, path))


def _wait_port(port, timeout=10.0, proc=None, what="peer"):
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError("%s exited with %s before listening on %d"
                                 % (what, proc.returncode, port))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("%s not listening on 127.0.0.1:%d within %.0f s" % (what, port, timeout))


def _stop(proc, timeout=5):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Kannel:
    """bearerbox + smsbox + fakesmsc on free ports. sendsms_url(...) is the URL
    template for sms.http_url; received() lists what reached the fake SMSC as
    (sender, receiver, text) tuples."""

    USER = "dvcid"
    PASSWORD = "s3cret-kannel"

    def __init__(self):
        for name in ("bearerbox", "smsbox"):
            _need(os.path.join(KANNEL_BIN, name), "Kannel's " + name)
        _need(FAKESMSC, "Kannel's fakesmsc (package kannel-extras)")
        self.tmp = tempfile.mkdtemp(prefix="dvcid-kannel-")
        self.admin_port = free_port()
        self.box_port = free_port()
        self.smsc_port = free_port()
        self.sendsms_port = free_port()
        self.procs = []
        self.lines = []
        self._lock = threading.Lock()
        conf = os.path.join(self.tmp, "kannel.conf")
        with open(conf, "w") as f:
            f.write("""group = core
admin-port = %(admin)d
admin-password = admin-pw
admin-allow-ip = 127.0.0.1
smsbox-port = %(box)d
box-allow-ip = 127.0.0.1
log-file = %(tmp)s/bearerbox.log
log-level = 1
access-log = %(tmp)s/access.log
store-type = spool
store-location = %(tmp)s/spool

group = smsc
smsc = fake
smsc-id = fake
port = %(smsc)d
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = %(sendsms)d
log-file = %(tmp)s/smsbox.log
log-level = 1

group = sendsms-user
username = %(user)s
password = %(password)s
""" % {"admin": self.admin_port, "box": self.box_port, "smsc": self.smsc_port,
                "sendsms": self.sendsms_port, "tmp": self.tmp, "user": self.USER,
                "password": self.PASSWORD})
        os.makedirs(os.path.join(self.tmp, "spool"))
        self.conf = conf

    def _spawn(self, args, name, **kw):
        log = open(os.path.join(self.tmp, name + ".out"), "ab")
        try:
            p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=self.tmp, **kw)
        finally:
            log.close()
        self.procs.append(p)
        return p

    def start(self):
        bb = self._spawn([os.path.join(KANNEL_BIN, "bearerbox"), "-p",
                          os.path.join(self.tmp, "bearerbox.pid"), self.conf], "bearerbox-run")
        _wait_port(self.box_port, proc=bb, what="bearerbox")
        sb = self._spawn([os.path.join(KANNEL_BIN, "smsbox"), "-p",
                          os.path.join(self.tmp, "smsbox.pid"), self.conf], "smsbox-run")
        # fakesmsc prints what the SMSC receives; its stdin must stay open (it stops
        # at EOF), so it gets a pipe this object holds. -m 0: it sends nothing itself.
        self.fake = subprocess.Popen(
            [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.smsc_port), "-m", "0", "1 2 text x"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            cwd=self.tmp)
        self.procs.append(self.fake)
        threading.Thread(target=self._read_fake, daemon=True).start()
        _wait_port(self.sendsms_port, proc=sb, what="smsbox")
        # Ready when bearerbox says the fake SMSC is online.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                status = urllib.request.urlopen(
                    "http://127.0.0.1:%d/status.txt?password=admin-pw" % self.admin_port,
                    timeout=2).read().decode("utf-8", "replace")
                if "online" in status and "fake" in status:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("Kannel's fake SMSC not online within 10 s:\n" + self.logs())

    def _read_fake(self):
        for raw in self.fake.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                self.lines.append(line)

    def received(self):
        """(sender, receiver, text) of each message the fake SMSC got. fakesmsc
        prints "Got message N: <sender receiver type data>": text as it is, ucs-2
        as form-encoded UTF-16BE."""
        out = []
        with self._lock:
            lines = list(self.lines)
        for line in lines:
            at = line.find("Got message")
            if at < 0 or "<" not in line[at:]:
                continue
            rest = line[line.index("<", at) + 1:]
            rest = rest[:-1] if rest.endswith(">") else rest
            parts = rest.split(" ", 3)
            if len(parts) < 4:
                continue
            sender, receiver, kind, data = parts
            if kind == "ucs-2":
                text = urllib.parse.unquote_to_bytes(data.replace("+", " ")).decode(
                    "utf-16-be", "replace")
            else:
                text = data
            out.append((sender, receiver, text))
        return out

    def wait_for(self, receiver_digits, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = [m for m in self.received() if m[1].lstrip("+") == receiver_digits]
            if got:
                return got
            time.sleep(0.05)
        raise AssertionError("no SMS to %s reached Kannel's fake SMSC within %d s:\n%s"
                             % (receiver_digits, timeout, self.logs()))

    def sendsms_url(self, extra=""):
        return ("http://127.0.0.1:%d/cgi-bin/sendsms?username=%s&password=%s&from=DVCQG"
                "&to={to_digits}&text={text}&coding={coding}&charset=UTF-8%s"
                % (self.sendsms_port, self.USER, self.PASSWORD, extra))

    def logs(self):
        out = []
        for name in ("bearerbox.log", "smsbox.log", "bearerbox-run.out", "smsbox-run.out"):
            path = os.path.join(self.tmp, name)
            try:
                with open(path, "rb") as f:
                    out.append("--- %s ---\n%s" % (name, f.read()[-3000:].decode("utf-8", "replace")))
            except OSError:
                pass
        with self._lock:
            out.append("--- fakesmsc ---\n" + "\n".join(self.lines[-30:]))
        return "\n".join(out)

    def stop(self):
        for p in reversed(self.procs):
            if p is getattr(self, "fake", None) and p.stdin:
                try:
                    p.stdin.close()
                except OSError:
                    pass
            _stop(p)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()
        return False


def otp_in(text):
    """The code in an OTP text: its only run of 6 or more digits."""
    import re
    runs = re.findall(r"\d{6,}", text)
    assert len(runs) == 1, "SMS text must hold exactly one 6+ digit run: %r" % (text,)
    return runs[0]


def register_with(stack, code_for, phone=None):
    """The whole registration flow on stack, the OTP read by code_for(phone) from
    wherever the provider delivered it (not the file sink). Returns the phone."""
    from dvcid_stack import PASSWORD, new_identity, new_phone
    phone = phone or new_phone()
    id_number, dob = new_identity()
    r = stack.start_registration(id_number=id_number, date_of_birth=dob, phone=phone)
    assert r.status == 201, "POST /v1/registrations: %s %r %s" % (r.status, r.body, stack.dead())
    rid = r.body["registration_id"]
    code = code_for(phone)
    v = stack.request("POST", "/v1/registrations/%s/otp/verify" % rid, json={"code": code})
    assert v.status == 200, "verify: %s %r" % (v.status, v.body)
    p = stack.request("POST", "/v1/registrations/%s/password" % rid,
                      json={"password": PASSWORD, "password_confirm": PASSWORD})
    assert p.status == 201, "password: %s %r" % (p.status, p.body)
    return phone


def wait_log(stack, name, needle, timeout=10):
    """Waits until the log of process name holds needle; returns the log text."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(stack.log_path(name), "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            text = ""
        if needle in text:
            return text
        if time.monotonic() > deadline:
            raise AssertionError("%r not in the %s log within %d s; tail:\n%s"
                                 % (needle, name, timeout, text[-3000:]))
        time.sleep(0.05)


def wait_metric(stack, name, provider, at_least=1, timeout=10):
    """Waits until sms_metric(stack, name, provider) reaches at_least; returns it. (What
    happened to one message is logged at info only when it is news: a sent SMS, a failed
    delivery; a delivered receipt, the usual case, is counted here and logged at debug.)"""
    deadline = time.monotonic() + timeout
    while True:
        v = sms_metric(stack, name, provider)
        if v >= at_least:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("%s{provider=%s} is %g, not %g, after %d s"
                                 % (name, provider, v, at_least, timeout))
        time.sleep(0.05)


def sms_metric(stack, name, provider):
    """The sms-worker sample of metric name (dvcid_sms_provider_failed_total,
    dvcid_sms_delivery_seconds_count, ...) for provider on the gateway's /metrics (0
    when absent)."""
    r = stack.request("GET", "/metrics")
    assert r.status == 200, r.status
    return series(r.body, name, service="sms-worker", provider=provider)


def series(text, name, **labels):
    """The value of the sample of name in Prometheus text whose labels include
    labels, or 0."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', line[len(name):line.index("}") + 1]))
        if all(got.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def conversion(stack, provider, prefix):
    """(sent, verified) OTP SMS of provider and number prefix on the gateway's /metrics."""
    text = stack.request("GET", "/metrics").body
    return (series(text, "dvcid_sms_otp_sent_total", provider=provider, prefix=prefix),
            series(text, "dvcid_sms_otp_verified_total", provider=provider, prefix=prefix))


class Smsc:
    """The Node SMSC simulator of tests/sms-smsc on free ports; `npm ci` is run
    first when its node_modules is missing (from package-lock.json)."""

    SYSTEM_ID = "dvcid"
    PASSWORD = "smpp-pw"

    def __init__(self):
        self.port = free_port()
        self.control = free_port()
        self.proc = None
        self.log = tempfile.NamedTemporaryFile(prefix="dvcid-smsc-", suffix=".log", delete=False)

    def start(self):
        node = shutil.which("node")
        if not node:
            raise AssertionError("node not found: the SMPP tests need Node.js "
                                 "(scripts/deps.sh test installs nodejs and npm)")
        if not os.path.isdir(os.path.join(SMSC_DIR, "node_modules", "smpp")):
            npm = shutil.which("npm")
            if not npm:
                raise AssertionError("npm not found: needed once for tests/sms-smsc (npm ci)")
            r = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=SMSC_DIR,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
            if r.returncode != 0:
                raise AssertionError("npm ci in %s failed:\n%s"
                                     % (SMSC_DIR, r.stdout.decode("utf-8", "replace")))
        self.proc = subprocess.Popen(
            [node, os.path.join(SMSC_DIR, "smsc.js"), str(self.port), str(self.control),
             self.SYSTEM_ID, self.PASSWORD], stdout=self.log, stderr=subprocess.STDOUT)
        _wait_port(self.control, proc=self.proc, what="SMSC simulator")
        _wait_port(self.port, proc=self.proc, what="SMSC simulator")
        return self

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.control, path), data=data,
                                     method=method)
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read().decode("utf-8"))

    def submits(self):
        return self._call("GET", "/submits")

    def binds(self):
        return self._call("GET", "/binds")["binds"]

    def mode(self, **kw):
        return self._call("POST", "/mode", kw)

    def reset(self):
        return self._call("POST", "/reset", {})

    def wait_for(self, dest_digits, timeout=10, count=1):
        deadline = time.monotonic() + timeout
        while True:
            got = [s for s in self.submits() if s["dest"] == dest_digits]
            if len(got) >= count:
                return got
            if time.monotonic() > deadline:
                raise AssertionError("fewer than %d submit_sm to %s within %d s (got %r)"
                                     % (count, dest_digits, timeout, got))
            time.sleep(0.05)

    def logs(self):
        try:
            with open(self.log.name, "rb") as f:
                return f.read()[-3000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        _stop(self.proc)
        self.log.close()
        try:
            os.unlink(self.log.name)
        except OSError:
            pass

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()
        return False


class StubHttp:
    """A stand-in HTTP SMS provider whose answers the test scripts. Each request is
    recorded as {"method", "path", "query" (dict), "body" (str), "at"}; its answer is
    the next action of script (then `default`): "ok" (200 "OK"), "500", "garbage"
    (200 with a body that is not the success rule), "429", or ("slow", seconds)
    (answers "ok" after sleeping)."""

    def __init__(self):
        self.requests = []
        self.script = []
        self.default = "ok"
        self._lock = threading.Lock()
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
                with stub._lock:
                    stub.requests.append({"method": self.command, "path": url.path,
                                          "query": query, "body": body,
                                          "headers": dict(self.headers), "at": time.time()})
                    action = stub.script.pop(0) if stub.script else stub.default
                if isinstance(action, tuple) and action[0] == "slow":
                    time.sleep(action[1])
                    action = "ok"
                status, text = {"ok": (200, "OK: queued"), "500": (500, "internal error"),
                                "garbage": (200, "<html>maintenance</html>"),
                                "429": (429, "slow down")}[action]
                data = text.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (a slow answer past its timeout)

            do_GET = _serve
            do_POST = _serve

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path="/send?to={to}&text={text}&id={message_id}"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def set(self, script=None, default=None):
        with self._lock:
            if script is not None:
                self.script = list(script)
            if default is not None:
                self.default = default

    def for_phone(self, phone_e164):
        with self._lock:
            reqs = list(self.requests)
        out = []
        for r in reqs:
            to = r["query"].get("to")
            if to is None and r["body"]:
                try:
                    to = json.loads(r["body"]).get("to")
                except ValueError:
                    to = None
            if to == phone_e164:
                out.append(r)
        return out

    def wait_for(self, phone_e164, count=1, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            got = self.for_phone(phone_e164)
            if len(got) >= count:
                return got
            if time.monotonic() > deadline:
                raise AssertionError("fewer than %d requests for %s within %d s (got %d)"
                                     % (count, phone_e164, timeout, len(got)))
            time.sleep(0.05)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class PeersStackTest(StackTestCase):
    """StackTestCase whose providers are peers started first. A subclass sets
    peers_new() (peers to start, each with stop(); an Smsc is started here) and
    peer_config(peers) (the Stack keyword arguments that name them)."""

    @classmethod
    def peers_new(cls):
        return []

    @classmethod
    def peer_config(cls, peers):
        return {}

    @classmethod
    def setUpClass(cls):
        cls.peers = []
        try:
            for peer in cls.peers_new():
                cls.peers.append(peer)
                if isinstance(peer, Smsc):
                    peer.start()
            cls.stack_config = cls.peer_config(cls.peers)
            super().setUpClass()
        except BaseException:
            cls._stop_peers()
            raise

    @classmethod
    def _stop_peers(cls):
        for peer in cls.peers:
            peer.stop()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls._stop_peers()
