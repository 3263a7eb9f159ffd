"""GET /metrics: the Prometheus text format, read with prometheus_client's
own parser; counters that add up the requests answered by every process
of every server sharing the host's metrics file (lighttpd with several
processes per program, Apache with mod_fcgid and with plain CGI);
provider calls, failures and usage seconds; who may read it."""

import time
import uuid

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from conftest import LEGACY_KEY
from test_http import error_of
from test_transcribe import upload, rows
from test_ws_bridge import Client, tagged_pcm

TOKEN = "metrics-token-0123456789abcdef"


def scrape(srv, **kw):
    r = requests.get(srv.url + "/metrics", timeout=30, **kw)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for fam in text_string_to_metric_families(r.text):
        for s in fam.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)


@pytest.fixture(scope="module")
def many(stack):
    """lighttpd with three processes of every program."""
    return stack.extra_server("metrics-many", procs=3)


def test_counts_cover_every_process(stack, many):
    servers = [many, stack.server("apache-fcgid"), stack.server("apache-cgi")]
    before = scrape(many)
    made = {"lighttpd": 12, "apache-fcgid": 7, "apache-cgi": 3}
    for srv, n in zip(servers, made.values()):
        for _ in range(n):
            assert srv.get("/health").status_code == 200
    for srv in servers:
        assert srv.get("/no/such/path").status_code == 404
    # Whichever server and process answers, the numbers are the host's.
    for srv in servers:
        after = scrape(srv)
        health = dict(endpoint="/health", method="GET", status="200")
        assert value(after, "trapi_http_requests_total", **health) - \
            value(before, "trapi_http_requests_total", **health) == 22
        lost = dict(endpoint="/", method="GET", status="404")
        assert value(after, "trapi_http_requests_total", **lost) - \
            value(before, "trapi_http_requests_total", **lost) == 3
        count = "trapi_http_request_duration_seconds_count"
        assert value(after, count, endpoint="/health") - \
            value(before, count, endpoint="/health") == 22
        inf = value(after, "trapi_http_request_duration_seconds_bucket",
                    endpoint="/health", le="+Inf")
        assert inf == value(after, count, endpoint="/health")
        assert value(after, "trapi_metrics_dropped_total") == 0


def test_provider_calls_failures_and_usage(stack, speech):
    m = stack.deepgram
    dg = stack.extra_server("metrics-dg", DEEPGRAM_API_KEY=m.key,
                            DEEPGRAM_BASE_URL=m.base_url,
                            DEEPGRAM_TIMEOUT="3", PROVIDER_RETRIES="0")
    before = scrape(dg)
    ok = upload(dg, speech[0])
    assert ok.status_code == 200, ok.text
    m.script = ["402"]
    bad = upload(dg, speech[0])
    m.script = []
    error_of(bad, 502)
    after = scrape(dg)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("trapi_provider_calls_total", provider="deepgram") == 2
    assert delta("trapi_provider_failures_total", provider="deepgram",
                 code="provider_error") == 1
    assert delta("trapi_provider_call_duration_seconds_count",
                 provider="deepgram") == 2
    secs = float(rows(stack, ok.headers["X-Request-Id"])[0][1])
    assert secs > 0
    assert delta("trapi_usage_audio_seconds_total", service="deepgram") == \
        pytest.approx(secs, abs=0.002)
    assert delta("trapi_usage_rows_total", service="deepgram") == 2
    assert delta("trapi_http_requests_total", endpoint="/transcriptions/deepgram",
                 method="POST", status="502") == 1


def test_access_is_restricted(stack):
    shut = stack.extra_server("metrics-shut", METRICS_ALLOW="192.0.2.0/24",
                              METRICS_TOKEN=TOKEN)
    err = error_of(shut.get("/metrics"), 403)
    assert "METRICS_ALLOW" in err["message"]
    error_of(shut.get("/metrics", headers={
        "Authorization": "Bearer " + TOKEN[:-1] + "X"}), 403)
    error_of(shut.get("/metrics", headers={"x-api-key": LEGACY_KEY}), 403)
    assert TOKEN not in shut.errorlog()
    samples = scrape(shut, headers={"Authorization": "Bearer " + TOKEN})
    assert value(samples, "trapi_http_requests_total", endpoint="/metrics",
                 method="GET", status="403") >= 3
    # The default is loopback only: the stack's servers answer the tests.
    assert stack.server("lighttpd").get("/metrics").status_code == 200
    none = stack.extra_server("metrics-none", METRICS_ALLOW="none")
    error_of(none.get("/metrics"), 403)


def test_bridge_metrics_after_a_stream(stack):
    """ws-bridge's own /metrics: its streams, their results' latency."""
    bridge = stack.bridge("bridge-metrics")
    email = "wsm-%s@example.com" % uuid.uuid4().hex[:8]
    stack.admin("create-user", email, "-P", "enterprise")
    key = stack.admin("create-key", email, "-n", "ws").strip()
    before = scrape(bridge)
    c = Client(bridge.url, key, transports=["websocket"])
    try:
        c.send(tagged_pcm(0x3c000001, 1.0))
        c.stop()
    finally:
        c.close()
    assert c.transcripts()
    labels = dict(engine="deepgram", outcome="ok")
    deadline = time.time() + 10
    while True:
        after = scrape(bridge)
        # The usage row is written last, after the stream has ended.
        rows_now = value(after, "trapi_usage_rows_total", service="deepgram")
        if rows_now > value(before, "trapi_usage_rows_total",
                            service="deepgram") or time.time() > deadline:
            break
        time.sleep(0.1)

    def delta(name, **lab):
        return value(after, name, **lab) - value(before, name, **lab)

    assert delta("trapi_ws_streams_total", engine="deepgram") == 1
    assert delta("trapi_ws_streams_ended_total", **labels) == 1
    n = sum(delta("trapi_ws_result_latency_seconds_count", engine="deepgram",
                  final=f) for f in ("true", "false"))
    assert n == len(c.transcripts())
    assert delta("trapi_usage_rows_total", service="deepgram") == 1
    assert "trapi_ws_sessions" in {k[0] for k in after}
    shut = stack.bridge("bridge-shut", METRICS_ALLOW="none",
                        METRICS_TOKEN=TOKEN)
    r = requests.get(shut.url + "/metrics", timeout=10)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert scrape(shut, headers={"Authorization": "Bearer " + TOKEN})
