"""Accounts and authentication through the real web servers and
PostgreSQL: registration, login, refresh, profile, API keys, Auth0
tokens against a local JWKS, the refusals of issue 3, and the rows that
each call writes (or does not)."""

import base64
import json
import time
import uuid

import pytest
import requests

from conftest import JWT_SECRET, LEGACY_KEY
from test_http import error_of


def email():
    return "u%s@example.com" % uuid.uuid4().hex[:12]


def register(srv, addr=None, password="s3cretpass", **extra):
    body = {"email": addr or email(), "password": password}
    body.update(extra)
    return srv.request("POST", "/auth/register", json=body)


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def count(stack, sql, *params):
    return int(stack.pg.psql(sql)[0][0])


@pytest.fixture(scope="module")
def lt(stack):
    return stack.server("lighttpd")


@pytest.fixture(scope="module")
def account(lt):
    addr = email()
    r = register(lt, addr, first_name="Ada", company="ACME")
    assert r.status_code == 201, r.text
    return dict(r.json(), email=addr, password="s3cretpass")


# -- accounts ---------------------------------------------------------------

def test_register_and_login(lt, stack, account):
    user = account["user"]
    assert user["email"] == account["email"] and user["plan"] == "free"
    assert user["first_name"] == "Ada" and user["company"] == "ACME"
    assert account["token_type"] == "Bearer" and account["expires_in"] > 0
    row = stack.pg.psql("SELECT password_hash FROM users WHERE email = '%s'"
                        % account["email"])
    assert row[0][0].startswith("$y$") and "s3cretpass" not in row[0][0]
    r = lt.request("POST", "/auth/login", json={
        "email": account["email"].upper(), "password": "s3cretpass"})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["id"] == user["id"]
    assert r.json()["access_token"].count(".") == 2


@pytest.mark.parametrize("body,status,field", [
    ({"password": "s3cretpass"}, 400, "email"),
    ({"email": "not-an-email", "password": "s3cretpass"}, 422, "email"),
    ({"email": "a@b.co", "password": "short1"}, 422, "password"),
    ({"email": "a@b.co", "password": "lettersonly"}, 422, "password"),
    ({"email": "a@b.co", "password": "123456789"}, 422, "password"),
    ({"email": "a@b.co", "password": "s3cretpass", "first_name": "x" * 10240},
     422, "first_name"),
    ({"email": "x'); DROP TABLE users; --@b.co", "password": "s3cretpass"},
     422, "email"),
])
def test_register_refuses_bad_fields(lt, stack, body, status, field):
    before = count(stack, "SELECT count(*) FROM users")
    r = lt.request("POST", "/auth/register", json=body)
    err = error_of(r, status)
    assert field in err["message"]
    assert count(stack, "SELECT count(*) FROM users") == before


def test_register_duplicate_is_409(lt, account):
    r = register(lt, account["email"].upper())
    err = error_of(r, 409, "conflict")
    assert "already exists" in err["message"]


def test_register_malformed_json(lt):
    r = lt.request("POST", "/auth/register", data=b'{"email": "a@b.co",',
                   headers={"Content-Type": "application/json"})
    error_of(r, 400, "invalid_json")


@pytest.mark.parametrize("addr,pw", [
    (None, "wrongpass1"),
    ("nobody@example.com", "s3cretpass"),
    ("' OR '1'='1", "' OR '1'='1"),
    ("x" * 10240 + "@example.com", "y" * 10240),
])
def test_login_refused(lt, account, addr, pw):
    r = lt.request("POST", "/auth/login",
                   json={"email": addr or account["email"], "password": pw})
    err = error_of(r, 401, "unauthorized")
    assert err["message"] == "invalid email or password"


def test_refresh_rotates_and_detects_reuse(lt, account):
    r = lt.request("POST", "/auth/login", json={
        "email": account["email"], "password": "s3cretpass"})
    rt = r.json()["refresh_token"]
    r2 = lt.request("POST", "/auth/refresh", json={"refresh_token": rt})
    assert r2.status_code == 200, r2.text
    new_rt = r2.json()["refresh_token"]
    assert new_rt != rt
    assert lt.get("/auth/profile", headers=bearer(r2.json()["access_token"])
                  ).status_code == 200
    # The old one again: refused, and the whole family revoked.
    error_of(lt.request("POST", "/auth/refresh", json={"refresh_token": rt}), 401)
    error_of(lt.request("POST", "/auth/refresh", json={"refresh_token": new_rt}), 401)
    error_of(lt.request("POST", "/auth/refresh",
                        json={"refresh_token": "trr_nonsense"}), 401)


