"""Job callbacks through the real web server and trapi-worker: an async
request's callback_url gets the finished (or failed) job, signed per
Standard Webhooks with the owner's secret from GET /auth/webhook-secret
(verified here with Python's hmac); a receiver failing once gets the
same message again after the backoff, every attempt recorded in
webhook_attempts; private and non-http callback URLs are a 422 naming
callback_url with nothing queued; one user's secret never signs
another's callbacks."""

import base64
import hashlib
import hmac
import json
import os
import sys
import time

import pytest

from conftest import LEGACY_KEY, SANITIZER_MARKS
from test_jobs import Worker, submit, wait

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "mock"))
from webhook import WebhookReceiver  # noqa: E402


def key_of(secret):
    assert secret.startswith("whsec_")
    return base64.b64decode(secret[len("whsec_"):])


def signed_by(req, secret):
    h = req["headers"]
    msg = b"%s.%s.%s" % (h["webhook-id"].encode(),
                         h["webhook-timestamp"].encode(), req["body"])
    want = base64.b64encode(hmac.new(key_of(secret), msg,
                                     hashlib.sha256).digest())
    return any(hmac.compare_digest(want, s.split(",", 1)[1].encode())
               for s in h["webhook-signature"].split())


def jobs_count(stack):
    return stack.pg.psql("SELECT count(*) FROM jobs")[0][0]


@pytest.fixture(scope="module")
def env(stack):
    rx = WebhookReceiver()
    m = stack.deepgram
    settings = dict(DEEPGRAM_API_KEY=m.key, DEEPGRAM_BASE_URL=m.base_url,
                    DEEPGRAM_TIMEOUT="30", PROVIDER_RETRIES="0",
                    JOB_PROGRAM_DIR=stack.cgidir, JOB_POLL_SECONDS="1",
                    JOB_MAX_RETRIES="0", JOB_LEASE_SECONDS="5",
                    URL_ALLOW_ADDRS="127.0.0.1:%d" % rx.port,
                    WEBHOOK_RETRY_SECONDS="1", WEBHOOK_TIMEOUT_MS="2000",
                    WEBHOOK_RETRY_HOURS="1")
    srv = stack.extra_server("callbacks", **settings)
    config = stack.write_config(os.path.join(stack.base, "callbacks.conf"),
                                **settings)
    users = {}
    for who in ("alice", "bob", "carol"):
        email = "cb-%s@example.com" % who
        stack.admin("create-user", email, "-P", "enterprise")
        users[who] = {"x-api-key": stack.admin("create-key", email).strip()}
    w = Worker(stack, config, "w-callbacks")
    yield srv, users, rx
    w.stop()
    rx.close()
    reports = [l for l in w.text().splitlines()
               if any(k in l for k in SANITIZER_MARKS)]
    assert not reports, reports[:20]


