"""A local Google Cloud Translation v2 with its OAuth token endpoint
(provider-protocols section 6).  POST /token takes the JWT bearer grant,
verifies the RS256 assertion with the service account's public key and
checks iss, scope, aud and exp - iat <= 3600, then issues an opaque
token with expires_in; POST /language/translate/v2 takes ?key= or a
Bearer token it issued, q (string or array), target, source, format
(HTML-escaped output unless "text"), detectedSourceLanguage only without
source.  Its "translation" is "[target] " before each paragraph of
each q.  Records
requests and assertions; `script` consumes one behaviour per translate
request: "401" (the token expired: the client must fetch another),
"403" (User Rate Limit Exceeded), "500", "drop"."""

import base64
import html
import json
import re
import time
import urllib.parse
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import base

SCOPE = "https://www.googleapis.com/auth/cloud-translation"


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def gerr(code, message, status, reason):
    return {"error": {"code": code, "message": message, "status": status,
                      "errors": [{"message": message, "domain": "global",
                                  "reason": reason}]}}


class GoogleMock(base.MockServer):
    def __init__(self, api_key="AIza-test-key-0123456789"):
        self.api_key = api_key
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.email = "svc@trapi-test.iam.gserviceaccount.com"
        self.requests = []
        self.assertions = []
        self.tokens = set()
        self.script = []
        mock = self

        class Handler(base.Handler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(n)
                url = urllib.parse.urlsplit(self.path)
                rec = {"path": url.path, "query": dict(urllib.parse.parse_qsl(url.query)),
                       "headers": dict(self.headers.items()), "body": raw}
                mock.requests.append(rec)
                if url.path == "/token":
                    return self.token(raw)
                if url.path != "/language/translate/v2":
                    return self.reply(404, gerr(404, "Not Found", "NOT_FOUND", "notFound"))
                auth = self.headers.get("Authorization", "")
                ok = rec["query"].get("key") == mock.api_key or \
                    (auth.startswith("Bearer ") and auth[7:] in mock.tokens)
                if not ok:
                    return self.reply(401, gerr(401, "Request had invalid authentication credentials.",
                                                "UNAUTHENTICATED", "authError"))
                act = mock.script.pop(0) if mock.script else None
                if act == "401":
                    mock.tokens.discard(auth[7:])
                    return self.reply(401, gerr(401, "Request had invalid authentication credentials.",
                                                "UNAUTHENTICATED", "authError"))
                if act == "403":
                    return self.reply(403, gerr(403, "User Rate Limit Exceeded", "PERMISSION_DENIED",
                                                "userRateLimitExceeded"))
                if act == "500":
                    return self.reply(500, gerr(500, "Internal error", "INTERNAL", "backendError"))
                if act == "drop":
                    return self.drop()
                body = json.loads(raw)
                rec["json"] = body
                qs = body["q"] if isinstance(body["q"], list) else [body["q"]]
                out = []
                for q in qs:
                    t = "\n\n".join("[%s] %s" % (body["target"], p)
                                      for p in re.split(r"\n\s*\n", q))
                    if body.get("format", "html") != "text":
                        t = html.escape(t, quote=True).replace("&#x27;", "&#39;")
                    e = {"translatedText": t}
                    if "source" not in body:
                        e["detectedSourceLanguage"] = "en"
                    out.append(e)
                return self.reply(200, {"data": {"translations": out}})

            def token(self, raw):
                form = dict(urllib.parse.parse_qsl(raw.decode()))
                bad = {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
                if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
                    return self.reply(400, {"error": "unsupported_grant_type"})
                try:
                    h, c, s = form["assertion"].split(".")
                    mock.key.public_key().verify(b64d(s), (h + "." + c).encode(),
                                                 padding.PKCS1v15(), hashes.SHA256())
                    header, claims = json.loads(b64d(h)), json.loads(b64d(c))
                except Exception:
                    return self.reply(400, bad)
                mock.assertions.append((header, claims))
                now = time.time()
                if header.get("alg") != "RS256" or claims.get("iss") != mock.email or \
                        claims.get("scope") != SCOPE or claims.get("aud") != mock.token_uri or \
                        not claims["iat"] - 60 <= now <= claims["exp"] + 60 or \
                        claims["exp"] - claims["iat"] > 3600:
                    return self.reply(400, {"error": "invalid_grant", "error_description":
                                            "Invalid JWT: Token must be a short-lived token"})
                tok = "ya29.c." + uuid.uuid4().hex
                mock.tokens.add(tok)
                return self.reply(200, {"access_token": tok, "expires_in": 3599,
                                        "token_type": "Bearer"})

        self.start(Handler)

    @property
    def token_uri(self):
        return self.base_url + "/token"

    def service_account(self, path):
        pem = self.key.private_bytes(serialization.Encoding.PEM,
                                     serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode()
        with open(path, "w") as f:
            json.dump({"type": "service_account", "project_id": "trapi-test",
                       "private_key_id": "kid-0123", "private_key": pem,
                       "client_email": self.email, "client_id": "1",
                       "token_uri": self.token_uri}, f)
        return path
