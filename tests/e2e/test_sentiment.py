"""POST /sentiment with the local engine, POST /utilities/audio-duration
and POST /utilities/text-file through the real web servers: labels of
sentences with an obvious sentiment, per-speaker results of a
transcript, durations of every container, safe download names, bad
input refused in JSON naming the field, and usage rows only for calls
that succeeded."""

import os
import subprocess
import urllib.parse

import pytest

from conftest import LEGACY_KEY
from test_http import error_of

KEY = {"x-api-key": LEGACY_KEY}

# (sentence, expected label): negations, boosters, "but" clauses,
# capitals, exclamation marks, and sentences that say both.
SENTENCES = [
    ("I love this product.", "positive"),
    ("This is a great day.", "positive"),
    ("The service was excellent and the staff were friendly.", "positive"),
    ("What a wonderful surprise!", "positive"),
    ("The food was very good.", "positive"),
    ("The movie was EXTREMELY good!!!", "positive"),
    ("I am really happy with the result.", "positive"),
    ("It was not bad at all.", "positive"),
    ("The hotel was not terrible.", "positive"),
    ("The plot was slow, but the ending was brilliant.", "positive"),
    ("I was nervous at first but it turned out great.", "positive"),
    ("This is AMAZING!", "positive"),
    ("Thanks, that was helpful.", "positive"),
    ("I hate waiting in line.", "negative"),
    ("This is a terrible idea.", "negative"),
    ("The food was not good.", "negative"),
    ("The answer was not helpful at all.", "negative"),
    ("I am very disappointed.", "negative"),
    ("The room was dirty and the staff were rude.", "negative"),
    ("The design is nice, but the battery is awful.", "negative"),
    ("It started well but it ended in a horrible mess.", "negative"),
    ("This is the WORST service ever!", "negative"),
    ("I never liked this place.", "negative"),
    ("The meeting was a complete failure.", "negative"),
    ("What a sad and painful story.", "negative"),
    ("The meeting is at three o'clock.", "neutral"),
    ("The report has twelve pages.", "neutral"),
    ("We moved the desk to the other room.", "neutral"),
    ("The train leaves from platform four.", "neutral"),
    ("I love the camera and I hate the battery.", "mixed"),
    ("The food was great and the service was terrible.", "mixed"),
    ("I am happy about the job and sad about the move.", "mixed"),
]
# At least this many must come out with the label above.
SENTENCES_MIN = 29


def post(srv, body, path="/sentiment", headers=KEY):
    return srv.request("POST", path, json=body, headers=headers)


def rows(stack, rid):
    return stack.pg.psql("SELECT service, status, audio_duration_seconds"
                         " FROM usage_logs WHERE request_id = '%s'" % rid)


def test_sentence_table(stack):
    srv = stack.server("lighttpd")
    right = []
    for text, want in SENTENCES:
        r = post(srv, {"text": text})
        assert r.status_code == 200, r.text
        b = r.json()
        assert b["engine"] == "local"
        assert -1 <= b["overall"]["score"] <= 1
        assert [s["text"] for s in b["sentences"]] == [text]
        if b["overall"]["label"] == want:
            right.append(text)
        else:
            print("%r: %s, expected %s (%.3f)" % (
                text, b["overall"]["label"], want, b["overall"]["score"]))
    print("%d of %d sentences labelled as expected" % (len(right),
                                                       len(SENTENCES)))
    assert len(SENTENCES) >= 30
    assert len(right) >= SENTENCES_MIN, len(right)


def test_text_sentences_and_row(server, stack):
    text = ("The first part was wonderful. The second part was awful! "
            "Dr. Smith arrived at 3.30 and left.")
    r = post(server, {"text": text})
    assert r.status_code == 200, r.text
    b = r.json()
    assert [s["label"] for s in b["sentences"]] == \
        ["positive", "negative", "neutral"]
    assert b["sentences"][2]["text"] == "Dr. Smith arrived at 3.30 and left."
    assert b["overall"]["label"] == "mixed"
    assert b["overall"]["sentences"] == 3
    assert "segments" not in b and "speakers" not in b
    assert rows(stack, r.headers["X-Request-Id"]) == \
        [["sentiment", "success", "0.000"]]


