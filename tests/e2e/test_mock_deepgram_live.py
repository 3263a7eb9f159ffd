"""Self-test of tests/mock/deepgram_live.py, the Deepgram live-streaming
mock (provider-protocols section 2), driven by the python3-websockets
asyncio client.  Uses none of conftest.py's fixtures (no PostgreSQL, no
web server): it runs in a few seconds on its own."""

import asyncio
import http.client
import json
import os
import sys
import time

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatusCode

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "mock"))
from deepgram_live import DeepgramLiveMock  # noqa: E402

KEY = "dg-test-key"
QUERY = "?model=nova-2&encoding=linear16&sample_rate=16000&channels=1"
SECOND = 32000                     # bytes of 16 kHz mono linear16
RESULT_KEYS = {"type", "channel_index", "duration", "start", "is_final",
               "speech_final", "from_finalize", "channel", "metadata"}
WORD_KEYS = {"word", "start", "end", "confidence", "punctuated_word"}


@pytest.fixture
def mock():
    m = DeepgramLiveMock(key=KEY, idle_timeout=5.0).start()
    try:
        yield m
    finally:
        m.close()


def run(coro, timeout=20):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def connect(mock, query=QUERY, header=True, **kw):
    if header:
        kw.setdefault("extra_headers", {"Authorization": "Token " + KEY})
    kw.setdefault("close_timeout", 1)
    return websockets.connect(mock.ws_url + "/v1/listen" + query, **kw)


def audio(seconds, first=b"\x01\x02\x03\x04"):
    n = int(seconds * SECOND)
    return (first + b"\x10\x20" * n)[:n]


async def send_audio(ws, data, frame=3200):
    for i in range(0, len(data), frame):
        await ws.send(data[i:i + frame])


async def recv_json(ws, timeout=3):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def recv_until_closed(ws, timeout=3):
    """Every message until the server closes; then (messages, code, reason)."""
    out = []
    try:
        while True:
            msg = await asyncio.wait_for(ws.recv(), timeout)
            try:
                out.append(json.loads(msg))
            except ValueError:
                out.append(msg)
    except ConnectionClosed as e:
        return out, e.code, e.reason


def raw_handshake(mock, path, headers=()):
    c = http.client.HTTPConnection("127.0.0.1", mock.port, timeout=5)
    h = {"Upgrade": "websocket", "Connection": "Upgrade",
         "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
         "Sec-WebSocket-Version": "13"}
    h.update(headers)
    c.request("GET", path, headers=h)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r, body


def check_results(doc):
    assert doc["type"] == "Results"
    assert RESULT_KEYS <= set(doc) and set(doc) - RESULT_KEYS  # plus unknowns
    assert doc["channel_index"] == [0, 1]
    alt = doc["channel"]["alternatives"][0]
    assert {"transcript", "confidence", "words"} <= set(alt)
    for w in alt["words"]:
        assert set(w) == WORD_KEYS
    assert set(doc["metadata"]) == {"request_id", "model_info", "model_uuid"}
    assert set(doc["metadata"]["model_info"]) == {"name", "version", "arch"}
    return alt["transcript"]


# -- handshake ----------------------------------------------------------

