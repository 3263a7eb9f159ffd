"""ws-bridge end to end: real Socket.IO clients (python-socketio from
Debian, the official socket.io-client from npm) through lighttpd and
Apache to ws-bridge, which streams to the Deepgram live mock or to the
local engine; tokens checked against the real database."""

import base64
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import struct
import subprocess
import threading
import time
import uuid

import pytest
import requests
import socketio

from conftest import BUILD, JWT_SECRET, ROOT, free_port

NSP = "/audio-stream"
SDK = os.path.join(ROOT, "tests", "sdk")


@pytest.fixture(scope="module")
def bridge(stack):
    return stack.bridge()


@pytest.fixture(scope="module", autouse=True)
def tagged_transcripts(stack):
    """Every transcript of this module's streams starts with the tag of
    its audio; the shared mock is put back as it was afterwards."""
    stack.deepgram_live.tag_from_audio = True
    yield
    stack.deepgram_live.tag_from_audio = False
    stack.deepgram_live.script = {}


@pytest.fixture(scope="module")
def token(stack):
    email = "ws-%s@example.com" % uuid.uuid4().hex[:8]
    stack.admin("create-user", email, "-P", "enterprise")
    return stack.admin("create-key", email, "-n", "ws").strip()


def node_stream(**opt):
    """Runs the official client (tests/sdk/ws_stream.mjs)."""
    r = subprocess.run(["node", os.path.join(SDK, "ws_stream.mjs"),
                        json.dumps(opt)], capture_output=True, text=True,
                       timeout=120, cwd=SDK)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def tagged_pcm(tag, seconds=2.0):
    n = int(seconds * 16000) * 2
    body = bytes(1 + ((k * 7) % 250) for k in range(n))
    return struct.pack(">I", tag) + body[4:]


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def own_jwt(sub, exp_delta):
    now = int(time.time())
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps({"iss": "trapi", "sub": str(sub), "typ": "access",
                              "iat": now - 7200, "exp": now + exp_delta,
                              "jti": uuid.uuid4().hex}).encode())
    sig = hmac.new(JWT_SECRET.encode(), ("%s.%s" % (head, body)).encode(),
                   hashlib.sha256).digest()
    return "%s.%s.%s" % (head, body, b64url(sig))


class Client:
    """A python-socketio client on /audio-stream that records events."""

    def __init__(self, url, token, transports=None, refusals=None,
                 wait_timeout=10, **query):
        self.events = []
        self.done = threading.Event()
        self.sio = socketio.Client(reconnection=False)
        q = {"lang": "en", "encoding": "linear16", "sample_rate": "16000"}
        q.update(query)
        qs = "&".join("%s=%s" % kv for kv in q.items() if kv[1] is not None)
        for ev in ("transcription", "error", "stream_stopped"):
            self.sio.on(ev, self._handler(ev), namespace=NSP)
        self.sio.on("disconnect", lambda: self.done.set(), namespace=NSP)
        if refusals is not None:
            self.sio.on("connect_error", lambda d=None: refusals.append(d),
                        namespace=NSP)
        self.sio.connect("%s/?%s" % (url, qs), namespaces=[NSP],
                         auth={"token": token} if token is not None else None,
                         transports=transports, wait_timeout=wait_timeout)

    def _handler(self, ev):
        def h(data=None):
            self.events.append((ev, data))
            if ev == "stream_stopped":
                self.done.set()
        return h

    def send(self, audio, chunk=3200, pace=0.0, binary=True):
        for off in range(0, len(audio), chunk):
            piece = audio[off:off + chunk]
            payload = piece if binary else base64.b64encode(piece).decode()
            if self.done.is_set():
                return      # the server ended the stream
            self.sio.emit("audio_chunk", {"audio_chunk": payload}, namespace=NSP)
            if pace:
                time.sleep(pace)

    def stop(self, timeout=15):
        self.sio.emit("stop_streaming", namespace=NSP)
        assert self.done.wait(timeout), self.events

    def transcripts(self):
        return [d for e, d in self.events if e == "transcription"]

    def close(self):
        self.sio.disconnect()


class _Refusals(list):
    """Keeps when the first CONNECT_ERROR came (the client itself gives
    up only after its wait_timeout)."""

    def __init__(self):
        super().__init__()
        self.t0 = time.time()
        self.seconds = None

    def append(self, x):
        if self.seconds is None:
            self.seconds = time.time() - self.t0
        super().append(x)


def refused(url, token, timing=None, **query):
    """The CONNECT_ERROR message a connection gets; with a list as
    timing, how many seconds it took is appended to it."""
    why = _Refusals()
    with pytest.raises(socketio.exceptions.ConnectionError):
        Client(url, token, transports=["websocket"], refusals=why,
               wait_timeout=4, **query)
    assert why and isinstance(why[0], dict), why
    if timing is not None:
        timing.append(why.seconds)
    return why[0]["message"]


def mock_wait(predicate, timeout=5.0):
    end = time.time() + timeout
    while not predicate():
        if time.time() > end:
            return False
        time.sleep(0.02)
    return True


def mock_results(conn):
    """The Results the mock sent with a transcript, in order."""
    out = []
    for m in conn["sent"]:
        o = json.loads(m)
        if o.get("type") == "Results":
            alt = o["channel"]["alternatives"][0]
            if alt["transcript"]:
                out.append({"transcript": alt["transcript"],
                            "is_final": o["is_final"],
                            "confidence": alt["confidence"]})
    return out


def conn_with_tag(mock, tag):
    hextag = "%08x" % tag
    for c in reversed(list(mock.connections)):
        if c["audio"][:4].hex() == hextag:
            return c
    return None


def usage_rows(stack, token):
    prefix = token[:12]
    return stack.pg.psql(
        "SELECT u.service, u.audio_duration_seconds, u.status FROM usage_logs u"
        " JOIN api_keys k ON k.user_id = u.user_id WHERE k.key_prefix = '%s'"
        " AND u.endpoint = '/audio-stream' ORDER BY u.id" % prefix)


