"""The local engine's answer depends on the upload alone: on a server
with one process per program, the same file posted again and again,
with other speech decoded in between, gets the same words, times and
subtitles each time as on the process's first request, and every time
lies inside the file, where the words were said, pauses included."""

import json
import re
import subprocess

import pytest

from conftest import LEGACY_KEY

KEY = {"x-api-key": LEGACY_KEY}
BEARER = {"Authorization": "Bearer " + LEGACY_KEY}
TIMES = 10
CUE = re.compile(r"(\d\d):(\d\d):(\d\d)[,.](\d{3}) --> "
                 r"(\d\d):(\d\d):(\d\d)[,.](\d{3})")


SINGLE = {}


@pytest.fixture
def single(request, stack):
    """A server whose every program runs in one process only: lighttpd,
    or the kind a test asks for (one of each for the module)."""
    kind = getattr(request, "param", "lighttpd")
    if kind not in SINGLE:
        SINGLE[kind] = stack.extra_server("single-" + kind, kind=kind,
                                          procs=1)
    return SINGLE[kind]


@pytest.fixture(scope="module", autouse=True)
def forget_single():
    yield
    SINGLE.clear()


BOTH = pytest.mark.parametrize("single", ["lighttpd", "apache-fcgid"],
                               indirect=True)


@pytest.fixture(scope="module")
def other(stack, speech):
    """Other speech to decode in between: the test sentence, 2 s of
    silence, another sentence."""
    fox = stack.base + "/fox.wav"
    wav = stack.base + "/other.wav"
    subprocess.run(["flite", "-voice", "slt", "-t", "the quick brown fox "
                    "jumped over the lazy dog", "-o", fox], check=True)
    subprocess.run(["sox", speech[0], wav, "pad", "0", "2"], check=True)
    subprocess.run(["sox", wav, fox, stack.base + "/other2.wav"], check=True)
    return stack.base + "/other2.wav"


def seconds(path):
    return float(subprocess.run(["soxi", "-D", path], check=True,
                                capture_output=True, text=True).stdout)


def post(srv, url, path, headers=KEY, field="audio", **data):
    with open(path, "rb") as f:
        r = srv.request("POST", url, headers=headers, data=data,
                        files={field: ("speech.wav", f, "audio/wav")},
                        timeout=120)
    assert r.status_code == 200, r.text
    return r


def inside(times, duration):
    """Every (start, end) goes forward and lies within [0, duration]."""
    assert times, "no times"
    for s, e in times:
        assert 0 <= s <= e <= duration + 0.01, (s, e, duration)


def cue_times(text):
    return [(int(m[0]) * 3600 + int(m[1]) * 60 + int(m[2]) + int(m[3]) / 1e3,
             int(m[4]) * 3600 + int(m[5]) * 60 + int(m[6]) + int(m[7]) / 1e3)
            for m in CUE.findall(text)]


def ours(r):
    """Our JSON, less what differs from one request to the next; checked."""
    b = r.json()
    pi = b["processing_info"]
    assert pi["provider"] == "local"
    inside([(w["start"], w["end"]) for w in b["words"]], pi["duration"])
    inside([(s["start"], s["end"]) for s in b["diarization"]["segments"]],
           pi["duration"])
    for k in ("request_id", "provider_request_id"):
        pi.pop(k, None)
    b.pop("request_id", None)
    return json.dumps(b, sort_keys=True)


def verbose(r):
    v = r.json()
    inside([(s["start"], s["end"]) for s in v.get("segments", [])] +
           [(w["start"], w["end"]) for w in v.get("words", [])], v["duration"])
    return r.text


def repeat(ask, other_ask):
    """ask() ten times, other speech between; every answer the same."""
    first = ask()
    for i in range(TIMES - 1):
        if i % 3 == 0:
            other_ask()
        assert ask() == first, "request %d differs from the first" % (i + 2)
    return first


@BOTH
def test_deepgram_endpoint(single, speech, other):
    url = "/transcriptions/deepgram"
    first = repeat(lambda: ours(post(single, url, speech[0], provider="local")),
                   lambda: post(single, url, other, provider="local"))
    words = json.loads(first)["transcript"].split()
    assert "test" in words and "transcription" in words, words


@BOTH
def test_pause_keeps_time(single, speech, other):
    """The words after a pause are timed after it, and those before it
    as in the file alone."""
    alone = post(single, "/transcriptions/deepgram", speech[0],
                 provider="local").json()["words"]
    both = post(single, "/transcriptions/deepgram", other,
                provider="local").json()
    inside([(w["start"], w["end"]) for w in both["words"]],
           both["processing_info"]["duration"])
    assert abs(both["words"][0]["start"] - alone[0]["start"]) < 0.05
    pause = seconds(speech[0]) + 2
    fox = [w for w in both["words"] if w["word"] in ("quick", "fox", "dog")]
    assert fox and all(w["start"] > pause - 0.1 for w in fox), both["words"]


@pytest.mark.parametrize("fmt", ["srt", "vtt", "verbose_json"])
def test_openai_endpoint(single, speech, other, fmt):
    url = "/v1/audio/transcriptions"
    fields = {"model": "whisper-1", "response_format": fmt}
    if fmt == "verbose_json":
        fields["timestamp_granularities[]"] = ["word", "segment"]

    def ask():
        r = post(single, url, speech[0], headers=BEARER, field="file",
                 **fields)
        if fmt == "verbose_json":
            return verbose(r)
        inside(cue_times(r.text), 4.0)
        return r.text

    repeat(ask, lambda: post(single, url, other, headers=BEARER,
                             field="file", **fields))


@pytest.mark.parametrize("fmt", ["srt", "vtt", "verbose_json"])
def test_whisper_endpoint(single, speech, other, fmt):
    """/transcriptions/whisper with provider=local: its subtitles."""
    url = "/transcriptions/whisper"

    def ask():
        r = post(single, url, speech[0], provider="local",
                 response_format=fmt)
        if fmt == "verbose_json":
            return verbose(r)
        inside(cue_times(r.text), 4.0)
        return r.text

    repeat(ask, lambda: post(single, url, other, provider="local"))
