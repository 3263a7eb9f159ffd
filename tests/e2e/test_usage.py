"""Usage metering that survives a database outage, per-plan rate limits
shared by every web server process, and the production-mode refusals."""

import json
import os
import subprocess
import time
import uuid

import pytest

from conftest import BUILD, LEGACY_KEY
from test_http import error_of


def test_spool_when_database_is_down(stack):
    """Stop PostgreSQL, make N billable calls (they succeed), start it:
    exactly N rows appear, each once."""
    srv = stack.server("lighttpd")
    n = 7
    tag = "spool-" + uuid.uuid4().hex[:8]
    stack.pg.stop()
    ids = []
    try:
        for i in range(n):
            r = srv.request("POST", "/utilities/log-usage",
                            headers={"x-api-key": LEGACY_KEY},
                            json={"service": "openai", "endpoint": tag,
                                  "tokens_used": i})
            assert r.status_code == 201, r.text
            ids.append(r.json()["request_id"])
        # A translation's row keeps its characters through the spool.
        r = srv.request("POST", "/translations/openai",
                        headers={"x-api-key": LEGACY_KEY},
                        json={"text": "the house is big",
                              "source_language": "en",
                              "target_language": "es"})
        assert r.status_code == 200, r.text
        xl = r.headers["X-Request-Id"]
        with open(os.path.join(stack.spool, "usage.spool")) as f:
            lines = [json.loads(l) for l in f if l.strip()]
        assert sorted(l["request_id"] for l in lines if l["endpoint"] == tag) == \
            sorted(ids)
    finally:
        stack.pg.start()
    # Any request replays the spool; replaying twice writes nothing twice.
    for _ in range(3):
        assert srv.get("/health").status_code == 200
    deadline = time.time() + 10
    rows = []
    while time.time() < deadline:
        rows = stack.pg.psql("SELECT request_id, tokens_used FROM usage_logs"
                             " WHERE endpoint = '%s' ORDER BY tokens_used" % tag)
        if len(rows) == n:
            break
        srv.get("/health")
        time.sleep(0.2)
    assert [r[0] for r in rows] == ids
    assert [int(r[1]) for r in rows] == list(range(n))
    assert stack.pg.psql("SELECT service, characters FROM usage_logs"
                         " WHERE request_id = '%s'" % xl) == [["local", "16"]]
    assert os.path.getsize(os.path.join(stack.spool, "usage.spool")) == 0
    # Replaying the same lines again (a crash before the truncate) adds none.
    with open(os.path.join(stack.spool, "usage.spool"), "w") as f:
        for l in lines:
            f.write(json.dumps(l) + "\n")
        # and a line an older version spooled, without characters
        old = dict(lines[0], idempotency_key=lines[0]["request_id"] + ":old")
        del old["characters"]
        f.write(json.dumps(old) + "\n")
    srv.get("/health")
    srv.get("/health")
    assert len(stack.pg.psql("SELECT 1 FROM usage_logs WHERE endpoint = '%s'"
                             % tag)) == n + 1


