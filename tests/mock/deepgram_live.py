"""A local Deepgram live-streaming API (provider-protocols section 2): a
WebSocket server on /v1/listen built on python3-websockets (10.x, the
asyncio "legacy" server), running its own event loop in a daemon thread so
that synchronous pytest code can start it, drive a C client against it and
read what it received.  One coroutine per connection, no threads per
connection: hundreds of concurrent streams are cheap.

    mock = DeepgramLiveMock(key="dg-test-key", idle_timeout=10.0).start()
    ...  # point the client at mock.base_url (http://127.0.0.1:PORT)
    mock.close()

With `ssl_context` (an ssl.SSLContext holding the server's certificate) it
speaks wss:// as the real service does, and base_url is
https://localhost:PORT (the name a test certificate is made for).

Handshake (GET /v1/listen, anything else is a plain HTTP 404):
- auth: "Authorization: Token <key>" or "Sec-WebSocket-Protocol: token, <key>"
  (the server then selects the subprotocol "token"); otherwise HTTP 401.
- every HTTP response, 101 included, carries "dg-request-id" (a uuid, the
  same as metadata.request_id in that stream's messages); refusals are
  plain HTTP (no upgrade) with a "dg-error" header and a JSON body
  {"err_code", "err_msg", "request_id"}.
- unknown `encoding`, or a non-numeric `sample_rate`/`channels`: HTTP 400.
  `encoding` without `sample_rate` is accepted, then the first audio frame
  gets close 1008 "DATA-0000" (as the document says).

Stream: binary frames are audio; audio time is counted from the bytes
(linear16 = 2 bytes a sample, linear32 = 4, mulaw/alaw = 1, anything else
counted as linear16; `sample_rate` and `channels` from the query, 16000 Hz
mono when absent).  Every `tick_seconds` (0.25 s) of audio the current
utterance gets an interim Results (is_final false) whose transcript is the
next growing prefix of the word list; when all its words are out or it
reaches `utterance_seconds` (1.5 s) of audio, a final Results (is_final and
speech_final true) with the full utterance, and the next utterance starts
(the word list repeats).  Audio that is all zero bytes yields Results with
an empty transcript and words [] at the same cadence.  SpeechStarted only
with vad_events=true (at the first voiced tick of each utterance),
UtteranceEnd only with utterance_end_ms and interim_results=true (after
each voiced final).  Interim Results are sent unless the query says
interim_results=false; with interim_default=False they are sent only with
interim_results=true, which is what the real service does.

Text frames: {"type":"KeepAlive"} (no reply, restarts the idle timer),
{"type":"Finalize"} (a final Results with the pending audio, from_finalize
true, speech_final false; sent even when nothing is pending, then with an
empty transcript), {"type":"CloseStream"} (a final Results for pending
audio if any, then Metadata, then close 1000).  Other text is recorded
(conn["ignored"]) and otherwise ignored.  A zero-length binary frame is
closed with 1008 "DATA-0000" (the document only says it "causes an
unexpected close"; 1008 DATA-0000 is the code for undecodable audio).

Idle: no frame from the client for `idle_timeout` seconds -> close 1011
"NET-0001".  Every frame restarts the timer, but (the document, quoting
Deepgram's troubleshooting page) KeepAlive alone does not keep a connection
that has never received audio: until the first audio frame the deadline
stays `idle_timeout` after the opening.  keepalive_needs_audio=False drops
that rule.

`script` (a dict, read at every decision, so it can be changed during a
connection):
    {"handshake": 401|429|500|<status>}   refuse upgrades with that status
    {"handshake_times": n}                ... only the next n handshakes
    {"fail_after_frames": N, "close_code": 1011, "close_reason": "NET-0000"}
                                          close after the N-th audio frame
    {"drop_after_frames": N}              abort the TCP connection (no close
                                          frame) after the N-th audio frame
    {"malformed_after_frames": N}         once, after the N-th audio frame,
                                          send a text frame that is not JSON
    {"silent": True}                      read everything, never send
                                          anything, never close
    {"delay": seconds}                    sleep before each text frame sent
N counts audio frames of the connection (0 acts right after the opening).

Records: `handshakes` (every HTTP request: path, query, headers, status,
request_id, tls (the TLS version, None on plain TCP), sni (the name the
client asked for)), `connections` (accepted streams, in order; each a dict):
    path, query (dict), headers (dict, lower-case names), request_id,
    subprotocol, auth ("header"|"subprotocol"), opened (time.time()),
    audio_bytes (int), audio_frames (int), audio (bytearray), text_frames
    (received text: parsed JSON, or the str when not JSON), ignored (text
    frames that were not a known control message), sent (every text frame
    sent, as str, in order), sent_at (parallel to sent: the time.time()
    just before each was written), close_code / close_reason (what the server
    closed with, or what it received from the client; 1006 after a drop),
    closed_by ("server", "client", "drop", "shutdown"), closed (bool,
    set last).
`wait_for(predicate, timeout)` polls a predicate; `messages(conn)` parses
conn["sent"].
"""

