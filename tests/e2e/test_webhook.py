"""Signed webhooks (lib/net/webhook.c) through the real library: the
signature as the Standard Webhooks scheme publishes it, computed here
with Python's hmac; retries after a 500; a slow receiver bounded by the
timeout; private addresses refused unless a setting allows them."""

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time

import pytest

from conftest import BUILD

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "mock"))
from webhook import WebhookReceiver  # noqa: E402

KEY = b"a webhook key of 32 bytes, ok!!!"
SECRET = "whsec_" + base64.b64encode(KEY).decode()


def sign(key, msg_id, ts, body):
    mac = hmac.new(key, b"%s.%s.%s" % (msg_id.encode(), ts.encode(), body),
                   hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


@pytest.fixture(scope="module")
def rx():
    r = WebhookReceiver()
    yield r
    r.close()


def send(stack, url, *args, secret=SECRET, msg_id="-", body='{"a":1}', **env):
    conf = stack.write_config(os.path.join(stack.base, "webhook.conf"),
                              **env)
    out = subprocess.run([os.path.join(BUILD, "tests", "webhook_send"), url,
                          secret, msg_id, body] + [str(a) for a in args],
                         env=dict(os.environ, APP_CONFIG=conf),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_signature_verifies(stack, rx):
    n = len(rx.requests)
    body = '{"job":{"id":"j1","status":"succeeded"},"text":"h\u00e9"}'
    res = send(stack, rx.base_url + "/hook", body=body,
               ALLOW_PRIVATE_URLS="true")
    assert res["delivered"] and res["attempts"] == 1 and res["status"] == 204
    (req,) = rx.requests[n:]
    h = req["headers"]
    assert req["method"] == "POST" and req["body"] == body.encode()
    assert h["webhook-id"] == res["id"] and res["id"].startswith("msg_")
    assert abs(int(h["webhook-timestamp"]) - time.time()) < 30
    assert h["webhook-signature"] == sign(KEY, h["webhook-id"],
                                          h["webhook-timestamp"], req["body"])
    assert h["Content-Type"] == "application/json"


def test_known_vector(stack, rx):
    """The id and body given; the signature must be the one Python makes
    for the timestamp that was sent, and a wrong key must not match."""
    n = len(rx.requests)
    res = send(stack, rx.base_url + "/v", msg_id="msg_fixed", body="{}",
               ALLOW_PRIVATE_URLS="true")
    assert res["delivered"] and res["id"] == "msg_fixed"
    (req,) = rx.requests[n:]
    ts = req["headers"]["webhook-timestamp"]
    assert req["headers"]["webhook-signature"] == sign(KEY, "msg_fixed", ts,
                                                       b"{}")
    assert req["headers"]["webhook-signature"] != sign(b"other", "msg_fixed",
                                                       ts, b"{}")


def test_retried_after_500(stack, rx):
    n = len(rx.requests)
    rx.fail = 2
    res = send(stack, rx.base_url + "/retry", 3, ALLOW_PRIVATE_URLS="true")
    reqs = rx.requests[n:]
    assert res["delivered"] and res["attempts"] == 3 and len(reqs) == 3
    # One id for every attempt; each attempt signed for its own time.
    assert len({r["headers"]["webhook-id"] for r in reqs}) == 1
    for r in reqs:
        assert r["headers"]["webhook-signature"] == sign(
            KEY, r["headers"]["webhook-id"], r["headers"]["webhook-timestamp"],
            r["body"])
    assert reqs[1]["time"] - reqs[0]["time"] >= 0.4     # backoff


def test_bounded_retries(stack, rx):
    n = len(rx.requests)
    rx.fail = 10
    res = send(stack, rx.base_url + "/down", 2, ALLOW_PRIVATE_URLS="true")
    rx.fail = 0
    assert not res["delivered"] and res["attempts"] == 2
    assert res["status"] == 500 and res["code"] == "provider_error"
    assert len(rx.requests[n:]) == 2


def test_slow_receiver_bounded(stack, rx):
    rx.delay = 3
    try:
        t = time.time()
        res = send(stack, rx.base_url + "/slow", 1, 500,
                   ALLOW_PRIVATE_URLS="true")
        assert time.time() - t < 2.5
    finally:
        rx.delay = 0
    assert not res["delivered"] and res["code"] == "provider_timeout"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:%d/x", "http://localhost:%d/x", "http://[::1]:%d/x",
    "http://10.0.0.1:%d/x", "http://[::ffff:127.0.0.1]:%d/x"])
def test_private_refused(stack, rx, url):
    n = len(rx.requests)
    res = send(stack, url % rx.port)
    assert not res["delivered"] and res["code"] == "unprocessable_entity"
    assert res["attempts"] == 1 and res["status"] == 0
    assert rx.requests[n:] == []


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd",
                                 "http://u:p@example.com/"])
def test_bad_urls_refused(stack, url):
    res = send(stack, url)
    assert res["code"] == "unprocessable_entity" and not res["delivered"]