@pytest.mark.parametrize("kind", ["lighttpd", "apache-fcgid"])
def test_python_client_streams_through_web_server(stack, bridge, token, kind):
    """Default python-socketio transports (polling, then upgrade), via
    the web server's proxy: transcripts relayed exactly and in order."""
    srv = stack.server(kind)
    tag = 0x2a000000 + (1 if kind == "lighttpd" else 2)
    c = Client(srv.url, token)
    try:
        assert c.sio.transport() in ("polling", "websocket")
        c.send(tagged_pcm(tag), pace=0.01)
        c.stop()
        assert c.sio.transport() == "websocket"
    finally:
        c.close()
    conn = stack.deepgram_live.wait_for(
        lambda: (lambda x: x if x and x["closed"] else None)(
            conn_with_tag(stack.deepgram_live, tag)), timeout=10)
    assert conn, "the mock saw no stream with our audio"
    q = conn["query"]
    assert q["model"] == "nova-2" and q["language"] == "en"
    assert q["interim_results"] == "true"
    assert q["encoding"] == "linear16" and q["sample_rate"] == "16000"
    assert conn["headers"]["authorization"] == "Token " + stack.deepgram_live.key
    assert conn["audio_bytes"] == 64000
    assert {"type": "CloseStream"} in [t if isinstance(t, dict) else json.loads(t) for t in conn["text_frames"]]
    got = c.transcripts()
    want = mock_results(conn)
    assert got == want
    assert any(t["is_final"] for t in got) and any(not t["is_final"] for t in got)
    assert all(t["transcript"].startswith("id%08x" % tag) for t in got)
    stopped = [d for e, d in c.events if e == "stream_stopped"]
    assert stopped and abs(stopped[0]["audio_seconds"] - 2.0) < 0.01


def test_official_js_client_defaults(stack, bridge, token):
    """socket.io-client with its defaults: polling, then the upgrade."""
    srv = stack.server("lighttpd")
    res = node_stream(url=srv.url, token=token, clients=1, seconds=1.5,
                      pace_ms=20)
    r = res[0]
    assert "connect_error" not in r, r
    assert r["transport"] == "polling" and r["upgraded"] == "websocket"
    conn = conn_with_tag(stack.deepgram_live, 0x10000000)
    assert conn is not None
    stack.deepgram_live.wait_for(lambda: conn["closed"], timeout=10)
    got = [e["data"] for e in r["events"] if e["event"] == "transcription"]
    assert got == mock_results(conn) and got
    assert r["events"][-1]["event"] == "stream_stopped"


def test_base64_chunks(stack, bridge, token):
    c = Client(bridge.url, token, transports=["websocket"])
    tag = 0x2b000001
    try:
        c.send(tagged_pcm(tag, 1.0), binary=False)
        c.stop()
    finally:
        c.close()
    conn = conn_with_tag(stack.deepgram_live, tag)
    assert conn is not None and conn["audio_bytes"] == 32000
    assert c.transcripts()


def test_refusals(stack, bridge, token):
    url = bridge.url
    assert "authentication required" in refused(url, None)
    assert "invalid API key" in refused(url, "trk_" + "x" * 40)
    assert "invalid" in refused(url, "not-a-token")
    uid = stack.pg.psql("SELECT user_id FROM api_keys WHERE key_prefix = '%s'"
                        % token[:12])[0][0]
    assert "expired" in refused(url, own_jwt(uid, -3600)).lower()
    assert "Unsupported language" in refused(url, token, lang="xx")
    assert "Unsupported encoding" in refused(url, token, encoding="mp9")
    # An own access token that is still valid is accepted.
    c = Client(url, own_jwt(uid, 3600), transports=["websocket"])
    c.close()


def test_unknown_namespace(bridge, token):
    """The bridge is up and says why: a refusal that is only a failed
    connection would pass as well with no bridge at all."""
    assert bridge.proc.poll() is None, "the bridge is not running"
    why = []
    sio = socketio.Client(reconnection=False)
    sio.on("connect_error", lambda d=None: why.append(d), namespace="/nope")
    with pytest.raises(socketio.exceptions.ConnectionError):
        sio.connect(bridge.url, namespaces=["/nope"], auth={"token": token},
                    transports=["websocket"], wait_timeout=5)
    assert why == [{"message": "Invalid namespace"}], why


def test_languages(stack, bridge, token):
    for i, lang in enumerate(("it", "pt-BR", "ja")):
        c = Client(bridge.url, token, transports=["websocket"], lang=lang)
        tag = 0x2c000000 + i
        try:
            c.send(tagged_pcm(tag, 0.5))
            c.stop()
        finally:
            c.close()
        conn = conn_with_tag(stack.deepgram_live, tag)
        assert conn["query"]["language"] == lang


@pytest.mark.parametrize("script, seconds, want", [
    # Deepgram closes mid-stream with an error code.
    ({"fail_after_frames": 5, "close_code": 1011, "close_reason": "NET-0000"},
     1.5, ("1011", "NET-0000")),
    # The TCP connection drops without a close frame.
    ({"drop_after_frames": 3}, 1.0, ("lost the connection",)),
    # Deepgram takes the audio and never answers.
    ({"silent": True}, 0.5, ("not answering",)),
], ids=["close-1011", "drop", "never-answers"])
def test_upstream_failure(stack, bridge, token, script, seconds, want):
    """An upstream failure reaches the client as an error event with the
    reason, within the upstream timeout, and ends the stream."""
    mock = stack.deepgram_live
    mock.script = script
    try:
        c = Client(bridge.url, token, transports=["websocket"])
        t0 = time.time()
        if seconds:
            c.send(tagged_pcm(0x2d000000 + len(mock.connections), seconds),
                   pace=0.02 if seconds > 0.5 else 0)
        assert c.done.wait(10)
        errs = [d["message"] for e, d in c.events if e == "error"]
        assert errs and all(w in errs[0] for w in want), errs
        assert time.time() - t0 < 8
        c.close()
        assert mock_wait(lambda: re.search(
            r"ended \(upstream error: [^)]*%s" % re.escape(want[0]),
            bridge.log()))
    finally:
        mock.script = {}


