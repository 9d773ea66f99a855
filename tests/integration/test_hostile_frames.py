"""Hostile messages on every service's ROUTER socket (issue 5: "a corrupt or hostile
message from any socket is refused with a log line, never a crash").

Over the real endpoints of a running stack, with dvcid-zframes (tests/integration/
zframes.c) as a raw DEALER, each of account-svc, otp-svc and sms-worker gets:
- bytes that are not a Request (bad tags, lengths past the end, a varint that never
  ends, a group): no answer, and the log says it dropped them;
- an empty frame (an empty Request: no body) and a Request of every body the service
  does not handle (the wrong oneof for it): an INVALID_REQUEST answer and a log line;
- more than one frame, a few hundred frames, and a frame over the 1 MiB message cap:
  dropped (the cap by libzmq, which closes that connection) with no answer;
- every body the service does handle, empty, with every string field 60 kB long and
  every number at its maximum (enums out of range), and with strings of invalid UTF-8,
  NUL bytes, escape sequences and newlines (the trace id too, for the logs): each gets
  an answer with the request id that was sent, whatever it is, and each one refused
  as invalid (INVALID_REQUEST, VALIDATION_FAILED) a log line "refused a <body> request".
Afterwards every process is the same one (no restart), answers Ping on a fresh
connection, and a whole registration succeeds over HTTP; on shutdown the stack checks
that every process exits 0 with no sanitizer report in its log.

The other side, the gateway's DEALER (HostileAnswersTest): a fake account-svc
(dvcid-zframes serve) answers POST /v1/captcha with bytes that are not a Reply, an
empty frame, two frames, the wrong body, an unknown status, an Error that says OK, an
empty captcha, another request's id, nothing, and a frame over the cap: each time the
client gets a JSON 5xx within the gateway's deadline (after the frame over the cap,
which makes libzmq close the link, the gateway connects again and sends the request
once more, so a good answer may come instead), the gateway logs what it dropped, and
then serves a valid answer.

The Requests are written here by hand in the protobuf wire format from proto/dvcid.proto
(so every body, including ones added later, is sent); answers are read with
`protoc-c --decode`."""
import collections
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvcid_stack import Stack, StackTestCase  # noqa: E402

SRC = os.environ.get("DVCID_SRC") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROTO = os.path.join(SRC, "proto", "dvcid.proto")

# The bodies each service may answer: Ping and MetricsGet (the skeleton) and every body
# its sources name. That is a superset (a service also names the bodies it asks others
# for), which only moves a body from the "wrong oneof" checks to the "hostile contents"
# ones; a new route can never make the test fail for being unknown here.
SERVICE_DIRS = {"account": "account-svc", "otp": "otp-svc", "sms": "sms-worker"}


def handled_bodies(service):
    names = {"ping", "metrics_get"}
    d = os.path.join(SRC, SERVICE_DIRS[service])
    for f in os.listdir(d):
        if f.endswith(".c"):
            text = open(os.path.join(d, f), encoding="utf-8").read()
            names.update(n.lower() for n in re.findall(r"DVCID__REQUEST__BODY_([A-Z0-9_]+)", text))
    return names


# Bytes that do not decode as a Request.
NOT_A_REQUEST = {
    "wire type 7": "0f",
    "bad tags": "ffffffff",
    "truncated varint": "08",
    "length past the end": "1a1041",
    "varint too long": "08" + "ff" * 10 + "01",
    "group start": "0b",
    "field number 0": "0001",
    "oneof member truncated": "520a0a05",
}

MAX_FRAME = 1 << 20  # S_MAX_MSG of the services (common/cmn_service_int.h)


# --- the protobuf wire format, enough to write any Request ----------------------------

def parse_proto(path):
    """{message: [(label, type, name, number)]} of the top-level messages of path, and
    the set of enum names."""
    text = re.sub(r"//[^\n]*", "", open(path, encoding="utf-8").read())
    messages, enums = {}, set(re.findall(r"^enum (\w+)", text, re.M))
    for name in re.findall(r"^message (\w+) \{\s*\}", text, re.M):
        messages[name] = []
    for name, body in re.findall(r"^message (\w+) \{\n(.*?)^\}", text, re.M | re.S):
        messages[name] = [(m[0].strip(), m[1], m[2], int(m[3])) for m in re.findall(
            r"^\s*(repeated\s+)?([\w.]+)\s+(\w+)\s*=\s*(\d+);", body, re.M)]
    return messages, enums


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(number, wire):
    return varint(number << 3 | wire)


def ld(number, data):
    return key(number, 2) + varint(len(data)) + data


