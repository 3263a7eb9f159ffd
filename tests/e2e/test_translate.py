"""Translation through the real web server: Apertium offline (pairs,
a pivot, the 422 that lists pairs), OpenAI and DeepSeek chat against
local mocks (what they receive, chunks under the limit at sentence
ends, paragraph breaks and order kept, multi-byte text never cut,
every misbehaviour with bounded retries), bad input, usage rows."""

import json
import re
import os
import sys
import time

import pytest

from conftest import LEGACY_KEY
from test_http import error_of

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "mock"))
from chat import ChatMock  # noqa: E402

KEY = {"x-api-key": LEGACY_KEY}


def post(srv, path, body, headers=KEY):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return srv.request("POST", path, data=data, timeout=60,
                       headers=dict(headers, **{"Content-Type": "application/json"}))


def rows(stack, rid):
    return stack.pg.psql("SELECT service, tokens_used, characters, status,"
                         " cost_usd FROM usage_logs WHERE request_id = '%s'"
                         % rid)


@pytest.fixture(scope="module")
def mocks():
    o = ChatMock("sk-test-chat-0123456789", "openai", slow_seconds=4)
    d = ChatMock("ds-test-key-0123456789", "deepseek", slow_seconds=4)
    yield o, d
    o.close()
    d.close()


@pytest.fixture(scope="module")
def cloud(stack, mocks):
    o, d = mocks
    return stack.extra_server(
        "translate", OPENAI_API_KEY=o.key, OPENAI_BASE_URL=o.base_url,
        OPENAI_TIMEOUT="2", DEEPSEEK_API_KEY=d.key, DEEPSEEK_BASE_URL=d.base_url,
        DEEPSEEK_TIMEOUT="2", PROVIDER_RETRIES="2",
        OPENAI_TRANSLATE_CHUNK_TOKENS="40", TRANSLATE_MAX_BYTES="1100000")


def test_offline_english_to_spanish(stack):
    srv = stack.server("lighttpd")
    r = post(srv, "/translations/openai", {"text": "the house is big",
             "source_language": "en", "target_language": "es"})
    assert r.status_code == 200, r.text
    b = r.json()
    words = b["translated_text"].lower().split()
    assert "casa" in words and "grande" in words, b
    assert b["engine"] == "local" and b["model"] == "apertium"
    assert b["source_language"] == "en" and b["target_language"] == "es"
    assert b["chunks"] == 1 and "pivot" not in b
    assert rows(stack, r.headers["X-Request-Id"]) == \
        [["local", "0", "16", "success", "0.000000"]]


def test_offline_names_and_paragraphs(stack):
    srv = stack.server("lighttpd")
    r = post(srv, "/translations/deepseek", {"text": "The house is big.\n\nThe dog eats.",
             "source_language": "English", "target_language": "Spanish"})
    assert r.status_code == 200, r.text
    t = r.json()["translated_text"]
    assert t.count("\n\n") == 1 and "casa" in t and "perro" in t, t


def test_offline_pivot(stack):
    srv = stack.server("lighttpd")
    r = post(srv, "/translations/openai", {"text": "the house is big",
             "source_language": "en", "target_language": "it"})
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["pivot"] == "es" and b["engine"] == "local"
    assert "casa" in b["translated_text"] and "grande" in b["translated_text"], b


def test_uninstalled_pair_lists_pairs(stack):
    srv = stack.server("lighttpd")
    err = error_of(post(srv, "/translations/openai", {"text": "hello",
                   "source_language": "en", "target_language": "ja"}), 422)
    assert err["param"] == "target_language" if "param" in err else True
    assert "no en-ja pair" in err["message"] and "en-es" in err["message"], err
    assert err["message"].startswith("target_language: "), err
    assert "en-it" in err["message"], err


def test_languages_lists_pairs(stack):
    r = stack.server("lighttpd").get("/translations/languages", headers=KEY)
    assert r.status_code == 200, r.text
    b = r.json()
    pairs = {(p["source"], p["target"], p.get("pivot")) for p in b["local"]["pairs"]}
    assert ("en", "es", None) in pairs and ("es", "it", None) in pairs
    assert ("en", "it", "es") in pairs
    assert b["openai"]["configured"] is False and b["local"]["configured"] is True
    assert b["openai"]["model"] == "gpt-4o-mini"