import asyncio
import hashlib
import http
import json
import logging
import math
import threading
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlsplit

import websockets
from websockets.legacy.server import WebSocketServerProtocol
from websockets.exceptions import ConnectionClosed

DEFAULT_WORDS = ["hello", "world", "this", "is", "a", "test"]
ENCODINGS = {"linear16": 2, "linear32": 4, "flac": 2, "alaw": 1, "mulaw": 1,
             "amr-nb": 2, "amr-wb": 2, "opus": 2, "ogg-opus": 2, "speex": 2,
             "g729": 2}
MODEL_UUID = "1ed36bac-f71c-4f3f-a31f-02fd6525c489"

_quiet = logging.getLogger("deepgram_live_mock")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


def _true(q, name):
    return q.get(name, "").lower() == "true"


def _note_sni(sslobj, name, ctx):
    """Keeps the server name the client sent, for the handshake record."""
    sslobj.dg_sni = name


class _Audio(bytearray):
    """The audio received; a short repr keeps assertion messages readable."""

    def __repr__(self):
        return "<%d audio bytes>" % len(self)


class _Protocol(WebSocketServerProtocol):
    """Adds Deepgram's handshake rules to the websockets server protocol."""

    mock = None   # set on the subclass made by DeepgramLiveMock.start()

    async def process_request(self, path, request_headers):
        mock = self.mock
        rid = str(uuid.uuid4())
        self.dg_rid = rid
        url = urlsplit(path)
        headers = {}
        for k, v in request_headers.raw_items():
            k = k.lower()
            headers[k] = headers[k] + ", " + v if k in headers else v
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        tls = self.transport.get_extra_info("ssl_object")
        hs = {"path": url.path, "query": query, "headers": headers,
              "request_id": rid, "status": None,
              "tls": tls.version() if tls is not None else None,
              "sni": getattr(tls, "dg_sni", None)}
        self.dg_handshake = hs
        mock.handshakes.append(hs)

        if url.path != "/v1/listen":
            return self._refuse(404, "NOT_FOUND", "Not found.")
        offered = [p.strip() for v in request_headers.get_all("Sec-WebSocket-Protocol")
                   for p in v.split(",") if p.strip()]
        auth = request_headers.get("Authorization", "")
        scheme, _, cred = auth.partition(" ")
        how = None
        if scheme.lower() == "token" and cred.strip() == mock.key:
            how = "header"
        elif offered and offered[0].lower() == "token" and mock.key in offered[1:]:
            how = "subprotocol"
        if how is None:
            return self._refuse(401, "INVALID_AUTH", "Invalid credentials.")
        script = mock.script
        status = script.get("handshake")
        if status:
            times = script.get("handshake_times")
            if times is None or times > 0:
                if times is not None:
                    script["handshake_times"] = times - 1
                return self._refuse(int(status))
        enc = query.get("encoding")
        if enc is not None and enc not in ENCODINGS:
            return self._refuse(400, "Bad Request",
                                "Bad Request: unsupported encoding %r" % enc)
        for name in ("sample_rate", "channels"):
            v = query.get(name)
            if v is not None and not (v.isdigit() and int(v) > 0):
                return self._refuse(400, "Bad Request",
                                    "Bad Request: invalid %s %r" % (name, v))
        self.dg_auth = how
        self.dg_offered = offered
        return None

    def _refuse(self, status, code=None, msg=None):
        st = http.HTTPStatus(status)
        if code is None:
            code, msg = {
                401: ("INVALID_AUTH", "Invalid credentials."),
                402: ("ASR_PAYMENT_REQUIRED", "Project does not have enough credits."),
                429: ("TOO_MANY_REQUESTS", "Too many requests. Please try again later"),
            }.get(status, (st.phrase.upper().replace(" ", "_"), st.phrase + "."))
        body = json.dumps({"err_code": code, "err_msg": msg,
                           "request_id": self.dg_rid}).encode()
        return (st, [("Content-Type", "application/json"), ("dg-error", msg),
                     ("dg-request-id", self.dg_rid)], body)

    def process_subprotocol(self, headers, available_subprotocols):
        # Parsed by hand: a key need not be a valid RFC 7230 token.
        offered = getattr(self, "dg_offered", [])
        return "token" if any(p.lower() == "token" for p in offered) else None

    def write_http_response(self, status, headers, body=None):
        rid = getattr(self, "dg_rid", None) or str(uuid.uuid4())
        if "dg-request-id" not in headers:
            headers["dg-request-id"] = rid
        hs = getattr(self, "dg_handshake", None)
        if hs is not None:
            hs["status"] = int(status)
        super().write_http_response(status, headers, body)


