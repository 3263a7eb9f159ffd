"""The live-caption page (ws-bridge/www, served at /live/) in a real
browser: headless Chromium with a fake microphone that plays speech made
by flite, driven over the Chrome DevTools Protocol (CDP) with the
python3-websockets asyncio client; no Selenium, no Playwright.

The whole path is real: page -> lighttpd (/live/ static files, /socket.io/
proxied) -> ws-bridge -> the Deepgram live mock (which answers "hello
world this is a test" to any voiced audio) -> back to the page."""

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
import uuid

import pytest
import websockets

from conftest import need

CHROMIUM = "/usr/bin/chromium"
WORDS = "hello world this is a test"
TIMEOUT = 40


def norm(text):
    """Captions without Deepgram's punctuation and capitals."""
    return re.sub(r"[^a-z ]", "", text.lower()).strip()


@pytest.fixture(scope="module", autouse=True)
def tools():
    need(CHROMIUM, "flite", "sox",
         why="Debian's chromium, flite and sox: apt-get install them")


class CDPError(Exception):
    pass


class Page:
    """One page target over CDP: calls in order, events kept."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.events = []
        self.added = None   # Page.addScriptToEvaluateOnNewDocument's id

    async def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        await self.ws.send(json.dumps({"id": mid, "method": method,
                                       "params": params}))
        while True:
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
            if msg.get("id") == mid:
                if "error" in msg:
                    raise CDPError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    async def js(self, expr):
        """Evaluates expr in the page (as after a user's click) and
        returns its value; a promise is awaited."""
        r = await self.call("Runtime.evaluate", expression=expr,
                            returnByValue=True, awaitPromise=True,
                            userGesture=True)
        if "exceptionDetails" in r:
            raise CDPError("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    async def until(self, expr, timeout=TIMEOUT, fail=None):
        """Polls expr until it is truthy; fail (an expression) ends the
        wait early when truthy.  Returns expr's value (falsy on timeout)."""
        end = time.monotonic() + timeout
        while True:
            v = await self.js(expr)
            if v or time.monotonic() >= end:
                return v
            if fail is not None and await self.js(fail):
                return v
            await asyncio.sleep(0.1)

    def log(self):
        """Console messages, exceptions and browser log entries (CSP
        violations, failed loads), for assertion messages."""
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.consoleAPICalled":
                out.append("console.%s: %s" % (p["type"], " ".join(
                    str(a.get("value", a.get("description", "")))
                    for a in p.get("args", []))))
            elif e["method"] == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                out.append("exception: %s" % d.get("exception", {}).get(
                    "description", d.get("text")))
            elif e["method"] == "Log.entryAdded":
                en = p["entry"]
                out.append("log %s: %s %s" % (en["level"], en["text"],
                                              en.get("url", "")))
        return "\n".join(out)


class Chromium:
    """Headless Chromium with a fake microphone playing `wav` (looped)."""

    def __init__(self, wav):
        self.dir = tempfile.mkdtemp(prefix="trapi-chromium-")
        argv = [CHROMIUM, "--headless=new", "--no-sandbox",
                "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                "--use-file-for-fake-audio-capture=" + wav,
                "--autoplay-policy=no-user-gesture-required",
                "--user-data-dir=" + self.dir,
                "--remote-debugging-port=0", "about:blank"]
        self.logpath = os.path.join(self.dir, "chromium.log")
        self.logf = open(self.logpath, "wb")
        self.proc = subprocess.Popen(argv, stdout=self.logf,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.port = self._port()

    def _port(self):
        path = os.path.join(self.dir, "DevToolsActivePort")
        end = time.monotonic() + 30
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("chromium exited with %d:\n%s" % (
                    self.proc.returncode, self.output()))
            try:
                with open(path) as f:
                    line = f.readline().strip()
                if line:
                    return int(line)
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        raise RuntimeError("no DevToolsActivePort:\n" + self.output())

    def page_ws(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/json/list" %
                                    self.port, timeout=10) as r:
            targets = json.load(r)
        return next(t["webSocketDebuggerUrl"] for t in targets
                    if t["type"] == "page")

    def output(self):
        try:
            with open(self.logpath, errors="replace") as f:
                return f.read()[-4000:]
        except FileNotFoundError:
            return ""

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.logf.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def speech_wav(stack):
    """flite's "hello world this is a test", 16 kHz mono 16-bit, then 3 s
    of silence, twice: what the fake microphone plays, looped."""
    raw = os.path.join(stack.base, "captions-raw.wav")
    wav = os.path.join(stack.base, "captions-mic.wav")
    subprocess.run(["flite", "-voice", "slt", "-t", WORDS, "-o", raw],
                   check=True)
    subprocess.run(["sox", raw, "-r", "16000", "-c", "1", "-b", "16", wav,
                    "pad", "0", "3", "repeat", "2"], check=True)
    return wav


@pytest.fixture(scope="module")
def browser(speech_wav):
    c = Chromium(speech_wav)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture(scope="module")
def live(stack):
    """The bridge the web servers proxy to, lighttpd, and an API key."""
    stack.bridge()
    srv = stack.server("lighttpd")
    email = "captions-%s@example.com" % uuid.uuid4().hex[:12]
    stack.admin("create-user", email)
    key = stack.admin("create-key", email, "-n", "captions").strip()
    assert key, "trapi-admin create-key printed no key"
    return srv, key


def test_live_files_served(live):
    """/live/ is the page, with its scripts, under JavaScript types (a
    worklet module is refused under any other)."""
    srv, _ = live
    r = srv.get("/live/")
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html")
    assert 'id="captions"' in r.text
    for name in ("captions.js", "pcm.js", "socket.io.min.js"):
        r = srv.get("/live/" + name)
        assert r.status_code == 200, (name, r.status_code)
        assert "javascript" in r.headers["content-type"], \
            (name, r.headers["content-type"])
    r = srv.get("/live/captions.css")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/css")


def test_page_offers_the_upstreams_languages(stack, live, browser):
    """The language menu lists what ws-bridge's upstream transcribes, as
    GET /socket.io/languages says through the web server, not a list of
    its own."""
    srv, _ = live
    r = srv.get("/socket.io/languages")
    assert r.status_code == 200, r.text
    doc = r.json()
    want = [[l["code"], l["name"]] for l in doc["languages"]]
    assert doc["engine"] == "deepgram" and len(want) > 9

    async def run():
        page = await open_page(browser, srv.url + "/live/")
        try:
            ok = await page.until("document.body.dataset.engine === "
                                  "'deepgram'", timeout=10)
            assert ok, page.log()
            return await page.js("[...document.getElementById('lang')"
                                 ".options].map((o) => [o.value, o.text])")
        finally:
            await page.ws.close()

    assert asyncio.run(run()) == want


async def open_page(browser, url, before=None):
    """Loads url in the browser's page; before is a script to run in
    each new document ahead of the page's own."""
    ws = await websockets.connect(browser.page_ws(), max_size=None,
                                  ping_interval=None, close_timeout=2)
    page = Page(ws)
    await page.call("Runtime.enable")
    await page.call("Log.enable")
    await page.call("Page.enable")
    await page.call("Network.enable")
    if before is not None:
        r = await page.call("Page.addScriptToEvaluateOnNewDocument",
                            source=before)
        page.added = r["identifier"]
    await page.call("Page.navigate", url=url)
    ok = await page.until("document.readyState === 'complete' && "
                          "location.href === %s" % json.dumps(url),
                          timeout=20)
    assert ok, "the page did not load:\n" + page.log()
    ok = await page.js("typeof io === 'function' && "
                       "document.getElementById('captions') !== null")
    assert ok, "not the caption page, or no socket.io.min.js:\n" + page.log()
    return page


STATE = """(() => {
    const t = (id) => document.getElementById(id).textContent;
    return {
        finals: [...document.querySelectorAll('#captions .final')]
            .map((e) => e.textContent),
        interim: t('interim'), captions: t('captions'),
        status: t('status'), state: t('state'),
        interims: window.seenInterims || [],
        startDisabled: document.getElementById('start').disabled,
        capture: document.body.dataset.capture
    };
})()"""

# Records every text #interim shows, however briefly.
WATCH_INTERIM = """(() => {
    const el = document.getElementById('interim');
    window.seenInterims = [];
    new MutationObserver(() => {
        if (el.textContent !== '')
            window.seenInterims.push(el.textContent);
    }).observe(el, {childList: true, characterData: true, subtree: true});
    return true;
})()"""


def start_js(token, lang="en"):
    return """(() => {
        document.getElementById('token').value = %s;
        document.getElementById('lang').value = %s;
        document.getElementById('start').click();
        return true;
    })()""" % (json.dumps(token), json.dumps(lang))


# A browser without AudioWorklet, for the ScriptProcessor fallback.
NO_WORKLET = """Object.defineProperty(BaseAudioContext.prototype,
    'audioWorklet', {get: () => undefined});"""


@pytest.mark.parametrize("capture", ("worklet", "script-processor"))
def test_captions_through_lighttpd(stack, live, browser, capture):
    """Speech in the fake microphone comes back as captions: interim
    ones in #interim, final ones appended as .final."""
    srv, key = live
    mock = stack.deepgram_live
    before = len(mock.connections)

    async def run():
        page = await open_page(browser, srv.url + "/live/",
                               NO_WORKLET if capture != "worklet" else None)
        try:
            await page.js(WATCH_INTERIM)
            t0 = time.monotonic()
            await page.js(start_js(key, "en"))
            got = await page.until(
                "[...document.querySelectorAll('#captions .final')]"
                ".some((e) => e.textContent.toLowerCase()"
                ".includes('hello world'))",
                fail="document.getElementById('status').textContent !== ''")
            t_final = time.monotonic() - t0
            st = await page.js(STATE)
            assert got, "no final caption after %ds: %r\n%s" % (
                TIMEOUT, st, page.log())
            # A little more audio, then Stop: stream_stopped comes back
            # with the audio seconds the bridge counted.
            await asyncio.sleep(1)
            await page.js("document.getElementById('stop').click(), true")
            t_stop = time.monotonic() - t0
            stopped = await page.until(
                "document.getElementById('state').textContent"
                ".includes('s of audio')", timeout=15)
            end = await page.js(STATE)
            assert stopped, "no stream_stopped: %r\n%s" % (end, page.log())
            # Socket.IO upgraded to a WebSocket through lighttpd.
            upgraded = [e["params"]["response"]["status"]
                        for e in page.events if e["method"] ==
                        "Network.webSocketHandshakeResponseReceived"]
            return st, end, t_final, t_stop, upgraded, page.log()
        finally:
            if page.added is not None:
                await page.call("Page.removeScriptToEvaluateOnNewDocument",
                                identifier=page.added)
            await page.ws.close()

    st, end, t_final, t_stop, upgraded, log = asyncio.run(run())
    print("first final caption after %.1f s, stopped at %.1f s: %r" % (
        t_final, t_stop, end))

    assert st["status"] == "", (st, log)
    assert end["status"] == "", (end, log)
    # Each utterance's words are a prefix of the mock's list.
    assert any("hello world" in norm(f) for f in end["finals"]), end
    assert all(WORDS.startswith(norm(f)) for f in end["finals"]), end
    # Interim results were shown (the mock sends them every 0.25 s of
    # audio) and the last one was replaced by its final.
    assert end["interims"], end
    assert all(WORDS.startswith(norm(i)) for i in end["interims"]), end
    assert end["interim"] == "", end
    assert not end["startDisabled"], end
    # Chromium has AudioWorklet: the ScriptProcessor fallback is only
    # used where it is hidden (pcm.js is a worklet module, refused unless
    # served as JavaScript).
    assert end["capture"] == capture, (end, log)
    # The page keeps to its Content-Security-Policy (no inline code).
    assert "Content Security Policy" not in log, log
    assert upgraded == [101], (upgraded, log)

    # What Deepgram got: the page's format, passed through, and audio.
    conns = mock.connections[before:]
    assert len(conns) == 1, [c["query"] for c in conns]
    c = conns[0]
    assert c["query"].get("encoding") == "linear16", c["query"]
    assert c["query"].get("sample_rate") == "16000", c["query"]
    assert c["query"].get("language") == "en", c["query"]
    assert mock.wait_for(lambda: c["closed"], 10), c
    assert c["audio_bytes"] > 0 and c["audio_bytes"] % 2 == 0, c["audio_bytes"]
    assert any(c["audio"]), "only silence reached Deepgram"
    # 16 kHz really: the audio is about as long as the time it took to
    # send (48 kHz mislabelled would be three times as long).
    secs = c["audio_bytes"] / 32000
    assert 0.4 * t_stop < secs < 1.2 * t_stop + 0.5, (secs, t_stop)
    reported = float(end["state"].split("Stopped.")[1].split("s of")[0])
    assert abs(reported - secs) < 0.2, (reported, secs)


def test_bad_token_shows_connect_error(stack, live, browser):
    """A token the server refuses: its connect_error message in
    #status, the microphone stopped, Start usable again."""
    srv, key = live
    mock = stack.deepgram_live
    before = len(mock.connections)
    bad = key[:-6] + ("AAAAAA" if not key.endswith("AAAAAA") else "BBBBBB")

    async def run():
        page = await open_page(browser, srv.url + "/live/")
        try:
            await page.js(start_js(bad, "it"))
            got = await page.until(
                "document.getElementById('status').textContent !== ''",
                timeout=20)
            # Settled: the page stopped after the refusal.
            await page.until("!document.getElementById('start').disabled",
                             timeout=5)
            return got, await page.js(STATE), page.log()
        finally:
            await page.ws.close()

    got, st, log = asyncio.run(run())
    assert got, (st, log)
    assert "invalid API key" in st["status"], (st, log)
    assert st["finals"] == [] and st["interim"] == "", st
    assert not st["startDisabled"], st
    assert st["state"].startswith("Stopped"), st
    assert len(mock.connections) == before