def test_openai_request(cloud, mocks, stack):
    o, _ = mocks
    n = len(o.requests)
    r = post(cloud, "/translations/openai", {"text": "Good morning.",
             "target_language": "it", "source_language": "en"})
    assert r.status_code == 200, r.text
    (req,) = o.requests[n:]
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == "Bearer " + o.key
    assert req["body"]["model"] == "gpt-4o-mini"
    system = req["body"]["messages"][0]["content"]
    assert "English (en)" in system and "Italian (it)" in system
    assert req["body"]["messages"][1] == {"role": "user", "content": "Good morning."}
    b = r.json()
    assert b["translated_text"] == "[it] Good morning."
    assert b["engine"] == "openai" and b["model"] == "gpt-4o-mini"
    assert b["usage"]["total_tokens"] == \
        b["usage"]["prompt_tokens"] + b["usage"]["completion_tokens"] > 0
    assert o.key not in r.text
    (row,) = rows(stack, r.headers["X-Request-Id"])
    assert row[:4] == ["openai", str(b["usage"]["total_tokens"]),
                       str(len("Good morning.")), "success"]
    assert float(row[4]) > 0
    # A model of one's own, and provider=local beside the key.
    r = post(cloud, "/translations/openai", {"text": "Hi.", "target_language": "de",
             "model": "gpt-4o"})
    assert r.status_code == 200 and o.requests[-1]["body"]["model"] == "gpt-4o"
    assert "German (de)" in o.requests[-1]["body"]["messages"][0]["content"]
    r = post(cloud, "/translations/openai", {"text": "the house is big",
             "source_language": "en", "target_language": "es", "provider": "local"})
    assert r.status_code == 200 and r.json()["engine"] == "local"


def test_deepseek_request(cloud, mocks, stack):
    _, d = mocks
    n = len(d.requests)
    d.script = ["keepalive"]
    r = post(cloud, "/translations/deepseek", {"text": "Hello.", "target_language": "fr"})
    assert r.status_code == 200, r.text
    (req,) = d.requests[n:]
    assert req["path"] == "/chat/completions"
    assert req["headers"]["Authorization"] == "Bearer " + d.key
    assert req["body"]["model"] == "deepseek-chat"
    assert "French (fr)" in req["body"]["messages"][0]["content"]
    b = r.json()
    assert b["translated_text"] == "[fr] Hello." and b["engine"] == "deepseek"
    assert b["source_language"] is None
    assert rows(stack, r.headers["X-Request-Id"])[0][0] == "deepseek"


def test_chunks_at_sentences_order_and_breaks(cloud, mocks):
    o, _ = mocks
    paras = ["Sentence %d of paragraph %d is here." % (s, p)
             for p in range(3) for s in range(4)]
    text = "\n\n".join(" ".join(paras[p * 4:p * 4 + 4]) for p in range(3))
    n = len(o.requests)
    r = post(cloud, "/translations/openai", {"text": text, "target_language": "it"})
    assert r.status_code == 200, r.text
    sent = [q["body"]["messages"][1]["content"] for q in o.requests[n:]]
    assert len(sent) > 3 and r.json()["chunks"] == len(sent)
    for s in sent:
        assert len(s.encode()) <= 80, s           # 40 tokens at 2 bytes each
        assert s.endswith("."), s
    out = r.json()["translated_text"]
    assert out.count("\n\n") == 2
    got = [s for s in out.replace("[it] ", "").replace("\n\n", " ").split(" ")]
    assert " ".join(got) == text.replace("\n\n", " ")


def test_multibyte_never_cut(cloud, mocks):
    o, _ = mocks
    text = ("Perché è così? " * 3 + "日本語の文章です。" * 6 + " 🎉🎉🎉 " * 5).strip()
    n = len(o.requests)
    r = post(cloud, "/translations/openai", {"text": text, "target_language": "en"})
    assert r.status_code == 200, r.text
    sent = [q["body"]["messages"][1]["content"] for q in o.requests[n:]]
    assert len(sent) > 1
    for s in sent:
        s.encode("utf-8")   # the mock parsed it: whole characters only
        assert len(s.encode()) <= 80
    # Sent in parallel: each piece is a part of the text, together all of it.
    flat = re.sub(r"\s", "", text)
    assert all(re.sub(r"\s", "", s) in flat for s in sent)
    assert sum(len(re.sub(r"\s", "", s)) for s in sent) == len(flat)
    assert "\ufffd" not in r.json()["translated_text"]


