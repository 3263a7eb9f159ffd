"""The multipart parser through the real web servers, with the
test-only program /test/upload (tests/e2e/upload_probe.c): a large
upload in bounded memory, and every kind of malformed body refused in
JSON with nothing left in the upload directory."""

import hashlib
import http.client
import os
import socket

import pytest

from test_http import error_of, raw

MB = 1024 * 1024


def post(server, body, ctype="multipart/form-data; boundary=XyZ",
         length=None, timeout=120):
    """POSTs body (bytes or an iterable of bytes) with an exact length."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    if length is None:
        length = len(body)
    conn.putrequest("POST", "/test/upload")
    conn.putheader("Content-Type", ctype)
    conn.putheader("Content-Length", str(length))
    conn.endheaders()
    if isinstance(body, bytes):
        conn.send(body)
    else:
        for chunk in body:
            conn.send(chunk)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, dict(resp.getheaders()), data


def part(name, value, filename=None, ctype=None, boundary=b"XyZ"):
    h = b'--' + boundary + b'\r\nContent-Disposition: form-data; name="' + name + b'"'
    if filename is not None:
        h += b'; filename="' + filename + b'"'
    h += b"\r\n"
    if ctype:
        h += b"Content-Type: " + ctype + b"\r\n"
    return h + b"\r\n" + value + b"\r\n"


def close(boundary=b"XyZ"):
    return b"--" + boundary + b"--\r\n"


def assert_json_error(status, headers, data, allowed):
    import json
    assert status in allowed, (status, data[:300])
    ctype = {k.lower(): v for k, v in headers.items()}["content-type"]
    assert ctype.startswith("application/json"), data[:300]
    body = json.loads(data)
    assert set(body["error"]) == {"code", "message", "request_id"}
    return body["error"]


def test_small_upload(fcgi_server, stack):
    body = (part(b"language", b"en") +
            part(b"audio", b"RIFF\x00\x01\x02binary\r\n--Xy", b"a b.wav", b"audio/wav") +
            close())
    status, _, data = post(fcgi_server, body)
    assert status == 200, data
    import json
    got = json.loads(data)
    assert got["fields"] == {"language": "en"}
    (f,) = got["files"]
    assert f["field"] == "audio" and f["filename"] == "a b.wav"
    assert f["content_type"] == "audio/wav"
    assert f["size"] == len(b"RIFF\x00\x01\x02binary\r\n--Xy")
    assert f["sha256"] == hashlib.sha256(b"RIFF\x00\x01\x02binary\r\n--Xy").hexdigest()
    # Small: kept in memory, no file or directory made for it.
    assert f["on_disk"] is False
    assert stack.leftovers() == []



def test_part_moves_to_disk_past_memory_limit(stack):
    """UPLOAD_MEMORY_BYTES is the most a part keeps in memory: a part of
    exactly that size stays there, one byte more goes to the request's
    temp dir on the way (its first bytes copied over), and both arrive
    intact; nothing is left after the request."""
    srv = stack.extra_server("memlimit", UPLOAD_MEMORY_BYTES="65536")
    exact = hashlib.sha512(b"a").digest() * 1024               # 64 KiB
    more = hashlib.sha512(b"b").digest() * 1024 + b"z"
    body = (part(b"one", exact, b"exact.bin", b"application/octet-stream") +
            part(b"two", more, b"more.bin", b"application/octet-stream") +
            close())
    status, _, data = post(srv, body)
    assert status == 200, data
    import json
    one, two = json.loads(data)["files"]
    assert (one["size"], one["on_disk"]) == (len(exact), False)
    assert one["sha256"] == hashlib.sha256(exact).hexdigest()
    assert (two["size"], two["on_disk"]) == (len(more), True)
    assert two["sha256"] == hashlib.sha256(more).hexdigest()
    assert stack.leftovers() == []


def test_200mb_upload_in_bounded_memory(fcgi_server, stack):
    """A 200 MB file part is spooled to disk: the program's peak RSS
    stays under 32 MB and the bytes arrive intact."""
    size = 200 * MB
    block = hashlib.sha512(b"seed").digest() * 1024           # 64 KiB
    head = part(b"note", b"big")[:-2] + b"\r\n" + \
        b'--XyZ\r\nContent-Disposition: form-data; name="audio"; filename="big.bin"\r\n' \
        b"Content-Type: application/octet-stream\r\n\r\n"
    tail = b"\r\n" + close()
    digest = hashlib.sha256()

    def gen():
        yield head
        left = size
        while left:
            chunk = block[:min(left, len(block))]
            digest.update(chunk)
            left -= len(chunk)
            yield chunk
        yield tail

    status, _, data = post(fcgi_server, gen(), length=len(head) + size + len(tail),
                           timeout=300)
    assert status == 200, data
    import json
    got = json.loads(data)
    (f,) = got["files"]
    assert f["size"] == size
    assert f["sha256"] == digest.hexdigest()
    assert f["on_disk"] is True
    assert got["fields"] == {"note": "big"}
    assert got["maxrss_kb"] < 32 * 1024, got["maxrss_kb"]
    assert stack.leftovers() == []


BAD = {
    "truncated": (part(b"a", b"1") + b'--XyZ\r\nContent-Disposition: form-data; '
                  b'name="f"; filename="x"\r\n\r\nabc', None, (400,)),
    "no boundary param": (part(b"a", b"1") + close(), "multipart/form-data", (400,)),
    "wrong boundary": (part(b"a", b"1", boundary=b"Other") + close(b"Other"),
                       None, (400,)),
    "no closing boundary": (part(b"a", b"1"), None, (400,)),
    "boundary too long": (part(b"a", b"1"), "multipart/form-data; boundary=" +
                          "x" * 71, (400,)),
    "NUL in field name": (part(b"a\x00b", b"1") + close(), None, (400,)),
    "NUL in file name": (part(b"f", b"1", b"x\x00y") + close(), None, (400,)),
    "part without name": (b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n" +
                          close(), None, (400,)),
    "part without headers": (b"--XyZ\r\n\r\nv\r\n" + close(), None, (400,)),
    "huge part header": (b"--XyZ\r\nContent-Disposition: form-data; name=\"" +
                         b"n" * 20000 + b"\"\r\n\r\nv\r\n" + close(), None, (400, 413)),
    "oversized field": (part(b"text", b"t" * (2 * MB)) + close(), None, (413,)),
    "10000 tiny parts": (b"".join(part(b"p%d" % i, b"x") for i in range(10000)) +
                         close(), None, (413,)),
    "unsupported type": (b"just bytes", "application/octet-stream", (415,)),
    "bad json": (b'{"a": ', "application/json", (400,)),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_multipart(fcgi_server, stack, case):
    body, ctype, allowed = BAD[case]
    if case == "10000 tiny parts":
        # files too: each file part would leave a spool file behind
        body = b"".join(part(b"p", b"x", b"f%d" % i) for i in range(10000)) + close()
    status, headers, data = post(fcgi_server, body,
                                 ctype or "multipart/form-data; boundary=XyZ")
    assert_json_error(status, headers, data, allowed)
    assert stack.leftovers() == []


def test_body_over_limit_refused_before_reading(fcgi_server, stack):
    """A Content-Length over the limit is answered at once: the client
    has sent none of the body."""
    s = socket.create_connection(("127.0.0.1", fcgi_server.port), 10)
    s.sendall(b"POST /test/upload HTTP/1.1\r\nHost: x\r\n"
              b"Content-Type: multipart/form-data; boundary=XyZ\r\n"
              b"Content-Length: 999999999999\r\n\r\n")
    data = s.recv(65536)
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert b" 413 " in head.split(b"\r\n")[0], head
    assert b"application/json" in head
    assert b'"payload_too_large"' in body
    assert stack.leftovers() == []


def test_content_length_smaller_than_body(fcgi_server, stack):
    """The server reads Content-Length bytes: the multipart body is then
    cut short and refused; the rest is never taken as a part."""
    body = part(b"a", b"1") + part(b"f", b"data", b"x.bin") + close()
    status, headers, data = post(fcgi_server, body, length=len(body) - 20)
    assert_json_error(status, headers, data, (400,))
    assert stack.leftovers() == []


def test_content_length_larger_than_body(server, stack):
    """The client stops sending early and closes its side: no HTML, no
    success, never a hang, and nothing left on disk."""
    body = part(b"a", b"1") + part(b"f", b"data", b"x.bin")
    out = raw(server, b"POST /test/upload HTTP/1.1\r\nHost: x\r\n"
              b"Content-Type: multipart/form-data; boundary=XyZ\r\n"
              b"Content-Length: %d\r\n\r\n" % (len(body) + 1000) + body)
    if out:      # lighttpd just closes; Apache answers
        head, _, rest = out.partition(b"\r\n\r\n")
        status = head.split(b"\r\n")[0]
        assert b" 200 " not in status
        assert b"application/json" in head, out[:300]
        assert b"<html" not in rest.lower()
    assert stack.leftovers() == []


def test_cgi_short_body_is_400(stack):
    """Run as plain CGI with a body shorter than CONTENT_LENGTH, the
    program itself answers 400 JSON."""
    import subprocess
    import json
    body = part(b"a", b"1")
    env = dict(os.environ, APP_CONFIG=stack.config, REQUEST_METHOD="POST",
               REQUEST_URI="/test/upload", CONTENT_LENGTH=str(len(body) + 50),
               CONTENT_TYPE="multipart/form-data; boundary=XyZ")
    p = subprocess.run([os.path.join(stack.cgidir, "upload_probe")], input=body,
                       env=env, capture_output=True)
    head, _, out = p.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"Status: 400 ")
    assert json.loads(out)["error"]["message"] == \
        "request body is shorter than Content-Length"
    assert stack.leftovers() == []