def test_profile_get_and_put(lt, stack, account):
    h = bearer(account["access_token"])
    r = lt.get("/auth/profile", headers=h)
    assert r.status_code == 200 and r.json()["user"]["first_name"] == "Ada"
    r = lt.request("PUT", "/auth/profile", headers=h,
                   json={"last_name": "Lovelace", "company": "Engines'; --"})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["last_name"] == "Lovelace"
    assert r.json()["user"]["first_name"] == "Ada"
    row = stack.pg.psql("SELECT company FROM users WHERE id = %d"
                        % account["user"]["id"])
    assert row == [["Engines'; --"]]
    error_of(lt.request("PUT", "/auth/profile", headers=h,
                        json={"company": "\u0001bell"}), 422)


# -- API keys ---------------------------------------------------------------

def new_key(srv, access, **body):
    r = srv.request("POST", "/auth/api-keys", headers=bearer(access), json=body)
    assert r.status_code == 201, r.text
    return r.json()


def log_usage(srv, key, **body):
    body.setdefault("service", "deepgram")
    return srv.request("POST", "/utilities/log-usage",
                       headers={"x-api-key": key}, json=body)


def test_api_key_lifecycle(lt, stack, account):
    k = new_key(lt, account["access_token"], name="ci")
    key = k["api_key"]
    assert key.startswith("trk_") and len(key) >= 40
    assert k["prefix"] == key[:12]
    stored = stack.pg.psql("SELECT key_hash, key_prefix FROM api_keys WHERE id = %d"
                           % k["id"])[0]
    assert key not in stored[0] and stored[1] == key[:12]
    import hashlib
    assert stored[0] == "\\x" + hashlib.sha256(key.encode()).hexdigest()

    r = log_usage(lt, key, audio_duration_seconds=90, cost_usd=0.0043,
                  tokens_used=12)
    assert r.status_code == 201, r.text
    rid = r.json()["request_id"]
    row = stack.pg.psql("SELECT user_id, api_key_id, service, endpoint,"
                        " audio_duration_seconds, tokens_used, cost_usd, status"
                        " FROM usage_logs WHERE request_id = '%s'" % rid)
    assert row == [[str(account["user"]["id"]), str(k["id"]), "deepgram",
                    "/utilities/log-usage", "90.000", "12", "0.004300", "success"]]
    u = stack.pg.psql("SELECT api_calls_month, audio_minutes_month FROM"
                      " usage_month WHERE user_id = %d"
                      % account["user"]["id"])[0]
    assert int(u[0]) >= 1 and float(u[1]) >= 1.5
    listed = lt.get("/auth/api-keys", headers=bearer(account["access_token"])).json()
    mine = [x for x in listed["api_keys"] if x["id"] == k["id"]][0]
    assert mine["usage_count"] == 1 and mine["last_used"] and mine["active"]
    assert "api_key" not in mine and key not in json.dumps(listed)

    # Revoked: refused at once.
    r = lt.request("DELETE", "/auth/api-keys/%d" % k["id"],
                   headers=bearer(account["access_token"]))
    assert r.status_code == 200 and r.json()["revoked"] is True
    before = count(stack, "SELECT count(*) FROM usage_logs")
    err = error_of(log_usage(lt, key), 401)
    assert err["message"] == "API key revoked"
    assert count(stack, "SELECT count(*) FROM usage_logs") == before
    error_of(lt.request("DELETE", "/auth/api-keys/%d" % k["id"],
                        headers=bearer(account["access_token"])), 404)
    error_of(lt.request("DELETE", "/auth/api-keys/abc",
                        headers=bearer(account["access_token"])), 404)


def test_expired_key_refused(lt, stack, account):
    k = new_key(lt, account["access_token"], name="old", expires_in_days=1)
    assert k["expires_at"]
    stack.pg.psql("UPDATE api_keys SET expires_at = now() - interval '1 s'"
                  " WHERE id = %d" % k["id"])
    err = error_of(log_usage(lt, k["api_key"]), 401)
    assert err["message"] == "API key expired"


