"""The local model does not multiply with the processes: with
LOCAL_ENGINE_PROCS=1, two processes decoding at once take turns (both
answer, the same words), and a process gives its token, and so its
model, back when unused."""

import fcntl
import os
import threading
import time

from conftest import LEGACY_KEY, mkdirs
from test_meter import probe_pids
from test_transcribe import upload

KEY = {"x-api-key": LEGACY_KEY}


def token_free(d):
    """Can the one token be taken, so that no process holds the model?"""
    with open(os.path.join(d, "engine.0"), "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(f, fcntl.LOCK_UN)
        return True


def test_one_model_for_two_processes(stack, speech):
    d = os.path.join(stack.base, "engine-one")
    mkdirs(d, mode=0o700)
    srv = stack.extra_server("engine-one", procs=2, ENGINE_LOCK_DIR=d,
                             LOCAL_ENGINE_PROCS="1", LOCAL_ENGINE_IDLE="2",
                             LOCAL_ENGINE_WAIT="60")
    out = {}

    def post(i):
        out[i] = upload(srv, speech[0], provider="local")

    ts = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert out[0].status_code == 200, out[0].text
    assert out[1].status_code == 200, out[1].text
    assert out[0].json()["transcript"] == out[1].json()["transcript"]
    assert out[0].json()["transcript"]
    # Unused for LOCAL_ENGINE_IDLE seconds: the token (and model) back.
    deadline = time.time() + 15
    while time.time() < deadline and not token_free(d):
        time.sleep(0.3)
    assert token_free(d)
    # And taken again on the next request.
    r = upload(srv, speech[0], provider="local")
    assert r.status_code == 200, r.text
    assert not token_free(d)


def mapped(pid, lib):
    with open("/proc/%d/maps" % pid) as f:
        return lib in f.read()


def test_pocketsphinx_is_loaded_to_decode_only(stack, speech):
    """A transcription process maps PocketSphinx, and the libquadmath it
    brings (which puts every printf of the process on glibc's slow
    path), only once it decodes locally."""
    m = stack.deepgram
    srv = stack.extra_server("engine-lazy", procs=1,
                             DEEPGRAM_API_KEY=m.key,
                             DEEPGRAM_BASE_URL=m.base_url)
    r = upload(srv, speech[0])
    assert r.status_code == 200, r.text
    assert r.json()["processing_info"]["provider"] == "deepgram"
    pids = probe_pids(stack, srv, "transcriptions_deepgram")
    assert pids
    for p in pids:
        assert not mapped(p, "libpocketsphinx")
        assert not mapped(p, "libquadmath")
    r = upload(srv, speech[0], provider="local")
    assert r.status_code == 200, r.text
    assert r.json()["transcript"]
    assert any(mapped(p, "libpocketsphinx")
               for p in probe_pids(stack, srv, "transcriptions_deepgram"))
