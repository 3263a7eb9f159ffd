"""Transcription through the real web servers: the local engine on
speech made with flite, the Deepgram client against the local mock (its
requests, every misbehaviour, bounded retries), every output format,
the OpenAI-compatible shapes, and the usage rows."""

import json
import re
import time

import pytest

from conftest import LEGACY_KEY
from test_http import error_of

KEY = {"x-api-key": LEGACY_KEY}


def upload(srv, path, url="/transcriptions/deepgram", field="audio",
           headers=KEY, name="speech.wav", ctype="audio/wav", **data):
    with open(path, "rb") as f:
        return srv.request("POST", url, headers=headers, data=data,
                           files={field: (name, f, ctype)}, timeout=120)


def rows(stack, rid):
    return stack.pg.psql("SELECT service, audio_duration_seconds, status"
                         " FROM usage_logs WHERE request_id = '%s'" % rid)


@pytest.fixture(scope="module")
def dg(stack):
    """A server whose programs have a Deepgram key and the mock's URL."""
    m = stack.deepgram
    return stack.extra_server("deepgram", DEEPGRAM_API_KEY=m.key,
                              DEEPGRAM_BASE_URL=m.base_url, DEEPGRAM_TIMEOUT="3",
                              PROVIDER_RETRIES="2")


def test_local_engine_hears_the_words(server, stack, speech):
    path, _ = speech
    r = upload(server, path, provider="local")
    assert r.status_code == 200, r.text
    body = r.json()
    words = body["transcript"].split()
    for w in ("test", "transcription", "service"):
        assert w in words, body["transcript"]
    assert body["processing_info"]["provider"] == "local"
    assert 3.0 < body["processing_info"]["duration"] < 4.0
    ts = [(w["start"], w["end"]) for w in body["words"]]
    assert all(s <= e for s, e in ts) and ts == sorted(ts)
    assert rows(stack, r.headers["X-Request-Id"]) == \
        [["local", "%.3f" % body["processing_info"]["duration"], "success"]]


def test_default_without_key_is_local(stack, speech):
    r = upload(stack.server("lighttpd"), speech[0])
    assert r.status_code == 200, r.text
    assert r.json()["processing_info"]["provider"] == "local"


def test_deepgram_request_and_shape(dg, stack, speech):
    m = stack.deepgram
    n = len(m.requests)
    r = upload(dg, speech[0], language="en", diarize="true")
    assert r.status_code == 200, r.text
    (req,) = m.requests[n:]
    assert req["headers"]["Authorization"] == "Token " + m.key
    assert req["headers"]["Content-Type"] == "audio/wav"
    assert req["query"]["model"] == "nova-2" and req["query"]["diarize"] == "true"
    assert req["query"]["language"] == "en"
    with open(speech[0], "rb") as f:
        assert req["body"] == f.read()
    b = r.json()
    assert b["transcript"] == "Hello world this is a test"
    assert b["diarization"]["speakers_detected"] == 2
    segs = b["diarization"]["segments"]
    assert [(s["speaker"], s["text"]) for s in segs] == \
        [(0, "Hello world"), (1, "this is a test")]
    assert b["words"][0] == {"word": "Hello", "start": 0.3, "end": 0.7,
                             "confidence": 0.98, "speaker": 0}
    pi = b["processing_info"]
    assert pi["provider"] == "deepgram" and pi["model"] == "nova-2"
    assert re.fullmatch(r"[0-9a-f-]{36}", pi["provider_request_id"])
    assert m.key not in r.text
    assert rows(stack, r.headers["X-Request-Id"])[0][0] == "deepgram"


SRT_CUE = re.compile(r"(\d+)\n(\d\d:\d\d:\d\d,\d{3}) --> (\d\d:\d\d:\d\d,\d{3})\n(.+)")
VTT_CUE = re.compile(r"(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n(.+)")