def fill(fields, enums, style):
    """A message of fields: "empty" none; "long" every string 60 kB and every number at
    its maximum; "bad" strings of invalid UTF-8, NUL, escapes and newlines."""
    out = b""
    if style == "empty":
        return out
    for _label, typ, _name, num in fields:
        if typ in ("string", "bytes"):
            value = b"A" * 60000 if style == "long" else b"\xff\xfe\x00x\x1b[31m\r\nINFO forged\xc3"
            out += ld(num, value)
        elif typ in ("uint64", "int64"):
            out += key(num, 0) + varint((1 << 64) - 1 if style == "long" else 0)
        elif typ in ("uint32", "int32") or typ in enums:
            out += key(num, 0) + varint((1 << 32) - 1 if style == "long" else 0x7FFFFFFF)
        elif typ == "bool":
            out += key(num, 0) + varint(2)
        else:  # a message field: present and empty
            out += ld(num, b"")
    return out


class Wire:
    def __init__(self):
        self.messages, self.enums = parse_proto(PROTO)
        self.bodies = {name: (typ, num) for _l, typ, name, num in self.messages["Request"]
                       if num >= 10}
        self.next_id = 1000

    def request(self, body, style="empty", trace="hostile-test"):
        """(request_id, wire bytes) of a Request with body (a oneof name) filled as style."""
        self.next_id += 1
        typ, num = self.bodies[body]
        deadline = int(time.time() * 1000) + 10000
        if style == "bad":
            trace = "\x1b[31mforged\nERROR line\x00"
        msg = (key(1, 0) + varint(self.next_id) + key(2, 0) + varint(deadline)
               + ld(3, b"203.0.113.9") + ld(4, trace.encode("utf-8", "surrogatepass"))
               + ld(num, fill(self.messages[typ], self.enums, style)))
        return self.next_id, msg


def decode_reply(hexframe):
    """The text format of a Reply (protoc-c --decode), or None when it does not decode."""
    data = b"" if hexframe == "-" else bytes.fromhex(hexframe)
    r = subprocess.run(["protoc-c", "--proto_path=" + SRC, "--decode=dvcid.Reply",
                        "proto/dvcid.proto"], input=data, cwd=SRC, capture_output=True)
    return r.stdout.decode("utf-8", "replace") if r.returncode == 0 else None


