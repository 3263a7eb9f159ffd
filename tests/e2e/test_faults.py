"""Faults an operator meets: PostgreSQL crashing and coming back while
the web server's processes hold connections to it, some of them in the
middle of a request."""

import os
import shutil
import signal
import socket
import threading
import time

import pytest

from conftest import LEGACY_KEY, USER


def log_usage(srv, tag):
    return srv.request("POST", "/utilities/log-usage",
                       headers={"x-api-key": LEGACY_KEY},
                       json={"service": "openai", "endpoint": tag})


def transcribe(srv, path):
    with open(path, "rb") as f:
        return srv.request("POST", "/transcriptions/deepgram",
                           headers={"x-api-key": LEGACY_KEY},
                           data={"provider": "local", "response_format": "text"},
                           files={"audio": ("s.wav", f, "audio/wav")},
                           timeout=120)


@pytest.mark.parametrize("kind", ["lighttpd", "apache-fcgid"])
def test_database_crash_is_transparent(stack, kind, speech):
    """After PostgreSQL restarts from a crash, no request fails: each
    process reconnects on its first query, and work that was in flight
    during the crash is billed once."""
    srv = stack.server(kind)
    tag = "crash-%d" % time.time_ns()
    # Every process of these programs holds a connection now.
    for _ in range(8):
        assert log_usage(srv, tag + "-warm").status_code == 201
        assert srv.get("/health").status_code == 200
    assert transcribe(srv, speech[0]).status_code == 200
    held = {}

    def in_flight():
        held["r"] = srv.request("POST", "/test/quota",
                                headers={"x-api-key": LEGACY_KEY},
                                json={"seconds": 2, "hold_ms": 2500})

    t = threading.Thread(target=in_flight)
    t.start()
    time.sleep(0.8)
    stack.pg.crash()
    stack.pg.start()
    t.join()
    r = held["r"]
    assert r.status_code == 200, r.text
    rid = r.headers["X-Request-Id"]
    for _ in range(8):
        r = log_usage(srv, tag)
        assert r.status_code == 201, r.text
        assert srv.get("/health").status_code == 200
    r = transcribe(srv, speech[0])
    assert r.status_code == 200, r.text
    rows = stack.pg.psql("SELECT count(*) FROM usage_logs WHERE endpoint = '%s'"
                         % tag)
    assert rows == [["8"]]
    # The request in flight wrote its row once (directly, or spooled and
    # replayed by the requests after it).
    deadline = time.time() + 10
    while time.time() < deadline:
        rows = stack.pg.psql("SELECT count(*) FROM usage_logs"
                             " WHERE request_id = '%s'" % rid)
        if rows == [["1"]]:
            break
        srv.get("/health")
        time.sleep(0.2)
    assert rows == [["1"]]


def test_terminated_connections_reconnect(stack):
    """An administrator ending every connection of the service
    (pg_terminate_backend: 57P01) costs no request an error."""
    srv = stack.server("lighttpd")
    tag = "term-%d" % time.time_ns()
    for _ in range(6):
        assert log_usage(srv, tag).status_code == 201
    ended = stack.pg.psql("SELECT count(pg_terminate_backend(pid))"
                          " FROM pg_stat_activity"
                          " WHERE application_name = 'trapi'")
    assert int(ended[0][0]) > 0
    for _ in range(6):
        r = log_usage(srv, tag)
        assert r.status_code == 201, r.text
    assert stack.pg.psql("SELECT count(*) FROM usage_logs WHERE endpoint = '%s'"
                         % tag) == [["12"]]


def dirs(stack):
    return set(os.listdir(stack.uploads))


def half_upload(srv):
    """Starts a multipart upload, sends a tenth of it and waits for its
    program to make its temp dir; returns (socket, dir name)."""
    before = dirs(stack_of(srv))
    s = socket.create_connection(("127.0.0.1", srv.port), 10)
    head = (b"--XyZ\r\nContent-Disposition: form-data; name=\"f\";"
            b" filename=\"a.bin\"\r\nContent-Type: application/octet-stream"
            b"\r\n\r\n")
    s.sendall(b"POST /test/upload HTTP/1.1\r\nHost: x\r\n"
              b"Content-Type: multipart/form-data; boundary=XyZ\r\n"
              b"Content-Length: 1000000\r\n\r\n" + head + b"x" * 100000)
    deadline = time.time() + 10
    while time.time() < deadline:
        new = dirs(stack_of(srv)) - before
        if new:
            return s, new.pop()
        time.sleep(0.05)
    raise AssertionError("no temp dir appeared")


def stack_of(srv):
    return srv.stack


def holder(path):
    """The pid of the process that has path open."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            for fd in os.listdir("/proc/%s/fd" % pid):
                if os.readlink("/proc/%s/fd/%s" % (pid, fd)) == path:
                    return int(pid)
        except OSError:
            continue
    return None


def age(path, seconds):
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_killed_request_leaves_no_upload_dir(stack):
    """A program killed mid-upload (plain CGI streams the body, so the
    upload is half spooled) leaves its temp dir; the next program to
    start removes it, but never the dir of a request still running.
    (Parts up to UPLOAD_MEMORY_BYTES stay in memory: the tenth sent here
    is more, so it has gone to disk.)"""
    srv = stack.extra_server("spill", kind="apache-cgi",
                             UPLOAD_MEMORY_BYTES="4096")
    s1, killed = half_upload(srv)
    s2, alive = half_upload(srv)
    path = os.path.join(stack.uploads, killed)
    pid = holder(path)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    s1.close()
    for name in (killed, alive):
        age(os.path.join(stack.uploads, name), 600)
    assert srv.get("/health").status_code == 200
    left = dirs(stack)
    assert killed not in left
    assert alive in left
    s2.close()
    deadline = time.time() + 10
    while alive in dirs(stack) and time.time() < deadline:
        time.sleep(0.1)
    assert stack.leftovers() == []


def test_fastcgi_sweeps_periodically(stack):
    """A long-lived FastCGI process sweeps every UPLOAD_SWEEP_SECONDS:
    an orphan (unlocked, unchanged for minutes) goes; a recent one,
    which could be a request that has just begun, stays."""
    srv = stack.extra_server("sweeper", UPLOAD_SWEEP_SECONDS="1")
    assert srv.get("/health").status_code == 200
    old = os.path.join(stack.uploads, "trapi-req-orphan1")
    new = os.path.join(stack.uploads, "trapi-req-recent1")
    # Someone else's directory by a like name (the test suite's own
    # stacks are "trapi-e2e-..." under /tmp) is never the sweep's.
    other = os.path.join(stack.uploads, "trapi-e2e-other1")
    for d in (old, new, other):
        os.mkdir(d, 0o700)
        with open(os.path.join(d, "part"), "wb") as f:
            f.write(b"spooled")
        shutil.chown(os.path.join(d, "part"), USER, USER)
        shutil.chown(d, USER, USER)
    age(old, 600)
    age(other, 600)
    time.sleep(1.2)
    for _ in range(4):
        assert srv.get("/health").status_code == 200
    assert not os.path.exists(old)
    assert os.path.exists(new)
    assert os.path.exists(os.path.join(other, "part"))
    shutil.rmtree(new)
    shutil.rmtree(other)
