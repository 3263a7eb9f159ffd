"""A local chat-completions API: OpenAI's (provider-protocols section 4,
POST /v1/chat/completions) or DeepSeek's (section 7, /chat/completions
and /v1/chat/completions, UUID ids, x-ds-trace-id, its usage fields and
401 wording).  Bearer auth; the body's JSON, model and messages checked;
usage about chars/4; the six x-ratelimit-* headers (OpenAI).  Its
"translation" is each paragraph of the user message prefixed with
"[xx] ", xx the code the system message names.  Records requests;
`script` consumes one behaviour per request: "401", "429" (retry-after:
1), "429-bare", "500-html", "slow", "truncated", "drop", "merge" (the
paragraphs come back joined by spaces), "keepalive" (DeepSeek: blank
lines before the JSON), "402" (DeepSeek).

A system message that asks to "Rate the sentiment" gets the JSON it
asks for: the user message is a JSON array of sentences, each rated by
a few words of English and Spanish (positive 0.8, negative -0.8, else
neutral 0); scripted "badjson" answers prose instead, "short" one
sentence too few, "badlabel" a label outside the four."""

import json
import re
import time
import uuid

import base


def err(message, type_="invalid_request_error", code=None):
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


class ChatMock(base.MockServer):
    def __init__(self, key, flavour="openai", slow_seconds=5):
        self.key = key
        self.flavour = flavour
        self.requests = []
        self.script = []
        self.slow_seconds = slow_seconds
        mock = self
        paths = ("/v1/chat/completions",) if flavour == "openai" else \
            ("/chat/completions", "/v1/chat/completions")

        class Handler(base.Handler):
            def reply(self, status, body, ctype="application/json", headers=()):
                extra = [("x-request-id", "req_" + uuid.uuid4().hex)] \
                    if mock.flavour == "openai" else \
                    [("x-ds-trace-id", uuid.uuid4().hex)]
                if mock.flavour == "openai":
                    extra += [("x-ratelimit-limit-requests", "10000"),
                              ("x-ratelimit-limit-tokens", "200000"),
                              ("x-ratelimit-remaining-requests", "9999"),
                              ("x-ratelimit-remaining-tokens", "199000"),
                              ("x-ratelimit-reset-requests", "6ms"),
                              ("x-ratelimit-reset-tokens", "300ms")]
                super().reply(status, body, ctype, list(headers) + extra)

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(n)
                rec = {"path": self.path, "headers": dict(self.headers.items()),
                       "body": None}
                mock.requests.append(rec)
                if self.path not in paths:
                    return self.reply(404, err("Invalid URL (POST %s)" % self.path))
                if self.headers.get("Authorization") != "Bearer " + mock.key:
                    if mock.flavour == "deepseek":
                        return self.reply(401, err("Authentication Fails, Your api key: ****abcd is invalid",
                                                   "authentication_error", "invalid_request_error"))
                    return self.reply(401, err("Incorrect API key provided: sk-***.",
                                               code="invalid_api_key"))
                try:
                    body = json.loads(raw)
                    msgs = body["messages"]
                    model = body["model"]
                    system = [m["content"] for m in msgs if m["role"] == "system"][0]
                    user = [m["content"] for m in msgs if m["role"] == "user"][0]
                except (ValueError, KeyError, IndexError, TypeError):
                    return self.reply(400, err("We could not parse the JSON body of your request."))
                rec["body"] = body
                act = mock.script.pop(0) if mock.script else None
                if act == "401":
                    return self.reply(401, err("Incorrect API key provided: sk-***.",
                                               code="invalid_api_key"))
                if act == "402":
                    return self.reply(402, err("Insufficient Balance", "unknown_error",
                                               "invalid_request_error"))
                if act in ("429", "429-bare"):
                    return self.reply(429, err("Rate limit reached for %s" % model, "requests",
                                               "rate_limit_exceeded"),
                                      headers=[("retry-after", "1")] if act == "429" else [])
                if act == "500-html":
                    return self.reply(500, b"<html><body>Bad gateway</body></html>",
                                      "text/html")
                if act == "drop":
                    return self.drop()
                if act == "slow":
                    time.sleep(mock.slow_seconds)
                if system.startswith("Rate the sentiment"):
                    out = sentiment(user, act)
                    if out is None:
                        return self.reply(400, err("'messages': the user content is not a JSON array."))
                    return self.reply(200, json.dumps(mock.completion(
                        model, system, user, out)).encode())
                m = re.search(r"to [A-Za-z ()]+ \(([a-zA-Z-]+)\)", system)
                lang = m.group(1) if m else "xx"
                paras = [p.strip() for p in re.split(r"\n\s*\n", user) if p.strip()]
                out = ("\n\n" if act != "merge" else " ").join(
                    "[%s] %s" % (lang, p) for p in paras)
                data = json.dumps(mock.completion(model, system, user, out)).encode()
                if act == "truncated":
                    data = data[:len(data) // 2]
                if act == "keepalive":
                    data = b"\n\n\n" + data
                return self.reply(200, data)

        self.start(Handler)

    def completion(self, model, system, user, out):
        """The chat.completion document of the flavour for content out."""
        pt, ct = (len(system) + len(user)) // 4 + 7, len(out) // 4 + 1
        usage = {"prompt_tokens": pt, "completion_tokens": ct,
                 "total_tokens": pt + ct}
        doc = {"object": "chat.completion", "created": int(time.time()),
               "choices": [{"index": 0, "message": {"role": "assistant",
                                                    "content": out},
                            "logprobs": None, "finish_reason": "stop"}],
               "usage": usage}
        if self.flavour == "openai":
            doc["id"] = "chatcmpl-" + uuid.uuid4().hex[:24]
            doc["model"] = model + "-2024-07-18"
            doc["system_fingerprint"] = "fp_0ba0d124f1"
            usage["prompt_tokens_details"] = {"cached_tokens": 0, "audio_tokens": 0}
        else:
            doc["id"] = str(uuid.uuid4())
            doc["model"] = model
            usage["prompt_cache_hit_tokens"] = 0
            usage["prompt_cache_miss_tokens"] = pt
        return doc


POSITIVE = {"love", "great", "wonderful", "happy", "good", "excellent",
            "encanta", "genial", "feliz", "bueno", "maravilloso"}
NEGATIVE = {"hate", "terrible", "awful", "sad", "bad", "odio", "triste",
            "malo", "horrible"}


def sentiment(user, act):
    """The JSON answer for a JSON array of sentences (None: not one)."""
    try:
        sents = json.loads(user)
    except ValueError:
        return None
    if not isinstance(sents, list) or not all(isinstance(s, str) for s in sents):
        return None
    if act == "badjson":
        return "Sure! The first sentence is positive and the rest are fine."
    rated = []
    for s in sents:
        words = set(re.findall(r"\w+", s.lower()))
        label, score = ("positive", 0.8) if words & POSITIVE else \
            ("negative", -0.8) if words & NEGATIVE else ("neutral", 0)
        rated.append({"label": label, "score": score})
    if act == "short":
        rated = rated[:-1]
    if act == "badlabel":
        rated[0]["label"] = "happy"
    return json.dumps({"sentences": rated})