def test_key_of_deleted_user_refused(lt, stack):
    acc = register(lt).json()
    k = new_key(lt, acc["access_token"])
    assert log_usage(lt, k["api_key"]).status_code == 201
    stack.pg.psql("UPDATE users SET deleted_at = now() WHERE id = %d"
                  % acc["user"]["id"])
    error_of(log_usage(lt, k["api_key"]), 401)
    error_of(lt.get("/auth/profile", headers=bearer(acc["access_token"])), 401)
    stack.pg.psql("DELETE FROM users WHERE id = %d" % acc["user"]["id"])
    error_of(log_usage(lt, k["api_key"]), 401)


def test_other_users_key_cannot_be_revoked(lt, account):
    other = register(lt).json()
    k = new_key(lt, other["access_token"])
    error_of(lt.request("DELETE", "/auth/api-keys/%d" % k["id"],
                        headers=bearer(account["access_token"])), 404)
    assert log_usage(lt, k["api_key"]).status_code == 201


@pytest.mark.parametrize("headers,params", [
    ({}, None),
    ({"x-api-key": ""}, None),
    ({"x-api-key": "trk_" + "A" * 43}, None),
    ({"x-api-key": "x' OR 1=1 --"}, None),
    ({"x-api-key": "k" * 10240}, None),
    ({"Authorization": "Basic dXNlcjpwYXNz"}, None),
    ({}, {"api_key": LEGACY_KEY}),
    ({}, {"x-api-key": LEGACY_KEY}),
])
def test_api_key_refusals(server, stack, headers, params):
    before = count(stack, "SELECT count(*) FROM usage_logs")
    r = server.request("POST", "/utilities/log-usage", headers=headers,
                       params=params, json={"service": "deepgram"})
    # The web servers refuse a header over 8 KiB themselves (lighttpd
    # 431, Apache 400), in JSON too.
    big = any(len(v) > 8000 for v in headers.values())
    err = error_of(r, r.status_code if big and r.status_code in (400, 431)
                   else 401)
    assert LEGACY_KEY not in r.text and "trk_" not in err["message"]
    assert count(stack, "SELECT count(*) FROM usage_logs") == before


def test_legacy_key_accepted(server):
    r = server.request("POST", "/utilities/log-usage",
                       headers={"x-api-key": LEGACY_KEY},
                       json={"service": "openai", "tokens_used": 3})
    assert r.status_code == 201, r.text


def test_megabyte_header_refused(lt):
    from test_http import raw
    out = raw(lt, b"POST /utilities/log-usage HTTP/1.1\r\nHost: x\r\n"
              b"x-api-key: " + b"k" * (1 << 20) + b"\r\nContent-Length: 0\r\n\r\n")
    head = out.split(b"\r\n\r\n")[0]
    assert head.split(b"\r\n")[0].split(b" ")[1] in (b"400", b"413", b"431")
    assert b"application/json" in head


def test_log_usage_bad_fields(lt, stack):
    before = count(stack, "SELECT count(*) FROM usage_logs")
    for body, status in [({}, 400), ({"service": "Dee Pgram"}, 422),
                         ({"service": "x", "audio_duration_seconds": "-1"}, 422),
                         ({"service": "x", "tokens_used": "1e3"}, 422),
                         ({"service": "x", "cost_usd": "NaN"}, 422),
                         # JSON types are not coerced
                         ({"service": 123}, 422),
                         ({"service": True}, 422),
                         ({"service": ["x"]}, 422),
                         ({"service": "x", "tokens_used": "12"}, 422),
                         ({"service": "x", "tokens_used": True}, 422),
                         ({"service": "x", "audio_duration_seconds": "90"}, 422),
                         ({"service": "x", "cost_usd": {"usd": 1}}, 422),
                         ({"service": "x", "tokens_used": 1.5}, 422)]:
        r = lt.request("POST", "/utilities/log-usage",
                       headers={"x-api-key": LEGACY_KEY}, json=body)
        err = error_of(r, status)
        if isinstance(body.get("service"), (int, bool, list)):
            assert err["message"] == "field 'service' must be a JSON string"
        elif not isinstance(body.get("tokens_used", 0), (int, float)):
            assert "must be a JSON number" in err["message"], err
    assert count(stack, "SELECT count(*) FROM usage_logs") == before


# -- own JWTs ---------------------------------------------------------------

def forge(claims, secret=JWT_SECRET.encode(), alg="HS256"):
    import hashlib
    import hmac
    from auth0 import b64url
    hdr = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    signing = (hdr + "." + body).encode()
    sig = hmac.new(secret, signing, hashlib.sha256).digest() if alg == "HS256" else b""
    return signing.decode() + "." + b64url(sig)


