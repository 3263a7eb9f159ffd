"""Billing and quotas count the audio that is there, not what its
container claims: an MP3 whose Xing header lies about its frame count
is billed, and checked against the quota, for its real length."""

import os
import struct
import subprocess

import pytest

from test_http import error_of
from test_usage import quota_user


def mp3(tmp_path, seconds):
    path = os.path.join(str(tmp_path), "real-%d.mp3" % seconds)
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi",
                    "-i", "sine=frequency=440:sample_rate=8000",
                    "-t", str(seconds), "-ac", "1", "-b:a", "8k", path],
                   check=True)
    return path


def patched(path, frames):
    """A copy whose Xing/Info header claims `frames` frames."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    for tag in (b"Xing", b"Info"):
        i = data.find(tag)
        if i >= 0:
            break
    assert i >= 0, "ffmpeg wrote no Xing header"
    flags = struct.unpack(">I", data[i + 4:i + 8])[0]
    assert flags & 1, "no frame count in the Xing header"
    data[i + 8:i + 12] = struct.pack(">I", frames)
    out = path[:-4] + "-%x.mp3" % frames
    with open(out, "wb") as f:
        f.write(data)
    return out


@pytest.fixture(scope="module")
def dgsrv(stack):
    m = stack.deepgram
    return stack.extra_server("billing", DEEPGRAM_API_KEY=m.key,
                              DEEPGRAM_BASE_URL=m.base_url)


def post(srv, key, path):
    with open(path, "rb") as f:
        return srv.request("POST", "/transcriptions/deepgram",
                           headers={"x-api-key": key},
                           data={"provider": "deepgram"},
                           files={"audio": ("a.mp3", f, "audio/mpeg")},
                           timeout=120)


def billed(stack, rid):
    rows = stack.pg.psql("SELECT audio_duration_seconds FROM usage_logs"
                         " WHERE request_id = '%s'" % rid)
    assert len(rows) == 1, rows
    return float(rows[0][0])


@pytest.mark.parametrize("frames", [20, 0xFFFFFFFF])
def test_lying_header_is_billed_for_its_real_length(stack, dgsrv, tmp_path,
                                                     frames):
    _, key = quota_user(stack, "bill%x" % frames, 1000, 5, 1000)
    real = mp3(tmp_path, 180)
    r = post(dgsrv, key, patched(real, frames))
    assert r.status_code == 200, r.text
    assert 179 <= billed(stack, r.headers["X-Request-Id"]) <= 181


@pytest.mark.parametrize("frames", [None, 20, 0xFFFFFFFF])
def test_quota_counts_the_real_length(stack, dgsrv, tmp_path, frames):
    """A free plan of 60 minutes a month refuses a 2 h file, whatever its
    header says, and bills nothing for it."""
    _, key = quota_user(stack, "free60", 60, 2, 60)
    real = mp3(tmp_path, 7200)
    path = real if frames is None else patched(real, frames)
    err = error_of(post(dgsrv, key, path), 429)
    assert "quota" in err["message"]
