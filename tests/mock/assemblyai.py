"""A local AssemblyAI (provider-protocols section 5): the bare key in
Authorization (a "Bearer" prefix is refused, to catch client mistakes),
/v2/upload storing the bytes and answering an upload_url on this mock,
/v2/transcript creating a queued job whose GETs progress queued ->
processing -> completed, words and utterances in milliseconds, speaker
letters only with speaker_labels.  `script` consumes one behaviour per
HTTP request: "401", "429" (Retry-After: 1), "429-bare", "500",
"500-html", "truncated", "drop", "slow" (4 s); `job` sets how the
next job ends: "completed", "error", "never"."""

import json
import time
import uuid

import base

WORDS = [("Smoke", 250, 650, "A"), ("from", 730, 1022, "A"),
         ("wildfires.", 1100, 1800, "A"), ("Air", 2300, 2500, "B"),
         ("alerts.", 2500, 3100, "B")]


class AssemblyAIMock(base.MockServer):
    def __init__(self, key):
        self.key = key
        self.requests = []
        self.uploads = {}
        self.jobs = {}
        self.script = []
        self.job = "completed"
        mock = self

        class Handler(base.Handler):
            def reply(self, status, body, headers=()):
                super().reply(status, body, "application/json", headers)

            def gate(self, body):
                mock.requests.append({"method": self.command, "path": self.path,
                                      "headers": dict(self.headers.items()),
                                      "body": body})
                if self.headers.get("Authorization") != mock.key:
                    self.reply(401, {"error": "Authentication error, API token missing/invalid"})
                    return False
                act = mock.script.pop(0) if mock.script else None
                if act == "401":
                    self.reply(401, {"error": "Authentication error, API token missing/invalid"})
                elif act in ("429", "429-bare"):
                    self.reply(429, {"error": "Too Many Requests"},
                               [("Retry-After", "1")] if act == "429" else [])
                elif act == "500":
                    self.reply(500, {"error": "Internal Server Error"})
                elif act == "500-html":
                    base.Handler.reply(self, 500, b"<html><body>Internal Server "
                                       b"Error</body></html>", "text/html")
                elif act == "truncated":
                    base.Handler.reply(self, 200, b'{"upload_url": "http://trunc')
                elif act == "drop":
                    self.drop()
                elif act == "slow":
                    time.sleep(4)
                    return True
                else:
                    return True
                return False

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if not self.gate(body):
                    return
                if self.path == "/v2/upload":
                    uid = str(uuid.uuid4())
                    mock.uploads[uid] = body
                    return self.reply(200, {"upload_url": "%s/upload/%s" % (mock.base_url, uid)})
                if self.path == "/v2/transcript":
                    try:
                        req = json.loads(body)
                    except ValueError:
                        return self.reply(400, {"error": "Invalid JSON"})
                    url = req.get("audio_url", "")
                    if not url.startswith(mock.base_url + "/upload/") or \
                            url.rsplit("/", 1)[1] not in mock.uploads:
                        return self.reply(400, {"error": "audio_url is invalid"})
                    jid = str(uuid.uuid4())
                    mock.jobs[jid] = {"req": req, "polls": 0, "end": mock.job}
                    return self.reply(200, mock.doc(jid, "queued"))
                self.reply(404, {"error": "Not found"})

            def do_GET(self):
                if not self.gate(b""):
                    return
                jid = self.path.rsplit("/", 1)[-1]
                if not self.path.startswith("/v2/transcript/") or jid not in mock.jobs:
                    return self.reply(404, {"error": "Not found"})
                job = mock.jobs[jid]
                job["polls"] += 1
                if job["end"] == "never" or job["polls"] < 3:
                    return self.reply(200, mock.doc(jid, "queued" if job["polls"] < 2
                                                    else "processing"))
                if job["end"] == "error":
                    d = mock.doc(jid, "error")
                    d["error"] = "Download error, unable to download audio"
                    return self.reply(200, d)
                return self.reply(200, mock.doc(jid, "completed"))

        self.start(Handler)


    def doc(self, jid, status):
        req = self.jobs[jid]["req"]
        labels = bool(req.get("speaker_labels"))
        d = {"id": jid, "status": status, "audio_url": req["audio_url"],
             "language_code": req.get("language_code", "en_us"),
             "speech_models": req.get("speech_models"), "text": None,
             "words": None, "utterances": None, "confidence": None,
             "audio_duration": None, "speaker_labels": labels, "error": None}
        if status == "completed":
            d["text"] = "Smoke from wildfires. Air alerts."
            d["words"] = [{"text": t, "start": s, "end": e, "confidence": 0.97,
                           "speaker": spk if labels else None, "channel": None}
                          for t, s, e, spk in WORDS]
            if labels:
                d["utterances"] = [
                    {"speaker": "A", "start": 250, "end": 1800, "confidence": 0.93,
                     "text": "Smoke from wildfires.", "words": [], "channel": None},
                    {"speaker": "B", "start": 2300, "end": 3100, "confidence": 0.93,
                     "text": "Air alerts.", "words": [], "channel": None}]
            d["confidence"] = 0.94
            d["audio_duration"] = 4
        return d

