#!/usr/bin/python3
"""Async jobs: how many jobs 1, 2 and 4 trapi-workers claim and complete
per second from one PostgreSQL queue, with the Deepgram mock answering
at once (each round's jobs queued first, then the workers started); and
the latency a job adds over the same synchronous call: one job at a time
to an idle worker, from its submission to its end (created_at to
finished_at) against the synchronous request's time.  It
starts its own PostgreSQL, lighttpd and mock, as the end-to-end tests
do, and stops them.  Run by hand, on an otherwise idle machine:

    /usr/bin/python3 tests/bench/jobs.py [jobs per round]
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
import conftest  # noqa: E402
from test_jobs import Worker  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    stack = conftest.Stack()
    workers = []
    try:
        stack.pg.psql("UPDATE plans SET requests_per_minute = 100000000,"
                      " concurrent = 100000")
        m = stack.deepgram
        spool = os.path.join(stack.base, "jobspool")
        conftest.mkdirs(spool, mode=0o700)
        settings = dict(DEEPGRAM_API_KEY=m.key, DEEPGRAM_BASE_URL=m.base_url,
                        JOB_SPOOL_DIR=spool, JOB_PROGRAM_DIR=stack.cgidir,
                        JOB_POLL_SECONDS="1", LOG_LEVEL="warning")
        srv = stack.extra_server("bench", **settings)
        config = stack.write_config(os.path.join(stack.base, "w.conf"),
                                    **settings)
        stack.admin("create-user", "bench@example.com", "-P", "enterprise")
        key = {"x-api-key": stack.admin("create-key",
                                        "bench@example.com").strip()}
        wav = os.path.join(tempfile.mkdtemp(), "1s.wav")
        subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", wav,
                        "synth", "1", "sine", "440"], check=True)
        body = open(wav, "rb").read()

        def post(prefer):
            h = dict(key, **{"Content-Type": "audio/wav"})
            if prefer:
                h["Prefer"] = "respond-async"
            return srv.request("POST", "/transcriptions/deepgram", headers=h,
                               data=body)
        sync = []
        for _ in range(20):
            t0 = time.time()
            assert post(False).status_code == 200
            sync.append(time.time() - t0)
        print("synchronous call: p50 %.1f ms" % (statistics.median(sync) * 1e3))
        w = Worker(stack, config, "bench-idle")
        workers = [w]
        time.sleep(1)
        one = []
        for _ in range(20):
            jid = post(True).json()["id"]
            while stack.pg.psql("SELECT state FROM jobs WHERE id = '%s'"
                                % jid)[0][0] in ("queued", "running"):
                time.sleep(0.01)
            one.append(float(stack.pg.psql(
                "SELECT extract(epoch FROM finished_at - created_at) FROM jobs"
                " WHERE id = '%s'" % jid)[0][0]))
        w.stop()
        workers = []
        print("one job at a time, idle worker: submit to end p50 %.1f ms,"
              " %.1f ms over the synchronous call" % (
                  statistics.median(one) * 1e3,
                  (statistics.median(one) - statistics.median(sync)) * 1e3))
        print("%-8s %10s %14s" % ("workers", "jobs/s", "run p50 ms"))
        for count in (1, 2, 4):
            ids = [post(True).json()["id"] for _ in range(n)]
            stack.pg.psql("UPDATE jobs SET created_at = clock_timestamp()"
                          " WHERE state = 'queued'")
            t0 = time.time()
            workers = [Worker(stack, config, "bench-%d-%d" % (count, i))
                       for i in range(count)]
            while int(stack.pg.psql("SELECT count(*) FROM jobs WHERE state"
                                    " IN ('queued', 'running')")[0][0]):
                time.sleep(0.05)
            secs = time.time() - t0
            lat = [float(r[0]) for r in stack.pg.psql(
                "SELECT extract(epoch FROM finished_at - started_at) FROM jobs"
                " WHERE id IN (%s)" % ",".join("'%s'" % i for i in ids))]
            print("%-8d %10.1f %14.1f" % (count, n / secs,
                  statistics.median(lat) * 1e3))
            for w in workers:
                w.stop()
            workers = []
    finally:
        for w in workers:
            w.stop()
        stack.close()


if __name__ == "__main__":
    main()