TRANSCRIPT = {
    "transcript": "ignored when there are segments",
    "diarization": {"speakers_detected": 2, "segments": [
        {"speaker": 0, "start": 0.0, "end": 2.5,
         "text": "I really love how this project turned out."},
        {"speaker": 1, "start": 2.5, "end": 5.0,
         "text": "The deadline was terrible. I hated it."},
        {"speaker": 0, "start": 5.0, "end": 7.0,
         "text": "The team did a great job!"},
        {"speaker": 1, "start": 7.0, "end": 9.0,
         "text": "The budget was a disaster."},
    ]},
    "words": [],
    "processing_info": {"provider": "deepgram", "language": "en",
                        "duration": 9.0},
}


def test_transcript_per_segment_and_speaker(server, stack):
    r = post(server, {"transcript": TRANSCRIPT})
    assert r.status_code == 200, r.text
    b = r.json()
    segs = b["segments"]
    assert [(s["index"], s["speaker"], s["start"], s["end"]) for s in segs] \
        == [(0, 0, 0.0, 2.5), (1, 1, 2.5, 5.0), (2, 0, 5.0, 7.0),
            (3, 1, 7.0, 9.0)]
    assert [s["label"] for s in segs] == \
        ["positive", "negative", "positive", "negative"]
    sp = {s["speaker"]: s for s in b["speakers"]}
    assert set(sp) == {0, 1}
    assert sp[0]["label"] == "positive" and sp[0]["score"] > 0.3
    assert sp[1]["label"] == "negative" and sp[1]["score"] < -0.3
    assert sp[1]["sentences"] == 3
    assert [s["segment"] for s in b["sentences"]] == [0, 1, 1, 2, 3]
    assert b["overall"]["label"] == "mixed"
    assert b["language"] == "en"


def test_transcript_from_a_transcription(stack, speech):
    """What a transcription endpoint answers goes in as it is."""
    srv = stack.server("lighttpd")
    with open(speech[0], "rb") as f:
        t = srv.request("POST", "/transcriptions/deepgram", headers=KEY,
                        data={"provider": "local"},
                        files={"audio": ("s.wav", f, "audio/wav")},
                        timeout=120)
    assert t.status_code == 200, t.text
    r = post(srv, {"transcript": t.json()})
    assert r.status_code == 200, r.text
    assert r.json()["segments"] and r.json()["overall"]["label"]


def test_form_fields(stack):
    srv = stack.server("lighttpd")
    r = srv.request("POST", "/sentiment", headers=KEY,
                    data={"text": "I love it!"})
    assert r.status_code == 200 and r.json()["overall"]["label"] == "positive"
    import json
    r = srv.request("POST", "/sentiment", headers=KEY,
                    data={"transcript": json.dumps(TRANSCRIPT)})
    assert r.status_code == 200 and len(r.json()["speakers"]) == 2


@pytest.mark.parametrize("body,status,field", [
    ({}, 400, "'text' or 'transcript'"),
    ({"text": ""}, 422, "'text' is empty"),
    ({"text": "  \n "}, 422, "'text' is empty"),
    ({"text": 12}, 422, "'text' must be a JSON string"),
    ({"text": ["a"]}, 422, "'text' must be a JSON string"),
    ({"text": "a\u0000b"}, 422, "'text'"),
    ({"text": "fine", "transcript": TRANSCRIPT}, 422, "not both"),
    ({"transcript": "words"}, 422, "'transcript' must be a JSON object"),
    ({"transcript": []}, 422, "'transcript' must be a JSON object"),
    ({"transcript": {"transcript": 5}}, 422,
     "'transcript.transcript' must be a string"),
    ({"transcript": {"diarization": {"segments": [{"text": "hi"}]}}}, 422,
     "'transcript.diarization.segments[0].start' is required"),
    ({"transcript": {"diarization": {"segments": [
        {"text": "hi", "start": 0, "end": 1, "speaker": "A"}]}}}, 422,
     "'transcript.diarization.segments[0].speaker' must be null or an integer"),
    ({"transcript": {"diarization": {"segments": [
        {"text": "hi", "start": 2, "end": 1}]}}}, 422,
     "segments[0].end' must not be before its start"),
    ({"transcript": {"diarization": {"segments": "x"}}}, 422,
     "'transcript.diarization.segments' must be an array"),
    ({"transcript": {"words": [{"word": 1, "start": 0, "end": 1}]}}, 422,
     "'transcript.words[0].word' must be a string"),
    ({"transcript": {"transcript": ""}}, 422, "has no text"),
    ({"text": "hola amigos", "language": "es"}, 422, "language 'es'"),
    ({"text": "good", "engine": "vader"}, 422, "'engine' must be one of"),
    ({"text": "good", "language": 7}, 422, "'language' must be a JSON string"),
])
def test_bad_input(stack, body, status, field):
    srv = stack.server("lighttpd")
    n = stack.pg.psql("SELECT count(*) FROM usage_logs")[0][0]
    err = error_of(post(srv, body), status)
    assert field in err["message"], err
    assert stack.pg.psql("SELECT count(*) FROM usage_logs")[0][0] == n


