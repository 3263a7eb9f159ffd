"""What a new user gets wrong, and what the service answers: each error
says what to do instead, through every web server."""

import socket

import pytest

from conftest import LEGACY_KEY
from test_auth import bearer, email, register
from test_http import error_of


@pytest.fixture(scope="module")
def token(stack):
    r = register(stack.server("lighttpd"), email())
    assert r.status_code == 201, r.text
    return r.json()["access_token"]


def test_file_field_sent_as_text(server):
    """curl -F audio=x.wav (the @ forgotten) sends the name as text."""
    r = server.request("POST", "/transcriptions/deepgram",
                       headers={"x-api-key": LEGACY_KEY},
                       files={"audio": (None, "x.wav")})
    err = error_of(r, 400)
    assert err["message"] == ("field 'audio' arrived as text, not as a file"
                              " (with curl: -F audio=@file)")


def test_json_body_on_an_upload_endpoint(server):
    r = server.request("POST", "/transcriptions/deepgram",
                       headers={"x-api-key": LEGACY_KEY},
                       json={"audio": "x.wav"})
    err = error_of(r, 415, "unsupported_media_type")
    assert "multipart/form-data" in err["message"]
    assert "not JSON" in err["message"]


def test_api_key_on_a_jwt_endpoint(server):
    for h in ({"x-api-key": LEGACY_KEY},
              {"Authorization": "Bearer trk_notakeyatall0123456789"}):
        err = error_of(server.get("/auth/profile", headers=h), 401)
        assert err["message"] == ("this endpoint takes a Bearer access token"
                                  " from /auth/login, not an API key")
    err = error_of(server.get("/auth/profile"), 401)
    assert err["message"] == ("missing credentials: this endpoint takes a"
                              " Bearer access token from /auth/login")
    err = error_of(server.request("POST", "/utilities/log-usage", json={}), 401)
    assert err["message"] == ("missing credentials: this endpoint takes an"
                              " API key (x-api-key header)")


def raw(server, data):
    s = socket.create_connection(("127.0.0.1", server.port), 10)
    s.sendall(data)
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


def test_post_without_a_body(server, token):
    """curl -X POST sends neither a body nor a Content-Length: the body
    is optional here, so Apache's programs make a key.  lighttpd itself
    requires the length of a POST: its 411 says how to send none."""
    status, body = raw(server, b"POST /auth/api-keys HTTP/1.1\r\nHost: x\r\n"
                       b"Authorization: Bearer " + token.encode() +
                       b"\r\nConnection: close\r\n\r\n")
    if server.kind == "lighttpd":
        assert status == 411, body
        assert b"Content-Length: 0; with curl, -d ''" in body
    else:
        assert status == 201, body
        assert b'"api_key":"trk_' in body


def test_chunked_body_is_read_or_refused(server, token):
    """A chunked body is never taken for no body: the web server passes
    it on whole (and its name is kept), or it is 411."""
    name = b'{"name":"chunky"}'
    chunk = b"%x\r\n%s\r\n0\r\n\r\n" % (len(name), name)
    status, body = raw(server, b"POST /auth/api-keys HTTP/1.1\r\nHost: x\r\n"
                       b"Authorization: Bearer " + token.encode() + b"\r\n"
                       b"Content-Type: application/json\r\n"
                       b"Transfer-Encoding: chunked\r\n"
                       b"Connection: close\r\n\r\n" + chunk)
    assert status in (201, 411), body
    if status == 201:
        assert b'"name":"chunky"' in body