class _Stream:
    """The state of one accepted connection."""

    def __init__(self, mock, ws, rec):
        self.mock = mock
        self.ws = ws
        self.rec = rec
        self.loop = asyncio.get_running_loop()
        q = rec["query"]
        self.q = q
        self.no_rate = "encoding" in q and "sample_rate" not in q
        rate = int(q.get("sample_rate") or 16000)
        channels = int(q.get("channels") or 1)
        self.channels = channels
        self.bps = rate * channels * ENCODINGS.get(q.get("encoding", "linear16"), 2)
        self.tick = mock.tick_seconds
        words = mock.words(rec) if callable(mock.words) else mock.words
        self.base_words = list(words)
        self.words = list(words)
        self.tagged = False
        self.punct = _true(q, "punctuate") or _true(q, "smart_format")
        ir = q.get("interim_results")
        self.interims = (ir.lower() == "true") if ir is not None else mock.interim_default
        self.utt_end = "utterance_end_ms" in q and _true(q, "interim_results")
        self.vad = _true(q, "vad_events")
        self.sha = hashlib.sha256()
        self.total = 0            # audio bytes received
        self.utt_start = 0        # byte offset where the current utterance starts
        self.utt_ticks = 0        # whole ticks in it
        self.utt_voiced = 0       # voiced ticks in it
        self.partial_voiced = False
        self.started = False      # SpeechStarted sent for this utterance
        self.seq = 0
        self.opened = self.loop.time()
        self.last_frame = self.opened
        self.malformed_done = False
        self.done = False

    # -- sending ---------------------------------------------------------

    def silent(self):
        return bool(self.mock.script.get("silent"))

    async def send(self, doc):
        if self.done or self.silent():
            return
        delay = self.mock.script.get("delay")
        if delay:
            try:    # cut short by close()
                await asyncio.wait_for(self.mock._stop.wait(), delay)
            except asyncio.TimeoutError:
                pass
            if self.mock._closing:
                self.done = True
                self.rec.update(close_code=1001, close_reason="",
                                closed_by="shutdown")
                await self.ws.close(1001)
                return
        text = doc if isinstance(doc, str) else json.dumps(doc)
        self.rec["sent"].append(text)
        self.rec["sent_at"].append(time.time())
        try:
            await self.ws.send(text)
        except ConnectionClosed:
            self._peer_closed()

    async def close(self, code, reason=""):
        if self.done or self.silent():
            return
        self.done = True
        self.rec["close_code"] = code
        self.rec["close_reason"] = reason
        self.rec["closed_by"] = "server"
        await self.ws.close(code, reason)

    def drop(self):
        self.done = True
        self.rec["close_code"] = 1006
        self.rec["close_reason"] = ""
        self.rec["closed_by"] = "drop"
        self.ws.transport.abort()

    def _peer_closed(self):
        if not self.done:
            self.done = True
            self.rec["close_code"] = self.ws.close_code
            self.rec["close_reason"] = self.ws.close_reason
            self.rec["closed_by"] = ("shutdown" if self.mock._closing
                                     else "client")

    # -- messages --------------------------------------------------------

    def secs(self, nbytes):
        return nbytes / self.bps

    def results(self, words, start, duration, is_final, speech_final,
                from_finalize=False):
        self.seq += 1
        n = len(words)
        slot = duration / n if n else 0
        items = []
        for i, w in enumerate(words):
            pw = w
            if self.punct:
                if i == (1 if self.tagged else 0):   # the tag stays as it is
                    pw = w[:1].upper() + w[1:]
                if is_final and i == n - 1:
                    pw += "."
            item = {"word": w, "start": round(start + i * slot + 0.02 * slot, 4),
                    "end": round(start + (i + 1) * slot - 0.02 * slot, 4),
                    "confidence": 0.99 if is_final else 0.9,
                    "punctuated_word": pw}
            if _true(self.q, "diarize"):
                item["speaker"] = 0
                item["speaker_confidence"] = 0.7
            items.append(item)
        text = " ".join(it["punctuated_word"] for it in items)
        return {"type": "Results", "channel_index": [0, 1],
                "duration": round(duration, 4), "start": round(start, 4),
                "is_final": is_final, "speech_final": speech_final,
                "from_finalize": from_finalize,
                "channel": {"alternatives": [{
                    "transcript": text, "confidence": (0.99 if is_final else 0.9) if n else 0.0,
                    "words": items,
                    "x_mock_alt": {"unknown": [1, {"nested": None}]}}]},
                "metadata": {"request_id": self.rec["request_id"],
                             "model_info": {"name": "general",
                                            "version": "2024-01-26.8851",
                                            "arch": self.q.get("model", "base")},
                             "model_uuid": MODEL_UUID},
                "x_mock_seq": self.seq}

    def metadata(self):
        return {"type": "Metadata", "transaction_key": "deprecated",
                "request_id": self.rec["request_id"],
                "sha256": self.sha.hexdigest(),
                "created": self.rec["created"],
                "duration": round(self.secs(self.total), 4),
                "channels": self.channels,
                "models": [MODEL_UUID],
                "model_info": {MODEL_UUID: {"name": "general",
                                            "version": "2024-01-26.8851",
                                            "arch": self.q.get("model", "base")}},
                "x_mock_seq": self.seq + 1}

    def boundary(self):
        """Byte offset where the current tick ends."""
        return self.utt_start + math.ceil(
            round((self.utt_ticks + 1) * self.tick * self.bps, 6))

    async def finish_utterance(self, words, end, speech_final, from_finalize=False):
        start = self.secs(self.utt_start)
        doc = self.results(words, start, self.secs(end) - start, True,
                           speech_final, from_finalize)
        await self.send(doc)
        if self.utt_end and words and speech_final:
            last = doc["channel"]["alternatives"][0]["words"][-1]["end"]
            await self.send({"type": "UtteranceEnd", "channel": [0, 1],
                             "last_word_end": last})
        self.utt_start = end
        self.utt_ticks = self.utt_voiced = 0
        self.partial_voiced = False
        self.started = False

    async def on_tick(self, end):
        """A whole tick of audio ending at byte `end` has arrived."""
        self.utt_ticks += 1
        voiced = self.partial_voiced
        self.partial_voiced = False
        if voiced:
            self.utt_voiced += 1
            if self.vad and not self.started:
                self.started = True
                await self.send({"type": "SpeechStarted", "channel": [0],
                                 "timestamp": round(self.secs(end) - self.tick, 4)})
        k = min(self.utt_voiced, len(self.words))
        whole = self.utt_voiced == self.utt_ticks
        if (self.words and self.utt_voiced >= len(self.words)) or \
                self.utt_ticks * self.tick >= self.mock.utterance_seconds - 1e-9:
            words = self.words if whole and k else self.words[:k]
            await self.finish_utterance(words, end, bool(words))
        elif self.interims:
            start = self.secs(self.utt_start)
            await self.send(self.results(self.words[:k], start,
                                         self.secs(end) - start, False, False))

    def pending(self):
        """Words for the audio not yet in a final Results, or None."""
        if self.total == self.utt_start:
            return None
        k = self.utt_voiced + (1 if self.partial_voiced else 0)
        return self.words[:min(k, len(self.words))]

    # -- frames ----------------------------------------------------------

    async def on_audio(self, data):
        rec = self.rec
        rec["audio_frames"] += 1
        rec["audio_bytes"] += len(data)
        rec["audio"] += data
        self.sha.update(data)
        if not data or self.no_rate:
            # Zero-length frame: the legacy end-of-stream signal, "an
            # unexpected close"; 1008 DATA-0000 is what undecodable audio
            # gets.  Missing sample_rate: the document's DATA-0000.
            await self.close(1008, "DATA-0000")
            return
        if rec["audio_frames"] == 1 and self.mock.tag_from_audio:
            self.words = ["id" + bytes(data[:4]).hex()] + self.base_words
            self.tagged = True
        pos, end, base = self.total, self.total + len(data), self.total
        while pos < end and not self.done:
            stop = min(end, self.boundary())
            if data.count(0, pos - base, stop - base) != stop - pos:
                self.partial_voiced = True
            pos = stop
            self.total = pos
            if pos == self.boundary():
                await self.on_tick(pos)
        self.total = end
        await self.after_frame()

    async def after_frame(self):
        script, n = self.mock.script, self.rec["audio_frames"]
        m = script.get("malformed_after_frames")
        if m is not None and n >= m and not self.malformed_done:
            self.malformed_done = True
            await self.send('{"type": "Results", "channel": {"alternatives": [{"transcr')
        d = script.get("drop_after_frames")
        if d is not None and n >= d and not self.silent():
            self.drop()
            return
        f = script.get("fail_after_frames")
        if f is not None and n >= f:
            await self.close(script.get("close_code", 1011),
                             script.get("close_reason", "NET-0000"))

    async def on_text(self, text):
        try:
            doc = json.loads(text)
        except ValueError:
            doc = text
        self.rec["text_frames"].append(doc)
        kind = doc.get("type") if isinstance(doc, dict) else None
        if kind == "KeepAlive":
            return
        if kind == "Finalize":
            words = self.pending() or []
            await self.finish_utterance(words, self.total, False, True)
            return
        if kind == "CloseStream":
            words = self.pending()
            if words is not None:
                await self.finish_utterance(words, self.total, bool(words))
            await self.send(self.metadata())
            await self.close(1000)
            return
        self.rec["ignored"].append(doc)

    def deadline(self):
        if self.rec["audio_frames"] == 0 and self.mock.keepalive_needs_audio:
            return self.opened + self.mock.idle_timeout
        return self.last_frame + self.mock.idle_timeout

    async def run(self):
        script = self.mock.script
        if script.get("malformed_after_frames") == 0 or \
                script.get("drop_after_frames") == 0 or \
                script.get("fail_after_frames") == 0:
            await self.after_frame()
        while not self.done:
            timeout = None
            if not self.silent():
                timeout = self.deadline() - self.loop.time()
                if timeout <= 0:
                    await self.close(1011, "NET-0001")
                    break
                timeout = min(timeout, 1.0)   # re-read script (silent) now and then
            try:
                msg = await asyncio.wait_for(self.ws.recv(), timeout)
            except asyncio.TimeoutError:
                continue
            except ConnectionClosed:
                self._peer_closed()
                break
            self.last_frame = self.loop.time()
            if isinstance(msg, bytes):
                await self.on_audio(msg)
            else:
                await self.on_text(msg)


