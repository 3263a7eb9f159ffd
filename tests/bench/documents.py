#!/usr/bin/python3
"""Time and peak memory of POST /documents/{fmt} rendering a one-hour
transcript (10,000 words, 600 segments, 3 speakers) to each format,
through lighttpd with one documents process.  Peak memory is that
process's VmHWM, reset (clear_refs 5) before each format: what one
rendering adds on top of the process, the request's JSON included.
It starts its own PostgreSQL and lighttpd, as the end-to-end tests do,
and stops them.  Run by hand, on an idle machine:

    /usr/bin/python3 tests/bench/documents.py [runs]
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
import conftest  # noqa: E402
from test_documents import CTYPES, WORDS  # noqa: E402


def hour():
    """600 segments of about 16.7 words, 3 speakers, over 3600 s."""
    segs, words, n = [], [], 0
    for i in range(600):
        k = 17 if i % 3 else 16
        ws = [WORDS[(n + j) % len(WORDS)] for j in range(k)]
        start = i * 6.0
        for j, w in enumerate(ws):
            words.append({"word": w, "start": round(start + j * 0.33, 3),
                          "end": round(start + j * 0.33 + 0.3, 3),
                          "confidence": 0.93, "speaker": i % 3})
        n += k
        segs.append({"speaker": i % 3, "start": start,
                     "end": round(start + k * 0.33, 3), "text": " ".join(ws)})
    return {"transcript": " ".join(s["text"] for s in segs),
            "diarization": {"speakers_detected": 3, "segments": segs},
            "words": words[:10000],
            "processing_info": {"language": "en", "duration": 3600.0}}


def procs(path):
    out = []
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and os.readlink("/proc/%s/exe" % pid) == path:
                out.append(pid)
        except OSError:
            pass
    return out


def status_kib(pid, key):
    """A /proc/PID/status figure in KiB (VmHWM, VmRSS...)."""
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def hwm(pid):
    return status_kib(pid, "VmHWM")


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    stack = conftest.Stack()
    try:
        stack.pg.psql("UPDATE plans SET requests_per_minute = 100000000")
        srv = stack.extra_server("bench", procs=1, LOG_LEVEL="warning")
        body = {"transcript": hour()}
        prog = os.path.join(stack.cgidir, "documents")
        hdr = {"x-api-key": conftest.LEGACY_KEY}
        srv.request("POST", "/documents/txt", headers=hdr, json={"text": "x"})
        (pid,) = procs(prog)
        print("one-hour transcript: %d words, %d segments, 3 speakers; "
              "%d runs each" % (len(body["transcript"]["words"]),
                                len(body["transcript"]["diarization"]["segments"]), runs))
        print("%-6s %10s %10s %12s %14s" % ("format", "median s", "max s",
                                            "bytes", "peak RSS KiB"))
        for fmt in CTYPES:
            with open("/proc/%s/clear_refs" % pid, "w") as f:
                f.write("5")
            times, size = [], 0
            for _ in range(runs):
                t0 = time.monotonic()
                r = srv.request("POST", "/documents/" + fmt, headers=hdr,
                                json=body, timeout=300)
                times.append(time.monotonic() - t0)
                assert r.status_code == 200, r.text[:300]
                size = len(r.content)
            print("%-6s %10.3f %10.3f %12d %14d" % (
                fmt, statistics.median(times), max(times), size, hwm(pid)))
    finally:
        stack.close()


if __name__ == "__main__":
    main()