def test_handshake_refusals(mock):
    r, body = raw_handshake(mock, "/v1/listen" + QUERY)
    assert r.status == 401
    doc = json.loads(body)
    assert doc["err_code"] == "INVALID_AUTH"
    assert r.getheader("dg-error") == doc["err_msg"]
    assert r.getheader("dg-request-id") == doc["request_id"]
    assert r.getheader("Upgrade") is None

    r, _ = raw_handshake(mock, "/v1/listen" + QUERY, {"Authorization": "Token nope"})
    assert r.status == 401
    r, _ = raw_handshake(mock, "/v1/listen" + QUERY,
                         {"Sec-WebSocket-Protocol": "token, nope"})
    assert r.status == 401
    r, _ = raw_handshake(mock, "/v1/other", {"Authorization": "Token " + KEY})
    assert r.status == 404 and r.getheader("dg-request-id")
    r, _ = raw_handshake(mock, "/v1/listen?encoding=mp9&sample_rate=1",
                         {"Authorization": "Token " + KEY})
    assert r.status == 400 and r.getheader("dg-error")

    async def refused():
        with pytest.raises(InvalidStatusCode) as e:
            async with connect(mock, header=False):
                pass
        assert e.value.status_code == 401
        mock.script = {"handshake": 429, "handshake_times": 1}
        with pytest.raises(InvalidStatusCode) as e:
            async with connect(mock):
                pass
        assert e.value.status_code == 429 and e.value.headers["dg-error"]
        async with connect(mock) as ws:     # only one refusal was scripted
            assert ws.response_headers["dg-request-id"]
        mock.script = {"handshake": 500}
        for _ in range(2):
            with pytest.raises(InvalidStatusCode) as e:
                async with connect(mock):
                    pass
            assert e.value.status_code == 500
    run(refused())
    assert not mock.connections[1:]
    assert [h["status"] for h in mock.handshakes] == \
        [401, 401, 401, 404, 400, 401, 429, 101, 500, 500]


def test_handshake_header_and_subprotocol(mock):
    async def go():
        async with connect(mock) as ws:
            assert ws.subprotocol is None
            rid1 = ws.response_headers["dg-request-id"]
        async with connect(mock, header=False, subprotocols=["token", KEY]) as ws:
            assert ws.subprotocol == "token"
            rid2 = ws.response_headers["dg-request-id"]
        return rid1, rid2
    rid1, rid2 = run(go())
    assert mock.wait_for(lambda: len(mock.connections) == 2 and
                         all(c["closed"] for c in mock.connections))
    a, b = mock.connections
    assert (a["auth"], b["auth"]) == ("header", "subprotocol")
    assert (a["request_id"], b["request_id"]) == (rid1, rid2)
    assert a["headers"]["authorization"] == "Token " + KEY
    assert a["query"]["sample_rate"] == "16000" and a["path"] == "/v1/listen"
    assert b["subprotocol"] == "token"
    assert a["close_code"] == 1000 and a["closed_by"] == "client"


# -- transcripts --------------------------------------------------------

def test_interim_then_final_and_close_stream(mock):
    async def go():
        async with connect(mock, QUERY + "&punctuate=false") as ws:
            await send_audio(ws, audio(2.0))
            msgs = [await recv_json(ws) for _ in range(8)]
            await ws.send(json.dumps({"type": "CloseStream"}))
            rest, code, reason = await recv_until_closed(ws)
            return msgs, rest, code, reason
    msgs, rest, code, reason = run(go())
    words = ["hello", "world", "this", "is", "a", "test"]
    texts = [check_results(m) for m in msgs]
    assert texts == [" ".join(words[:k]) for k in range(1, 6)] + \
        [" ".join(words), "hello", "hello world"]
    assert [m["is_final"] for m in msgs] == [False] * 5 + [True] + [False] * 2
    assert [m["speech_final"] for m in msgs] == [False] * 5 + [True] + [False] * 2
    assert [(m["start"], m["duration"]) for m in msgs] == \
        [(0, 0.25), (0, 0.5), (0, 0.75), (0, 1.0), (0, 1.25), (0, 1.5),
         (1.5, 0.25), (1.5, 0.5)]
    final = msgs[5]["channel"]["alternatives"][0]["words"]
    assert [w["word"] for w in final] == words
    assert all(0 <= w["start"] < w["end"] <= 1.5 for w in final)
    # CloseStream: the pending audio's final Results, Metadata, close 1000.
    assert code == 1000 and reason == ""
    assert len(rest) == 2
    assert check_results(rest[0]) == "hello world" and rest[0]["is_final"]
    assert (rest[0]["start"], rest[0]["duration"]) == (1.5, 0.5)
    meta = rest[1]
    assert meta["type"] == "Metadata" and meta["duration"] == 2.0
    assert meta["channels"] == 1 and meta["request_id"] == msgs[0]["metadata"]["request_id"]
    assert meta["transaction_key"] == "deprecated" and meta["models"][0] in meta["model_info"]
    c = mock.connections[0]
    assert mock.wait_for(lambda: c["closed"])
    assert c["audio_bytes"] == 2 * SECOND and c["audio_frames"] == 20
    assert c["text_frames"] == [{"type": "CloseStream"}]
    assert mock.messages(c) == msgs + rest
    assert c["close_code"] == 1000 and c["closed_by"] == "server"


