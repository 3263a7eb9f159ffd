"""What every provider mock shares: a threaded HTTP server on a free
loopback port, quiet logs, JSON (or raw) replies, and dropping the
connection on demand, and a count of the connections accepted."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        """Counts the connection (keep-alive: one for many requests)."""
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def reply(self, status, body, ctype="application/json", headers=()):
        """body: bytes as they are, str as UTF-8, anything else as JSON."""
        if isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def drop(self):
        """Closes the connection without an answer."""
        self.close_connection = True
        self.connection.shutdown(2)


class MockServer:
    def start(self, handler):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.connections = 0
        self.server.lock = threading.Lock()
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def connections(self):
        """TCP connections accepted so far."""
        with self.server.lock:
            return self.server.connections

    @property
    def base_url(self):
        return "http://127.0.0.1:%d" % self.port

    def close(self):
        self.server.shutdown()
        self.server.server_close()
