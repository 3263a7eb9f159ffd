#!/usr/bin/python3
"""Throughput and latency of POST /transcriptions/deepgram through
lighttpd, with a 32 KB WAV, the static API key, and the Deepgram mock
answering at once: requests/s and p50/p99 latency at concurrency 1, 8
and 64 (wrk).  It starts its own PostgreSQL, lighttpd and mock, as the
end-to-end tests do, and stops them.  Run by hand:

    /usr/bin/python3 tests/bench/deepgram_wrk.py [seconds]
"""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
import conftest  # noqa: E402

LUA = """
local f = io.open(os.getenv("BENCH_WAV"), "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "audio/wav"
wrk.headers["x-api-key"] = os.getenv("BENCH_KEY")
"""


def main():
    secs = sys.argv[1] if len(sys.argv) > 1 else "10"
    stack = conftest.Stack()
    try:
        # Limits out of the way: this measures the request path.
        stack.pg.psql("UPDATE plans SET requests_per_minute = 100000000,"
                      " concurrent = 100000")
        m = stack.deepgram
        srv = stack.extra_server("bench", DEEPGRAM_API_KEY=m.key,
                                 DEEPGRAM_BASE_URL=m.base_url, LOG_LEVEL="warning")
        tmp = tempfile.mkdtemp()
        wav = os.path.join(tmp, "32k.wav")
        subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", wav,
                        "synth", "1", "sine", "440"], check=True)
        lua = os.path.join(tmp, "post.lua")
        with open(lua, "w") as f:
            f.write(LUA)
        env = dict(os.environ, BENCH_WAV=wav, BENCH_KEY=conftest.LEGACY_KEY)
        print("POST /transcriptions/deepgram, %d-byte WAV, lighttpd, %s s each"
              % (os.path.getsize(wav), secs))
        print("%-12s %10s %10s %10s %8s" % ("concurrency", "req/s", "p50", "p99",
                                          "non-2xx"))
        for c in (1, 8, 64):
            out = subprocess.run(["wrk", "-t", "2" if c > 1 else "1", "-c", str(c),
                                  "-d", secs + "s", "--latency", "-s", lua,
                                  srv.url + "/transcriptions/deepgram"],
                                 env=env, capture_output=True, text=True).stdout
            rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
            p50 = re.search(r"50%\s+(\S+)", out).group(1)
            p99 = re.search(r"99%\s+(\S+)", out).group(1)
            bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            print("%-12d %10s %10s %10s %8s" % (c, rps, p50, p99,
                                              bad.group(1) if bad else "0"))
        rows = stack.pg.psql("SELECT count(*) FROM usage_logs WHERE service = 'deepgram'")
        print("usage rows written: %s; requests seen by the mock: %d"
              % (rows[0][0], len(m.requests)))
    finally:
        stack.close()


if __name__ == "__main__":
    main()