def test_invalid_utf8_and_limits(stack):
    srv = stack.server("lighttpd")
    n = stack.pg.psql("SELECT count(*) FROM usage_logs")[0][0]
    # In a JSON body it is no JSON (RFC 8259: UTF-8); in a form, the field.
    r = srv.request("POST", "/sentiment", data=b'{"text": "caf\xe9"}',
                    headers=dict(KEY, **{"Content-Type": "application/json"}))
    error_of(r, 400, "invalid_json")
    r = srv.request("POST", "/sentiment", data=b"text=caf%E9", headers=dict(
        KEY, **{"Content-Type": "application/x-www-form-urlencoded"}))
    assert "'text'" in error_of(r, 422)["message"]
    lim = stack.extra_server("sentilimit", SENTIMENT_MAX_BYTES="100",
                             TEXT_FILE_MAX_BYTES="50")
    err = error_of(post(lim, {"text": "good " * 30}), 413)
    assert "'text'" in err["message"]
    big = dict(TRANSCRIPT, diarization={"segments": [
        {"speaker": 0, "start": i, "end": i + 1, "text": "nice day " * 3}
        for i in range(5)]})
    assert "limit" in error_of(post(lim, {"transcript": big}), 413)["message"]
    error_of(post(lim, {"text": "x" * 60}, path="/utilities/text-file"), 413)
    error_of(srv.request("POST", "/sentiment", headers=KEY,
                         json={"text": "x" * (2 << 20)}), 413)
    assert stack.pg.psql("SELECT count(*) FROM usage_logs")[0][0] == n


def test_needs_api_key(stack):
    srv = stack.server("lighttpd")
    for path in ("/sentiment", "/utilities/text-file",
                 "/utilities/audio-duration"):
        error_of(srv.request("POST", path, json={"text": "x"}), 401)


# -- /utilities/audio-duration ------------------------------------------------

CONTAINERS = [
    ("wav", [], "wav", "pcm_s16le"),
    ("mp3", ["-c:a", "libmp3lame"], "mp3", "mp3"),
    ("m4a", ["-c:a", "aac"], "m4a", "aac"),
    ("ogg", ["-c:a", "libvorbis"], "ogg", "vorbis"),
    ("webm", ["-c:a", "libopus"], "webm", "opus"),
    ("flac", ["-c:a", "flac"], "flac", "flac"),
    ("mp4", ["-f", "lavfi", "-i", "color=c=black:s=160x120:d=4",
             "-shortest", "-c:v", "libx264", "-c:a", "aac"], "mp4", "aac"),
]


def true_duration(path):
    """The audio stream's length as ffprobe counts its decoded samples."""
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:a:0",
         "-f", "s16le", "-ac", "1", "-ar", "48000", "-"],
        check=True, capture_output=True).stdout
    return len(out) / 2 / 48000


@pytest.mark.parametrize("ext,args,container,codec", CONTAINERS)
def test_audio_duration(stack, speech, tmp_path, ext, args, container, codec):
    out = tmp_path / ("speech." + ext)
    argv = ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", speech[0]]
    if args[:2] == ["-f", "lavfi"]:
        argv += args[:4] + ["-map", "1:v", "-map", "0:a"] + args[4:]
    else:
        argv += args
    subprocess.run(argv + [str(out)], check=True)
    srv = stack.server("lighttpd")
    with open(out, "rb") as f:
        r = srv.request("POST", "/utilities/audio-duration", headers=KEY,
                        files={"audio": (out.name, f,
                                         "application/octet-stream")})
    assert r.status_code == 200, r.text
    b = r.json()
    want = true_duration(str(out))
    assert abs(b["duration_seconds"] - want) <= 0.05, (b, want)
    assert b["container"] == container and b["codec"] == codec, b
    assert b["sample_rate"] > 0 and b["channels"] == 1
    assert b["bit_rate"] is None or b["bit_rate"] > 0
    assert b["size_bytes"] == os.path.getsize(out)
    assert rows(stack, r.headers["X-Request-Id"]) == \
        [["utility", "success", "0.000"]]
    assert stack.leftovers() == []