def test_finalize_silence_and_events(mock):
    async def go():
        async with connect(mock, QUERY + "&punctuate=true") as ws:
            await send_audio(ws, audio(0.6))
            a = [await recv_json(ws) for _ in range(2)]
            await ws.send(json.dumps({"type": "Finalize"}))
            await ws.send(json.dumps({"type": "Whatever"}))
            await ws.send("not json")
            b = await recv_json(ws)
            await send_audio(ws, bytes(int(0.5 * SECOND)))      # silence
            c = [await recv_json(ws) for _ in range(2)]
        q = QUERY + "&interim_results=true&utterance_end_ms=1000&vad_events=true"
        async with connect(mock, q) as ws:
            await send_audio(ws, audio(1.5))
            d = [await recv_json(ws) for _ in range(8)]
        async with connect(mock, QUERY + "&interim_results=false") as ws:
            await send_audio(ws, audio(1.5))
            await ws.send(json.dumps({"type": "CloseStream"}))
            e, _, _ = await recv_until_closed(ws)
        return a, b, c, d, e
    a, b, c, d, e = run(go())
    assert [check_results(m) for m in a] == ["Hello", "Hello world"]
    assert check_results(b) == "Hello world this."
    assert b["is_final"] and b["from_finalize"] and not b["speech_final"]
    assert (b["start"], b["duration"]) == (0, 0.6)
    for m in c:
        assert check_results(m) == "" and m["channel"]["alternatives"][0]["words"] == []
    assert c[0]["start"] == 0.6
    assert mock.connections[0]["ignored"] == [{"type": "Whatever"}, "not json"]
    assert [m["type"] for m in d] == ["SpeechStarted"] + ["Results"] * 6 + ["UtteranceEnd"]
    assert d[0]["timestamp"] == 0.0 and d[-1]["last_word_end"] <= 1.5
    assert [m["type"] for m in e] == ["Results", "Metadata"]      # no interims
    assert e[0]["speech_final"] and check_results(e[0]) == "hello world this is a test"


def test_missing_sample_rate_and_empty_frame(mock):
    async def go():
        async with connect(mock, "?encoding=linear16") as ws:   # accepted
            await ws.send(audio(0.1))
            r1 = await recv_until_closed(ws)
        async with connect(mock) as ws:
            await ws.send(b"")
            r2 = await recv_until_closed(ws)
        async with connect(mock, "") as ws:      # containerized: no encoding
            await ws.send(audio(0.3))
            r3 = await recv_json(ws)
        return r1, r2, r3
    r1, r2, r3 = run(go())
    assert r1 == ([], 1008, "DATA-0000")
    assert r2 == ([], 1008, "DATA-0000")
    assert check_results(r3) == "hello"


# -- timeouts -----------------------------------------------------------

def test_keepalive_and_idle_timeout(mock):
    mock.idle_timeout = 0.5

    async def kept():
        async with connect(mock) as ws:
            await ws.send(audio(0.1))
            t0 = time.monotonic()
            while time.monotonic() - t0 < 1.5:
                await asyncio.sleep(0.2)
                await ws.send(json.dumps({"type": "KeepAlive"}))
            assert ws.open
            t1 = time.monotonic()
            msgs, code, reason = await recv_until_closed(ws)
            return msgs, code, reason, time.monotonic() - t1

    async def idle():
        async with connect(mock) as ws:
            t0 = time.monotonic()
            msgs, code, reason = await recv_until_closed(ws)
            return msgs, code, reason, time.monotonic() - t0

    async def keepalive_only():
        # KeepAlive alone does not keep a stream that never had audio.
        async with connect(mock) as ws:
            with pytest.raises(ConnectionClosed) as e:
                for _ in range(10):
                    await ws.send(json.dumps({"type": "KeepAlive"}))
                    await asyncio.sleep(0.2)
            return e.value.code, e.value.reason

    async def go():
        return await asyncio.gather(kept(), idle(), keepalive_only())
    k, i, ko = run(go())
    assert k[:3] == ([], 1011, "NET-0001") and k[3] < 1.0
    assert i[:3] == ([], 1011, "NET-0001") and 0.4 < i[3] < 1.0
    assert ko == (1011, "NET-0001")
    assert sorted(c["close_reason"] for c in mock.connections) == ["NET-0001"] * 3


