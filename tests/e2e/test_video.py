"""POST /transcriptions/video through the real web server: mp4 and webm
videos made with ffmpeg from flite speech, uploaded and fetched by URL
(direct, through a page's <video>, and through yt-dlp for a page whose
player is set up by script), and every URL the guard must refuse, with
the serving side's log showing that nothing was fetched."""

import os
import subprocess
import sys
import time

import pytest

from conftest import LEGACY_KEY, need
from test_http import error_of

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "mock"))
from webhook import WebhookReceiver  # noqa: E402

KEY = {"x-api-key": LEGACY_KEY}
URL = "/transcriptions/video"
WORDS = ("test", "transcription", "service")


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y"] +
                   list(args), check=True, timeout=60)


@pytest.fixture(scope="module")
def videos(stack, speech):
    need("ffmpeg", "flite", why="videos made from speech")
    wav = speech[0]
    out = {}
    color = ["-f", "lavfi", "-i", "color=c=blue:s=160x120:r=10"]
    out["mp4"] = os.path.join(stack.base, "speech.mp4")
    ffmpeg(*color, "-i", wav, "-shortest", "-c:v", "mpeg4", "-c:a", "aac",
           out["mp4"])
    out["webm"] = os.path.join(stack.base, "speech.webm")
    ffmpeg(*color, "-i", wav, "-shortest", "-c:v", "libvpx", "-c:a",
           "libopus", out["webm"])
    out["silent"] = os.path.join(stack.base, "silent.mp4")
    ffmpeg(*color, "-t", "2", "-c:v", "mpeg4", "-an", out["silent"])
    return out


def jw_page(media_url):
    """A page whose player a script sets up: no <video> to read, but
    yt-dlp's generic extractor knows it."""
    return (b"<html><head><title>A talk</title></head><body>"
            b"<div id='player'></div><script>jwplayer(\"player\").setup("
            b"{file: \"%s\", title: \"A talk\"});</script></body></html>"
            % media_url.encode())


@pytest.fixture(scope="module")
def media(videos):
    """A loopback server with the media and a page that shows it."""
    m = WebhookReceiver()
    for kind, path in videos.items():
        with open(path, "rb") as f:
            m.files["/v/%s.%s" % (kind, "webm" if kind == "webm" else "mp4")] = \
                (f.read(), "video/" + ("webm" if kind == "webm" else "mp4"))
    m.files["/page.html"] = (
        b"<!doctype html><html><head><title>talk</title>"
        b"<script>var s = '<video src=\"/nope.mp4\">';</script></head>"
        b"<body><!-- <video src='/v/silent.mp4'> -->"
        b"<VIDEO controls width=320><source type='video/webm' "
        b"SRC=\"v/webm.webm\"></VIDEO></body></html>",
        "text/html; charset=utf-8")
    m.files["/og.html"] = (
        b"<html><head><meta property=\"og:video\" content=\"/v/mp4.mp4?a=1"
        b"&amp;b=2\"></head></html>", "text/html")
    m.files["/v/mp4.mp4?a=1&b=2"] = m.files["/v/mp4.mp4"]
    m.files["/empty.html"] = (b"<html><body>no media</body></html>",
                              "text/html")
    m.files["/player.html"] = (jw_page(m.base_url + "/v/mp4.mp4"), "text/html")
    yield m
    m.close()


@pytest.fixture(scope="module")
def open_srv(stack):
    """A server that may fetch private URLs (the tests' loopback ones)."""
    return stack.extra_server("video-open", ALLOW_PRIVATE_URLS="true")


def post(srv, data=None, files=None):
    return srv.request("POST", URL, headers=KEY, data=data, files=files,
                       timeout=120)


def billed(stack, r):
    return stack.pg.psql("SELECT service, status FROM usage_logs WHERE "
                         "request_id = '%s'" % r.headers["X-Request-Id"])


def heard(r):
    assert r.status_code == 200, r.text
    body = r.json()
    for w in WORDS:
        assert w in body["transcript"].split(), body["transcript"]
    assert body["processing_info"]["provider"] == "local"
    return body