@pytest.fixture(scope="module")
def allkeys(stack):
    """A server with every provider configured, against the mocks."""
    return stack.extra_server(
        "allkeys", DEEPGRAM_API_KEY=stack.deepgram.key,
        DEEPGRAM_BASE_URL=stack.deepgram.base_url, OPENAI_API_KEY=stack.openai.key,
        OPENAI_BASE_URL=stack.openai.base_url,
        ASSEMBLYAI_API_KEY=stack.assemblyai.key,
        ASSEMBLYAI_BASE_URL=stack.assemblyai.base_url, ASSEMBLYAI_POLL_MS="50")


# Each provider through its own endpoint (the local engine through any).
OWN = {"local": "/transcriptions/deepgram", "deepgram": "/transcriptions/deepgram",
       "openai": "/transcriptions/whisper", "assemblyai": "/transcriptions/assemblyai"}


@pytest.mark.parametrize("provider", ["local", "deepgram", "openai", "assemblyai"])
def test_every_format(allkeys, stack, speech, provider):
    dg = allkeys
    url = OWN[provider]
    r = upload(dg, speech[0], url=url, provider=provider)
    assert r.status_code == 200, r.text
    assert r.json()["processing_info"]["provider"] == provider
    text = r.json()["transcript"]
    r = upload(dg, speech[0], url=url, provider=provider, response_format="text")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    assert r.text == text and text
    r = upload(dg, speech[0], url=url, provider=provider, response_format="srt")
    assert r.status_code == 200, r.text
    cues = r.text.strip().split("\n\n")
    for i, cue in enumerate(cues, 1):
        mt = SRT_CUE.fullmatch(cue)
        assert mt and int(mt.group(1)) == i and mt.group(2) <= mt.group(3), cue
    r = upload(dg, speech[0], url=url, provider=provider, response_format="vtt")
    assert r.status_code == 200 and r.text.startswith("WEBVTT\n\n")
    for cue in r.text[8:].strip().split("\n\n"):
        assert VTT_CUE.fullmatch(cue), cue
    error_of(upload(dg, speech[0], url=url, provider=provider, response_format="docx"), 422)
    # Another cloud provider than the endpoint's own is no choice here.
    own = [p for p, u in OWN.items() if u == url and p != "local"][0]
    for other in {"deepgram", "openai", "assemblyai"} - {own}:
        err = error_of(upload(dg, speech[0], url=url, provider=other), 422)
        assert err["message"] == ("provider must be %s or local on this"
                                  " endpoint" % own), err


@pytest.mark.parametrize("script,status,attempts", [
    (["401"], 502, 1),
    (["402"], 502, 1),
    (["429", "429"], 200, 3),
    (["429-retry-after", "429-retry-after", "429-retry-after"], 503, 3),
    (["500-html", "500-html", "500-html"], 502, 3),
    (["slow"], 504, 1),
    (["truncated"], 502, 1),
    (["drop", "drop", "drop"], 503, 3),
])
def test_deepgram_misbehaviour(dg, stack, speech, script, status, attempts):
    m = stack.deepgram
    n = len(m.requests)
    m.script = list(script)
    t0 = time.time()
    r = upload(dg, speech[0])
    m.script = []
    assert time.time() - t0 < 30
    assert len(m.requests) - n == attempts
    if status == 200:
        assert r.json()["processing_info"]["provider"] == "deepgram"
        return
    err = error_of(r, status)
    assert "deepgram" in err["message"]
    assert m.key not in r.text and "<html" not in r.text
    if status == 503 and script[0].startswith("429"):
        assert r.headers["Retry-After"] == "1"
    if script[0] in ("401", "402"):
        rid = m.requests[-1]["path"] and re.search(r"request ([0-9a-f-]{36})",
                                                   err["message"])
        assert rid, err["message"]
    row = rows(stack, r.headers["X-Request-Id"])
    assert row == [["deepgram", "0.000", "error"]]