def test_audio_duration_refusals(stack, speech):
    srv = stack.server("lighttpd")
    n = stack.pg.psql("SELECT count(*) FROM usage_logs")[0][0]
    r = srv.request("POST", "/utilities/audio-duration", headers=KEY,
                    files={"audio": ("x.wav", b"not audio at all", "audio/wav")})
    assert "not audio" in error_of(r, 415)["message"]
    r = srv.request("POST", "/utilities/audio-duration", headers=KEY,
                    files={"audio": ("x.wav", b"", "audio/wav")})
    error_of(r, 400)
    r = srv.request("POST", "/utilities/audio-duration", headers=KEY,
                    data={"x": "y"})
    assert "'audio'" in error_of(r, 400)["message"]
    # The raw body works too.
    with open(speech[0], "rb") as f:
        r = srv.request("POST", "/utilities/audio-duration", data=f.read(),
                        headers=dict(KEY, **{"Content-Type": "audio/wav"}))
    assert r.status_code == 200 and r.json()["container"] == "wav", r.text
    assert int(stack.pg.psql("SELECT count(*) FROM usage_logs")[0][0]) == \
        int(n) + 1
    assert stack.leftovers() == []


# -- /utilities/text-file -----------------------------------------------------

def disposition_name(cd):
    """The file name a browser takes from filename* (RFC 8187), and the
    ASCII fallback of filename."""
    import re
    assert cd.startswith("attachment; ")
    star = re.search(r"; filename\*=UTF-8''(\S+)$", cd)
    plain = re.match(r'attachment; filename="([^"\\]*)";', cd)
    assert star and plain, cd
    return urllib.parse.unquote(star.group(1)), plain.group(1)


@pytest.mark.parametrize("given,want", [
    (None, "transcript.txt"),
    ("notes", "notes.txt"),
    ("Notes.TXT", "Notes.TXT"),
    ("../x", "x.txt"),
    ("..\\..\\evil.txt", "evil.txt"),
    ("/etc/passwd", "passwd.txt"),
    ("..", "transcript.txt"),
    ('a"b;c.txt', "a_b;c.txt"),
    ("résumé été", "résumé été.txt"),
    ("Стенограмма", "Стенограмма.txt"),
])
def test_text_file_names(server, stack, given, want):
    body = {"text": "Hello, wörld\nline two\n"}
    if given is not None:
        body["filename"] = given
    r = post(server, body, path="/utilities/text-file")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert r.content == body["text"].encode()
    name, fallback = disposition_name(r.headers["Content-Disposition"])
    assert name == want
    assert fallback.isascii() and "/" not in fallback and '"' not in fallback
    assert "\r" not in r.headers["Content-Disposition"]
    assert rows(stack, r.headers["X-Request-Id"]) == \
        [["utility", "success", "0.000"]]


@pytest.mark.parametrize("body,field", [
    ({"text": "x", "filename": "a\r\nSet-Cookie: x=1"}, "'filename'"),
    ({"text": "x", "filename": "a\nb"}, "'filename'"),
    ({"text": "x", "filename": "a\u0000b"}, "'filename'"),
    ({"text": "x", "filename": 5}, "'filename'"),
    ({"text": ""}, "'text'"),
    ({"text": None}, "'text'"),
    ({"filename": "a"}, "'text'"),
    ({"text": {"a": 1}}, "'text'"),
])
def test_text_file_refusals(stack, body, field):
    srv = stack.server("lighttpd")
    n = stack.pg.psql("SELECT count(*) FROM usage_logs")[0][0]
    r = post(srv, body, path="/utilities/text-file")
    assert r.status_code in (400, 422), r.text
    err = error_of(r, r.status_code)
    assert field in err["message"]
    assert "Set-Cookie" not in r.headers
    assert stack.pg.psql("SELECT count(*) FROM usage_logs")[0][0] == n
