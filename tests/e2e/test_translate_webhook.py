"""DeepSeek webhook forwarding through the real web server: the result
of POST /translations/deepseek POSTed to DEEPSEEK_WEBHOOK_URL (or a
request's webhook_url when ALLOW_REQUEST_WEBHOOKS allows it), signed
per Standard Webhooks with DEEPSEEK_WEBHOOK_SECRET (verified here with
Python's hmac), retried on a 500, a loopback URL refused unless allowed,
a slow receiver bounded by the budget; the answer's "webhook" member
says what happened.  The offline engine translates (provider=local), so
no chat mock is needed: the webhook is the endpoint's, not the engine's."""

import base64
import hashlib
import hmac
import json
import os
import sys
import time

import pytest

from conftest import LEGACY_KEY, free_port

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "mock"))
from webhook import WebhookReceiver  # noqa: E402

KEY = {"x-api-key": LEGACY_KEY, "Content-Type": "application/json"}
HKEY = b"deepseek webhook key, 32 bytes!!"
SECRET = "whsec_" + base64.b64encode(HKEY).decode()
TEXT = {"text": "The house is big.", "target_language": "es",
        "source_language": "en", "provider": "local"}


def post(srv, body, path="/translations/deepseek"):
    return srv.request("POST", path, data=json.dumps(body), headers=KEY,
                       timeout=60)


def verify(req, key=HKEY):
    h = req["headers"]
    msg = b"%s.%s.%s" % (h["webhook-id"].encode(),
                         h["webhook-timestamp"].encode(), req["body"])
    want = base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest())
    sigs = [s.split(",", 1)[1].encode() for s in h["webhook-signature"].split()]
    assert any(hmac.compare_digest(want, s) for s in sigs), h
    assert abs(int(h["webhook-timestamp"]) - time.time()) < 60


def usage(stack):
    return stack.pg.psql("SELECT count(*) FROM usage_logs")[0][0]


@pytest.fixture(scope="module")
def rx():
    r = WebhookReceiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def hooked(stack, rx):
    """A server forwarding to the receiver; only its port is allowed."""
    return stack.extra_server(
        "dshook", DEEPSEEK_WEBHOOK_URL=rx.base_url + "/fixed",
        DEEPSEEK_WEBHOOK_SECRET=SECRET, ALLOW_REQUEST_WEBHOOKS="true",
        URL_ALLOW_ADDRS="127.0.0.1:%d" % rx.port, WEBHOOK_ATTEMPTS="3",
        WEBHOOK_TIMEOUT_MS="1000", WEBHOOK_BUDGET_MS="2500")


def test_delivered_once_and_signed(hooked, rx):
    n = len(rx.requests)
    r = post(hooked, TEXT)
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["webhook"]["delivered"] is True
    assert b["webhook"]["attempts"] == 1 and b["webhook"]["status"] == 204
    assert "error" not in b["webhook"]
    (req,) = rx.requests[n:]
    assert req["method"] == "POST" and req["path"] == "/fixed"
    assert req["headers"]["Content-Type"] == "application/json"
    assert req["headers"]["webhook-id"] == b["webhook"]["id"]
    verify(req)
    sent = json.loads(req["body"])
    assert sent["translated_text"] == b["translated_text"]
    assert "casa" in sent["translated_text"].lower()
    assert sent["request_id"] == r.headers["X-Request-Id"]
    assert "webhook" not in sent
    # Signed with another key, it does not verify.
    with pytest.raises(AssertionError):
        verify(req, key=b"x" * 32)


def test_request_url_and_retry_on_500(hooked, rx):
    n = len(rx.requests)
    rx.fail = 1
    r = post(hooked, dict(TEXT, webhook_url=rx.base_url + "/mine"))
    assert r.status_code == 200, r.text
    w = r.json()["webhook"]
    assert w["delivered"] is True and w["attempts"] == 2 and w["status"] == 204
    reqs = rx.requests[n:]
    assert [q["path"] for q in reqs] == ["/mine", "/mine"]
    # One message, two attempts: the same id, each signed anew.
    assert reqs[0]["headers"]["webhook-id"] == reqs[1]["headers"]["webhook-id"]
    for q in reqs:
        verify(q)
    assert reqs[1]["time"] - reqs[0]["time"] >= 0.4


def test_loopback_refused_unless_allowed(hooked, rx, stack):
    """Another loopback port (not in URL_ALLOW_ADDRS) is refused at once,
    with nothing translated or billed; the allowed one is not."""
    other = WebhookReceiver()
    try:
        before = usage(stack)
        for url in (other.base_url + "/x", "http://[::1]:%d/" % other.port,
                    "http://10.0.0.1/", "ftp://example.com/",
                    "http://u:p@example.com/"):
            r = post(hooked, dict(TEXT, webhook_url=url))
            assert r.status_code == 422, (url, r.text)
            assert "webhook_url" in r.json()["error"]["message"]
        assert other.requests == []
        assert usage(stack) == before
    finally:
        other.close()


def test_name_resolving_to_loopback_refused(hooked, rx):
    """A host name passes the check at submit; its address is refused
    when connecting, and the answer says the webhook was not sent."""
    n = len(rx.requests)
    port = free_port()
    r = post(hooked, dict(TEXT, webhook_url="http://localhost:%d/x" % port))
    assert r.status_code == 200, r.text
    w = r.json()["webhook"]
    assert w["delivered"] is False and w["status"] is None
    assert "loopback" in w["error"] or "127.0.0.1" in w["error"], w
    assert len(rx.requests) == n


def test_slow_receiver_bounded(hooked, rx):
    n = len(rx.requests)
    rx.delay = 4
    try:
        t0 = time.time()
        r = post(hooked, TEXT)
        took = time.time() - t0
    finally:
        rx.delay = 0
    assert r.status_code == 200, r.text
    w = r.json()["webhook"]
    assert w["delivered"] is False and w["attempts"] >= 1
    assert "casa" in r.json()["translated_text"].lower()
    assert took < 4, took          # the budget is 2.5 s
    assert len(rx.requests) > n


def test_request_url_needs_the_setting(stack, rx):
    before = usage(stack)
    n = len(rx.requests)
    r = post(stack.server("lighttpd"), dict(TEXT, webhook_url=rx.base_url))
    assert r.status_code == 422, r.text
    assert "webhook_url" in r.json()["error"]["message"]
    assert "ALLOW_REQUEST_WEBHOOKS" in r.json()["error"]["message"]
    assert len(rx.requests) == n and usage(stack) == before


def test_other_endpoints_take_no_webhook(hooked, rx):
    r = post(hooked, dict(TEXT, webhook_url=rx.base_url),
             path="/translations/openai")
    assert r.status_code == 422, r.text
    assert "webhook_url" in r.json()["error"]["message"]


def test_no_webhook_member_without_one(stack):
    r = post(stack.server("lighttpd"), TEXT)
    assert r.status_code == 200, r.text
    assert "webhook" not in r.json()