def test_own_jwt_refusals(lt, account):
    uid = str(account["user"]["id"])
    now = int(time.time())
    good = {"iss": "trapi", "sub": uid, "typ": "access", "iat": now, "exp": now + 60}
    assert lt.get("/auth/profile", headers=bearer(forge(good))).status_code == 200
    cases = {
        "expired": forge(dict(good, exp=now - 120)),
        "wrong secret": forge(good, secret=b"not-the-secret"),
        "alg none": forge(good, alg="none"),
        "wrong issuer": forge(dict(good, iss="evil")),
        "refresh typ": forge(dict(good, typ="refresh")),
        "no exp": forge({k: v for k, v in good.items() if k != "exp"}),
        "future nbf": forge(dict(good, nbf=now + 600)),
        "garbage": "not.a.token",
        "7 KB": "a" * 7000,
    }
    for name, tok in cases.items():
        r = lt.get("/auth/profile", headers=bearer(tok))
        err = error_of(r, 401, "unauthorized")
        assert r.headers["WWW-Authenticate"].startswith("Bearer"), name
        assert JWT_SECRET not in r.text
    # An API key is no JWT for /auth endpoints.
    error_of(lt.get("/auth/profile", headers={"x-api-key": LEGACY_KEY}), 401)


# -- Auth0 ------------------------------------------------------------------

def test_auth0_me_and_userinfo(server, stack):
    a0 = stack.auth0
    tok = a0.token()
    r = server.get("/api/me", headers=bearer(tok))
    assert r.status_code == 200, r.text
    assert r.json()["sub"] == "auth0|6553da60a54af58e29493993"
    assert r.json()["claims"]["scope"] == "openid profile email"
    r = server.get("/api/userinfo", headers=bearer(tok))
    assert r.status_code == 200, r.text
    assert r.json()["email"] == "jane@example.com"


def test_auth0_audience_as_string(lt, stack):
    tok = stack.auth0.token(aud=stack.auth0.audience)
    assert lt.get("/api/me", headers=bearer(tok)).status_code == 200


def test_auth0_refusals(lt, stack):
    a0 = stack.auth0
    now = int(time.time())
    pub = a0.keys[0].public_pem()
    cases = {
        "alg none": a0.token(alg="none"),
        "HS256 with the public key": a0.token(alg="HS256", secret=pub),
        "wrong signature": a0.token()[:-8] + "AAAAAAAA",
        "other key, same kid": a0.token(key=a0.keys[1], kid="k1"),
        "expired": a0.token(exp=now - 3600),
        "not yet valid": a0.token(nbf=now + 3600),
        "wrong aud": a0.token(aud="https://other.api"),
        "wrong iss (no slash)": a0.token(iss="https://test.auth0.local"),
        "missing kid": a0.token(kid=None),
        "no exp": a0.token(exp=None),
    }
    for name, tok in cases.items():
        r = lt.get("/api/me", headers=bearer(tok))
        assert r.status_code == 401, (name, r.text)
        error_of(r, 401, "unauthorized")
    # Our own HS256 token is not an Auth0 token.
    own = forge({"iss": "trapi", "sub": "1", "typ": "access", "exp": now + 60})
    error_of(lt.get("/api/me", headers=bearer(own)), 401)


def test_auth0_unknown_kid_refetches_once(stack):
    a0 = stack.auth0
    lt = stack.extra_server("refetch", AUTH0_JWKS_MIN_INTERVAL="2")
    assert lt.get("/api/me", headers=bearer(a0.token())).status_code == 200
    time.sleep(2.2)
    before = a0.jwks_requests
    for _ in range(12):
        r = lt.get("/api/me", headers=bearer(a0.token(key=a0.keys[1], kid="k2")))
        error_of(r, 401)
    # One refetch per process at most (lighttpd runs up to 2 of /api/me).
    assert a0.jwks_requests - before <= 2, a0.jwks_requests - before
    assert a0.jwks_requests - before >= 1