def secret(srv, headers, query=""):
    r = srv.get("/auth/webhook-secret" + query, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def secrets(env):
    srv, users, _ = env
    return {who: secret(srv, users[who])["secret"] for who in ("alice", "bob")}


def test_secret_shown_once_then_prefix_rotate(env):
    srv, users, _ = env
    first = secret(srv, users["carol"])
    assert first["secret"].startswith("whsec_") and len(key_of(first["secret"])) == 32
    assert first["prefix"] == first["secret"][:12]
    later = secret(srv, users["carol"])
    assert later["secret"] is None and later["prefix"] == first["prefix"]
    new = secret(srv, users["carol"], "?rotate=true")
    assert new["secret"].startswith("whsec_") and new["secret"] != first["secret"]
    assert secret(srv, users["carol"])["prefix"] == new["secret"][:12]
    # The static key has no account, hence no secret.
    r = srv.get("/auth/webhook-secret", headers={"x-api-key": LEGACY_KEY})
    assert r.status_code in (401, 403), r.text
    assert "secret" not in r.json()
    r = srv.get("/auth/webhook-secret?rotate=maybe", headers=users["carol"])
    assert r.status_code in (400, 422) and "rotate" in r.text


def wait_calls(rx, n0, count, timeout=20):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if len(rx.requests) - n0 >= count:
            return rx.requests[n0:]
        time.sleep(0.1)
    raise AssertionError("callbacks: %r" % rx.requests[n0:])


def attempts(stack, job_id):
    return stack.pg.psql(
        "SELECT d.state, d.attempts, a.n, coalesce(a.status, 0)"
        " FROM webhook_deliveries d JOIN webhook_attempts a ON"
        " a.delivery_id = d.id WHERE d.job_id = '%s' ORDER BY a.n" % job_id)


def test_signed_callback_verifies(env, secrets, stack, speech):
    srv, users, rx = env
    n0 = len(rx.requests)
    r = submit(srv, users["alice"], speech[0], "/transcriptions/deepgram",
               callback_url=rx.base_url + "/cb/alice")
    assert r.status_code == 202, r.text
    jid = r.json()["id"]
    done, _ = wait(srv, users["alice"], jid)
    assert done["status"] == "succeeded", done
    (req,) = wait_calls(rx, n0, 1)
    assert req["method"] == "POST" and req["path"] == "/cb/alice"
    assert signed_by(req, secrets["alice"])
    assert not signed_by(req, secrets["bob"])
    assert abs(int(req["headers"]["webhook-timestamp"]) - time.time()) < 60
    assert req["headers"]["webhook-id"] == "msg_" + jid.replace("-", "")
    body = json.loads(req["body"])
    assert body["id"] == jid and body["status"] == "succeeded"
    assert body["result"] == done["result"]
    assert "callback_url" not in json.dumps(done)
    time.sleep(0.3)
    assert attempts(stack, jid) == [["delivered", "1", "1", "204"]]


def test_retried_after_a_500(env, secrets, stack, speech):
    srv, users, rx = env
    n0 = len(rx.requests)
    rx.fail = 1
    r = submit(srv, users["alice"], speech[0], "/transcriptions/deepgram",
               callback_url=rx.base_url + "/cb/retry")
    assert r.status_code == 202, r.text
    jid = r.json()["id"]
    first, second = wait_calls(rx, n0, 2)
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    assert first["body"] == second["body"]
    assert signed_by(first, secrets["alice"]) and signed_by(second, secrets["alice"])
    assert second["time"] - first["time"] >= 0.9    # WEBHOOK_RETRY_SECONDS
    time.sleep(0.3)
    assert attempts(stack, jid) == [["delivered", "2", "1", "500"],
                                    ["delivered", "2", "2", "204"]]
    err = stack.pg.psql("SELECT error FROM webhook_attempts a JOIN"
                        " webhook_deliveries d ON a.delivery_id = d.id"
                        " WHERE d.job_id = '%s' AND a.n = 1" % jid)[0][0]
    assert "500" in err


def test_failed_job_calls_back(env, secrets, stack, speech):
    srv, users, rx = env
    n0 = len(rx.requests)
    stack.deepgram.script[:] = ["401"]
    r = submit(srv, users["bob"], speech[0], "/transcriptions/deepgram",
               callback_url=rx.base_url + "/cb/bob")
    assert r.status_code == 202, r.text
    jid = r.json()["id"]
    done, _ = wait(srv, users["bob"], jid)
    assert done["status"] == "failed", done
    (req,) = wait_calls(rx, n0, 1)
    # Bob's secret signs Bob's callback, never Alice's.
    assert signed_by(req, secrets["bob"])
    assert not signed_by(req, secrets["alice"])
    body = json.loads(req["body"])
    assert body["id"] == jid and body["status"] == "failed"
    assert body["error"]["message"]


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:1/x", "http://[::1]/x", "http://10.0.0.1/x",
    "http://169.254.169.254/latest", "ftp://example.com/x",
    "file:///etc/passwd", "http://u:p@example.com/x", "not a url"])
def test_bad_callback_url_refused(env, secrets, stack, speech, url):
    srv, users, rx = env
    n0, before = len(rx.requests), jobs_count(stack)
    r = submit(srv, users["alice"], speech[0], "/transcriptions/deepgram",
               callback_url=url)
    assert r.status_code == 422, r.text
    assert "callback_url" in r.json()["error"]["message"]
    assert jobs_count(stack) == before and len(rx.requests) == n0


def test_callback_needs_async_and_a_secret(env, stack, speech):
    srv, users, rx = env
    before = jobs_count(stack)
    r = submit(srv, users["alice"], speech[0], "/transcriptions/deepgram",
               prefer=None, callback_url=rx.base_url + "/cb")
    assert r.status_code == 422 and "callback_url" in r.text, r.text
    email = "cb-nosecret@example.com"
    stack.admin("create-user", email, "-P", "enterprise")
    h = {"x-api-key": stack.admin("create-key", email).strip()}
    r = submit(srv, h, speech[0], "/transcriptions/deepgram",
               callback_url=rx.base_url + "/cb")
    assert r.status_code == 422, r.text
    msg = r.json()["error"]["message"]
    assert "callback_url" in msg and "/auth/webhook-secret" in msg
    assert jobs_count(stack) == before