class DeepgramLiveMock:
    def __init__(self, key="dg-test-key", idle_timeout=10.0, words=None,
                 utterance_seconds=1.5, tick_seconds=0.25, tag_from_audio=False,
                 interim_default=True, keepalive_needs_audio=True,
                 close_timeout=2.0, ssl_context=None):
        self.key = key
        self.ssl_context = ssl_context
        self.idle_timeout = idle_timeout
        self.words = list(DEFAULT_WORDS) if words is None else words
        self.utterance_seconds = utterance_seconds
        self.tick_seconds = tick_seconds
        self.tag_from_audio = tag_from_audio
        self.interim_default = interim_default
        self.keepalive_needs_audio = keepalive_needs_audio
        self.close_timeout = close_timeout
        self.script = {}
        self.handshakes = []
        self.connections = []
        self.port = None
        self._loop = None
        self._server = None
        self._closing = False
        self._stop = None

    # -- lifecycle -------------------------------------------------------

    def start(self):
        if self._server is not None:
            return self
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever,
                                        name="deepgram-live-mock", daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            self._serve(), self._loop).result(10)
        self.port = next(iter(self._server.sockets)).getsockname()[1]
        return self

    async def _serve(self):
        self._stop = asyncio.Event()
        if self.ssl_context is not None:
            self.ssl_context.sni_callback = _note_sni
        proto = type("DeepgramProtocol", (_Protocol,), {"mock": self})
        return await websockets.serve(
            self._handler, "127.0.0.1", 0, create_protocol=proto,
            ssl=self.ssl_context,
            subprotocols=["token"], compression=None, ping_interval=None,
            max_size=None, close_timeout=self.close_timeout,
            server_header="deepgram-live-mock", logger=_quiet, backlog=1024)

    async def _handler(self, ws):
        rec = dict(ws.dg_handshake)
        rec.update({"subprotocol": ws.subprotocol, "auth": ws.dg_auth,
                    "opened": time.time(),
                    "created": datetime.now(timezone.utc).isoformat(
                        timespec="milliseconds").replace("+00:00", "Z"),
                    "audio_bytes": 0, "audio_frames": 0, "audio": _Audio(),
                    "text_frames": [], "ignored": [], "sent": [], "sent_at": [],
                    "close_code": None, "close_reason": None, "closed_by": None,
                    "closed": False})
        self.connections.append(rec)
        try:
            await _Stream(self, ws, rec).run()
        finally:
            if rec["closed_by"] is None:
                rec["closed_by"] = "shutdown" if self._closing else "client"
            rec["closed"] = True

    def close(self):
        if self._server is None:
            return
        self._closing = True
        server, loop = self._server, self._loop

        async def shutdown():
            self._stop.set()
            server.close()
            try:
                await asyncio.wait_for(server.wait_closed(), 3)
            except asyncio.TimeoutError:
                for ws in list(server.websockets):
                    ws.transport.abort()
                    ws.handler_task.cancel()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(5)
            loop.close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    @property
    def base_url(self):
        if self.ssl_context is not None:
            return "https://localhost:%d" % self.port
        return "http://127.0.0.1:%d" % self.port

    @property
    def ws_url(self):
        if self.ssl_context is not None:
            return "wss://localhost:%d" % self.port
        return "ws://127.0.0.1:%d" % self.port

    # -- for tests -------------------------------------------------------

    @staticmethod
    def wait_for(predicate, timeout=5.0, interval=0.01):
        """Polls predicate() until it is truthy or timeout seconds pass;
        returns its last value."""
        end = time.monotonic() + timeout
        while True:
            value = predicate()
            if value or time.monotonic() >= end:
                return value
            time.sleep(interval)

    @staticmethod
    def messages(conn):
        """conn["sent"] parsed (a frame that is not JSON stays a str)."""
        out = []
        for text in list(conn["sent"]):
            try:
                out.append(json.loads(text))
            except ValueError:
                out.append(text)
        return out
