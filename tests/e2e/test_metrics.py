"""GET /metrics: the Prometheus text format, read with prometheus_client's
own parser; counters that add up the requests answered by every process
of every server sharing the host's metrics file (lighttpd with several
processes per program, Apache with mod_fcgid and with plain CGI);
provider calls, failures and usage seconds; who may read it."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import LEGACY_KEY
from test_http import error_of
from test_transcribe import upload, rows

TOKEN = "metrics-token-0123456789abcdef"


def scrape(srv, **kw):
    r = srv.get("/metrics", **kw)
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
