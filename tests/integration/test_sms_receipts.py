"""The receipt listener (sms-worker/sms_dlrd.c) takes receipts only from whom it sent
the SMS through (issue 19, part 4). Each attack first, then what still works:

- anyone who reaches the port could mark any message delivered: a request without the
  dlr-url's secret token, or with a wrong one, is refused (403) and counted;
- a made-up message id used to become a status record of its own (the table grew with
  whatever was posted): it is dropped and counted, nothing is stored;
- a connection from outside sms.dlr_allow is refused before anything is read;
- the dlr-url the provider is handed carries the token, and its receipt is recorded.

The "provider" is a small HTTP server here that accepts every SMS and keeps the
dlr-url it was handed, as Kannel would."""

import http.client
import http.server
import os
import socket
import sys
import threading
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dvcid_stack import Stack, free_port, new_identity, new_phone  # noqa: E402
from sms_peers import series, wait_metric  # noqa: E402

TOKEN = "receipt-secret-0123456789"


class _Provider(http.server.BaseHTTPRequestHandler):
    dlr_urls = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        type(self).dlr_urls.extend(q.get("dlr", []))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, *args):
        pass


def _get(port, path, source=None):
    """GET path on the listener, from source (an address of this host) when given.
    Returns the status, or None when the listener hung up without an answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError):
        return None
    finally:
        conn.close()


class ReceiptsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
        threading.Thread(target=cls.httpd.serve_forever, daemon=True).start()
        cls.dlr_port = free_port()
        url = "http://127.0.0.1:%d/send?to={to}&text={text}&dlr={dlr_url}" % (
            cls.httpd.server_address[1])
        try:
            cls.stack = Stack(sms={"provider": "http", "http_url": url, "http_method": "GET",
                                   "dlr_listen": "127.0.0.1:%d" % cls.dlr_port,
                                   "dlr_token": TOKEN})
            cls.stack.__enter__()
        except BaseException:
            cls.httpd.shutdown()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.stack.close()
        finally:
            cls.httpd.shutdown()

    def refused(self, reason):
        text = self.stack.request("GET", "/metrics").body
        return series(text, "dvcid_sms_receipts_refused_total", reason=reason)

    def sent_dlr_url(self):
        """Starts a registration; returns the dlr-url its SMS went out with."""
        before = len(_Provider.dlr_urls)
        id_number, dob = new_identity()
        r = self.stack.start_registration(id_number=id_number, date_of_birth=dob,
                                          phone=new_phone())
        self.assertEqual(r.status, 201, r.body)
        wait_metric(self.stack, "dvcid_sms_provider_sent_total", "http", at_least=1)
        deadline = 50
        while len(_Provider.dlr_urls) <= before and deadline:
            threading.Event().wait(0.1)
            deadline -= 1
        self.assertGreater(len(_Provider.dlr_urls), before, "the provider got no SMS")
        return _Provider.dlr_urls[-1]

    def test_token_unknown_ids_and_sources(self):
        url = self.sent_dlr_url()
        parts = urllib.parse.urlsplit(url)
        q = urllib.parse.parse_qs(parts.query)
        self.assertEqual(q.get("token"), [TOKEN], "the dlr-url carries the token: %s" % url)
        mid = q["id"][0]
        port = self.dlr_port

        # No token, a wrong one, one of another length: refused and counted.
        self.assertEqual(_get(port, "/dlr?id=%s&type=1" % mid), 403)
        self.assertEqual(_get(port, "/dlr?id=%s&type=1&token=%s" % (mid, "x" * len(TOKEN))), 403)
        self.assertEqual(_get(port, "/dlr?id=%s&type=1&token=%s" % (mid, TOKEN[:-1])), 403)
        self.assertEqual(self.refused("token"), 3)
        self.assertEqual(series(self.stack.request("GET", "/metrics").body,
                                "dvcid_sms_provider_delivered_total", provider="http"), 0,
                         "a refused receipt counted as delivered")

        # A made-up id with the right token: dropped, counted, not stored.
        for i in range(5):
            self.assertEqual(_get(port, "/dlr?id=made-up-%d&type=1&token=%s" % (i, TOKEN)), 200)
        deadline = 50
        while self.refused("unknown_id") < 5 and deadline:
            threading.Event().wait(0.1)
            deadline -= 1
        self.assertEqual(self.refused("unknown_id"), 5)
        out = self.stack.request("GET", "/metrics").body
        self.assertEqual(series(out, "dvcid_sms_provider_delivered_total", provider="http"), 0)

        # From an address outside sms.dlr_allow (127.0.0.1 ::1 by default): no answer.
        # (Linux answers all of 127.0.0.0/8 on the loopback.)
        status = _get(port, "/dlr?id=%s&type=1&token=%s" % (mid, TOKEN), source="127.0.0.2")
        self.assertIsNone(status, "a source outside the allow-list was answered")
        self.assertEqual(self.refused("source"), 1)

        # The real receipt, as the provider calls it: recorded.
        self.assertEqual(_get(port, "%s?%s" % (parts.path, parts.query.replace("%d", "1"))), 200)
        wait_metric(self.stack, "dvcid_sms_provider_delivered_total", "http", at_least=1)


if __name__ == "__main__":
    unittest.main()