def test_rate_limit_shared_across_servers(stack):
    """The N+1th call in the window is 429 with the headers, whichever
    web server (and so whichever process) counted the first N."""
    stack.pg.psql("INSERT INTO plans VALUES ('tiny', 5, 1, 10)"
                  " ON CONFLICT (plan) DO NOTHING")
    addr = "rl%s@example.com" % uuid.uuid4().hex[:10]
    stack.admin("create-user", addr, "-p", "s3cretpass", "-P", "tiny")
    key = stack.admin("create-key", addr).strip()
    lt, ap = stack.server("lighttpd"), stack.server("apache-fcgid")
    # Stay inside one minute window.
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)
    seen = []
    for i in range(5):
        srv = lt if i % 2 == 0 else ap
        r = srv.request("POST", "/utilities/log-usage",
                        headers={"x-api-key": key}, json={"service": "x"})
        assert r.status_code == 201, r.text
        assert r.headers["X-RateLimit-Limit"] == "5"
        seen.append(int(r.headers["X-RateLimit-Remaining"]))
    assert seen == [4, 3, 2, 1, 0]
    before = len(stack.pg.psql("SELECT 1 FROM usage_logs u JOIN users s"
                               " ON s.id = u.user_id WHERE s.email = '%s'" % addr))
    r = ap.request("POST", "/utilities/log-usage", headers={"x-api-key": key},
                   json={"service": "x"})
    err = error_of(r, 429, "rate_limited")
    # Five calls this minute and none the minute before: the window
    # admits one more once this minute's five, decaying as the previous
    # minute, weigh four: 72 s after the minute began, so 12..72 s from now.
    assert 12 <= int(r.headers["Retry-After"]) <= 72
    assert r.headers["X-RateLimit-Remaining"] == "0"
    assert int(r.headers["X-RateLimit-Reset"]) > time.time()
    assert "5 requests per minute" in err["message"]
    error_of(lt.request("POST", "/utilities/log-usage",
                        headers={"x-api-key": key}, json={"service": "x"}), 429)
    after = len(stack.pg.psql("SELECT 1 FROM usage_logs u JOIN users s"
                              " ON s.id = u.user_id WHERE s.email = '%s'" % addr))
    assert after == before == 5


SAFE = {"APP_ENV": "production", "JWT_SECRET_KEY": "j" * 40,
        "SECRET_KEY": "s" * 40, "CORS_ORIGINS": "https://app.example.com",
        "ALLOW_INSECURE_SESSION_AUTH": "false"}


def bare_config(stack):
    """The suite's config without the settings production checks."""
    return stack.write_config(os.path.join(stack.base, "bare.conf"),
                              **{k: None for k in SAFE})


@pytest.mark.parametrize("change,named", [
    ({"JWT_SECRET_KEY": None}, "JWT_SECRET_KEY is missing"),
    ({"JWT_SECRET_KEY": "your-jwt-secret-key-change-in-production"},
     "JWT_SECRET_KEY is a default value"),
    ({"JWT_SECRET_KEY": "short"}, "JWT_SECRET_KEY is shorter"),
    ({"SECRET_KEY": None}, "SECRET_KEY is missing"),
    ({"SECRET_KEY": "your-secret-key-change-in-production"},
     "SECRET_KEY is a default value"),
    ({"ALLOW_INSECURE_SESSION_AUTH": "true"}, "ALLOW_INSECURE_SESSION_AUTH"),
    ({"CORS_ORIGINS": "*"}, "CORS_ORIGINS=*"),
    ({"FLASK_ENV": "production", "APP_ENV": None, "CORS_ORIGINS": "*"},
     "CORS_ORIGINS=*"),
    ({"APP_ENV": "prod"}, "APP_ENV is not one of"),
    ({"APP_ENV": "production "}, "APP_ENV is not one of"),
    ({"APP_ENV": None, "FLASK_ENV": "staging"}, "APP_ENV is not one of"),
])
def test_production_refuses_unsafe_settings(stack, change, named):
    env = {k: v for k, v in os.environ.items() if k not in SAFE}
    settings = dict(SAFE, **change)
    env.update({k: v for k, v in settings.items() if v is not None})
    env.update(REQUEST_METHOD="GET", REQUEST_URI="/health",
               APP_CONFIG=bare_config(stack))
    p = subprocess.run([os.path.join(stack.cgidir, "health")], env=env,
                       capture_output=True, timeout=30)
    head, _, body = p.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"Status: 503 "), p.stdout
    err = json.loads(body)["error"]
    assert err["code"] == "service_unavailable"
    assert "j" * 40 not in p.stderr.decode()
    assert named.encode() in p.stderr, p.stderr