@pytest.mark.parametrize("kind", ["mp4", "webm"])
def test_upload_transcribed(stack, videos, kind):
    srv = stack.server("lighttpd")
    with open(videos[kind], "rb") as f:
        r = post(srv, files={"video": ("talk." + kind, f, "video/" + kind)})
    body = heard(r)
    assert 3.0 < body["processing_info"]["duration"] < 4.5
    assert billed(stack, r) == [["local", "success"]]
    assert stack.leftovers() == []


def test_url_to_media(stack, open_srv, media):
    n = len(media.requests)
    r = post(open_srv, data={"url": media.base_url + "/v/mp4.mp4",
                             "provider": "local"})
    heard(r)
    assert [q["path"] for q in media.requests[n:]] == ["/v/mp4.mp4"]
    assert stack.leftovers() == []


def test_url_to_page_with_video(stack, open_srv, media):
    n = len(media.requests)
    r = post(open_srv, data={"url": media.base_url + "/page.html"})
    heard(r)
    assert [q["path"] for q in media.requests[n:]] == \
        ["/page.html", "/v/webm.webm"]


def test_url_to_page_with_og_video(open_srv, media):
    heard(post(open_srv, data={"url": media.base_url + "/og.html",
                               "response_format": "json"}))


def test_page_without_media(stack, open_srv, media):
    r = post(open_srv, data={"url": media.base_url + "/empty.html"})
    assert "no video or audio" in error_of(r, 422)["message"]
    assert billed(stack, r) == [] and stack.leftovers() == []


def test_url_to_page_through_ytdlp(stack, open_srv, media):
    need("yt-dlp", why="pages only yt-dlp understands")
    n = len(media.requests)
    r = post(open_srv, data={"url": media.base_url + "/player.html"})
    heard(r)
    paths = [q["path"] for q in media.requests[n:]]
    # ours read the page, then yt-dlp (through our proxy) the page and the media
    assert paths[0] == "/player.html" and paths[-1] == "/v/mp4.mp4", paths
    assert billed(stack, r) == [["local", "success"]]
    assert stack.leftovers() == []


def test_ytdlp_cannot_reach_loopback(stack, media):
    """The page's server is allowed by exact address; the media it
    names is on another loopback server, which yt-dlp must not reach."""
    need("yt-dlp", why="pages only yt-dlp understands")
    page = WebhookReceiver()
    try:
        page.files["/p.html"] = (jw_page(media.base_url + "/v/mp4.mp4"),
                                 "text/html")
        srv = stack.extra_server("video-yt",
                                 URL_ALLOW_ADDRS="127.0.0.1:%d" % page.port)
        n = len(media.requests)
        r = post(srv, data={"url": page.base_url + "/p.html"})
        err = error_of(r, 422)
        assert "loopback" in err["message"], err
        assert media.requests[n:] == []
        assert [q["path"] for q in page.requests] == ["/p.html", "/p.html"]
        assert billed(stack, r) == [] and stack.leftovers() == []
    finally:
        page.close()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:{port}/v/mp4.mp4", "http://[::1]:{port}/v/mp4.mp4",
    "http://[::1]/", "http://10.0.0.1/v.mp4", "http://localhost:{port}/v/mp4.mp4",
    "http://[::ffff:127.0.0.1]:{port}/v/mp4.mp4", "http://169.254.169.254/",
    "http://0.0.0.0:{port}/", "file:///etc/passwd", "ftp://example.com/v.mp4",
    "gopher://127.0.0.1:{port}/"])
def test_private_and_other_schemes_refused(stack, media, url):
    srv = stack.server("lighttpd")
    n = len(media.requests)
    r = post(srv, data={"url": url.format(port=media.port)})
    err = error_of(r, 422, "unprocessable_entity")
    assert "url" in err["message"].lower() or "URL" in err["message"]
    assert media.requests[n:] == []          # nothing fetched
    assert billed(stack, r) == [] and stack.leftovers() == []


