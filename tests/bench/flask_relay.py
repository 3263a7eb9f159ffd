#!/usr/bin/python3
"""The baseline of tests/bench/ws_streams.py: the seed's live handler
(audio_stream_auth0.py) rebuilt with what it runs on, Flask-SocketIO on
eventlet, relaying /audio-stream to Deepgram live as it does:

  connect        the token in auth={'token': ...}, the language from the
                 query (?lang=, default en); a Deepgram live connection
                 opened (nova-2, interim results) before the connect is
                 accepted
  audio_chunk    {'audio_chunk': bytes or base64} sent on to Deepgram
  Deepgram       each Results with a transcript -> a "transcription"
                 event (transcript, is_final, confidence)
  stop_streaming CloseStream, then "stream_stopped" once Deepgram closed
  disconnect     the Deepgram connection closed, the entry dropped

The seed checks an Auth0 JWT (RS256, JWKS cached) on connect; this one
compares the token with the one it was given, which makes the baseline
cheaper than the seed, never dearer.  Usage rows are not written (the
seed writes none for streams either).

    /usr/bin/python3 tests/bench/flask_relay.py PORT DEEPGRAM_URL KEY TOKEN

Debian's python3-flask-socketio, python3-eventlet, python3-websocket.
"""

import eventlet

eventlet.monkey_patch()

import base64  # noqa: E402
import hmac  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import urllib.parse  # noqa: E402

import websocket  # noqa: E402
from flask import Flask, request  # noqa: E402
from flask_socketio import SocketIO, disconnect, emit  # noqa: E402

PORT, DG_URL, DG_KEY, TOKEN = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
NSP = "/audio-stream"

app = Flask(__name__)
sio = SocketIO(app, async_mode="eventlet", cors_allowed_origins="*",
               max_http_buffer_size=1 << 20)
active = {}     # sid -> Deepgram WebSocket


def deepgram(lang):
    q = urllib.parse.urlencode({
        "model": "nova-2", "language": lang, "encoding": "linear16",
        "sample_rate": "16000", "channels": "1", "interim_results": "true",
        "punctuate": "true", "smart_format": "true"})
    url = DG_URL.replace("http://", "ws://").replace("https://", "wss://")
    return websocket.create_connection(
        url + "/v1/listen?" + q, header=["Authorization: Token " + DG_KEY],
        timeout=15)


def relay(sid, ws):
    """Deepgram's messages to the client, until Deepgram closes."""
    try:
        while True:
            msg = ws.recv()
            if not msg:
                break
            o = json.loads(msg)
            if o.get("type") != "Results":
                continue
            alt = o["channel"]["alternatives"][0]
            if not alt.get("transcript"):
                continue
            sio.emit("transcription", {
                "transcript": alt["transcript"],
                "is_final": o.get("is_final", False),
                "confidence": alt.get("confidence", 0)}, to=sid,
                namespace=NSP)
    except (websocket.WebSocketException, OSError, ValueError):
        pass
    finally:
        if active.pop(sid, None) is not None:
            sio.emit("stream_stopped", {"audio_seconds": 0}, to=sid,
                     namespace=NSP)


@sio.on("connect", namespace=NSP)
def on_connect(auth):
    token = (auth or {}).get("token", "")
    if not hmac.compare_digest(token.encode(), TOKEN.encode()):
        return False
    lang = request.args.get("lang", "en")
    try:
        ws = deepgram(lang)
    except (websocket.WebSocketException, OSError) as e:
        emit("error", {"message": "Deepgram: %s" % e})
        return False
    active[request.sid] = ws
    eventlet.spawn(relay, request.sid, ws)
    return True


@sio.on("audio_chunk", namespace=NSP)
def on_chunk(data):
    ws = active.get(request.sid)
    if ws is None:
        return
    chunk = data.get("audio_chunk") if isinstance(data, dict) else None
    if isinstance(chunk, str):
        chunk = base64.b64decode(chunk)
    if chunk:
        try:
            ws.send_binary(chunk)
        except (websocket.WebSocketException, OSError):
            disconnect()


@sio.on("stop_streaming", namespace=NSP)
def on_stop():
    ws = active.get(request.sid)
    if ws is not None:
        try:
            ws.send(json.dumps({"type": "CloseStream"}))
        except (websocket.WebSocketException, OSError):
            pass


@sio.on("disconnect", namespace=NSP)
def on_disconnect():
    ws = active.pop(request.sid, None)
    if ws is not None:
        ws.close()


if __name__ == "__main__":
    sio.run(app, host="127.0.0.1", port=int(PORT), log_output=False)