def test_not_audio_is_415(lt_or_ap, stack, tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("this is not audio at all\n" * 100)
    err = error_of(upload(lt_or_ap, str(p), name="notes.txt", ctype="text/plain"), 415)
    assert "not audio" in err["message"]
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    error_of(upload(lt_or_ap, str(empty)), 400)
    error_of(lt_or_ap.request("POST", "/transcriptions/deepgram", headers=KEY,
                              data={"language": "en"}), 400)
    assert stack.leftovers() == []


@pytest.fixture(params=["lighttpd", "apache-fcgid"])
def lt_or_ap(request, stack):
    return stack.server(request.param)


def test_transcription_needs_credentials(stack, speech):
    srv = stack.server("lighttpd")
    error_of(upload(srv, speech[0], headers={}), 401)
    error_of(upload(srv, speech[0], headers={"x-api-key": "wrong"}), 401)


# -- OpenAI-compatible --------------------------------------------------------

def oai(srv, path, fields, key=LEGACY_KEY):
    with open(path, "rb") as f:
        return srv.request("POST", "/v1/audio/transcriptions",
                           headers={"Authorization": "Bearer " + key},
                           data=fields, files={"file": ("speech.wav", f, "audio/wav")},
                           timeout=120)


def test_openai_shapes(stack, speech):
    srv = stack.server("lighttpd")
    r = oai(srv, speech[0], {"model": "whisper-1"})
    assert r.status_code == 200, r.text
    assert list(r.json()) == ["text"] and "transcription" in r.json()["text"]
    r = oai(srv, speech[0], {"model": "whisper-1", "response_format": "text"})
    assert r.headers["Content-Type"].startswith("text/plain") and "test" in r.text
    r = oai(srv, speech[0], {"model": "whisper-1", "response_format": "verbose_json"})
    v = r.json()
    assert v["task"] == "transcribe" and v["language"] == "english"
    assert 3 < v["duration"] < 4 and "segments" in v and "words" not in v
    seg = v["segments"][0]
    assert set(seg) == {"id", "seek", "start", "end", "text", "tokens",
                        "temperature", "avg_logprob", "compression_ratio",
                        "no_speech_prob"}
    assert seg["text"].startswith(" ")
    r = oai(srv, speech[0], {"model": "whisper-1", "response_format": "verbose_json",
                             "timestamp_granularities[]": "word"})
    v = r.json()
    assert "segments" not in v and set(v["words"][0]) == {"word", "start", "end"}
    r = oai(srv, speech[0], {"model": "whisper-1", "response_format": "verbose_json",
                             "timestamp_granularities[]": ["word", "segment"]})
    assert "segments" in r.json() and "words" in r.json()
    r = oai(srv, speech[0], {"model": "whisper-1", "response_format": "srt"})
    assert SRT_CUE.match(r.text)
    with open(speech[0], "rb") as f:
        r = srv.request("POST", "/v1/audio/translations",
                        headers={"Authorization": "Bearer " + LEGACY_KEY},
                        data={"model": "whisper-1", "response_format": "verbose_json"},
                        files={"file": ("speech.wav", f, "audio/wav")})
    assert r.status_code == 200 and r.json()["task"] == "translate"


def test_openai_errors(stack, speech):
    srv = stack.server("apache-fcgid")
    for fields, key, status in [({}, LEGACY_KEY, 400),
                                ({"model": "gpt-9"}, LEGACY_KEY, 400),
                                ({"model": "whisper-1", "response_format": "x"},
                                 LEGACY_KEY, 400),
                                ({"model": "whisper-1"}, "sk-wrong", 401)]:
        r = oai(srv, speech[0], fields, key)
        assert r.status_code == status, r.text
        e = r.json()["error"]
        assert set(e) == {"message", "type", "param", "code"}
        assert e["type"] == ("authentication_error" if status == 401
                             else "invalid_request_error")
    r = srv.get("/v1/models", headers={"Authorization": "Bearer " + LEGACY_KEY})
    assert r.status_code == 200 and r.json()["object"] == "list"
    assert "whisper-1" in [m["id"] for m in r.json()["data"]]


# -- OpenAI Whisper -----------------------------------------------------------

@pytest.fixture(scope="module")
def oa(stack):
    m = stack.openai
    return stack.extra_server("openai", OPENAI_API_KEY=m.key,
                              OPENAI_BASE_URL=m.base_url, OPENAI_TIMEOUT="3",
                              PROVIDER_RETRIES="2")


def test_whisper_request_and_formats(oa, stack, speech):
    m = stack.openai
    n = len(m.requests)
    r = upload(oa, speech[0], url="/transcriptions/whisper", language="en",
               prompt="Meeting notes", temperature="0.2")
    assert r.status_code == 200, r.text
    (req,) = m.requests[n:]
    assert req["path"] == "/v1/audio/transcriptions"
    assert req["headers"]["Authorization"] == "Bearer " + m.key
    assert req["file"] == ("speech.wav", __import__("os").path.getsize(speech[0]))
    f = req["fields"]
    assert f["model"] == "whisper-1" and f["response_format"] == "verbose_json"
    assert f["language"] == "en" and f["prompt"] == "Meeting notes"
    assert sorted(f["granularities"]) == ["segment", "word"]
    b = r.json()
    assert b["transcript"] == "Good morning and welcome to the weekly meeting."
    assert b["processing_info"]["provider"] == "openai"
    assert b["processing_info"]["provider_request_id"].startswith("req_")
    assert [w["word"] for w in b["words"]][:2] == ["Good", "morning"]
    assert m.key not in r.text
    for fmt in ("text", "srt", "vtt", "verbose_json"):
        r = upload(oa, speech[0], url="/transcriptions/whisper", response_format=fmt)
        assert r.status_code == 200, (fmt, r.text)
    assert r.json()["segments"][0]["text"].startswith(" Good morning")
    # whisper-1 on the OpenAI-compatible endpoint goes to OpenAI here.
    r = oai(oa, speech[0], {"model": "whisper-1"})
    assert r.json() == {"text": "Good morning and welcome to the weekly meeting."}


@pytest.mark.parametrize("script,status,attempts", [
    (["401"], 502, 1), (["429", "429"], 200, 3), (["429-bare"] * 3, 503, 3),
    (["500", "500", "500"], 502, 3), (["500-html"] * 3, 502, 3),
    (["503", "503", "503"], 503, 3), (["slow"], 504, 1), (["truncated"], 502, 1),
    (["drop"] * 3, 503, 3)])
def test_whisper_misbehaviour(oa, stack, speech, script, status, attempts):
    m = stack.openai
    n = len(m.requests)
    m.script = list(script)
    r = upload(oa, speech[0], url="/transcriptions/whisper")
    m.script = []
    assert len(m.requests) - n == attempts
    if status == 200:
        assert r.json()["processing_info"]["provider"] == "openai"
    else:
        err = error_of(r, status)
        assert "openai" in err["message"] and m.key not in r.text


def test_whisper_splits_large_media(stack, tmp_path):
    """60 MB of audio reaches OpenAI as pieces under its 25 MB limit, cut
    at silences, and the joined transcript's times only go forward."""
    import os
    import subprocess
    tone = tmp_path / "tone.wav"
    big = tmp_path / "big.wav"
    # 5 s of tone and 1 s of silence, 58 times: 348 s of 44.1 kHz stereo.
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", str(tone),
                    "synth", "5", "sine", "300", "pad", "0", "1"], check=True)
    subprocess.run(["sox", str(tone), str(big), "repeat", "57"], check=True)
    size = os.path.getsize(big)
    assert size > 60 * 1000 * 1000
    m = stack.openai
    # Pieces of 20 MB to a Python mock under a sanitizer take more than
    # the 3 s the misbehaviour tests' server allows a call.
    srv = stack.extra_server("openai-big", OPENAI_API_KEY=m.key,
                             OPENAI_BASE_URL=m.base_url, OPENAI_TIMEOUT="120")
    n = len(m.requests)
    r = upload(srv, str(big), url="/transcriptions/whisper", name="big.wav")
    assert r.status_code == 200, r.text
    pieces = m.requests[n:]
    assert len(pieces) >= 3
    assert all(p["size"] < 25 * 1024 * 1024 for p in pieces)
    assert sum(p["file"][1] for p in pieces) > size * 0.95
    b = r.json()
    starts = [s["start"] for s in b["diarization"]["segments"]]
    assert starts == sorted(starts) and len(starts) == len(pieces)
    # Each cut fell in a silence: 6 s periods, silence from 5 s to 6 s.
    for s in starts[1:]:
        assert 4.9 <= s % 6 <= 6.0 or s % 6 < 0.1, starts
    words = [(w["start"], w["end"]) for w in b["words"]]
    assert words == sorted(words)
    assert abs(b["processing_info"]["duration"] - 348) < 1
    # Each piece's times, shifted by its offset, stay inside the file.
    dur = b["processing_info"]["duration"]
    assert all(0 <= s <= e <= dur + 0.01 for s, e in words), words[-3:]
    assert all(0 <= s["start"] <= s["end"] <= dur + 0.01
               for s in b["diarization"]["segments"])
    assert stack.leftovers() == []