def test_production_with_safe_settings_serves(stack):
    env = dict(os.environ, **SAFE, REQUEST_METHOD="GET",
               REQUEST_URI="/health", APP_CONFIG=bare_config(stack))
    p = subprocess.run([os.path.join(stack.cgidir, "health")], env=env,
                       capture_output=True, timeout=30)
    assert p.stdout.startswith(b"Status: 200 "), p.stdout + p.stderr


def quota_user(stack, plan, rpm, concurrent, minutes):
    stack.pg.psql("INSERT INTO plans VALUES ('%s', %d, %d, %d)"
                  " ON CONFLICT (plan) DO NOTHING" % (plan, rpm, concurrent, minutes))
    addr = "q%s@example.com" % uuid.uuid4().hex[:10]
    stack.admin("create-user", addr, "-p", "s3cretpass", "-P", plan)
    return addr, stack.admin("create-key", addr).strip()


def user_id(stack, addr):
    return stack.pg.psql("SELECT id FROM users WHERE email = '%s'" % addr)[0][0]


def wait_slot(stack, bucket, n=1, timeout=20):
    """Waits until bucket holds n live slots; returns the newest's id."""
    end = time.time() + timeout
    while time.time() < end:
        rows = stack.pg.psql("SELECT id FROM inflight WHERE bucket = '%s'"
                             " AND expires_at > now() ORDER BY id" % bucket)
        if len(rows) >= n:
            return rows[-1][0]
        time.sleep(0.05)
    raise AssertionError("no slot taken in %s" % bucket)


def slot_race(stack, addr, first, second, h, seconds=1):
    """A call of addr's through first holds its slot 2.5 s; one through
    second meanwhile, once the slot is taken.  Returns both responses."""
    import threading
    results = {}

    def slow():
        results["slow"] = first.request("POST", "/test/quota", headers=h,
                                        json={"seconds": seconds,
                                              "hold_ms": 2500})

    t = threading.Thread(target=slow)
    t.start()
    wait_slot(stack, "user:%s" % user_id(stack, addr))
    r = second.request("POST", "/test/quota", headers=h, json={"seconds": 1})
    t.join()
    return results["slow"], r


def test_concurrent_limit(stack):
    """A plan with one concurrent transcription: while one holds its
    slot, a second is 429; after it, the slot is free again."""
    addr, key = quota_user(stack, "solo", 1000, 1, 1000)
    srv = stack.server("apache-fcgid")
    h = {"x-api-key": key}
    slow, r = slot_race(stack, addr, srv, srv, h)
    err = error_of(r, 429, "rate_limited")
    assert "in progress" in err["message"] and int(r.headers["Retry-After"]) > 0
    assert slow.status_code == 200, slow.text
    r = srv.request("POST", "/test/quota", headers=h, json={"seconds": 1})
    assert r.status_code == 200, r.text


def test_monthly_minutes_quota(stack):
    addr, key = quota_user(stack, "minutes10", 1000, 5, 10)
    srv = stack.server("lighttpd")
    h = {"x-api-key": key}
    assert srv.request("POST", "/test/quota", headers=h,
                       json={"seconds": 540}).status_code == 200
    r = srv.request("POST", "/test/quota", headers=h, json={"seconds": 120})
    err = error_of(r, 429, "rate_limited")
    assert "monthly audio quota of 10 minutes" in err["message"]
    assert int(r.headers["Retry-After"]) > 0
    assert srv.request("POST", "/test/quota", headers=h,
                       json={"seconds": 30}).status_code == 200
    rows = stack.pg.psql("SELECT u.audio_duration_seconds FROM usage_logs u"
                         " JOIN users s ON s.id = u.user_id WHERE s.email = '%s'"
                         " ORDER BY u.id" % addr)
    assert rows == [["540.000"], ["30.000"]]
    m = stack.pg.psql("SELECT m.audio_minutes_month FROM usage_month m JOIN"
                      " users s ON s.id = m.user_id WHERE s.email = '%s'" % addr)
    assert float(m[0][0]) == 9.5


