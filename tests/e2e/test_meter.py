"""Billing limits that must hold when things go wrong: a concurrency
slot whose process was killed, password guessing spread over several
addresses, and a burst of calls across a minute boundary."""

import http.client
import json
import math
import os
import signal
import threading
import time
import uuid

import pytest

from test_http import error_of
from test_usage import quota_user, user_id, wait_slot


def probe_pids(stack, srv, program="quota_probe"):
    """The processes of program of server srv (and of no other: the
    same program may run for other servers on this machine)."""
    exe = os.path.realpath(os.path.join(stack.cgidir, program))
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.path.realpath("/proc/%s/exe" % pid) != exe:
                continue
            p = int(pid)
            while p > 1 and p != srv.proc.pid:
                with open("/proc/%d/stat" % p) as f:
                    p = int(f.read().rsplit(")", 1)[1].split()[1])
            if p == srv.proc.pid:
                found.append(int(pid))
        except (OSError, ValueError, IndexError):
            continue
    return found


def test_killed_holder_slot_lease_runs_out(stack):
    """A process killed while it holds a concurrency slot cannot give it
    back: until the slot's lease (SLOT_LEASE_SECONDS) runs out it still
    counts (429), after it the user can transcribe again -- not two
    hours later."""
    addr, key = quota_user(stack, "lease1", 1000, 1, 1000)
    srv = stack.extra_server("lease", kind="apache-cgi",
                             SLOT_LEASE_SECONDS="4")
    h = {"x-api-key": key}
    bucket = "user:%s" % user_id(stack, addr)
    done = {}

    def held():
        try:
            done["r"] = srv.request("POST", "/test/quota", headers=h,
                                    json={"seconds": 1, "hold_ms": 60000})
        except Exception as e:  # the connection may just drop
            done["r"] = e

    t = threading.Thread(target=held)
    t.start()
    slot = wait_slot(stack, bucket)
    pids = probe_pids(stack, srv)
    assert len(pids) == 1, pids
    os.kill(pids[0], signal.SIGKILL)
    t.join(30)
    assert not t.is_alive()
    # The slot is still there, its lease not yet out: it counts.
    left = float(stack.pg.psql("SELECT extract(epoch FROM expires_at -"
                               " now()) FROM inflight WHERE id = %s" % slot)[0][0])
    assert 0.5 < left <= 4, left
    r = srv.request("POST", "/test/quota", headers=h, json={"seconds": 1})
    err = error_of(r, 429, "rate_limited")
    assert "in progress" in err["message"]
    time.sleep(left + 0.5)
    r = srv.request("POST", "/test/quota", headers=h, json={"seconds": 1})
    assert r.status_code == 200, r.text
    # Giving back the new slot dropped the dead one too.
    assert stack.pg.psql("SELECT count(*) FROM inflight WHERE bucket = '%s'"
                         % bucket) == [["0"]]


def test_renewed_slot_outlives_its_lease(stack):
    """Work that renews its slot keeps it past SLOT_LEASE_SECONDS: a
    second call meanwhile is 429, and afterwards the slot is free."""
    _, key = quota_user(stack, "lease2", 1000, 1, 1000)
    srv = stack.extra_server("renew", SLOT_LEASE_SECONDS="2")
    h = {"x-api-key": key}
    done = {}

    def held():
        done["r"] = srv.request("POST", "/test/quota", headers=h, json={
            "seconds": 1, "hold_ms": 5000, "renew": True})

    t = threading.Thread(target=held)
    t.start()
    time.sleep(3.5)		# past the lease of the first slot
    r = srv.request("POST", "/test/quota", headers=h, json={"seconds": 1})
    t.join()
    error_of(r, 429, "rate_limited")
    assert done["r"].status_code == 200, done["r"].text
    r = srv.request("POST", "/test/quota", headers=h, json={"seconds": 1})
    assert r.status_code == 200, r.text


def login_from(srv, source, path, email, password):
    """POSTs a sign-in from a loopback source address of its own (all of
    127/8 is loopback on Linux, so the server sees REMOTE_ADDR=source)."""
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30,
                                   source_address=(source, 0))
    try:
        c.request("POST", path, body=json.dumps(
            {"email": email, "password": password}),
            headers={"Content-Type": "application/json"})
        resp = c.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        c.close()


