"""POST /sentiment with engine=openai against the chat mock
(provider-protocols section 4): what the model is asked (a JSON array of
the sentences, a JSON answer), labels and scores taken from its answer,
per segment and speaker, a language other than English, the usage row
with tokens and cost, and a model's bad answer refused as a 502 with
nothing billed."""

import json
import os
import sys

import pytest

from conftest import LEGACY_KEY
from test_http import error_of

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "mock"))
from chat import ChatMock  # noqa: E402

KEY = {"x-api-key": LEGACY_KEY}


def post(srv, body):
    return srv.request("POST", "/sentiment", json=body, headers=KEY,
                       timeout=60)


def rows(stack, rid):
    return stack.pg.psql("SELECT service, tokens_used, status, cost_usd"
                         " FROM usage_logs WHERE request_id = '%s'" % rid)


def billed(stack):
    return stack.pg.psql("SELECT count(*) FROM usage_logs")[0][0]


@pytest.fixture(scope="module")
def mock():
    m = ChatMock("sk-test-senti-0123456789", "openai")
    yield m
    m.close()


@pytest.fixture(scope="module")
def srv(stack, mock):
    return stack.extra_server("sentiopenai", OPENAI_API_KEY=mock.key,
                              OPENAI_BASE_URL=mock.base_url,
                              OPENAI_TIMEOUT="5")


def test_text(srv, mock, stack):
    n = len(mock.requests)
    r = post(srv, {"text": "I love it. The train leaves at four. "
                           "This is terrible!", "engine": "openai"})
    assert r.status_code == 200, r.text
    (req,) = mock.requests[n:]
    assert req["headers"]["Authorization"] == "Bearer " + mock.key
    assert req["body"]["model"] == "gpt-4o-mini"
    system, user = [m["content"] for m in req["body"]["messages"]]
    assert "JSON" in system and "English (en)" in system
    assert json.loads(user) == ["I love it.", "The train leaves at four.",
                                "This is terrible!"]
    b = r.json()
    assert b["engine"] == "openai"
    assert [(s["label"], s["score"]) for s in b["sentences"]] == \
        [("positive", 0.8), ("neutral", 0), ("negative", -0.8)]
    (row,) = rows(stack, r.headers["X-Request-Id"])
    assert row[0] == "sentiment" and row[2] == "success"
    assert int(row[1]) > 0 and float(row[3]) > 0
    assert mock.key not in r.text


def test_spanish_transcript(srv, mock):
    t = {"diarization": {"segments": [
        {"speaker": 0, "start": 0, "end": 4, "text": "Me encanta este plan."},
        {"speaker": 1, "start": 4, "end": 9,
         "text": "Odio la lluvia. Es un día triste."}]},
        "processing_info": {"language": "es"}}
    n = len(mock.requests)
    r = post(srv, {"transcript": t, "engine": "openai"})
    assert r.status_code == 200, r.text
    assert "Spanish (es)" in mock.requests[n]["body"]["messages"][0]["content"]
    b = r.json()
    assert b["language"] == "es"
    assert [s["label"] for s in b["segments"]] == ["positive", "negative"]
    sp = {s["speaker"]: s for s in b["speakers"]}
    assert sp[0]["label"] == "positive" and sp[1]["sentences"] == 2
    # The local engine still refuses it.
    assert "language 'es'" in error_of(post(srv, {"transcript": t}),
                                        422)["message"]


def test_many_sentences_in_batches(srv, mock):
    n = len(mock.requests)
    text = " ".join("Sentence %d is good." % i for i in range(100))
    r = post(srv, {"text": text, "engine": "openai"})
    assert r.status_code == 200, r.text
    sent = [json.loads(q["body"]["messages"][1]["content"])
            for q in mock.requests[n:]]
    assert len(sent) > 1 and sum(map(len, sent)) == 100
    assert len(r.json()["sentences"]) == 100


@pytest.mark.parametrize("script,status,words", [
    ("badjson", 502, "not a JSON object"),
    ("short", 502, "not 3 sentences"),
    ("badlabel", 502, "sentence 1 has no known label"),
    ("401", 502, "openai failed"),
])
def test_bad_answers(srv, mock, stack, script, status, words):
    n = billed(stack)
    mock.script = [script]
    err = error_of(post(srv, {"text": "Good. Bad. Fine.",
                              "engine": "openai"}), status)
    assert words in err["message"], err
    assert mock.key not in err["message"]
    assert billed(stack) == n
    mock.script = []


def test_busy_is_retried(srv, mock, stack):
    n = len(mock.requests)
    mock.script = ["429"]  # retried, as a 500 would be
    r = post(srv, {"text": "Good.", "engine": "openai"})
    assert r.status_code == 200, r.text
    assert len(mock.requests) - n == 2
    assert len(rows(stack, r.headers["X-Request-Id"])) == 1
