"""A local Auth0 tenant for the tests (provider-protocols section 8):
RSA keys made with openssl, the JWKS at /.well-known/jwks.json with the
kid, n, e and x5c of each key, /userinfo answering for the tokens it
minted (401 with WWW-Authenticate otherwise, 429 with rate-limit headers
on demand), a counter of JWKS requests, and a switch to make the JWKS
fail.  Tokens are minted by signing with the openssl command."""

import base64
import json
import os
import subprocess
import time

import base


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Key:
    def __init__(self, directory, kid, bits=2048):
        self.kid = kid
        self.pem = os.path.join(directory, kid + ".pem")
        self.pub = os.path.join(directory, kid + ".pub.pem")
        subprocess.run(["openssl", "genrsa", "-out", self.pem, str(bits)],
                       check=True, capture_output=True)
        subprocess.run(["openssl", "rsa", "-in", self.pem, "-pubout", "-out",
                        self.pub], check=True, capture_output=True)
        mod = subprocess.run(["openssl", "rsa", "-in", self.pem, "-noout",
                              "-modulus"], check=True, capture_output=True,
                             text=True).stdout.strip().split("=", 1)[1]
        self.n = b64url(bytes.fromhex(mod))
        self.e = b64url((65537).to_bytes(3, "big"))
        crt = os.path.join(directory, kid + ".crt")
        subprocess.run(["openssl", "req", "-new", "-x509", "-key", self.pem,
                        "-subj", "/CN=test.auth0.local", "-days", "2",
                        "-outform", "DER", "-out", crt],
                       check=True, capture_output=True)
        with open(crt, "rb") as f:
            self.x5c = base64.b64encode(f.read()).decode()

    def jwk(self):
        return {"alg": "RS256", "kty": "RSA", "use": "sig", "n": self.n,
                "e": self.e, "kid": self.kid, "x5t": "dGVzdA",
                "x5c": [self.x5c]}

    def sign(self, data):
        return subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.pem],
                              input=data, check=True, capture_output=True).stdout

    def public_pem(self):
        with open(self.pub, "rb") as f:
            return f.read()


class Auth0Mock(base.MockServer):
    domain = "test.auth0.local"
    audience = "https://api.trapi.test"

    def __init__(self, directory):
        self.keys = [Key(directory, "k1"), Key(directory, "k2")]
        self.published = [self.keys[0]]
        self.jwks_requests = 0
        self.userinfo_requests = 0
        self.fail_jwks = False
        self.jwks_delay = 0.0       # seconds before the JWKS answer (a slow tenant)
        self.userinfo_limited = False
        self.minted = {}
        mock = self

        class Handler(base.Handler):
            def send(self, status, body, ctype="application/json", headers=()):
                self.reply(status, body, ctype, headers)

            def do_GET(self):
                if self.path == "/.well-known/jwks.json":
                    mock.jwks_requests += 1
                    time.sleep(mock.jwks_delay)
                    if mock.fail_jwks:
                        return self.send(500, b"<html>oops</html>", "text/html")
                    return self.send(200, {"keys": [k.jwk() for k in mock.published]})
                if self.path == "/userinfo":
                    mock.userinfo_requests += 1
                    rl = [("X-RateLimit-Limit", "5"),
                          ("X-RateLimit-Reset", str(int(time.time()) + 60))]
                    if mock.userinfo_limited:
                        return self.send(429, {"error": "too_many_requests"},
                                         headers=rl + [("X-RateLimit-Remaining", "0"),
                                                       ("Retry-After", "42")])
                    auth = self.headers.get("Authorization", "")
                    tok = auth[7:] if auth.startswith("Bearer ") else ""
                    claims = mock.minted.get(tok)
                    if claims is None or claims.get("exp", 0) < time.time():
                        return self.send(401, b"Unauthorized", "text/plain", [
                            ("WWW-Authenticate", 'Bearer realm="Users", '
                             'error="invalid_token", error_description='
                             '"The token has expired"')])
                    return self.send(200, {
                        "sub": claims["sub"], "name": "Jane Doe",
                        "nickname": "jane", "email": "jane@example.com",
                        "email_verified": True,
                        "updated_at": "2024-05-17T09:12:44.301Z"},
                        headers=rl + [("X-RateLimit-Remaining", "4")])
                return self.send(404, {"error": "not_found"})

        self.start(Handler)


    @property
    def issuer(self):
        return "https://%s/" % self.domain

    def token(self, key=None, alg="RS256", kid=True, header=None, secret=None,
              **claims):
        """Mints a token; claims override the defaults (None drops one)."""
        key = key or self.keys[0]
        now = int(time.time())
        body = {"iss": self.issuer, "sub": "auth0|6553da60a54af58e29493993",
                "aud": [self.audience, self.issuer + "userinfo"],
                "iat": now, "exp": now + 3600,
                "azp": "K1AUPhZq8mRi0Q0pjhkfu1D7y6KjDQja",
                "scope": "openid profile email"}
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        hdr = {"alg": alg, "typ": "JWT"}
        if kid is True:
            hdr["kid"] = key.kid
        elif kid:
            hdr["kid"] = kid
        hdr.update(header or {})
        signing = (b64url(json.dumps(hdr).encode()) + "." +
                   b64url(json.dumps(body).encode())).encode()
        if alg == "RS256":
            sig = key.sign(signing)
        elif alg == "HS256":
            import hashlib
            import hmac
            sig = hmac.new(secret, signing, hashlib.sha256).digest()
        else:
            sig = b""
        tok = signing.decode() + "." + b64url(sig)
        self.minted[tok] = body
        return tok