@pytest.mark.parametrize("status", [401, 429, 500])
def test_upstream_refusal_is_a_connect_error(stack, bridge, token, status):
    """Deepgram refusing the stream: the connection is refused with the
    status, at once, and nothing is billed."""
    mock = stack.deepgram_live
    before = len(usage_rows(stack, token))
    mock.script = {"handshake": status}
    try:
        took = []
        msg = refused(bridge.url, token, timing=took)
        assert msg == "Deepgram refused the stream (HTTP %d)" % status
        assert took[0] < 2
    finally:
        mock.script = {}
    time.sleep(0.3)
    assert len(usage_rows(stack, token)) == before


def test_abrupt_disconnect_cleans_up(stack, bridge, token):
    """A client killed mid-stream: the upstream is closed and the stream
    billed for the audio it sent."""
    before = len(usage_rows(stack, token))
    code = (
        "import socketio, struct, time, os\n"
        "s = socketio.Client(reconnection=False)\n"
        "s.connect(%r + '/?lang=en&encoding=linear16&sample_rate=16000',"
        " namespaces=['/audio-stream'], auth={'token': %r},"
        " transports=['websocket'])\n"
        "a = struct.pack('>I', 0x2e000001) + bytes(1 + k %% 200 for k in range(31996))\n"
        "s.emit('audio_chunk', {'audio_chunk': a}, namespace='/audio-stream')\n"
        "time.sleep(0.5)\n"
        "print('sent', flush=True)\n"
        "time.sleep(60)\n" % (bridge.url, token))
    p = subprocess.Popen(["/usr/bin/python3", "-c", code], stdout=subprocess.PIPE,
                         text=True)
    assert p.stdout.readline().strip() == "sent"
    p.kill()
    p.wait()
    conn = stack.deepgram_live.wait_for(
        lambda: (lambda x: x if x and x["closed"] else None)(
            conn_with_tag(stack.deepgram_live, 0x2e000001)), timeout=10)
    assert conn and conn["audio_bytes"] == 32000
    rows = []
    end = time.time() + 10
    while time.time() < end and len(rows) <= before:
        rows = usage_rows(stack, token)
        time.sleep(0.1)
    assert len(rows) == before + 1
    assert rows[-1][0] == "deepgram" and abs(float(rows[-1][1]) - 1.0) < 0.01


def test_usage_row_per_stream(stack, bridge, token):
    before = len(usage_rows(stack, token))
    c = Client(bridge.url, token, transports=["websocket"])
    c.send(tagged_pcm(0x2f000001, 1.0))
    c.stop()
    c.close()
    end = time.time() + 10
    rows = usage_rows(stack, token)
    while time.time() < end and len(rows) <= before:
        time.sleep(0.1)
        rows = usage_rows(stack, token)
    assert len(rows) == before + 1
    assert rows[-1][0] == "deepgram" and rows[-1][2] == "success"
    assert abs(float(rows[-1][1]) - 1.0) < 0.01


def raw_ws(bridge):
    import websocket  # websocket-client, python-engineio's own
    ws = websocket.create_connection(
        "ws://127.0.0.1:%d/socket.io/?EIO=4&transport=websocket" % bridge.port,
        timeout=10)
    assert ws.recv().startswith('0{"sid":')
    return ws


def closed(ws):
    import websocket
    try:
        while True:
            op, data = ws.recv_data(control_frame=True)
            if op == websocket.ABNF.OPCODE_CLOSE:
                return True
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        return True
    except websocket.WebSocketTimeoutException:
        return False


@pytest.mark.parametrize("bad", ["4abc", "42{}", "42abc[\"x\"]", "9", "",
                                 "451-[\"audio_chunk\"]"])
def test_malformed_packet_closes_only_that_connection(stack, bridge, token, bad):
    c = Client(bridge.url, token, transports=["websocket"])
    try:
        ws = raw_ws(bridge)
        ws.send(bad)
        if bad.startswith("451-"):
            ws.send("42[\"not an attachment\"]")
        assert closed(ws)
        c.send(tagged_pcm(0x30000001, 0.5))
        c.stop()
        assert c.transcripts()
    finally:
        c.close()


def test_oversized_message_closes_connection(bridge):
    ws = raw_ws(bridge)
    ws.send("4" + "x" * 1100000)
    assert closed(ws)


def test_never_connecting_client_is_closed(stack, token):
    b = stack.bridge("bridge-fast", WS_PING_INTERVAL="300",
                     WS_PING_TIMEOUT="200", WS_CONNECT_TIMEOUT="1000")
    ws = raw_ws(b)
    t0 = time.time()
    assert closed(ws)
    assert time.time() - t0 < 3


def test_local_engine_streams_speech(stack, token, speech):
    """The local engine: flite speech in real-time-sized chunks, interim
    and final transcripts with the key words."""
    b = stack.bridge("bridge-local", STREAM_ENGINE="local",
                     DEEPGRAM_API_KEY=None)
    pcm = os.path.join(stack.base, "speech.raw")
    subprocess.run(["sox", speech[0], "-r", "16000", "-c", "1", "-b", "16",
                    "-e", "signed-integer", "-t", "raw", pcm, "pad", "0", "1"],
                   check=True)
    with open(pcm, "rb") as f:
        hear_speech(b, token, f.read(), chunk=3200, pace=0.02)
    assert "refused" not in b.log()


