#!/usr/bin/python3
"""Throughput and latency of POST /translations/openai through lighttpd,
a 2 KB text, the static API key and the chat mock answering at once:
requests/s and p50/p99 at concurrency 1, 8 and 64 (wrk); then the local
engine's (Apertium's) characters per second on one 20 000-character
text; then what a 1 MB text adds to the peak memory of the process that
translates it (VmHWM after clear_refs, one process).  It starts its own PostgreSQL, lighttpd and mock, as the
end-to-end tests do, and stops them.  Run by hand, on an idle machine:

    /usr/bin/python3 tests/bench/translate_wrk.py [seconds]
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "mock"))
import conftest  # noqa: E402
from chat import ChatMock  # noqa: E402
from documents import hwm  # noqa: E402


def procs(path, srv):
    """The processes of program path that srv's web server started."""
    out = []
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and os.readlink("/proc/%s/exe" % pid) == path:
                with open("/proc/%s/stat" % pid) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == srv.proc.pid:
                        out.append(pid)
        except OSError:
            pass
    return out


LUA = """
local f = io.open(os.getenv("BENCH_BODY"), "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-api-key"] = os.getenv("BENCH_KEY")
"""


def main():
    secs = sys.argv[1] if len(sys.argv) > 1 else "10"
    stack = conftest.Stack()
    m = ChatMock("sk-bench-0123456789")
    try:
        stack.pg.psql("UPDATE plans SET requests_per_minute = 100000000,"
                      " concurrent = 100000")
        srv = stack.extra_server("bench", OPENAI_API_KEY=m.key,
                                 OPENAI_BASE_URL=m.base_url, LOG_LEVEL="warning")
        tmp = tempfile.mkdtemp()
        text = ("The meeting starts at nine. We will review the budget. " * 40)[:2048]
        body = os.path.join(tmp, "body.json")
        with open(body, "w") as f:
            json.dump({"text": text, "target_language": "es"}, f)
        lua = os.path.join(tmp, "post.lua")
        with open(lua, "w") as f:
            f.write(LUA)
        env = dict(os.environ, BENCH_BODY=body, BENCH_KEY=conftest.LEGACY_KEY)
        print("POST /translations/openai, 2 KB text, lighttpd, %s s each" % secs)
        print("%-12s %10s %10s %10s %8s" % ("concurrency", "req/s", "p50", "p99",
                                          "non-2xx"))
        for c in (1, 8, 64):
            out = subprocess.run(["wrk", "-t", "2" if c > 1 else "1", "-c", str(c),
                                  "-d", secs + "s", "--latency", "-s", lua,
                                  srv.url + "/translations/openai"],
                                 env=env, capture_output=True, text=True).stdout
            rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
            p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)
            p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
            bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            print("%-12d %10s %10s %10s %8s" % (c, rps, p50, p99,
                                              bad.group(1) if bad else "0"))
        long = ("The house is big and the dog eats in the garden. " * 400)[:20000]
        t0 = time.time()
        r = srv.request("POST", "/translations/openai", timeout=300,
                        headers={"x-api-key": conftest.LEGACY_KEY},
                        json={"text": long, "source_language": "en",
                              "target_language": "es", "provider": "local"})
        dt = time.time() - t0
        assert r.status_code == 200, r.text
        print("local engine: %d characters in %.2f s, %.0f characters/s"
              % (len(long), dt, len(long) / dt))
        one = stack.extra_server("bench-1", procs=1, OPENAI_API_KEY=m.key,
                                 OPENAI_BASE_URL=m.base_url, LOG_LEVEL="warning")
        hdr = {"x-api-key": conftest.LEGACY_KEY}
        r = one.request("POST", "/translations/openai", headers=hdr,
                        json={"text": "Hello.", "target_language": "es"})
        assert r.status_code == 200, r.text
        (pid,) = procs(os.path.join(stack.cgidir, "translations_openai"), one)
        before = hwm(pid)
        para = ("This is a sentence of a long text. " * 40).strip()
        mb = "\n\n".join([para] * (1000000 // (len(para) + 2)))
        with open("/proc/%s/clear_refs" % pid, "w") as f:
            f.write("5")
        r = one.request("POST", "/translations/openai", headers=hdr, timeout=300,
                        json={"text": mb, "target_language": "es"})
        assert r.status_code == 200, r.text[:300]
        print("1 MB text (%d bytes, %d chunks): peak RSS %d KiB, %d KiB over"
              " the process after a small request"
              % (len(mb), r.json()["chunks"], hwm(pid), hwm(pid) - before))
    finally:
        m.close()
        stack.close()


if __name__ == "__main__":
    main()