def test_redirect_to_loopback_refused(stack, media):
    """The first hop is allowed by exact address; it redirects to
    another loopback server, which must see nothing."""
    hop = WebhookReceiver()
    try:
        hop.redirects["/r"] = media.base_url + "/v/mp4.mp4"
        srv = stack.extra_server("video-hop",
                                 URL_ALLOW_ADDRS="127.0.0.1:%d" % hop.port)
        n = len(media.requests)
        r = post(srv, data={"url": hop.base_url + "/r"})
        err = error_of(r, 422)
        assert "loopback" in err["message"]
        assert [q["path"] for q in hop.requests] == ["/r"]
        assert media.requests[n:] == []
        # A name: refused where the connection is made.
        hop.redirects["/r3"] = "http://localhost:%d/v/mp4.mp4" % media.port
        assert "loopback" in error_of(post(
            srv, data={"url": hop.base_url + "/r3"}), 422)["message"]
        assert media.requests[n:] == []
        # Allowed hop to allowed address: the same server fetches fine.
        hop.files["/m.mp4"] = media.files["/v/mp4.mp4"]
        hop.redirects["/r2"] = hop.base_url + "/m.mp4"
        heard(post(srv, data={"url": hop.base_url + "/r2"}))
    finally:
        hop.close()


@pytest.mark.parametrize("path", ["/v/mp4.mp4", "/player.html"])
def test_oversize_and_overlong(stack, media, path):
    """The caps, on direct media and on a page only yt-dlp reads."""
    if path.endswith(".html"):
        need("yt-dlp", why="pages only yt-dlp understands")
    tag = "page" if path.endswith(".html") else "media"
    srv = stack.extra_server("video-small-" + tag, ALLOW_PRIVATE_URLS="true",
                             VIDEO_MAX_BYTES="10000", VIDEO_MAX_SECONDS="2")
    r = post(srv, data={"url": media.base_url + path})
    assert "larger than 10000" in error_of(r, 413)["message"]
    srv2 = stack.extra_server("video-short-" + tag, ALLOW_PRIVATE_URLS="true",
                              VIDEO_MAX_SECONDS="2")
    r2 = post(srv2, data={"url": media.base_url + path})
    assert "more than 2 s" in error_of(r2, 422)["message"]
    assert billed(stack, r) == [] and billed(stack, r2) == []
    assert stack.leftovers() == []


@pytest.mark.parametrize("url,why", [
    ("http://example.com/" + "a" * 2100, "bytes"),
    ("http://user:pw@example.com/v.mp4", "password"),
    ("http://user@example.com/v.mp4", "password"),
    ("javascript:alert(1)", "http or https"),
    ("not a url", "space"),
    ("/relative/path.mp4", "absolute"),
])
def test_bad_urls(stack, url, why):
    r = post(stack.server("lighttpd"), data={"url": url})
    assert why in error_of(r, 422)["message"]
    assert billed(stack, r) == [] and stack.leftovers() == []


def test_media_without_audio(stack, videos, open_srv, media):
    srv = stack.server("lighttpd")
    with open(videos["silent"], "rb") as f:
        r = post(srv, files={"video": ("silent.mp4", f, "video/mp4")})
    assert "audio track" in error_of(r, 415)["message"]
    r2 = post(open_srv, data={"url": media.base_url + "/v/silent.mp4"})
    assert "audio track" in error_of(r2, 415)["message"]
    assert billed(stack, r) == [] and billed(stack, r2) == []
    assert stack.leftovers() == []


def test_neither_or_both(stack, videos):
    srv = stack.server("lighttpd")
    error_of(post(srv, data={}), 400)
    with open(videos["mp4"], "rb") as f:
        error_of(post(srv, data={"url": "http://example.com/v.mp4"},
                      files={"video": ("v.mp4", f, "video/mp4")}), 400)


def test_unknown_provider(stack, videos):
    with open(videos["mp4"], "rb") as f:
        r = post(stack.server("lighttpd"), data={"provider": "nope"},
                 files={"video": ("v.mp4", f, "video/mp4")})
    error_of(r, 422)
    assert stack.leftovers() == []
