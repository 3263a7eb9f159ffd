#!/usr/bin/python3
"""Private memory (USS) and PSS of every FastCGI program of a running
service, from /proc/PID/smaps_rollup: at idle, and again after one
request to each endpoint named on the command line.

usage: /usr/bin/python3 tests/bench/mem.py BUILD_CGI_DIR [URL KEY [WAV]]

BUILD_CGI_DIR is the cgi-bin directory the web server runs programs
from (the processes are found by their executable's path under it).
With URL and KEY, one request goes to /health, /v1/models and, with
WAV, to /transcriptions/deepgram (provider=local when LOCAL=1), then
the table is printed again.  Totals: the host's PSS of those processes.
Figures in KiB; USS = Private_Clean + Private_Dirty.
"""

import os
import subprocess
import sys


def rollup(pid):
    out = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[-1] == "kB":
                out[parts[0].rstrip(":")] = int(parts[1])
    return out


def programs(cgidir):
    cgidir = os.path.realpath(cgidir)
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            exe = os.path.realpath("/proc/%s/exe" % d)
        except OSError:
            continue
        if os.path.dirname(exe) == cgidir:
            yield int(d), os.path.basename(exe)


def table(cgidir, title):
    rows = []
    for pid, name in sorted(programs(cgidir), key=lambda p: (p[1], p[0])):
        try:
            r = rollup(pid)
        except OSError:
            continue
        rows.append((name, pid, r.get("Private_Clean", 0) +
                     r.get("Private_Dirty", 0), r.get("Pss", 0),
                     r.get("Rss", 0)))
    print("## %s" % title)
    print("| program | pid | USS KiB | PSS KiB | RSS KiB |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| %s | %d | %d | %d | %d |" % row)
    print("| total | %d processes | %d | %d | |\n" % (
        len(rows), sum(r[2] for r in rows), sum(r[3] for r in rows)))


def curl(*args):
    subprocess.run(["curl", "-s", "-o", "/dev/null", "--max-time", "300"] +
                   list(args), check=False)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cgidir = sys.argv[1]
    table(cgidir, "idle")
    if len(sys.argv) < 4:
        return
    url, key = sys.argv[2], sys.argv[3]
    curl(url + "/health")
    curl("-H", "x-api-key: " + key, url + "/v1/models")
    if len(sys.argv) > 4:
        q = "?provider=local" if os.environ.get("LOCAL") == "1" else ""
        curl("-H", "x-api-key: " + key, "-F", "audio=@" + sys.argv[4],
             url + "/transcriptions/deepgram" + q)
    table(cgidir, "after a request")


if __name__ == "__main__":
    main()