def test_auth0_rotation(stack):
    """A key published after the cache was filled is found by the one
    refetch an unknown kid allows."""
    a0 = stack.auth0
    srv = stack.extra_server("rotation", AUTH0_JWKS_MIN_INTERVAL="0")
    assert srv.get("/api/me", headers=bearer(a0.token())).status_code == 200
    a0.published = [a0.keys[0], a0.keys[1]]
    try:
        r = srv.get("/api/me", headers=bearer(a0.token(key=a0.keys[1])))
        assert r.status_code == 200, r.text
    finally:
        a0.published = [a0.keys[0]]


def test_auth0_jwks_down_is_503(stack):
    a0 = stack.auth0
    srv = stack.extra_server("jwksdown")
    a0.fail_jwks = True
    try:
        r = srv.get("/api/me", headers=bearer(a0.token()))
        error_of(r, 503, "service_unavailable")
    finally:
        a0.fail_jwks = False


def test_userinfo_errors(lt, stack):
    a0 = stack.auth0
    tok = a0.token()
    a0.userinfo_limited = True
    try:
        r = lt.get("/api/userinfo", headers=bearer(tok))
        error_of(r, 429, "rate_limited")
        assert r.headers["Retry-After"] == "42"
    finally:
        a0.userinfo_limited = False
    a0.minted.pop(tok)
    error_of(lt.get("/api/userinfo", headers=bearer(tok)), 401)


# -- sessions, CORS ---------------------------------------------------------

def test_session_login_off_by_default(server, account):
    r = server.request("POST", "/mobile-auth/login",
                       json={"email": account["email"], "password": "s3cretpass"})
    error_of(r, 404, "not_found")


def test_session_login_when_allowed(stack, account):
    srv = stack.extra_server("sessions", ALLOW_INSECURE_SESSION_AUTH="true")
    r = srv.request("POST", "/mobile-auth/login",
                    json={"email": account["email"], "password": "wrongpass1"})
    error_of(r, 401)
    r = srv.request("POST", "/mobile-auth/login",
                    json={"email": account["email"], "password": "s3cretpass"})
    assert r.status_code == 200, r.text
    tok = r.json()["session_token"]
    rows = stack.pg.psql("SELECT count(*) FROM sessions WHERE user_id = %d"
                         % account["user"]["id"])
    assert rows == [["1"]] or int(rows[0][0]) >= 1
    ok = srv.get("/test/session", headers={"X-Session-Token": tok})
    assert ok.status_code == 200 and ok.json()["user_id"] == account["user"]["id"]
    srv.stop()
    srv.start()
    ok = srv.get("/test/session", headers={"X-Session-Token": tok})
    assert ok.status_code == 200, ok.text
    error_of(srv.get("/test/session", headers={"X-Session-Token": "trs_x"}), 401)
    # The main servers do not allow sessions at all.
    error_of(stack.server("lighttpd").get("/test/session",
                                          headers={"X-Session-Token": tok}), 401)


def test_cors(lt):
    r = lt.request("OPTIONS", "/auth/login", headers={
        "Origin": "https://app.example.com",
        "Access-Control-Request-Method": "POST"})
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "X-API-Key" in r.headers["Access-Control-Allow-Headers"]
    r = lt.get("/health", headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in r.headers


def test_wrong_json_types_name_the_field(lt, stack):
    before = count(stack, "SELECT count(*) FROM users")
    for body, field in [({"email": ["a@b.co"], "password": "s3cretpass"}, "email"),
                        ({"email": email(), "password": {"x": 1}}, "password"),
                        ({"email": 42, "password": "s3cretpass"}, "email")]:
        err = error_of(lt.request("POST", "/auth/register", json=body), 422)
        assert "'%s'" % field in err["message"]
    assert count(stack, "SELECT count(*) FROM users") == before


def test_login_throttled_per_address(stack, account):
    """Password guessing from one address meets a 429 after
    THROTTLE_PER_MINUTE tries, whichever account it aims at."""
    srv = stack.extra_server("throttle", THROTTLE_PER_MINUTE="3")
    if time.time() % 60 > 55:
        time.sleep(61 - time.time() % 60)
    # Other servers of the suite share the address's bucket: start clean.
    stack.pg.psql("DELETE FROM rate_limits WHERE bucket LIKE 'ip:%'")
    codes = [srv.request("POST", "/auth/login", json={
        "email": account["email"], "password": "guess%d" % i}).status_code
        for i in range(5)]
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
    r = srv.request("POST", "/auth/login", json={
        "email": account["email"], "password": "s3cretpass"})
    error_of(r, 429, "rate_limited")
    assert int(r.headers["Retry-After"]) >= 1