def test_login_limited_per_account_from_any_address(stack):
    """Wrong passwords for one account from several addresses, each far
    below its address's limit, meet 429 (Retry-After) after
    LOGIN_FAILURES_PER_MINUTE failures, for both sign-in endpoints;
    then even the right password is refused before it is checked.
    Another account is not affected, and successful sign-ins do not
    count."""
    srv = stack.extra_server("acct", THROTTLE_PER_MINUTE="4",
                             LOGIN_FAILURES_PER_MINUTE="5",
                             ALLOW_INSECURE_SESSION_AUTH="true")
    victim = "v%s@example.com" % uuid.uuid4().hex[:10]
    other = "o%s@example.com" % uuid.uuid4().hex[:10]
    for a in (victim, other):
        stack.admin("create-user", a, "-p", "s3cretpass")
    # Other servers of the suite share the loopback addresses' buckets.
    stack.pg.psql("DELETE FROM rate_limits WHERE bucket LIKE 'ip:127.0.0.%'")
    # Successful sign-ins are given back: more than the limit pass.
    for i in range(7):
        st, _, body = login_from(srv, "127.0.0.%d" % (10 + i), "/auth/login",
                                 other, "s3cretpass")
        assert st == 200, body
    sources = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
    codes = []
    for i in range(7):
        st, hdrs, _ = login_from(srv, sources[i % 3], "/auth/login",
                                 victim.upper(), "guess%d" % i)
        codes.append(st)
    assert codes == [401] * 5 + [429] * 2
    assert int(hdrs["Retry-After"]) >= 1
    # The right password, from a fresh address, either endpoint.
    for path in ("/auth/login", "/mobile-auth/login"):
        st, hdrs, body = login_from(srv, "127.0.0.5", path, victim,
                                    "s3cretpass")
        assert st == 429, body
        err = json.loads(body)["error"]
        assert err["code"] == "rate_limited"
        assert "failed sign-ins per minute for this account" in err["message"]
        assert int(hdrs["Retry-After"]) >= 1
    st, _, body = login_from(srv, "127.0.0.6", "/auth/login", other,
                             "s3cretpass")
    assert st == 200, body


def test_rate_limit_slides_across_minute_boundary(stack):
    """A plan of 10 calls a minute: a burst just before a minute boundary
    and another just after it do not both pass, as they did with fixed
    windows; no 60 s span admits more than the limit.  The test waits
    for second 56 of a minute, then calls for 8 s."""
    _, key = quota_user(stack, "slide10", 10, 5, 1000)
    srv = stack.server("lighttpd")
    h = {"x-api-key": key}
    if time.time() % 60 > 56.5 or time.time() % 60 < 56:
        time.sleep((56 - time.time() % 60) % 60)
    start = time.time()
    admitted, remaining = [], []
    while time.time() - start < 8:
        r = srv.request("POST", "/utilities/log-usage", headers=h,
                        json={"service": "x"})
        if r.status_code == 201:
            admitted.append(time.time())
            remaining.append(int(r.headers["X-RateLimit-Remaining"]))
        else:
            error_of(r, 429, "rate_limited")
            assert 1 <= int(r.headers["Retry-After"]) <= 120
            assert r.headers["X-RateLimit-Remaining"] == "0"
            assert int(r.headers["X-RateLimit-Reset"]) > time.time()
        assert r.headers["X-RateLimit-Limit"] == "10"
        time.sleep(0.1)
    # The whole run is well inside 60 s: all it admitted counts.  Fixed
    # windows let 20 through here, 10 each side of the boundary.
    assert 8 <= len(admitted) <= 11, admitted
    assert remaining[0] == 9 and remaining[-1] <= 1


def test_stream_renews_its_slot(stack):
    """A live stream holds its concurrency slot past SLOT_LEASE_SECONDS:
    the bridge renews the lease while it streams, and gives the slot
    back when it ends."""
    from test_ws_bridge import Client
    b = stack.bridge("bridge-lease", SLOT_LEASE_SECONDS="2")
    addr, key = quota_user(stack, "lease3", 1000, 1, 1000)
    bucket = "user:%s" % user_id(stack, addr)
    c = Client(b.url, key, transports=["websocket"])
    try:
        wait_slot(stack, bucket)
        time.sleep(4)		# twice the lease
        assert stack.pg.psql("SELECT count(*) FROM inflight WHERE bucket ="
                             " '%s' AND expires_at > now()" % bucket) == [["1"]]
    finally:
        c.close()
    end = time.time() + 10
    while stack.pg.psql("SELECT count(*) FROM inflight WHERE bucket = '%s'"
                        % bucket) != [["0"]]:
        assert time.time() < end
        time.sleep(0.1)


