"""The billable path's database and provider traffic: one statement
admits an API key's call (prepared, and prepared again after the
database restarts), one commit writes the usage row and gives the slot
back, the counters live in tables a crash may empty, and a process
keeps its connection to the provider across requests."""

import uuid

import pytest

from test_http import error_of
from test_transcribe import upload
from test_usage import quota_user, slot_race


def key_user(stack, plan="free"):
    addr = "rt%s@example.com" % uuid.uuid4().hex[:10]
    stack.admin("create-user", addr, "-p", "s3cretpass", "-P", plan)
    return addr, stack.admin("create-key", addr).strip()


@pytest.fixture(scope="module")
def dg1(stack):
    """One process per program, with the Deepgram mock."""
    m = stack.deepgram
    return stack.extra_server("deepgram1", procs=1, DEEPGRAM_API_KEY=m.key,
                              DEEPGRAM_BASE_URL=m.base_url,
                              DEEPGRAM_TIMEOUT="3", PROVIDER_RETRIES="0")


def test_each_call_one_row_and_its_slot_back(stack, dg1, speech):
    """N billable calls: N usage rows (each once), the key counted N
    times, the month's minutes their sum, and no slot left taken."""
    addr, key = key_user(stack)
    n = 4
    ids = []
    for _ in range(n):
        r = upload(dg1, speech[0], headers={"x-api-key": key})
        assert r.status_code == 200, r.text
        assert r.headers["X-RateLimit-Limit"] == "60"
        ids.append(r.headers["X-Request-Id"])
    rows = stack.pg.psql("SELECT u.request_id, u.audio_duration_seconds"
                         " FROM usage_logs u JOIN users s ON s.id = u.user_id"
                         " WHERE s.email = '%s' ORDER BY u.id" % addr)
    assert [r[0] for r in rows] == ids
    secs = sum(float(r[1]) for r in rows)
    assert secs > 0
    k = stack.pg.psql("SELECT k.usage_count, k.last_used IS NOT NULL,"
                      " m.api_calls_month, m.audio_minutes_month, s.id"
                      " FROM api_keys k JOIN users s ON s.id = k.user_id"
                      " JOIN usage_month m ON m.user_id = s.id"
                      " WHERE s.email = '%s'" % addr)[0]
    assert k[0] == str(n) and k[1] == "t" and k[2] == str(n)
    assert abs(float(k[3]) - secs / 60) < 0.001
    assert stack.pg.psql("SELECT count(*) FROM inflight WHERE bucket ="
                         " 'user:%s'" % k[4]) == [["0"]]
    # One call at a time: each took the bucket's one slot row again.
    assert stack.pg.psql("SELECT count(*) FROM slots WHERE bucket ="
                         " 'user:%s'" % k[4]) == [["1"]]


def test_counters_are_unlogged(stack):
    """Rate windows and slots write no WAL; the usage log does."""
    rows = dict(stack.pg.psql("SELECT relname, relpersistence FROM pg_class"
                              " WHERE relname IN ('rate_limits', 'slots',"
                              " 'usage_logs', 'api_keys')"))
    assert rows == {"rate_limits": "u", "slots": "u", "usage_logs": "p",
                    "api_keys": "p"}


def test_prepared_again_after_restart(stack, dg1, speech):
    """The admitting statement is prepared per connection: after the
    database restarts, the same process prepares it again and the key
    still works, counted and billed."""
    addr, key = key_user(stack)
    h = {"x-api-key": key}
    assert upload(dg1, speech[0], headers=h).status_code == 200
    stack.pg.stop()
    stack.pg.start()
    r = upload(dg1, speech[0], headers=h)
    assert r.status_code == 200, r.text
    assert r.headers["X-RateLimit-Remaining"] == "58"
    assert len(stack.pg.psql("SELECT 1 FROM usage_logs u JOIN users s ON"
                             " s.id = u.user_id WHERE s.email = '%s'"
                             % addr)) == 2
    bad = upload(dg1, speech[0], headers={"x-api-key": key[:-2] + "zz"})
    assert bad.status_code == 401


def test_provider_connection_kept(stack, dg1, speech):
    """One process, several calls to Deepgram: one TCP connection."""
    _, key = key_user(stack)
    h = {"x-api-key": key}
    assert upload(dg1, speech[0], headers=h).status_code == 200
    before = stack.deepgram.connections
    for _ in range(5):
        r = upload(dg1, speech[0], headers=h)
        assert r.status_code == 200, r.text
    assert stack.deepgram.connections == before


def test_quotas_shared_by_two_servers(stack):
    """The one-statement quota check counts across web servers: a slot
    held through lighttpd refuses a second call through Apache, and the
    month's minutes used through one stop the other at the same count."""
    addr, key = quota_user(stack, "solo2", 1000, 1, 10)
    lt, ap = stack.server("lighttpd"), stack.server("apache-fcgid")
    h = {"x-api-key": key}
    held, r = slot_race(stack, addr, lt, ap, h, seconds=60)
    assert "in progress" in error_of(r, 429, "rate_limited")["message"]
    assert held.status_code == 200, held.text
    # 1 + 8 minutes fit the 10; one more through the other server not.
    assert ap.request("POST", "/test/quota", headers=h,
                      json={"seconds": 480}).status_code == 200
    r = lt.request("POST", "/test/quota", headers=h, json={"seconds": 120})
    assert "monthly audio quota of 10 minutes" in \
        error_of(r, 429, "rate_limited")["message"]
    assert ap.request("POST", "/test/quota", headers=h,
                      json={"seconds": 60}).status_code == 200