# -- AssemblyAI ---------------------------------------------------------------

@pytest.fixture(scope="module")
def aai(stack):
    m = stack.assemblyai
    return stack.extra_server("assemblyai", ASSEMBLYAI_API_KEY=m.key,
                              ASSEMBLYAI_BASE_URL=m.base_url, ASSEMBLYAI_TIMEOUT="4",
                              ASSEMBLYAI_REQUEST_TIMEOUT="2",
                              ASSEMBLYAI_POLL_MS="50", PROVIDER_RETRIES="2")


def test_assemblyai_upload_job_poll(aai, stack, speech):
    m = stack.assemblyai
    n = len(m.requests)
    r = upload(aai, speech[0], url="/transcriptions/assemblyai", language="en",
               diarize="true")
    assert r.status_code == 200, r.text
    reqs = m.requests[n:]
    assert [(q["method"], q["path"].split("/")[2]) for q in reqs[:2]] == \
        [("POST", "upload"), ("POST", "transcript")]
    assert all(q["headers"]["Authorization"] == m.key for q in reqs)
    assert reqs[0]["headers"]["Content-Type"] == "application/octet-stream"
    with open(speech[0], "rb") as f:
        assert reqs[0]["body"] == f.read()
    job = json.loads(reqs[1]["body"])
    assert job["speaker_labels"] is True and job["language_code"] == "en"
    assert job["speech_models"] and job["audio_url"].startswith(m.base_url)
    assert len(reqs) >= 5 and all(q["method"] == "GET" for q in reqs[2:])
    b = r.json()
    assert b["transcript"] == "Smoke from wildfires. Air alerts."
    assert b["diarization"]["speakers_detected"] == 2
    assert [(s["speaker"], s["start"], s["end"]) for s in b["diarization"]["segments"]] \
        == [(0, 0.25, 1.8), (1, 2.3, 3.1)]
    assert b["words"][1] == {"word": "from", "start": 0.73, "end": 1.022,
                             "confidence": 0.97, "speaker": 0}
    assert b["processing_info"]["provider"] == "assemblyai"
    r = upload(aai, speech[0], url="/transcriptions/assemblyai", response_format="srt")
    assert SRT_CUE.match(r.text)


