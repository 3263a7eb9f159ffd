"""A webhook receiver for the tests: it records every request (path,
headers, body, when) and answers 204, or on demand fails the next N
requests with 500, or waits before answering (a slow receiver).  It
also serves the media tests' files: a path put in `files` is answered
with its bytes and Content-Type, one in `redirects` with a 302 to the
URL given; every request is logged either way."""

import time

from base import Handler, MockServer


class _Handler(Handler):
    def _any(self):
        m = self.server.mock
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        m.requests.append({"method": self.command, "path": self.path,
                           "headers": dict(self.headers), "body": body,
                           "time": time.time()})
        if m.delay:
            time.sleep(m.delay)
        if m.fail > 0:
            m.fail -= 1
            return self.reply(500, "<html>busy</html>", "text/html")
        if self.path in m.redirects:
            return self.reply(302, b"", "text/plain",
                              [("Location", m.redirects[self.path])])
        if self.path in m.files:
            data, ctype = m.files[self.path]
            return self.reply(200, data, ctype)
        if self.command == "GET":
            return self.reply(404, "not here", "text/plain")
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = _any


class WebhookReceiver(MockServer):
    def __init__(self):
        self.requests = []
        self.fail = 0           # the next this many requests get a 500
        self.delay = 0          # seconds before each answer
        self.files = {}         # path: (bytes, content type)
        self.redirects = {}     # path: Location
        self.start(_Handler)
        self.server.mock = self
