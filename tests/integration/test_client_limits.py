"""Per-address limits that a client cannot step around (issue 19, parts 1 and 2).

- X-Forwarded-For: behind a trusted proxy the client address is the right-most entry
  the proxy appended. A client that pads its own header so that the joined list passes
  the gateway's cap (1024 bytes) used to have the proxy's entry cut off, leaving an
  address of its choosing at the right end: a fresh one per request, past every per-IP
  limit. Such a request is now refused with 400.
"""

import http.client
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import Response, StackTestCase, _decode  # noqa: E402


def _raw(st, method, path, headers):
    """One request with headers given as a list of (name, value): a name may repeat."""
    conn = st.connection(10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in headers:
            conn.putheader(k, v)
        conn.putheader("Content-Length", "0")
        conn.endheaders()
        resp = conn.getresponse()
        return Response(resp.status, resp.headers, _decode(resp.headers, resp.read()))
    finally:
        conn.close()


def _padded(last, size):
    """A client's X-Forwarded-For of exactly size bytes that ends with last."""
    body = []
    n = 0
    while n + 8 + len(last) <= size:
        body.append("1.1.1.1,")
        n += 8
    text = "".join(body) + last
    text = " " * (size - len(text)) + text  # blanks are trimmed off an entry
    assert len(text) == size, len(text)
    return text


class XffTest(StackTestCase):
    stack_config = {"gateway": {"trusted_proxies": "127.0.0.1"}}

    def test_padded_header_refused(self):
        st = self.stack
        # The proxy appends the real client as a second header (nginx keeps the
        # client's header and adds its own with proxy_add_x_forwarded_for joined).
        hdrs = [("X-Forwarded-For", _padded("6.6.6.6", 1023)),
                ("X-Forwarded-For", "198.51.100.7")]
        r = _raw(st, "POST", "/v1/captcha", hdrs)
        self.assertError(r, 400, "invalid_request", "a list past the cap")
        one = [("X-Forwarded-For", _padded("6.6.6.6", 1023) + ", 198.51.100.7")]
        self.assertError(_raw(st, "POST", "/v1/captcha", one), 400, "invalid_request",
                         "one header past the cap")

    def test_fitting_header_answers(self):
        st = self.stack
        hdrs = [("X-Forwarded-For", _padded("6.6.6.6", 900)),
                ("X-Forwarded-For", "198.51.100.7")]
        r = _raw(st, "POST", "/v1/captcha", hdrs)
        self.assertStatus(r, 201, "a list within the cap")


if __name__ == "__main__":
    unittest.main()