def hear_speech(bridge, token, audio, chunk, pace, **query):
    """Streams flite's speech to the local engine: interim transcripts,
    then finals with its key words.  Returns the client."""
    c = Client(bridge.url, token, transports=["websocket"], **query)
    try:
        c.send(audio, chunk=chunk, pace=pace)
        c.stop(timeout=30)
    finally:
        c.close()
    got = c.transcripts()
    finals = " ".join(t["transcript"] for t in got if t["is_final"])
    assert "hello" in finals or "test" in finals, got
    assert any(not t["is_final"] for t in got)
    # A final's confidence is its words' mean posterior, in [0, 1] and
    # far from 0 for clear speech; an interim has none rather than 0.
    for t in got:
        if t["is_final"]:
            assert 0.2 <= t["confidence"] <= 1, t
        else:
            assert "confidence" not in t, t
    return c


@pytest.mark.parametrize("fmt", ["webm", "ogg", "mp3"])
def test_local_engine_container_audio(stack, token, speech, fmt):
    """No encoding in the query, as the seed's clients send
    MediaRecorder's webm/opus (or ogg, mp3): the local engine decodes it
    through ffmpeg as it comes, with interim and final transcripts."""
    b = stack.bridge("bridge-local", STREAM_ENGINE="local",
                     DEEPGRAM_API_KEY=None)
    path = os.path.join(stack.base, "speech." + fmt)
    codec = ["-c:a", "libmp3lame"] if fmt == "mp3" else \
        ["-c:a", "libopus", "-b:a", "32k"]
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i",
                    speech[0], "-af", "apad=pad_dur=1"] + codec + [path],
                   check=True)
    with open(path, "rb") as f:
        c = hear_speech(b, token, f.read(), chunk=2000, pace=0.05,
                        encoding=None, sample_rate=None)
    assert not [d for e, d in c.events if e == "error"]
    # Billed for the audio decoded, though it came ten times faster than
    # real time.
    secs = float(subprocess.run(["soxi", "-D", speech[0]], check=True,
                                capture_output=True, text=True).stdout) + 1
    stopped = [d for e, d in c.events if e == "stream_stopped"]
    assert stopped and abs(stopped[0]["audio_seconds"] - secs) < 0.15, \
        (stopped, secs)
    # Shown to the millisecond, never as 6.964999999999994.
    assert stopped[0]["audio_seconds"] == round(stopped[0]["audio_seconds"], 3)
    assert mock_wait(lambda: not children(b)), "ffmpeg left running"


def children(bridge):
    """The pids of the bridge's child processes."""
    r = subprocess.run(["pgrep", "-P", str(bridge.proc.pid)],
                       capture_output=True, text=True)
    return r.stdout.split()


def test_local_engine_undecodable_audio(stack, token):
    """Bytes that are no audio at all: an error event that says so, and
    the stream ends; the engine takes the next stream."""
    b = stack.bridge("bridge-local", STREAM_ENGINE="local",
                     DEEPGRAM_API_KEY=None)
    c = Client(b.url, token, transports=["websocket"], encoding=None,
               sample_rate=None)
    try:
        c.send(b"this is not audio at all " * 4000, chunk=4000)
        c.stop(timeout=30)
    finally:
        c.close()
    errs = [d["message"] for e, d in c.events if e == "error"]
    assert errs == ["the audio could not be decoded"], c.events
    assert not c.transcripts()
    assert mock_wait(lambda: not children(b)), "ffmpeg left running"
    # A client that leaves mid-stream takes its ffmpeg with it.
    c = Client(b.url, token, transports=["websocket"], encoding=None,
               sample_rate=None)
    c.send(b"\x1aE\xdf\xa3" + b"\0" * 100)
    assert mock_wait(lambda: children(b))
    c.close()
    assert mock_wait(lambda: not children(b)), "ffmpeg left running"


def test_local_engine_refuses_what_it_cannot_do(stack, token):
    b = stack.bridge("bridge-local", STREAM_ENGINE="local",
                     DEEPGRAM_API_KEY=None)
    assert "English only" in refused(b.url, token, lang="it")
    assert "16000 Hz" in refused(b.url, token, sample_rate="44100")
    assert "16000 Hz" in refused(b.url, token, encoding="mulaw")


def test_sigterm_finishes_streams(stack, token):
    b = stack.bridge("bridge-term")
    c = Client(b.url, token, transports=["websocket"])
    c.send(tagged_pcm(0x31000001, 1.0))
    time.sleep(0.3)
    assert b.stop() == 0
    assert c.done.wait(10)
    kinds = [e for e, d in c.events]
    assert "error" in kinds and "stream_stopped" in kinds
    msgs = [d["message"] for e, d in c.events if e == "error"]
    assert "server shutting down" in msgs
    c.close()
    assert re.search(r"ended \(shutdown\), 1\.000 s of audio", b.log())


def test_plan_concurrency_limit(stack, bridge):
    """A free-plan user has 2 streams at once; the third is refused and
    a slot comes back when a stream ends."""
    email = "ws-free-%s@example.com" % uuid.uuid4().hex[:8]
    stack.admin("create-user", email, "-P", "free")
    key = stack.admin("create-key", email).strip()
    a = Client(bridge.url, key, transports=["websocket"])
    b = Client(bridge.url, key, transports=["websocket"])
    assert "too many transcriptions" in refused(bridge.url, key)
    a.close()
    end = time.time() + 10
    while True:
        try:
            c = Client(bridge.url, key, transports=["websocket"])
            break
        except socketio.exceptions.ConnectionError:
            assert time.time() < end
            time.sleep(0.2)
    c.close()
    b.close()
    # Three streams were opened, one was refused: three usage rows.
    end = time.time() + 10
    while len(usage_rows(stack, key)) < 3 and time.time() < end:
        time.sleep(0.1)
    time.sleep(0.5)
    assert len(usage_rows(stack, key)) == 3


