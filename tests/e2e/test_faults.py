"""Faults an operator meets: PostgreSQL crashing and coming back while
the web server's processes hold connections to it, some of them in the
middle of a request."""

import threading
import time

import pytest

from conftest import LEGACY_KEY


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