def test_slow_provider_call_keeps_its_slot(stack, speech):
    """One provider request that takes longer than SLOT_LEASE_SECONDS
    (the Deepgram mock's "slow": 5 s) renews its slot while it waits: a
    second call of a one-slot plan meanwhile is 429, and the first one
    succeeds and gives the slot back."""
    m = stack.deepgram
    srv = stack.extra_server("lease-dg", DEEPGRAM_API_KEY=m.key,
                             DEEPGRAM_BASE_URL=m.base_url,
                             DEEPGRAM_TIMEOUT="20", PROVIDER_RETRIES="0",
                             SLOT_LEASE_SECONDS="2")
    addr, key = quota_user(stack, "lease4", 1000, 1, 1000)
    bucket = "user:%s" % user_id(stack, addr)
    h = {"x-api-key": key}
    done = {}

    def slow():
        with open(speech[0], "rb") as f:
            done["r"] = srv.request(
                "POST", "/transcriptions/deepgram", headers=h,
                data={"response_format": "json"},
                files={"audio": ("s.wav", f, "audio/wav")}, timeout=60)

    m.script = ["slow"]
    try:
        t = threading.Thread(target=slow)
        t.start()
        wait_slot(stack, bucket)
        time.sleep(3.5)		# past the lease of the first slot
        r = srv.request("POST", "/test/quota", headers=h, json={"seconds": 1})
        t.join()
    finally:
        m.script = []
    error_of(r, 429, "rate_limited")
    assert done["r"].status_code == 200, done["r"].text
    assert stack.pg.psql("SELECT count(*) FROM inflight WHERE bucket = '%s'"
                         % bucket) == [["0"]]


@pytest.mark.parametrize("cred", ["key", "token"])
def test_transcription_is_one_statement_before_the_provider(stack, speech,
                                                            cred):
    """A transcription by API key, or by one of our access tokens, costs
    the database two statements: one before the provider (the caller,
    its rate limit, the month's minutes and a slot) and the usage row
    after it.  A request that fails once admitted gives its slot back,
    and the next call of a one-slot plan gets through."""
    m = stack.deepgram
    stack.pg.psql("ALTER DATABASE trapi SET log_statement = 'all'")
    try:
        # Fresh processes: their connections take the setting.
        srv = stack.extra_server("onetrip-" + cred, DEEPGRAM_API_KEY=m.key,
                                 DEEPGRAM_BASE_URL=m.base_url)
        addr, key = quota_user(stack, "onetrip", 1000, 1, 1000)
        h = {"x-api-key": key}
        if cred == "token":
            r = srv.request("POST", "/auth/login", json={
                "email": addr, "password": "s3cretpass"})
            assert r.status_code == 200, r.text
            h = {"Authorization": "Bearer " + r.json()["access_token"]}
        log = os.path.join(stack.pg.data, "server.log")
        start = os.path.getsize(log)
        with open(speech[0], "rb") as f:
            r = srv.request("POST", "/transcriptions/deepgram", headers=h,
                            files={"audio": ("s.wav", f, "audio/wav")})
        assert r.status_code == 200, r.text
        with open(log, errors="replace") as f:
            f.seek(start)
            text = f.read()
    finally:
        stack.pg.psql("ALTER DATABASE trapi RESET log_statement")
    import re
    # Every statement the request sent: prepared ones by name, the
    # others as "statement:".
    sent = re.findall(r"(?:execute (\S+?):|statement: )", text)
    admit = "key_admit" if cred == "key" else "user_admit"
    assert sent == [admit, "usage_row"], text
    # Admitted (its slot taken) but refused later: the slot comes back.
    bucket = "user:%s" % user_id(stack, addr)
    for _ in range(3):
        r = srv.request("POST", "/transcriptions/deepgram", headers=h,
                        files={"audio": ("s.wav", b"not audio", "audio/wav")})
        assert r.status_code == 415, r.text
        assert stack.pg.psql("SELECT count(*) FROM inflight WHERE bucket ="
                             " '%s' AND expires_at > now()" % bucket) == [["0"]]
    with open(speech[0], "rb") as f:
        r = srv.request("POST", "/transcriptions/deepgram", headers=h,
                        files={"audio": ("s.wav", f, "audio/wav")})
    assert r.status_code == 200, r.text


def test_rate_take_counts_the_previous_minute_share(stack):
    """rate_take() in one transaction, where now() stands still: with a
    limit of 40, a bucket whose previous minute counted 30 admits
    floor(40 - 30 * (60 - e) / 60) calls, e seconds into this minute;
    one that has 35 this minute admits 5; a row two minutes old counts
    nothing.  The calls refused are not counted."""
    def admitted(start, count, prev=0):
        rows = stack.pg.psql(
            "BEGIN;"
            " INSERT INTO rate_limits VALUES ('t:slide',"
            " date_trunc('minute', now()) - interval '%d minute', %d, %d,"
            " true);"
            " SELECT extract(epoch FROM now() - date_trunc('minute',"
            " now())), count(*) FILTER (WHERE a)"
            " FROM (SELECT (rate_take('t:slide', 40)).admitted AS a"
            " FROM generate_series(1, 60)) s;"
            " SELECT count FROM rate_limits WHERE bucket = 't:slide';"
            " ROLLBACK;" % (start, count, prev))
        (e, n), (stored,) = rows[-2:]
        return float(e), int(n), int(stored)
    e, n, stored = admitted(1, 30)
    assert n == math.floor(40 - 30 * (60 - e) / 60) and stored == n, (e, n)
    e, n, stored = admitted(0, 35)
    assert (n, stored) == (5, 40)
    e, n, stored = admitted(2, 30)
    assert (n, stored) == (40, 40)