def test_concurrent_streams_no_mixups(stack, bridge):
    """200 streams at once against the Deepgram mock: every message
    arrives, in order, at the client whose audio it came from."""
    stack.pg.psql("INSERT INTO plans VALUES ('e2e-load', 100000, 1000, 600000)"
                  " ON CONFLICT DO NOTHING")
    email = "ws-load-%s@example.com" % uuid.uuid4().hex[:8]
    stack.admin("create-user", email, "-P", "e2e-load")
    token = stack.admin("create-key", email).strip()
    n = 200
    res = node_stream(url=bridge.url, token=token, clients=n, seconds=1.0,
                      tag_base=0x50000000,
                      pace_ms=100, transports=["websocket"], timeout_ms=30000)
    assert len(res) == n
    for r in res:
        assert "connect_error" not in r, r
        tag = int(r["tag"], 16)
        conn = conn_with_tag(stack.deepgram_live, tag)
        assert conn is not None, r["tag"]
        got = [e["data"] for e in r["events"] if e["event"] == "transcription"]
        assert got == mock_results(conn), r["tag"]
        assert got and all(t["transcript"].startswith("id" + r["tag"])
                           for t in got)


@pytest.mark.parametrize("kind", ["lighttpd", "apache-fcgid", "apache-cgi"])
def test_caption_page_served(stack, kind):
    srv = stack.server(kind)
    r = srv.get("/live/")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert "socket.io.min.js" in r.text
    r = srv.get("/live/socket.io.min.js")
    assert r.status_code == 200 and "javascript" in r.headers["Content-Type"]
    assert len(r.content) > 10000
    # The address without its slash leads to the page.
    r = srv.get("/live", allow_redirects=False)
    assert r.status_code == 301
    assert r.headers["Location"].endswith("/live/")
    assert srv.get("/live").url.endswith("/live/")


@pytest.mark.parametrize("kind", ["lighttpd", "apache-fcgid", "apache-cgi"])
def test_socketio_handshake_through_proxy(stack, bridge, kind):
    srv = stack.server(kind)
    r = srv.get("/socket.io/?EIO=4&transport=polling")
    assert r.status_code == 200 and r.text.startswith('0{"sid":')
    r = srv.get("/socket.io/?EIO=3&transport=polling")
    assert r.status_code == 400
    assert r.json() == {"code": 5, "message": "Unsupported protocol version"}


def test_auth0_token(stack, bridge):
    """An Auth0 access token is checked first (RS256 against the JWKS);
    its subject gets a users row and the stream's usage."""
    tok = stack.auth0.token(aud=stack.auth0.audience)
    c = Client(bridge.url, tok, transports=["websocket"])
    c.send(tagged_pcm(0x33000001, 0.5))
    c.stop()
    c.close()
    assert c.transcripts()
    bad = stack.auth0.token(aud="https://someone-else.example.com")
    assert "aud" in refused(bridge.url, bad).lower() or \
        "audience" in refused(bridge.url, bad).lower()


def test_slow_auth0_keys_do_not_hold_up_other_connects(stack, token):
    """Token checks run on several database threads: while a fresh
    bridge waits 3 s for Auth0's keys, an API key connects at once."""
    b = stack.bridge("bridge-slow-jwks")
    a0 = stack.auth0
    a0.jwks_delay = 3.0
    try:
        slow = {}

        def auth0_client():
            t0 = time.time()
            c = Client(b.url, a0.token(aud=a0.audience),
                       transports=["websocket"])
            slow["seconds"] = time.time() - t0
            c.close()
        th = threading.Thread(target=auth0_client)
        th.start()
        time.sleep(0.3)
        t0 = time.time()
        c = Client(b.url, token, transports=["websocket"])
        fast = time.time() - t0
        c.close()
        th.join(15)
        assert slow.get("seconds", 0) >= 2.5, slow
        assert fast < 1.5, fast
    finally:
        a0.jwks_delay = 0.0


def test_keepalive_while_client_is_quiet(stack, bridge, token):
    """A client that pauses: ws-bridge keeps Deepgram's connection with
    KeepAlive messages, then the stream goes on."""
    tag = 0x34000001
    c = Client(bridge.url, token, transports=["websocket"])
    try:
        c.send(tagged_pcm(tag, 0.3))
        conn = stack.deepgram_live.wait_for(
            lambda: conn_with_tag(stack.deepgram_live, tag), timeout=5)
        assert stack.deepgram_live.wait_for(
            lambda: any((t if isinstance(t, dict) else json.loads(t))
                        .get("type") == "KeepAlive"
                        for t in conn["text_frames"]), timeout=8)
        c.send(tagged_pcm(tag, 0.3))
        c.stop()
    finally:
        c.close()
    assert conn["audio_bytes"] == 2 * 9600


def test_idle_and_stream_limits(stack, token):
    b = stack.bridge("bridge-limits", WS_IDLE_TIMEOUT="1", WS_MAX_STREAMS="1")
    c = Client(b.url, token, transports=["websocket"])
    try:
        assert "too many streams" in refused(b.url, token)
        t0 = time.time()
        assert c.done.wait(5)
        assert time.time() - t0 < 4
        msgs = [d["message"] for e, d in c.events if e == "error"]
        assert msgs and "no audio" in msgs[0]
        assert "ended (idle timeout), 0.000 s of audio" in b.log()
    finally:
        c.close()


@pytest.fixture(scope="module")
def test_ca(stack):
    """A throw-away CA and two server certificates signed by it: one for
    localhost, one for another name."""
    d = os.path.join(stack.base, "tls")
    os.makedirs(d)

    def openssl(*args):
        subprocess.run(["openssl"] + list(args), cwd=d, check=True,
                       capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=trapi test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign")
    for name, host in (("localhost", "localhost"), ("other", "deepgram.invalid")):
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write("subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n" % host)
        openssl("req", *ec, "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=" + host)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
                "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                "-out", name + ".pem", "-extfile", name + ".ext")
    return d


@pytest.fixture(scope="module")
def tls_mocks(test_ca):
    """Deepgram live over wss://, with a certificate for localhost and with
    one for another name."""
    import ssl
    from deepgram_live import DeepgramLiveMock
    mocks = {}
    for name in ("localhost", "other"):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(test_ca, name + ".pem"),
                            os.path.join(test_ca, name + ".key"))
        mocks[name] = DeepgramLiveMock("dg-tls-key-0123456789",
                                       tag_from_audio=True,
                                       ssl_context=ctx).start()
    yield mocks
    for m in mocks.values():
        m.close()


