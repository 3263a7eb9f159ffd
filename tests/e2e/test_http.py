"""GET /health, GET /, and the JSON answers to unknown paths, wrong
methods and the web servers' own errors, through lighttpd, Apache with
mod_fcgid and Apache with plain CGI."""

import os
import signal
import socket
import time

import pytest
import requests


def error_of(resp, status, code=None):
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert set(body) >= {"error"}
    err = body["error"]
    assert set(err) == {"code", "message", "request_id"}
    if code is not None:
        assert err["code"] == code
    assert "<html" not in resp.text.lower()
    return err


def test_health(server):
    r = server.get("/health")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert body["status"] == "healthy"
    assert body["service"] == "Audio Transcription API"
    assert body["version"] == "1.0.0"
    assert body["database"] == "ok"
    assert len(r.headers["X-Request-Id"]) == 32


def test_index_lists_endpoints(server):
    r = server.get("/")
    assert r.status_code == 200
    body = r.json()
    assert body["service"] == "Audio Transcription API"
    paths = {e["path"]: e for e in body["endpoints"]}
    assert paths["/health"]["methods"] == "GET"
    assert "/" in paths
    # Live streaming and its page are listed, and both answer.
    live = {e["path"]: e for e in body["streaming"]}
    assert set(live) == {"/socket.io/", "/live/"}
    assert "/audio-stream" in live["/socket.io/"]["description"]
    assert "README.md" in body["documentation"]


@pytest.mark.parametrize("path", ["/nope", "/health/extra", "/healthz",
                                  "/a/b/c?x=1"])
def test_unknown_path_is_json_404(server, path):
    r = server.get(path)
    error_of(r, 404, "not_found")


def get_as_sent(server, path):
    """GET with the path exactly as given (requests would remove the dot
    segments of "/../x" before sending)."""
    req = requests.Request("GET", server.url + "/").prepare()
    req.url = server.url + path
    with requests.Session() as s:
        return s.send(req, timeout=30)


# Paths each web server has its own rule for: lighttpd refuses a NUL
# byte and resolves "..", Apache refuses a path above the root.  What a
# server lets through is a path we do not know.
REFUSED = (400, "invalid_request")
UNKNOWN = (404, "not_found")
ODD_PATHS = {
    "/%00": {"lighttpd": REFUSED, "apache-fcgid": UNKNOWN,
             "apache-cgi": UNKNOWN},
    "/../etc/passwd": {"lighttpd": UNKNOWN, "apache-fcgid": REFUSED,
                       "apache-cgi": REFUSED},
    "/a/%2e%2e/%2e%2e/etc/passwd": {"lighttpd": UNKNOWN,
                                    "apache-fcgid": REFUSED,
                                    "apache-cgi": REFUSED},
}


@pytest.mark.parametrize("path", sorted(ODD_PATHS))
def test_odd_path_is_json_error(server, path):
    status, code = ODD_PATHS[path][server.kind]
    error_of(get_as_sent(server, path), status, code)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_wrong_method_is_405_with_allow(server, method):
    r = server.request(method, "/health", data=b"")
    err = error_of(r, 405, "method_not_allowed")
    assert method in err["message"]
    assert r.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_head_has_no_body(server):
    r = server.request("HEAD", "/health")
    assert r.status_code == 200
    assert r.content == b""


def test_request_id_matches_error(server):
    r = server.get("/nope")
    assert r.json()["error"]["request_id"] == r.headers["X-Request-Id"]


def raw(server, data, timeout=10):
    """Sends raw bytes, half-closes, returns the whole answer."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    finally:
        s.close()
    return out


def test_garbage_request_line_is_json(server):
    out = raw(server, b"GARBAGE\r\n\r\n")
    head, _, body = out.partition(b"\r\n\r\n")
    assert b" 400 " in head.split(b"\r\n")[0]
    assert b"application/json" in head
    assert b'"code":"invalid_request"' in body


def test_huge_header_is_refused_in_json(server):
    out = raw(server, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " +
              b"a" * (1 << 20) + b"\r\n\r\n")
    head, _, body = out.partition(b"\r\n\r\n")
    status = head.split(b"\r\n")[0]
    # lighttpd names the reason; Apache answers any oversized field 400.
    want = {"lighttpd": b" 431 ", "apache-fcgid": b" 400 ",
            "apache-cgi": b" 400 "}[server.kind]
    assert want in status, status
    assert b"application/json" in head
    assert b"<html" not in body.lower()


def test_health_follows_the_database(stack, server):
    """503 JSON while PostgreSQL is down, 200 again once it is back,
    without restarting the web server."""
    pid = server.proc.pid
    assert server.get("/health").status_code == 200
    stack.pg.stop()
    try:
        r = server.get("/health")
        err = error_of(r, 503, "database_unavailable")
        assert r.json()["status"] == "unhealthy"
        assert "password" not in r.text and stack.pg.url() not in r.text
        assert err["request_id"] == r.headers["X-Request-Id"]
    finally:
        stack.pg.start()
    deadline = time.time() + 20
    while time.time() < deadline:
        r = server.get("/health")
        if r.status_code == 200:
            break
        time.sleep(0.2)
    assert r.status_code == 200 and r.json()["database"] == "ok"
    assert server.proc.pid == pid and server.proc.poll() is None


def procs_of(ppid, exe):
    """The pids whose parent is ppid and whose program is exe."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                stat = f.read()
            if int(stat.rsplit(")", 1)[1].split()[1]) == ppid and \
                    os.path.realpath("/proc/%s/exe" % p) == exe:
                out.append(int(p))
        except (OSError, ValueError):
            continue
    return sorted(out)


def alive(pids):
    """Those of pids that are running: not gone, not zombies."""
    out = []
    for p in pids:
        try:
            with open("/proc/%d/stat" % p) as f:
                if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                    out.append(p)
        except OSError:
            pass
    return out


def test_lighttpd_program_forks_its_processes(stack):
    """Under lighttpd each program is one process that forks the others
    (their libraries' pages shared): as many as the routes say, one
    killed is replaced while the rest serve, and they all end with the
    web server."""
    srv = stack.extra_server("forks", procs=3)
    exe = os.path.realpath(os.path.join(stack.cgidir, "health"))
    assert srv.get("/health").status_code == 200
    masters = procs_of(srv.proc.pid, exe)
    assert len(masters) == 1, masters
    kids = procs_of(masters[0], exe)
    assert len(kids) == 3, kids
    os.kill(kids[0], signal.SIGKILL)
    # A process blocked in accept() that is sent SIGKILL can still take
    # one connection from the queue before it dies (the kernel checks
    # the queue before the signal), and that request is lost: so the
    # requests start once it is gone, and the others must serve them.
    deadline = time.time() + 10
    while time.time() < deadline and alive([kids[0]]):
        time.sleep(0.01)
    assert alive([kids[0]]) == []
    deadline = time.time() + 10
    while time.time() < deadline:
        assert srv.get("/health").status_code == 200
        now = procs_of(masters[0], exe)
        if len(now) == 3 and kids[0] not in now:
            break
        time.sleep(0.2)
    assert len(now) == 3 and kids[0] not in now, now
    srv.stop()

    deadline = time.time() + 10
    while time.time() < deadline and alive(masters + now):
        time.sleep(0.1)
    assert alive(masters + now) == []