def parallel(calls):
    """Runs each of calls (functions) on a thread of its own, all at
    once; returns their results in order."""
    import threading
    out = [None] * len(calls)

    def run(i):
        try:
            out[i] = calls[i]()
        except Exception as e:  # noqa: BLE001 -- reported as the result
            out[i] = e

    ts = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    return out


def test_parallel_calls_of_one_user(stack):
    """Calls of one user on eight processes of two web servers at once:
    a plan of three concurrent slots lets exactly three held calls
    through and refuses the rest, and the month's counters (spread over
    rows that parallel writers do not share) count every usage row
    once."""
    _, key = quota_user(stack, "three", 100000, 3, 100000)
    servers = [stack.server("lighttpd"), stack.server("apache-fcgid")]
    h = {"x-api-key": key}

    def held(srv):
        return lambda: srv.request("POST", "/test/quota", headers=h,
                                   json={"seconds": 1, "hold_ms": 2500})
    rs = parallel([held(servers[i % 2]) for i in range(8)])
    codes = sorted(r.status_code for r in rs)
    assert codes == [200] * 3 + [429] * 5, [getattr(r, "text", r) for r in rs]
    assert all("in progress" in r.json()["error"]["message"]
               for r in rs if r.status_code == 429)

    addr, key = quota_user(stack, "wide", 100000, 100, 100000)
    h = {"x-api-key": key}

    def quick(srv):
        return lambda: srv.request("POST", "/test/quota", headers=h,
                                   json={"seconds": 6})
    rs = parallel([quick(servers[i % 2]) for i in range(24)])
    assert [r.status_code for r in rs] == [200] * 24, rs
    m = stack.pg.psql("SELECT m.api_calls_month, m.audio_minutes_month,"
                      " (SELECT count(*) FROM usage_logs l WHERE"
                      " l.user_id = s.id) FROM usage_month m JOIN users s"
                      " ON s.id = m.user_id WHERE s.email = '%s'" % addr)
    assert m == [["24", "2.4000", "24"]], m


def test_deleted_user_keeps_usage_rows(stack):
    """Deleting a user (by hand: the service only disables them) keeps
    its usage rows, no longer naming the user or its key, and drops its
    monthly counters, as the foreign keys did before triggers took their
    place; another user's rows are untouched, and lose only their key
    when it is deleted alone."""
    srv = stack.server("lighttpd")
    mine, other = [quota_user(stack, "free", 60, 2, 60) for _ in range(2)]
    ids = {}
    for addr, key in (mine, other):
        r = srv.request("POST", "/utilities/log-usage",
                        headers={"x-api-key": key},
                        json={"service": "x", "audio_duration": 30})
        assert r.status_code == 201, r.text
        ids[addr] = stack.pg.psql("SELECT id FROM users WHERE email = '%s'"
                                  % addr)[0][0]

    def rows(uid):
        return stack.pg.psql(
            "SELECT count(*), count(api_key_id) FROM usage_logs"
            " WHERE user_id = %s" % uid)[0] + stack.pg.psql(
            "SELECT count(*) FROM usage_counters WHERE user_id = %s" % uid)[0]
    assert rows(ids[mine[0]]) == ["1", "1", "1"]
    row = stack.pg.psql("SELECT id FROM usage_logs WHERE user_id = %s"
                        % ids[mine[0]])[0][0]
    stack.pg.psql("DELETE FROM users WHERE id = %s" % ids[mine[0]])
    assert rows(ids[mine[0]]) == ["0", "0", "0"]
    assert rows(ids[other[0]]) == ["1", "1", "1"]
    assert stack.pg.psql("SELECT user_id, api_key_id, service FROM usage_logs"
                         " WHERE id = %s" % row) == [["", "", "x"]]
    # A key deleted on its own: its user's rows stay theirs.
    stack.pg.psql("DELETE FROM api_keys WHERE user_id = %s" % ids[other[0]])
    assert rows(ids[other[0]]) == ["1", "0", "1"]