@pytest.mark.parametrize("script,job,status", [
    (["401"], "completed", 502), (["429", "429"], "completed", 200),
    (["429-bare"] * 3, "completed", 503), (["500", "500", "500"], "completed", 502),
    (["500-html"] * 3, "completed", 502), (["truncated"], "completed", 502),
    (["drop"] * 3, "completed", 503), (["slow"], "completed", 504),
    ([], "error", 502), ([], "never", 504)])
def test_assemblyai_misbehaviour(aai, stack, speech, script, job, status):
    m = stack.assemblyai
    m.script, m.job = list(script), job
    t0 = time.time()
    r = upload(aai, speech[0], url="/transcriptions/assemblyai")
    m.script, m.job = [], "completed"
    assert time.time() - t0 < 20
    if status == 200:
        assert r.json()["processing_info"]["provider"] == "assemblyai"
        return
    err = error_of(r, status)
    assert "assemblyai" in err["message"] and m.key not in r.text
    if job == "error":
        assert "unable to download audio" in err["message"]


@pytest.mark.parametrize("ext,args", [
    ("mp3", ["-c:a", "libmp3lame"]), ("m4a", ["-c:a", "aac"]),
    ("ogg", ["-c:a", "libvorbis"]), ("webm", ["-c:a", "libopus"]),
    ("flac", ["-c:a", "flac"]), ("mp4", ["-f", "lavfi", "-i",
     "color=c=black:s=160x120:d=4", "-shortest", "-c:v", "libx264",
     "-c:a", "aac"])])