@pytest.mark.parametrize("trust", ["setting", "system-store"])
def test_deepgram_over_tls(stack, token, test_ca, tls_mocks, trust):
    """wss:// as in production: the certificate is checked against
    DEEPGRAM_CA_FILE, or against OpenSSL's default store (here pointed at
    the test CA by SSL_CERT_FILE, as the system's would hold Deepgram's);
    the stream works and the transcripts are relayed exactly."""
    mock = tls_mocks["localhost"]
    ca = os.path.join(test_ca, "ca.pem")
    settings = {"DEEPGRAM_CA_FILE": ca} if trust == "setting" else {}
    env = {"SSL_CERT_FILE": ca} if trust == "system-store" else {}
    b = stack.bridge("bridge-tls-" + trust, DEEPGRAM_API_KEY=mock.key,
                     DEEPGRAM_BASE_URL=mock.base_url, env=env, **settings)
    tag = 0x40000000 + (1 if trust == "setting" else 2)
    c = Client(b.url, token, transports=["websocket"])
    try:
        c.send(tagged_pcm(tag, 1.0), pace=0.01)
        c.stop()
    finally:
        c.close()
    conn = mock.wait_for(lambda: (lambda x: x if x and x["closed"] else None)(
        conn_with_tag(mock, tag)), timeout=10)
    assert conn, "the TLS mock saw no stream with our audio"
    assert conn["tls"] in ("TLSv1.2", "TLSv1.3")
    assert conn["sni"] == "localhost"
    assert conn["headers"]["authorization"] == "Token " + mock.key
    assert conn["audio_bytes"] == 32000
    got = c.transcripts()
    assert got and got == mock_results(conn)
    assert not [d for e, d in c.events if e == "error"]


@pytest.mark.parametrize("case", ["untrusted", "wrong-name"])
def test_deepgram_tls_refuses_bad_certificate(stack, token, test_ca,
                                              tls_mocks, case):
    """A certificate from an unknown CA, or one for another host name:
    Deepgram's connection is refused before the key is sent, and so is
    the client's, at once."""
    mock = tls_mocks["localhost" if case == "untrusted" else "other"]
    settings = {} if case == "untrusted" else \
        {"DEEPGRAM_CA_FILE": os.path.join(test_ca, "ca.pem")}
    b = stack.bridge("bridge-tls-" + case, DEEPGRAM_API_KEY=mock.key,
                     DEEPGRAM_BASE_URL=mock.base_url, **settings)
    before = len(mock.handshakes)
    took = []
    assert refused(b.url, token, timing=took) == "cannot connect to Deepgram"
    assert took[0] < 2
    assert len(mock.handshakes) == before, "the key went to a server " \
        "whose certificate was not checked"
    assert "deepgram: connection failed" in b.log()