def test_lost_paragraph_breaks_are_repaired(cloud, mocks):
    o, _ = mocks
    n = len(o.requests)
    o.script = ["merge"]
    r = post(cloud, "/translations/openai", {"text": "One.\n\nTwo.\n\nThree.",
             "target_language": "es"})
    o.script = []
    assert r.status_code == 200, r.text
    assert r.json()["translated_text"] == "[es] One.\n\n[es] Two.\n\n[es] Three."
    assert len(o.requests) - n == 4      # the merged reply, then one each


def test_answer_escapes_what_json_must(cloud):
    # The answer is written as the batches finish: quotes, backslashes,
    # tabs and control characters in the text still make valid JSON.
    text = 'She said "no" \\ twice\tthen \x01left / early. \u00e9\u6771\U0001f600'
    r = post(cloud, "/translations/openai", {"text": text, "target_language": "es"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/json"
    b = r.json()
    assert b["translated_text"] == "[es] " + text
    assert b["engine"] == "openai" and b["chunks"] == 1
    assert b["request_id"] == r.headers["X-Request-Id"]


def test_one_megabyte(cloud, mocks):
    para = ("This is a sentence of a long text. " * 40).strip()
    n = 1000000 // (len(para) + 20)
    text = "\n\n".join("Paragraph %d. %s" % (i, para) for i in range(n))
    srv = cloud
    t0 = time.time()
    r = post(srv, "/translations/deepseek", {"text": text, "target_language": "es",
             "source_language": "en"})
    assert r.status_code == 200, r.text
    out = r.json()["translated_text"]
    assert out.count("\n\n") == text.count("\n\n")
    # in order, each paragraph once, though the batches finish in any order
    assert [int(x) for x in re.findall(r"Paragraph (\d+)\.", out)] == list(range(n))
    assert r.json()["chunks"] > 100
    assert time.time() - t0 < 60


@pytest.mark.parametrize("engine,script,status,attempts", [
    ("openai", ["401"], 502, 1),
    ("openai", ["429", "429"], 200, 3),
    ("openai", ["429", "429", "429"], 503, 3),
    ("openai", ["429-bare", "429-bare", "429-bare"], 503, 3),
    ("openai", ["500-html", "500-html", "500-html"], 502, 3),
    ("openai", ["slow"], 504, 1),
    ("openai", ["truncated"], 502, 1),
    ("openai", ["drop", "drop", "drop"], 503, 3),
    ("deepseek", ["401"], 502, 1),
    ("deepseek", ["402"], 502, 1),
    ("deepseek", ["500-html", "500-html", "500-html"], 502, 3),
    ("deepseek", ["truncated"], 502, 1),
    ("deepseek", ["slow"], 504, 1),
])
def test_misbehaviour(cloud, mocks, stack, engine, script, status, attempts):
    m = mocks[0] if engine == "openai" else mocks[1]
    n = len(m.requests)
    m.script = list(script)
    t0 = time.time()
    r = post(cloud, "/translations/" + engine, {"text": "Hello.", "target_language": "es"})
    m.script = []
    assert time.time() - t0 < 20
    assert len(m.requests) - n == attempts
    if status == 200:
        assert r.json()["engine"] == engine
        return
    err = error_of(r, status)
    assert engine in err["message"]
    assert m.key not in r.text and "<html" not in r.text
    if script[0] == "429":
        assert r.headers["Retry-After"] == "1"
    assert rows(stack, r.headers["X-Request-Id"])[0][3] == "error"
    assert rows(stack, r.headers["X-Request-Id"])[0][4] == "0.000000"


@pytest.mark.parametrize("body,status,param", [
    ({"target_language": "es"}, 400, "text"),
    ({"text": "", "target_language": "es"}, 422, "text"),
    ({"text": "  \n ", "target_language": "es"}, 422, "text"),
    ({"text": "hi"}, 400, "target_language"),
    ({"text": "hi", "target_language": "klingon"}, 422, "target_language"),
    ({"text": "hi", "target_language": "es", "source_language": "xx"}, 422,
     "source_language"),
    ({"text": "hi", "target_language": "es", "source_language": "es"}, 422,
     "target_language"),
    ({"text": 12, "target_language": "es"}, 422, "text"),
    ({"text": "hi", "target_language": ["es"]}, 422, "target_language"),
    ({"text": "hi", "target_language": "es", "provider": "deepseek"}, 422, "provider"),
    (b'{"text": "\xff\xfe", "target_language": "es"}', 400, None),
    ({"text": "x" * 1000001, "target_language": "es", "source_language": "en"},
     413, "text"),
])
def test_bad_input(stack, body, status, param):
    srv = stack.server("lighttpd")
    before = stack.pg.psql("SELECT count(*) FROM usage_logs")[0][0]
    r = post(srv, "/translations/openai", body)
    assert r.status_code in ((status,) if status else (400, 422)), r.text
    err = r.json()["error"]
    if param is not None:
        assert param in err["message"], err
    assert stack.pg.psql("SELECT count(*) FROM usage_logs")[0][0] == before


def test_invalid_utf8_in_a_form(stack):
    srv = stack.server("lighttpd")
    before = stack.pg.psql("SELECT count(*) FROM usage_logs")[0][0]
    r = srv.request("POST", "/translations/openai", data="text=%FF%FEa&target_language=es",
                    headers=dict(KEY, **{"Content-Type": "application/x-www-form-urlencoded"}))
    err = error_of(r, 422)
    assert "text" in err["message"]
    assert stack.pg.psql("SELECT count(*) FROM usage_logs")[0][0] == before


def test_needs_an_api_key(stack):
    r = post(stack.server("lighttpd"), "/translations/openai",
             {"text": "hi", "target_language": "es"}, headers={})
    error_of(r, 401)


SRT_TIMES = re.compile(r"^(\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3})$", re.M)


def tt(srv, path, **data):
    with open(path, "rb") as f:
        return srv.request("POST", "/transcriptions/transcribe-and-translate",
                           headers=KEY, data=data, timeout=120,
                           files={"audio": ("speech.wav", f, "audio/wav")})


def test_transcribe_and_translate_offline(stack, speech):
    srv = stack.server("lighttpd")
    r = tt(srv, speech[0], target_language="es")
    assert r.status_code == 200, r.text
    b = r.json()
    assert "test" in b["transcript"].split(), b
    assert b["engine"] == "local" and b["source_language"] == "en"
    assert b["processing_info"]["provider"] == "local"
    assert "prueba" in b["translated_text"] or "servicio" in b["translated_text"], b
    assert b["segments"] and all(s["translated_text"] for s in b["segments"])
    rid = r.headers["X-Request-Id"]
    # One row for the call: the audio's seconds and the text it translated.
    (row,) = stack.pg.psql("SELECT service, endpoint, audio_duration_seconds,"
                           " tokens_used, characters, status FROM usage_logs"
                           " WHERE request_id = '%s'" % rid)
    assert row[0] == "local" and row[1] == "/transcriptions/transcribe-and-translate"
    assert abs(float(row[2]) - b["processing_info"]["duration"]) < 0.01, row
    assert row[3] == "0" and row[5] == "success", row
    sent = "\n\n".join(s["text"] for s in b["segments"])
    assert int(row[4]) == len(sent), (row, sent)
    with open(speech[0], "rb") as f:
        en = srv.request("POST", "/transcriptions/deepgram", headers=KEY, timeout=120,
                         data={"provider": "local", "response_format": "srt"},
                         files={"audio": ("speech.wav", f, "audio/wav")})
    assert en.status_code == 200, en.text
    es = tt(srv, speech[0], target_language="es", response_format="srt")
    assert es.status_code == 200, es.text
    assert SRT_TIMES.findall(es.text) == SRT_TIMES.findall(en.text)
    assert SRT_TIMES.findall(es.text)
    assert es.text != en.text
    txt = tt(srv, speech[0], target_language="es", response_format="text")
    assert txt.status_code == 200 and txt.text == b["translated_text"]


def test_transcribe_and_translate_bad_input(stack, speech):
    srv = stack.server("lighttpd")
    error_of(tt(srv, speech[0]), 400)
    err = error_of(tt(srv, speech[0], target_language="xx-nope"), 422)
    assert "target_language" in err["message"]
    err = error_of(tt(srv, speech[0], target_language="en"), 422)
    assert "target_language" in err["message"]
    err = error_of(tt(srv, speech[0], target_language="es",
                      translation_engine="nope"), 422)
    assert "translation_engine" in err["message"]


def test_transcribe_and_translate_failed_translation_bills_nothing(stack, speech):
    # Transcribed, then no engine for the pair: one row, an error, 0 s;
    # the quota slot is given back.
    srv = stack.server("lighttpd")
    slots = stack.pg.psql("SELECT count(*) FROM inflight")[0][0]
    r = tt(srv, speech[0], target_language="ja")
    err = error_of(r, 422)
    assert "target_language" in err["message"]
    (row,) = stack.pg.psql("SELECT service, audio_duration_seconds, cost_usd,"
                           " status FROM usage_logs WHERE request_id = '%s'"
                           % r.headers["X-Request-Id"])
    assert row == ["local", "0.000", "0.000000", "error"], row
    # (other modules' killed requests may hold leases of their own)
    assert stack.pg.psql("SELECT count(*) FROM inflight")[0][0] == slots


@pytest.fixture(scope="module")
def google(stack):
    from google import GoogleMock
    g = GoogleMock()
    sa = g.service_account(os.path.join(stack.base, "service-account.json"))
    os.chmod(sa, 0o644)
    # One process: the token cache the tests watch is the one that
    # answers (processes take turns at the socket).
    srv = stack.extra_server("google", procs=1,
                             GOOGLE_APPLICATION_CREDENTIALS=sa,
                             GOOGLE_TRANSLATE_BASE_URL=g.base_url, GOOGLE_TIMEOUT="3",
                             PROVIDER_RETRIES="2")
    keyed = stack.extra_server("google-key", GOOGLE_API_KEY=g.api_key,
                               GOOGLE_TRANSLATE_BASE_URL=g.base_url)
    yield g, srv, keyed
    g.close()


def test_google_service_account(google, stack):
    g, srv, _ = google
    n = len(g.requests)
    r = post(srv, "/translations/google", {"text": "It's good.\n\nYes.",
             "target_language": "it", "source_language": "en"})
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["translated_text"] == "[it] It's good.\n\n[it] Yes."
    assert b["engine"] == "google"
    tok, tr = g.requests[n:n + 2]
    assert tok["path"] == "/token"
    header, claims = g.assertions[-1]
    assert header["alg"] == "RS256" and header["kid"] == "kid-0123"
    assert claims["iss"] == g.email and claims["aud"] == g.token_uri
    assert claims["scope"] == "https://www.googleapis.com/auth/cloud-translation"
    assert claims["exp"] - claims["iat"] == 3600 and abs(claims["iat"] - time.time()) < 60
    assert tr["path"] == "/language/translate/v2"
    assert tr["headers"]["Authorization"].startswith("Bearer ya29.c.")
    assert tr["json"]["target"] == "it" and tr["json"]["source"] == "en"
    assert tr["json"]["format"] == "text"
    (row,) = rows(stack, r.headers["X-Request-Id"])
    # the characters sent, as Google counts them: the blank line too
    assert row[:4] == ["google", "0", str(len("It's good.\n\nYes.")),
                       "success"]
    # The token is cached by the process; an expired one is fetched again once.
    g.script = ["401"]
    before = len(g.requests)
    r = post(srv, "/translations/google", {"text": "Again.", "target_language": "de"})
    assert r.status_code == 200, r.text
    paths = [q["path"] for q in g.requests[before:]]
    assert paths.count("/token") <= 1 and paths[-1] == "/language/translate/v2"


def test_google_api_key(google):
    g, _, keyed = google
    n = len(g.requests)
    r = post(keyed, "/translations/google", {"text": "Hello.", "target_language": "fr"})
    assert r.status_code == 200, r.text
    (req,) = g.requests[n:]
    assert req["query"]["key"] == g.api_key and "Authorization" not in req["headers"]
    assert "source" not in req["json"]
    assert g.api_key not in r.text


@pytest.mark.parametrize("script,status,attempts", [
    (["403"], 502, 1),
    (["500", "500", "500"], 502, 3),
    (["drop", "drop", "drop"], 503, 3),
])
def test_google_misbehaviour(google, stack, script, status, attempts):
    g, _, keyed = google
    n = len(g.requests)
    g.script = list(script)
    r = post(keyed, "/translations/google", {"text": "Hello.", "target_language": "fr"})
    g.script = []
    assert len(g.requests) - n == attempts
    err = error_of(r, status)
    assert "google" in err["message"] and g.api_key not in r.text
