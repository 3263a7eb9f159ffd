"""A local OpenAI audio API (provider-protocols section 3): Bearer auth,
multipart with `file` and `model`, the whole body counted against
26214400 bytes (413 with OpenAI's message over it), file extensions
checked, every response_format with its Content-Type, words only for
timestamp_granularities[]=word and segments dropped when only word is
asked.  Records requests; `script` consumes one behaviour per request:
"401", "429" (retry-after: 1), "429-bare", "500", "500-html", "503",
"slow", "truncated", "drop"."""

import json
import time
import uuid
from email.parser import BytesParser
from email.policy import HTTP

import base

LIMIT = 26214400
EXTS = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")


def err(message, type_="invalid_request_error", code=None):
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


class OpenAIMock(base.MockServer):
    def __init__(self, key, slow_seconds=5):
        self.key = key
        self.requests = []
        self.script = []
        self.slow_seconds = slow_seconds
        mock = self

        class Handler(base.Handler):
            def reply(self, status, body, ctype="application/json", headers=()):
                super().reply(status, body, ctype, list(headers) +
                              [("x-request-id", "req_" + uuid.uuid4().hex)])

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(n)
                rec = {"path": self.path, "headers": dict(self.headers.items()),
                       "size": len(raw), "fields": {}, "file": None}
                mock.requests.append(rec)
                if self.headers.get("Authorization") != "Bearer " + mock.key:
                    return self.reply(401, err("Incorrect API key provided: sk-***.",
                                               code="invalid_api_key"))
                if len(raw) > LIMIT:
                    return self.reply(413, err("Maximum content size limit (%d) exceeded (%d bytes read)"
                                               % (LIMIT, len(raw)), "server_error"))
                msg = BytesParser(policy=HTTP).parsebytes(
                    b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + raw)
                fields, gran = {}, []
                for part in msg.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    if part.get_filename() is not None:
                        rec["file"] = (part.get_filename(), len(part.get_payload(decode=True)))
                    elif name == "timestamp_granularities[]":
                        gran.append(part.get_content())
                    else:
                        fields[name] = part.get_content()
                rec["fields"] = dict(fields, granularities=gran)
                if rec["file"] is None or "model" not in fields:
                    return self.reply(400, err("Missing file or model"))
                ext = rec["file"][0].rsplit(".", 1)[-1].lower()
                if ext not in EXTS:
                    return self.reply(400, err("Invalid file format. Supported formats: %s"
                                               % list(EXTS)))
                act = mock.script.pop(0) if mock.script else None
                if act == "401":
                    return self.reply(401, err("Incorrect API key provided: sk-***.",
                                               code="invalid_api_key"))
                if act in ("429", "429-bare"):
                    return self.reply(429, err("Rate limit reached", "requests",
                                               "rate_limit_exceeded"),
                                      headers=[("retry-after", "1")] if act == "429" else [])
                if act == "500":
                    return self.reply(500, err("The server had an error", "server_error"))
                if act == "500-html":
                    return self.reply(500, b"<html><body>Bad gateway</body></html>",
                                      "text/html")
                if act == "drop":
                    return self.drop()
                if act == "503":
                    return self.reply(503, b"<html>overloaded</html>", "text/html")
                if act == "slow":
                    time.sleep(mock.slow_seconds)
                fmt = fields.get("response_format", "json")
                text = "Good morning and welcome to the weekly meeting."
                if fmt == "json":
                    return self.reply(200, {"text": text})
                if fmt == "text":
                    return self.reply(200, text, "text/plain; charset=utf-8")
                if fmt == "srt":
                    return self.reply(200, "1\n00:00:00,000 --> 00:00:03,600\n%s\n\n" % text,
                                      "text/plain; charset=utf-8")
                if fmt == "vtt":
                    return self.reply(200, "WEBVTT\n\n00:00:00.000 --> 00:00:03.600\n%s\n\n" % text,
                                      "text/vtt; charset=utf-8")
                doc = {"task": "translate" if "translations" in self.path else "transcribe",
                       "language": "english", "duration": 4.82, "text": text}
                if "segment" in gran or "word" not in gran:
                    doc["segments"] = [{"id": 0, "seek": 0, "start": 0.0, "end": 3.6,
                                        "text": " " + text, "tokens": [50364, 2205],
                                        "temperature": 0.0, "avg_logprob": -0.23,
                                        "compression_ratio": 0.94, "no_speech_prob": 0.01}]
                if "word" in gran:
                    t = 0.0
                    doc["words"] = []
                    for w in text.rstrip(".").split():
                        doc["words"].append({"word": w, "start": t, "end": t + 0.4})
                        t += 0.45
                if act == "truncated":
                    data = json.dumps(doc).encode()
                    return self.reply(200, data[:len(data) // 2])
                return self.reply(200, doc)

        self.start(Handler)