def test_local_engine_every_container(stack, speech, tmp_path, ext, args):
    """wav, mp3, m4a, ogg, webm, flac and a video with sound are all
    accepted, decoded and heard."""
    import subprocess
    out = tmp_path / ("speech." + ext)
    argv = ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", speech[0]]
    if args[:2] == ["-f", "lavfi"]:
        argv += args[:4] + ["-map", "1:v", "-map", "0:a"] + args[4:]
    else:
        argv += args
    subprocess.run(argv + [str(out)], check=True)
    r = upload(stack.server("lighttpd"), str(out), name=out.name,
               ctype="application/octet-stream", provider="local")
    assert r.status_code == 200, r.text
    heard = set(r.json()["transcript"].split())
    assert len(heard & {"hello", "world", "this", "test", "transcription",
                        "service"}) >= 3, heard
    assert 3 < r.json()["processing_info"]["duration"] < 4.5


def test_raw_body_upload(server, speech, stack):
    """The audio as the whole body, its type in Content-Type, the other
    fields in the query string."""
    with open(speech[0], "rb") as f:
        data = f.read()
    r = server.request("POST", "/transcriptions/deepgram?provider=local&response_format=text",
                       headers=dict(KEY, **{"Content-Type": "audio/wav"}), data=data)
    assert r.status_code == 200, r.text
    assert "transcription" in r.text.split()
    r = server.request("POST", "/transcriptions/deepgram", data=b"not audio",
                       headers=dict(KEY, **{"Content-Type": "audio/wav"}))
    error_of(r, 415)
    r = server.request("POST", "/utilities/log-usage", data=data[:1000],
                       headers=dict(KEY, **{"Content-Type": "audio/wav"}))
    error_of(r, 415)
    assert stack.leftovers() == []


def test_playlists_cannot_fetch_urls(stack, tmp_path):
    """An HLS playlist or concat list naming a URL or a local file is not
    media: 415, and nothing is fetched or read."""
    a0 = stack.auth0
    before = a0.jwks_requests
    pl = tmp_path / "x.m3u8"
    pl.write_text("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n"
                  "%s/.well-known/jwks.json\n#EXT-X-ENDLIST\n" % a0.base_url)
    cc = tmp_path / "list.txt"
    cc.write_text("ffconcat version 1.0\nfile '/etc/passwd'\nfile '%s/a.wav'\n"
                  % a0.base_url)
    srv = stack.server("lighttpd")
    for p in (pl, cc):
        err = error_of(upload(srv, str(p), name=p.name,
                              ctype="application/octet-stream", provider="local"), 415)
    assert a0.jwks_requests == before