class HostileFramesTest(StackTestCase):
    def zframes(self, endpoint, lines, timeout=60):
        """Sends each line ("TIMEOUT_MS FRAME...") over one DEALER; the answers, one per
        line: None, or the list of hex frames."""
        tool = os.path.join(self.stack.bindir, "dvcid-zframes")
        r = subprocess.run([tool, "send", endpoint], input="\n".join(lines) + "\n",
                           capture_output=True, text=True, timeout=timeout)
        self.assertEqual(r.returncode, 0, "dvcid-zframes: %s" % r.stderr)
        out = r.stdout.splitlines()
        self.assertEqual(len(out), len(lines), r.stdout)
        return [None if o == "none" else o.split()[1:] for o in out]

    def endpoint(self, service):
        return self.stack.config[service]["endpoint"]

    def log(self, service):
        name = SERVICE_DIRS[service]
        with open(self.stack.log_path(name), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def assertPing(self, wire, service):
        rid, msg = wire.request("ping")
        [ans] = self.zframes(self.endpoint(service), ["5000 " + msg.hex()])
        self.assertIsNotNone(ans, "%s: no answer to Ping after the hostile messages" % service)
        text = decode_reply(ans[0])
        self.assertIsNotNone(text, "%s: the answer to Ping is not a Reply" % service)
        self.assertIn("request_id: %d" % rid, text)
        self.assertIn("pong {", text)

    def test_hostile_messages_are_refused_and_logged(self):
        st = self.stack
        wire = Wire()
        self.assertGreaterEqual(len(wire.bodies), 30, "the Request bodies of dvcid.proto")
        pids = {name: proc.pid for name, proc in st.procs.items()}

        for service in ("account", "otp", "sms"):
            with self.subTest(service=service):
                ep = self.endpoint(service)
                before = self.log(service)
                dropped0 = before.count("dropped a ")
                refused0 = before.count("] refused a ")
                nohandler0 = before.count("no handler for request body")

                # Not a Request at all, and frames no client sends: no answer.
                rid, ping = wire.request("ping")
                junk = list(NOT_A_REQUEST.values()) + [
                    ping.hex() + " " + ping.hex(),           # two frames
                    " ".join(["-"] * 300),                    # three hundred empty frames
                    " ".join(["deadbeef"] * 50 + [ping.hex()]),
                ]
                answers = self.zframes(ep, ["300 " + j for j in junk])
                for what, ans in zip(list(NOT_A_REQUEST) + ["2 frames", "300 frames", "51 frames"],
                                     answers):
                    self.assertIsNone(ans, "%s: %s was answered: %r" % (service, what, ans))
                # Over the message cap: libzmq drops the connection; nothing answers.
                [ans] = self.zframes(ep, ["500 %d*41" % (MAX_FRAME + 1)])
                self.assertIsNone(ans, "%s: a frame over 1 MiB was answered" % service)

                # An empty frame (a Request without a body) and every body this service
                # does not handle: INVALID_REQUEST.
                handled = handled_bodies(service) & set(wire.bodies)
                wrong = sorted(set(wire.bodies) - handled)
                lines, ids = ["5000 -"], [0]
                for body in wrong:
                    rid, msg = wire.request(body, "long" if len(ids) % 2 else "empty")
                    lines.append("5000 " + msg.hex())
                    ids.append(rid)
                for body, rid, ans in zip(["(none)"] + wrong, ids, self.zframes(ep, lines)):
                    self.assertIsNotNone(ans, "%s: no answer to body %s" % (service, body))
                    text = decode_reply(ans[0])
                    self.assertIsNotNone(text, "%s: answer to %s is not a Reply" % (service, body))
                    self.assertIn("STATUS_INVALID_REQUEST", text, "%s, body %s" % (service, body))
                    if rid:
                        self.assertIn("request_id: %d\n" % rid, text)

                # Every body it handles, with hostile contents: an answer, whatever it says.
                lines, sent = [], []
                for body in sorted(handled):
                    for style in ("empty", "long", "bad"):
                        rid, msg = wire.request(body, style)
                        self.assertLess(len(msg), MAX_FRAME, body)
                        lines.append("10000 " + msg.hex())
                        sent.append((body, style, rid))
                refusals, statuses = 0, collections.Counter()
                for (body, style, rid), ans in zip(sent, self.zframes(ep, lines, timeout=600)):
                    self.assertIsNotNone(ans, "%s: no answer to %s (%s) within 10 s%s"
                                         % (service, body, style, self._dead()))
                    self.assertEqual(len(ans), 1, "%s: answer to %s has %d frames"
                                     % (service, body, len(ans)))
                    text = decode_reply(ans[0])
                    self.assertIsNotNone(text, "%s: answer to %s (%s) is not a Reply"
                                         % (service, body, style))
                    self.assertIn("request_id: %d\n" % rid, text, "%s: %s (%s)"
                                  % (service, body, style))
                    status = re.search(r"status: (\w+)", text)
                    statuses[status.group(1) if status else "answered"] += 1
                    refusals += bool(status and status.group(1) in (
                        "STATUS_INVALID_REQUEST", "STATUS_VALIDATION_FAILED"))
                print("%s: %d hostile requests of the bodies it handles: %s"
                      % (service, len(sent), dict(statuses)))

                after = self.log(service)
                self.assertGreaterEqual(after.count("dropped a ") - dropped0,
                                        len(NOT_A_REQUEST) + 3,
                                        "%s: a log line per message dropped" % service)
                self.assertGreaterEqual(after.count("no handler for request body") - nohandler0,
                                        len(wrong) + 1,
                                        "%s: a log line per body it does not handle" % service)
                self.assertGreaterEqual(after.count("] refused a ") - refused0, refusals,
                                        "%s: a log line per request refused as invalid"
                                        % service)
                # What a hostile trace id or field wrote in the log is escaped: no forged line.
                self.assertNotIn("\nERROR line", after)
                self.assertNotIn("\nINFO forged", after)
                self.assertNotIn("\x1b", after)

        for name, proc in st.procs.items():
            self.assertIsNone(proc.poll(), "%s ended%s" % (name, self._dead()))
            self.assertEqual(proc.pid, pids[name], "%s was restarted" % name)
        for service in ("account", "otp", "sms"):
            self.assertPing(wire, service)
        st.register()  # the whole flow still works



# --- hostile answers: a fake account-svc that answers the gateway with garbage -------

def wire_fields(data):
    """(number, wire type, value) of each top-level field of a protobuf message."""
    i = 0
    while i < len(data):
        def read_varint():
            nonlocal i
            shift = n = 0
            while True:
                b = data[i]
                i += 1
                n |= (b & 0x7F) << shift
                shift += 7
                if not b & 0x80:
                    return n
        tag = read_varint()
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            yield number, wire, read_varint()
        elif wire == 2:
            n = read_varint()
            yield number, wire, data[i:i + n]
            i += n
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            yield number, wire, data[i:i + size]
            i += size
        else:
            raise ValueError("wire type %d" % wire)


def reply(rid, body=b"", error=None):
    """A Reply: request_id, an Error of status error (when not None), then body bytes."""
    out = key(1, 0) + varint(rid) if rid else b""
    if error is not None:
        out += ld(2, key(1, 0) + varint(error) if error else b"")
    return out + body


class FakeAccount:
    """dvcid-zframes serve on endpoint: Pings get a Pong; the n-th CaptchaNew gets the
    n-th answer of answers(rid) (a line for zframes: frames in hex, or "drop"), and
    the ones after them a valid captcha."""

    def __init__(self, tool, endpoint, answers):
        self.answers = list(answers)
        self.served = []
        self.proc = subprocess.Popen([tool, "serve", endpoint], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        for line in self.proc.stdout:
            frames = line.split()[1:]
            data = b"" if not frames or frames[0] == "-" else bytes.fromhex(frames[0])
            fields = {n: v for n, _w, v in wire_fields(data)}
            rid = fields.get(1, 0)
            if 10 in fields:  # Ping
                pong = ld(1, b"account-svc") + key(2, 0) + varint(1)
                answer = reply(rid, ld(10, pong)).hex()
            elif 11 in fields and self.answers:  # CaptchaNew
                answer = self.answers.pop(0)(rid)
                self.served.append(answer[:40])
            elif 11 in fields:
                answer = reply(rid, ld(11, ld(1, b"c1") + ld(2, b"ABCDE"))).hex()
            else:
                answer = reply(rid, error=14).hex()  # UNAVAILABLE
            self.proc.stdin.write(answer + "\n")
            self.proc.stdin.flush()

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=5)


HOSTILE_ANSWERS = [
    ("not a Reply", lambda rid: "ffffffff"),
    ("an empty frame", lambda rid: "-"),
    ("two frames", lambda rid: reply(rid, error=16).hex() + " " + reply(rid, error=16).hex()),
    ("the wrong body (a Pong)", lambda rid: reply(rid, ld(10, ld(1, b"x"))).hex()),
    ("an unknown status", lambda rid: reply(rid, error=9999).hex()),
    ("an Error that says OK", lambda rid: reply(rid, error=0).hex()),
    ("an empty captcha", lambda rid: reply(rid, ld(11, b"")).hex()),
    ("another request's id", lambda rid: reply(rid + 1000, ld(11, ld(1, b"c1"))).hex()),
    ("no answer", lambda rid: "drop"),
    ("over the 1 MiB cap", lambda rid: "%d*41" % (MAX_FRAME + 1)),
]


class HostileAnswersTest(unittest.TestCase):
    """The gateway's side: a peer (here a fake account-svc) that answers with garbage.
    Each POST /v1/captcha gets a JSON error (5xx) within the gateway's deadline, the
    gateway logs what it dropped, and afterwards it serves a valid answer again."""

    def test_gateway_survives_hostile_answers(self):
        endpoint = "ipc://%s/fake-account-%d.ipc" % (tempfile.gettempdir(), os.getpid())
        st = Stack(account={"endpoint": endpoint})
        st.order.remove("account-svc")
        fake = FakeAccount(os.path.join(st.bindir, "dvcid-zframes"), endpoint,
                           [answer for _what, answer in HOSTILE_ANSWERS])
        failed = True
        try:
            st.__enter__()
            deadline_s = st.config["gateway"]["timeout_ms"] / 1000.0
            for what, _answer in HOSTILE_ANSWERS:
                t0 = time.monotonic()
                r = st.request("POST", "/v1/captcha", timeout=deadline_s + 10)
                took = time.monotonic() - t0
                if what == "over the 1 MiB cap" and r.status == 201:
                    # libzmq closed the link; the gateway connected again and sent the
                    # request once more, which the fake then answered well.
                    self.assertIn("captcha_id", r.body)
                else:
                    self.assertIn(r.status, (500, 502, 503, 504), "%s: %r" % (what, r))
                    self.assertIsInstance(r.body, dict, what)
                    self.assertIn("error", r.body, what)
                self.assertLess(took, deadline_s + 1.5, "%s: answered after %.1f s" % (what, took))
                st.wait_ready()  # the cap case drops the link: wait until it is back
            self.assertEqual(fake.answers, [], "every hostile answer was sent")
            ok = st.request("POST", "/v1/captcha")
            self.assertEqual(ok.status, 201, "a valid answer after the hostile ones: %r" % (ok,))
            log = open(st.log_path("gateway"), encoding="utf-8", errors="replace").read()
            for line in ("dropped a reply that is not a dvcid Reply",
                         "dropped a reply of 2 frames", "dropped a reply without a request id",
                         "did not fit", "dropped: no new requests go there"):
                self.assertIn(line, log)
            self.assertEqual(st.dead(), [])
            failed = False
        finally:
            fake.close()
            st.close(failed=failed)


if __name__ == "__main__":
    unittest.main()