# -- scripted misbehaviours -------------------------------------------------

def test_fail_after_frames(mock):
    mock.script = {"fail_after_frames": 3, "close_code": 1011, "close_reason": "NET-0000"}

    async def go():
        async with connect(mock) as ws:
            await send_audio(ws, audio(1.0))
            return await recv_until_closed(ws)
    msgs, code, reason = run(go())
    assert (code, reason) == (1011, "NET-0000")
    assert [check_results(m) for m in msgs] == ["hello"]   # 0.3 s, then closed
    c = mock.connections[0]
    assert mock.wait_for(lambda: c["closed"])
    assert c["close_code"] == 1011 and c["closed_by"] == "server"


def test_drop_after_frames(mock):
    mock.script = {"drop_after_frames": 2}

    async def go():
        async with connect(mock) as ws:
            with pytest.raises(ConnectionClosed) as e:
                await send_audio(ws, audio(1.0))
                while True:
                    await asyncio.wait_for(ws.recv(), 3)
            return e.value
    e = run(go())
    assert e.rcvd is None and e.code == 1006        # no close frame at all
    c = mock.connections[0]
    assert mock.wait_for(lambda: c["closed"])
    assert c["closed_by"] == "drop" and c["audio_frames"] == 2


def test_malformed_after_frames(mock):
    mock.script = {"malformed_after_frames": 1}

    async def go():
        async with connect(mock) as ws:
            await send_audio(ws, audio(0.3))
            return [await asyncio.wait_for(ws.recv(), 3) for _ in range(2)]
    first, second = run(go())
    with pytest.raises(ValueError):
        json.loads(first)
    assert check_results(json.loads(second)) == "hello"


def test_silent_and_delay(mock):
    mock.idle_timeout = 0.3
    mock.script = {"silent": True}

    async def silent():
        async with connect(mock) as ws:
            await send_audio(ws, audio(1.0))
            await ws.send(json.dumps({"type": "CloseStream"}))
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ws.recv(), 1.0)
            assert ws.open                   # never answers, never closes
    run(silent())
    c = mock.connections[0]
    assert mock.wait_for(lambda: c["closed"])
    assert c["sent"] == [] and c["audio_bytes"] == SECOND and c["closed_by"] == "client"

    mock.idle_timeout = 5
    mock.script = {"delay": 0.3}

    async def delayed():
        async with connect(mock) as ws:
            t0 = time.monotonic()
            await send_audio(ws, audio(0.25))
            await recv_json(ws)
            return time.monotonic() - t0
    assert run(delayed()) >= 0.3


# -- concurrency --------------------------------------------------------

def test_tag_from_audio_250_concurrent():
    with DeepgramLiveMock(key=KEY, tag_from_audio=True) as mock:
        async def one(i):
            first = i.to_bytes(4, "big")
            async with connect(mock, open_timeout=15) as ws:
                await send_audio(ws, audio(0.5, first))
                await ws.send(json.dumps({"type": "CloseStream"}))
                msgs, code, _ = await recv_until_closed(ws, 10)
            assert code == 1000
            texts = [check_results(m) for m in msgs if m["type"] == "Results"]
            assert texts and all(t.split()[0] == "id" + first.hex() for t in texts)
            return len(msgs)

        async def go():
            return await asyncio.gather(*(one(i) for i in range(250)))
        t0 = time.monotonic()
        counts = run(go(), 30)
        assert counts == [4] * 250      # 2 interims, final, Metadata
        assert time.monotonic() - t0 < 10
        assert len(mock.connections) == 250
        assert mock.wait_for(lambda: all(c["closed"] for c in mock.connections))
