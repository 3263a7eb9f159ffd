"""A local Deepgram pre-recorded API (provider-protocols section 1):
POST /v1/listen with "Authorization: Token <key>", the raw audio as the
body, features as query parameters; answers in Deepgram's shape (speaker
only with diarize, paragraphs with paragraphs or smart_format,
utterances when asked), dg-request-id equal to metadata.request_id, and
its error bodies.  Records every request; misbehaves on demand through
`script`, a list of behaviours consumed one request at a time:
"401", "402", "429", "429-retry-after", "500-html", "slow", "truncated",
"drop"."""

import json
import time
import uuid
from urllib.parse import parse_qs, urlparse

import base

WORDS = [("hello", 0.3, 0.7, 0), ("world", 0.7, 1.1, 0), ("this", 1.5, 1.7, 1),
         ("is", 1.7, 1.8, 1), ("a", 1.8, 1.9, 1), ("test", 1.9, 2.4, 1)]


class DeepgramMock(base.MockServer):
    def __init__(self, key, slow_seconds=5):
        self.key = key
        self.requests = []
        self.script = []
        self.slow_seconds = slow_seconds
        mock = self

        class Handler(base.Handler):
            def reply(self, status, body, ctype="application/json", rid=None,
                      headers=()):
                super().reply(status, body, ctype,
                              list(headers) + ([("dg-request-id", rid)] if rid else []))

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                url = urlparse(self.path)
                q = {k: v[-1] for k, v in parse_qs(url.query).items()}
                rid = str(uuid.uuid4())
                mock.requests.append({"path": url.path, "query": q,
                                      "headers": dict(self.headers.items()),
                                      "body": body})
                if url.path != "/v1/listen":
                    return self.reply(404, {"err_code": "NOT_FOUND",
                                            "err_msg": "not found", "request_id": rid})
                if self.headers.get("Authorization") != "Token " + mock.key:
                    return self.reply(401, {"err_code": "INVALID_AUTH",
                                            "err_msg": "Invalid credentials.",
                                            "request_id": rid}, rid=rid)
                if not body:
                    return self.reply(400, {"err_code": "Bad Request",
                                            "err_msg": "Bad Request: failed to process audio: corrupt or unsupported data",
                                            "request_id": rid}, rid=rid)
                act = mock.script.pop(0) if mock.script else None
                if act == "401":
                    return self.reply(401, {"err_code": "INVALID_AUTH",
                                            "err_msg": "Invalid credentials.",
                                            "request_id": rid}, rid=rid)
                if act == "402":
                    return self.reply(402, {"err_code": "ASR_PAYMENT_REQUIRED",
                                            "err_msg": "Project does not have enough credits for an ASR request and does not have an overage agreement.",
                                            "request_id": rid}, rid=rid)
                if act in ("429", "429-retry-after"):
                    return self.reply(429, {"err_code": "TOO_MANY_REQUESTS",
                                            "err_msg": "Too many requests. Please try again later",
                                            "request_id": rid}, rid=rid,
                                      headers=[("Retry-After", "1")] if act != "429" else [])
                if act == "500-html":
                    return self.reply(500, b"<html><body>Internal Server Error</body></html>",
                                      "text/html")
                if act == "slow":
                    time.sleep(mock.slow_seconds)
                if act == "drop":
                    return self.drop()
                doc = mock.result(q, rid)
                data = json.dumps(doc).encode()
                if act == "truncated":
                    data = data[:len(data) // 2]
                self.reply(200, data, rid=rid)

        self.start(Handler)


    def result(self, q, rid):
        diarize = q.get("diarize") == "true"
        words = []
        for w, s, e, spk in WORDS:
            d = {"word": w, "start": s, "end": e, "confidence": 0.98}
            if q.get("punctuate") == "true" or q.get("smart_format") == "true":
                d["punctuated_word"] = w.capitalize() if w == "hello" else w
            if diarize:
                d["speaker"] = spk
                d["speaker_confidence"] = 0.6
            words.append(d)
        text = " ".join(w["punctuated_word"] if "punctuated_word" in w else w["word"]
                        for w in words)
        alt = {"transcript": text, "confidence": 0.99, "words": words}
        if q.get("paragraphs") == "true" or q.get("smart_format") == "true":
            alt["paragraphs"] = {"transcript": "\n" + text, "paragraphs": [
                {"sentences": [{"text": text, "start": 0.3, "end": 2.4}],
                 "num_words": 6, "start": 0.3, "end": 2.4}]}
        ch = {"alternatives": [alt]}
        if q.get("detect_language") == "true":
            ch["detected_language"] = "en"
            ch["language_confidence"] = 0.99
        res = {"channels": [ch]}
        if q.get("utterances") == "true":
            res["utterances"] = [
                {"start": 0.3, "end": 1.1, "confidence": 0.97, "channel": 0,
                 "transcript": "Hello world", "words": [], "id": str(uuid.uuid4()),
                 **({"speaker": 0} if diarize else {})},
                {"start": 1.5, "end": 2.4, "confidence": 0.97, "channel": 0,
                 "transcript": "this is a test", "words": [], "id": str(uuid.uuid4()),
                 **({"speaker": 1} if diarize else {})}]
        return {"metadata": {"transaction_key": "deprecated", "request_id": rid,
                             "sha256": "00", "created": "2025-05-09T20:14:06.059Z",
                             "duration": 2.5, "channels": 1, "models": ["m"],
                             "model_info": {"m": {"name": "general-nova-2",
                                                  "version": "x", "arch": "nova-2"}}},
                "results": res}

