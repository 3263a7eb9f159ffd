#!/usr/bin/python3
"""Peak memory of a 1 GiB video upload to POST /transcriptions/video:
in the web server's program (synchronous) and in the worker's child
that runs it as an async job, and in the ffmpeg each starts to take the
audio out.  The video is Matroska with raw frames (1 GiB in a few
seconds of work) and flite speech; the local engine transcribes it.
Peaks are each process's VmHWM, read while it runs; the web server's
program has served a small video first (its local model is loaded) and
its peak is reset (clear_refs) before each run.  It starts its own PostgreSQL and
lighttpd, as the end-to-end tests do, and stops them.  Run by hand:

    /usr/bin/python3 tests/bench/video_mem.py
"""

import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import conftest  # noqa: E402
from test_jobs import Worker  # noqa: E402
from documents import hwm, status_kib  # noqa: E402

GIB = 1 << 30


def exe_of(pid):
    try:
        return os.path.basename(os.readlink("/proc/%s/exe" % pid))
    except OSError:
        return None


class Peaks(threading.Thread):
    """The largest VmHWM seen per program name while it runs."""

    def __init__(self, names):
        super().__init__(daemon=True)
        self.names, self.peak, self.stop = names, {}, False

    def run(self):
        while not self.stop:
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                name = exe_of(pid)
                if name in self.names:
                    try:
                        with open("/proc/%s/stat" % pid) as f:
                            ppid = f.read().rsplit(")", 1)[1].split()[1]
                    except OSError:
                        continue
                    name = "%s (%s)" % (name, exe_of(ppid))
                    try:
                        kib = hwm(pid)
                    except OSError:
                        continue
                    self.peak[name] = max(self.peak.get(name, 0), kib)
            time.sleep(0.05)


def main():
    tmp = tempfile.mkdtemp()
    wav = os.path.join(tmp, "speech.wav")
    subprocess.run(["flite", "-voice", "slt", "-t", "hello world this is a "
                    "test of the transcription service", "-o", wav], check=True)
    video = os.path.join(tmp, "big.mkv")
    frames = GIB // (1280 * 720 * 3 // 2) + 1
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f",
                    "lavfi", "-i", "testsrc=size=1280x720:rate=25", "-i", wav,
                    "-t", "%.2f" % (frames / 25), "-c:v", "rawvideo",
                    "-pix_fmt", "yuv420p", "-c:a", "pcm_s16le", "-af",
                    "apad", video], check=True, timeout=600)
    size = os.path.getsize(video)
    print("video: %.2f GiB, %d raw 1280x720 frames and speech" % (
        size / GIB, frames))
    conftest.MAX_UPLOAD = 2 * GIB       # the web server's body limit
    stack = conftest.Stack()
    workers = []
    try:
        spool = os.path.join(stack.base, "jobspool")
        conftest.mkdirs(spool, mode=0o700)
        settings = dict(MAX_UPLOAD_BYTES=str(2 * GIB), LOG_LEVEL="warning",
                        JOB_PROGRAM_DIR=stack.cgidir, JOB_POLL_SECONDS="1",
                        JOB_SPOOL_DIR=spool)
        srv = stack.extra_server("bench", procs=1, **settings)
        config = stack.write_config(os.path.join(stack.base, "w.conf"),
                                    **settings)
        stack.admin("create-user", "bench@example.com", "-P", "enterprise")
        key = {"x-api-key": stack.admin("create-key",
                                        "bench@example.com").strip()}
        names = {"transcriptions_video", "ffmpeg", "trapi-worker"}
        # A small video first: the process has loaded the local model.
        with open(wav, "rb") as f:
            r = srv.request("POST", "/transcriptions/video", headers=key,
                            files={"video": ("s.wav", f, "audio/wav")},
                            timeout=120)
        assert r.status_code == 200, r.text[:300]
        for mode in ("synchronous", "async job"):
            for pid in os.listdir("/proc"):
                if pid.isdigit() and exe_of(pid) == "transcriptions_video":
                    with open("/proc/%s/clear_refs" % pid, "w") as f:
                        f.write("5")
                    print("%s: the program's RSS before: %d KiB" % (
                        mode, status_kib(pid, "VmRSS")))
            peaks = Peaks(names)
            peaks.start()
            headers = dict(key)
            if mode == "async job":
                headers["Prefer"] = "respond-async"
            t0 = time.time()
            with open(video, "rb") as f:
                r = srv.request("POST", "/transcriptions/video", headers=headers,
                                files={"video": ("big.mkv", f, "video/x-matroska")},
                                timeout=1200)
            if mode == "async job":
                assert r.status_code == 202, r.text[:300]
                workers.append(Worker(stack, config, "bench-video"))
                jid = r.json()["id"]
                while stack.pg.psql("SELECT state FROM jobs WHERE id = '%s'"
                                    % jid)[0][0] in ("queued", "running"):
                    time.sleep(0.2)
                state = stack.pg.psql("SELECT state FROM jobs WHERE id = '%s'"
                                      % jid)[0][0]
                assert state == "succeeded", state
            else:
                assert r.status_code == 200, r.text[:300]
                assert "test" in r.json()["transcript"], r.text[:300]
            secs = time.time() - t0
            peaks.stop = True
            peaks.join()
            print("%s: %.1f s; peak RSS (KiB) of each process, by its parent:"
                  % (mode, secs))
            for name, kib in sorted(peaks.peak.items()):
                print("    %-40s %8d" % (name, kib))
    finally:
        for w in workers:
            w.stop()
        stack.close()
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
