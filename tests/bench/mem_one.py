#!/usr/bin/python3
"""USS, PSS and RSS of one FastCGI program with no web server: started
on a Unix socket of its own (fd 0, as a web server starts it), measured
at idle and after one GET of URI sent as a FastCGI client.  The
database is pointed at a closed port, so a request that needs it
answers 503 at once.

usage: /usr/bin/python3 tests/bench/mem_one.py PROGRAM URI
e.g.   /usr/bin/python3 tests/bench/mem_one.py build/cgi-bin/health /health
"""

import os
import socket
import struct
import sys
import tempfile
import time

from mem import rollup


def record(kind, body):
    return struct.pack(">BBHHBx", 1, kind, 1, len(body), 0) + body


def pair(k, v):
    return bytes([len(k), len(v)]) + k + v


def get(path, uri):
    c = socket.socket(socket.AF_UNIX)
    c.connect(path)
    env = [(b"REQUEST_METHOD", b"GET"), (b"REQUEST_URI", uri),
           (b"SCRIPT_NAME", uri), (b"SERVER_PROTOCOL", b"HTTP/1.1"),
           (b"REMOTE_ADDR", b"127.0.0.1")]
    params = b"".join(pair(k, v) for k, v in env)
    c.sendall(record(1, struct.pack(">HB5x", 1, 0)) + record(4, params) +
              record(4, b"") + record(5, b""))
    out = b""
    while True:
        b = c.recv(65536)
        if not b:
            break
        out += b
    c.close()
    return out[8:].split(b"\r\n", 1)[0].decode(errors="replace")


def show(pid, when):
    r = rollup(pid)
    print("%-10s USS %6d KiB  PSS %6d KiB  RSS %6d KiB" % (
        when, r["Private_Clean"] + r["Private_Dirty"], r["Pss"], r["Rss"]))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    prog, uri = sys.argv[1], sys.argv[2].encode()
    path = os.path.join(tempfile.mkdtemp(), "fcgi.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.listen(4)
    pid = os.fork()
    if pid == 0:
        os.dup2(s.fileno(), 0)
        null = os.open("/dev/null", os.O_RDWR)
        os.dup2(null, 1)
        os.dup2(null, 2)
        # Its own upload directory: the start-up sweep of one left
        # unset would clear every stale "trapi-*" entry of /tmp.
        os.environ.update(DATABASE_URL="postgresql://127.0.0.1:1/none",
                          DB_CONNECT_TIMEOUT="1",
                          UPLOAD_DIR=os.path.dirname(path))
        os.execv(prog, [prog])
    try:
        time.sleep(1.0)
        print(os.path.basename(prog))
        show(pid, "idle")
        print("%-10s %s" % ("reply", get(path, uri)))
        time.sleep(0.3)
        show(pid, "after")
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.unlink(path)
        os.rmdir(os.path.dirname(path))


if __name__ == "__main__":
    main()