def test_unreadable_ca_file_refuses_to_start(stack):
    conf = stack.write_config(os.path.join(stack.base, "bad-ca.conf"),
                              DEEPGRAM_API_KEY="k", DEEPGRAM_CA_FILE=
                              os.path.join(stack.base, "no-such-ca.pem"))
    r = subprocess.run([os.path.join(BUILD, "ws-bridge", "ws-bridge"), "-p",
                        "1"], env=dict(os.environ, APP_CONFIG=conf),
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1
    assert "DEEPGRAM_CA_FILE" in r.stderr and "No such file" in r.stderr


def test_client_that_stops_reading_is_dropped(stack, token):
    """WS_QUEUE_MAX: a client that sends audio but never reads its
    transcripts is dropped once its queue is full, its upstream closed and
    its stream billed; another client of the same bridge goes on."""
    import websocket
    from deepgram_live import DeepgramLiveMock
    # About 10 MB of transcripts for 30 s of audio: more than the kernel's
    # socket buffers hold.
    words = ["w%d%s" % (i, "x" * 5000) for i in range(6)]
    with DeepgramLiveMock("dg-big-key-0123456789", words=words,
                          tick_seconds=0.05, tag_from_audio=True) as mock:
        b = stack.bridge("bridge-queue", DEEPGRAM_API_KEY=mock.key,
                         DEEPGRAM_BASE_URL=mock.base_url,
                         WS_QUEUE_MAX="65536", WS_MAX_PAYLOAD="32768")
        before = len(usage_rows(stack, token))
        ws = websocket.create_connection(
            "ws://127.0.0.1:%d/socket.io/?EIO=4&transport=websocket&lang=en"
            "&encoding=linear16&sample_rate=16000" % b.port, timeout=10,
            sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
        assert ws.recv().startswith('0{"sid":')
        ws.send('40/audio-stream,{"token":"%s"}' % token)
        assert ws.recv().startswith('40/audio-stream,{"sid":')
        tag = 0x42000001
        audio = tagged_pcm(tag, 30.0)
        other = Client(b.url, token, transports=["websocket"])
        # Never read again: only send, until the bridge gives up on us.
        sent = 0
        try:
            for off in range(0, len(audio), 6400):
                ws.send('42/audio-stream,["audio_chunk",{"audio_chunk":"%s"}]'
                        % base64.b64encode(audio[off:off + 6400]).decode())
                sent += 6400
                if "does not keep up" in b.log():
                    break
                time.sleep(0.005)
        except (websocket.WebSocketException, ConnectionError):
            pass
        assert mock.wait_for(lambda: "does not keep up" in b.log(), timeout=10)
        conn = mock.wait_for(lambda: (lambda x: x if x and x["closed"] else
                                      None)(conn_with_tag(mock, tag)),
                             timeout=10)
        assert conn, "the dropped client's upstream was not closed"
        assert closed(ws)
        # The other client of the bridge is unaffected.
        try:
            other.send(tagged_pcm(0x42000002, 0.5))
            other.stop()
            assert other.transcripts()
        finally:
            other.close()
        rows = mock.wait_for(lambda: (lambda r: r if len(r) >= before + 2
                                      else None)(usage_rows(stack, token)),
                             timeout=10)
        assert rows and len(rows) == before + 2
        secs = sorted(float(r[1]) for r in rows[before:])
        assert abs(secs[0] - 0.5) < 0.01
        # Billed: what the bridge took from the client, which may be a
        # little more than reached Deepgram before the drop.
        assert conn["audio_bytes"] / 32000.0 - 0.01 <= secs[1] <= \
            sent / 32000.0 + 0.01
        b.stop()


def test_session_token_only_when_allowed(stack, bridge):
    """A database session (/mobile-auth/login) streams only through a
    bridge with ALLOW_INSECURE_SESSION_AUTH, as on the REST side."""
    email = "ws-sess-%s@example.com" % uuid.uuid4().hex[:8]
    stack.admin("create-user", email, "-p", "s3cretpass", "-P", "enterprise")
    srv = stack.extra_server("ws-sessions", ALLOW_INSECURE_SESSION_AUTH="true")
    r = srv.request("POST", "/mobile-auth/login",
                    json={"email": email, "password": "s3cretpass"})
    assert r.status_code == 200, r.text
    tok = r.json()["session_token"]
    assert "session tokens are not accepted" in refused(bridge.url, tok)
    b = stack.bridge("bridge-sessions", ALLOW_INSECURE_SESSION_AUTH="true")
    assert "invalid" in refused(b.url, tok[:-4] + "xxxx")
    c = Client(b.url, tok, transports=["websocket"])
    try:
        c.send(tagged_pcm(0x43000001, 0.5))
        c.stop()
    finally:
        c.close()
    assert c.transcripts()
    rows = stack.pg.psql(
        "SELECT u.audio_duration_seconds FROM usage_logs u JOIN users s"
        " ON s.id = u.user_id WHERE s.email = '%s'"
        " AND u.endpoint = '/audio-stream'" % email)
    assert len(rows) == 1 and abs(float(rows[0][0]) - 0.5) < 0.01


def test_finished_streams_leave_no_trace(stack, token):
    """WS_MAX_STREAMS counts open streams only: streams stopped normally,
    then disconnected, make room for the next, one after another; and
    SIGTERM has nothing left to wait for."""
    b = stack.bridge("bridge-one", WS_MAX_STREAMS="1", WS_SHUTDOWN_GRACE="10000")
    for i in range(3):
        c = Client(b.url, token, transports=["websocket"])
        try:
            c.send(tagged_pcm(0x44000000 + i, 0.3))
            c.stop()
            assert c.transcripts()
        finally:
            c.close()
        time.sleep(0.2)
    t0 = time.time()
    assert b.stop() == 0
    assert time.time() - t0 < 3
    assert "finishing 0 streams" in b.log()


def test_upstream_that_never_upgrades(stack, token):
    """A Deepgram that takes the TCP connection but never answers the
    upgrade: the client is refused within the upstream timeout; clients
    leaving while it is opened free their upstream; SIGTERM with one
    still waiting refuses it and exits with nothing left behind."""
    lsn = socket.socket()
    lsn.bind(("127.0.0.1", 0))
    lsn.listen(16)
    held = []

    def hold():
        while True:
            try:
                held.append(lsn.accept()[0])
            except OSError:
                return
    threading.Thread(target=hold, daemon=True).start()
    try:
        b = stack.bridge("bridge-mute", DEEPGRAM_BASE_URL="http://127.0.0.1:%d"
                         % lsn.getsockname()[1], WS_UPSTREAM_TIMEOUT="1")
        took = []
        assert refused(b.url, token, timing=took) == \
            "Deepgram did not accept the stream in time"
        assert 0.9 < took[0] < 3
        for _ in range(3):
            ws = raw_ws(b)
            ws.send('40/audio-stream,{"token":"%s"}' % token)
            time.sleep(0.2)
            ws.close()
        ws = raw_ws(b)
        ws.send('40/audio-stream,{"token":"%s"}' % token)
        assert mock_wait(lambda: len(held) >= 5)
        assert b.stop() == 0
        assert ws.recv() == \
            '44/audio-stream,{"message":"server shutting down"}'
        assert "left at exit" not in b.log(), b.log()
    finally:
        lsn.close()
        for s in held:
            s.close()


def test_usage_row_survives_database_outage(stack, bridge, token):
    """The database goes away mid-stream: the stream goes on, its usage
    row is spooled when it ends, and lands exactly once when the
    database is back (any API request replays the spool)."""
    before = len(usage_rows(stack, token))
    c = Client(bridge.url, token, transports=["websocket"])
    tag = 0x46000001
    stack.pg.stop()
    try:
        c.send(tagged_pcm(tag, 1.0), pace=0.01)
        c.stop()
        assert c.transcripts()
        c.close()
        assert mock_wait(lambda: "spooled" in bridge.log(), timeout=10)
    finally:
        stack.pg.start()
    srv = stack.server("lighttpd")
    rows = []
    end = time.time() + 10
    while time.time() < end and len(rows) <= before:
        srv.get("/health")
        rows = usage_rows(stack, token)
        time.sleep(0.2)
    assert len(rows) == before + 1
    assert rows[-1][0] == "deepgram" and abs(float(rows[-1][1]) - 1.0) < 0.01
    srv.get("/health")
    time.sleep(0.3)
    assert len(usage_rows(stack, token)) == before + 1
    # The bridge is back on the database too: a new stream is accepted.
    c = Client(bridge.url, token, transports=["websocket"])
    try:
        c.send(tagged_pcm(tag + 1, 0.3))
        c.stop()
    finally:
        c.close()


def listeners(port):
    """The addresses a TCP socket listens on at port, from /proc/net."""
    out = set()
    for name, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        with open(os.path.join("/proc/net", name)) as f:
            next(f)
            for line in f:
                local, state = line.split()[1], line.split()[3]
                addr, _, hexport = local.partition(":")
                if state != "0A" or int(hexport, 16) != port:
                    continue
                raw = b"".join(struct.pack("<I", int(addr[i:i + 8], 16))
                               for i in range(0, len(addr), 8))
                out.add(socket.inet_ntop(family, raw))
    return out


def wait_listening(port, proc=None, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("server exited with %d" % proc.returncode)
        if listeners(port):
            return
        time.sleep(0.05)
    raise RuntimeError("port %d did not open" % port)


def bridge_on(stack, monkeypatch, name, *args):
    """A ws-bridge started with args (-h ...), waited for in /proc/net
    rather than by connecting to 127.0.0.1."""
    import conftest
    monkeypatch.setattr(conftest, "wait_port", wait_listening)
    return stack.bridge(name, args=list(args))


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_listens_on_the_configured_address_only(stack, monkeypatch, host):
    """-h 127.0.0.1 (the default) is 127.0.0.1 alone, not every
    interface; -h ::1 is ::1 alone; the log says where it listens."""
    b = bridge_on(stack, monkeypatch, "bridge-at-" + host, "-h", host)
    assert listeners(b.port) == {host}
    shown = "[%s]" % host if ":" in host else host
    # The line follows the bind (later still under valgrind).
    line = "listening on %s:%d " % (shown, b.port)
    assert mock_wait(lambda: line in b.log(), 30), b.log()
    assert b.stop() == 0


def test_protocol_test_mode_listens_everywhere(stack, monkeypatch):
    """-t -h '*': every address, dual-stack."""
    b = bridge_on(stack, monkeypatch, "bridge-star", "-t", "-h", "*")
    assert listeners(b.port) == {"::"}
    line = "listening on [::]:%d " % b.port
    assert mock_wait(lambda: line in b.log(), 30), b.log()
    assert b.stop() == 0


@pytest.mark.parametrize("host", ["no such host", "300.1.2.3", ""])
def test_bad_listen_address_refuses_to_start(stack, host):
    conf = stack.write_config(os.path.join(stack.base, "bad-host.conf"),
                              DEEPGRAM_API_KEY="k")
    r = subprocess.run([os.path.join(BUILD, "ws-bridge", "ws-bridge"), "-h",
                        host, "-p", str(free_port())],
                       env=dict(os.environ, APP_CONFIG=conf),
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1
    assert "-h or WS_BRIDGE_HOST '%s' is not an address" % host in r.stderr
    assert "listening" not in r.stderr


@pytest.mark.parametrize("env", ["prod", "production "])
def test_unknown_app_env_refuses_to_start(stack, env):
    """An APP_ENV that names no environment would run as development,
    with default secrets: refused, as the programs refuse it."""
    conf = stack.write_config(os.path.join(stack.base, "bad-env.conf"),
                              DEEPGRAM_API_KEY="k")
    r = subprocess.run([os.path.join(BUILD, "ws-bridge", "ws-bridge"), "-h",
                        "127.0.0.1", "-p", str(free_port())],
                       env=dict(os.environ, APP_CONFIG=conf, APP_ENV=env),
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1
    assert "APP_ENV is not one of production, development, test" in r.stderr
    assert "listening" not in r.stderr


def test_stream_end_is_logged(stack, token):
    """Each stream's end has a log line: why it ended and its audio
    seconds, to the millisecond."""
    b = stack.bridge("bridge-endlog")
    c = Client(b.url, token, transports=["websocket"])
    c.send(tagged_pcm(0x47000001, 0.5))
    c.stop()
    c.close()
    c = Client(b.url, token, transports=["websocket"])
    c.send(tagged_pcm(0x47000002, 0.25))
    time.sleep(0.3)
    c.close()
    assert mock_wait(lambda: b.log().count(": ended (") == 2)
    log = b.log()
    started = re.findall(r"stream (\S+): user \d+, deepgram", log)
    ended = re.findall(r"stream (\S+): ended \(([^)]*)\), (\S+) s of audio",
                       log)
    assert [e[0] for e in ended] == started
    assert ended[0][1:] == ("client stop", "0.500")
    assert ended[1][1].startswith("disconnect") and ended[1][2] == "0.250"


def languages(bridge):
    r = requests.get(bridge.url + "/socket.io/languages", timeout=5)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    return r.json()


def test_languages_of_each_upstream(stack, bridge, token):
    """GET /socket.io/languages lists what the upstream transcribes, and
    /audio-stream takes exactly those: the local engine English only,
    Deepgram its languages."""
    dg = languages(bridge)
    assert dg["engine"] == "deepgram"
    codes = [l["code"] for l in dg["languages"]]
    assert {"en", "es", "ja", "pt-BR"} <= set(codes)
    assert {"code": "es", "name": "Spanish"} in dg["languages"]
    local = stack.bridge("bridge-local", STREAM_ENGINE="local",
                         DEEPGRAM_API_KEY=None)
    lo = languages(local)
    assert lo["engine"] == "local"
    codes = [l["code"] for l in lo["languages"]]
    assert "en" in codes and all(c.split("-")[0] == "en" for c in codes), codes
    assert "English only" in refused(local.url, token, lang="es")
    r = requests.post(bridge.url + "/socket.io/languages", timeout=5)
    assert r.status_code == 405 and r.json()["error"]["code"] == \
        "method_not_allowed"
