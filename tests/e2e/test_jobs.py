"""Async jobs: Prefer: respond-async (or async=true) on the transcription
endpoints answers 202 with a job that trapi-worker runs from the
PostgreSQL queue; GET /jobs/{id} shows its progress and, when done, the
same result as the synchronous call; workers share the queue, survive a
kill -9 of one of them (the lease) and a restart of the database."""

import os
import signal
import subprocess
import time
import uuid

import pytest

from conftest import BUILD, IS_ROOT, SANITIZER_MARKS, USER, mkdirs

LEASE = 2


class Worker:
    def __init__(self, stack, config, name):
        self.log = os.path.join(stack.base, name + ".log")
        drop = {"user": USER, "group": USER, "extra_groups": []} \
            if IS_ROOT else {}
        self.proc = subprocess.Popen(
            [os.path.join(BUILD, "worker", "trapi-worker"), "-n", name],
            stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,
            env=dict(os.environ, APP_CONFIG=config), **drop)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()


@pytest.fixture(scope="module")
def env(stack):
    m = stack.deepgram
    spool = os.path.join(stack.base, "jobspool")
    mkdirs(spool, mode=0o700)
    settings = dict(DEEPGRAM_API_KEY=m.key, DEEPGRAM_BASE_URL=m.base_url,
                    DEEPGRAM_TIMEOUT="30", PROVIDER_RETRIES="0",
                    JOB_SPOOL_DIR=spool, JOB_PROGRAM_DIR=stack.cgidir,
                    JOB_LEASE_SECONDS=str(LEASE), JOB_POLL_SECONDS="1",
                    JOB_RETRY_SECONDS="0", JOB_INLINE_BYTES="40000")
    srv = stack.extra_server("jobs", **settings)
    config = stack.write_config(os.path.join(stack.base, "worker.conf"),
                                **settings)
    users = {}
    for who in ("owner", "other"):
        email = "jobs-%s@example.com" % who
        stack.admin("create-user", email, "-P", "enterprise")
        users[who] = {"x-api-key": stack.admin("create-key", email).strip()}
    workers = []

    def start(name):
        w = Worker(stack, config, name)
        workers.append(w)
        return w
    yield srv, users, start, spool
    for w in workers:
        w.stop()
    # The workers' logs hold their children's (the programs') stderr.
    reports = [l for w in workers for l in w.text().splitlines()
               if any(m in l for m in SANITIZER_MARKS)]
    assert not reports, reports[:20]
    # nothing left in the spool by finished jobs
    assert os.listdir(spool) == []
    # A worker killed with -9 takes its child with it, and the child's
    # request directory (its job's input) waits for the orphan sweep
    # (60 s unchanged, unlocked).  Those are what the kills here leave,
    # on purpose: removed now, for the modules after this one.
    import fcntl
    import shutil
    for name in stack.leftovers():
        path = os.path.join(stack.uploads, name)
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)    # no owner
        finally:
            os.close(fd)
        assert all(f.startswith("input.") for f in os.listdir(path)), path
        shutil.rmtree(path)


def submit(srv, headers, path, speech, prefer="respond-async", **data):
    h = dict(headers)
    if prefer is not None:
        h["Prefer"] = prefer
    with open(path, "rb") as f:
        return srv.request("POST", speech, headers=h, data=data,
                           files={"audio": ("speech.wav", f, "audio/wav")})


def wait(srv, headers, jid, states=("succeeded", "failed", "canceled"),
         timeout=30):
    seen = []
    t0 = time.time()
    while time.time() - t0 < timeout:
        j = srv.get("/jobs/" + jid, headers=headers).json()
        if not seen or seen[-1] != j["progress"]["stage"]:
            seen.append(j["progress"]["stage"])
        if j["status"] in states:
            return j, seen
        time.sleep(0.1)
    raise AssertionError("job %s stuck: %r" % (jid, j))


def usage(stack, rid):
    return stack.pg.psql("SELECT service, status FROM usage_logs WHERE"
                         " request_id = '%s'" % rid)


def test_async_equals_sync(env, stack, speech):
    srv, users, start, _ = env
    path, _ = speech
    sync = submit(srv, users["owner"], path, "/transcriptions/deepgram",
                  prefer=None)
    assert sync.status_code == 200, sync.text
    t0 = time.time()
    r = submit(srv, users["owner"], path, "/transcriptions/deepgram")
    assert time.time() - t0 < 5
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["Location"] == "/jobs/" + job["id"]
    assert job["status"] == "queued" and job["result"] is None
    rid = r.headers["X-Request-Id"]
    assert usage(stack, rid) == []          # nothing billed yet
    w = start("w-equal")
    done, stages = wait(srv, users["owner"], job["id"])
    assert done["status"] == "succeeded", done
    assert "probing" in stages or "transcribing" in stages or \
        stages[-1] == "done", stages
    assert done["progress"] == {"stage": "done", "percent": 100}
    res = done["result"]
    assert res["status"] == 200
    assert res["content_type"].startswith("application/json")
    a, b = res["body"], sync.json()
    for d in (a, b):
        d.get("processing_info", {}).pop("request_id", None)
        d.pop("request_id", None)
    assert a["transcript"] == b["transcript"] and a["words"] == b["words"]
    assert done["created_at"] and done["started_at"] and done["finished_at"]
    # billed once, as the request that handed it over
    assert usage(stack, rid) == [["deepgram", "success"]]
    # another user sees no such job
    other = srv.get("/jobs/" + job["id"], headers=users["other"])
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "not_found"
    listed = srv.get("/jobs?limit=1", headers=users["owner"]).json()
    assert listed["data"][0]["id"] == job["id"]
    assert srv.get("/jobs", headers=users["other"]).json()["data"] == []
    w.stop()
    assert w.proc.returncode == 0, w.text()


def test_async_field_and_srt(env, stack, speech):
    srv, users, start, _ = env
    path, _ = speech
    sync = submit(srv, users["owner"], path, "/transcriptions/deepgram",
                  prefer=None, response_format="srt")
    r = submit(srv, users["owner"], path, "/transcriptions/deepgram?async=true",
               prefer=None, response_format="srt")
    assert r.status_code == 202, r.text
    w = start("w-srt")
    done, _ = wait(srv, users["owner"], r.json()["id"])
    assert done["result"]["body"] == sync.text
    w.stop()


@pytest.mark.parametrize("prefer,query,code", [
    ("respond-async=1", "", 400),
    (", ,", "", 400),
    ("respond-async", "?async=false", 400),
    (None, "?async=maybe", 422),
])
def test_nonsense_prefer(env, stack, speech, prefer, query, code):
    srv, users, _, _ = env
    path, _ = speech
    before = stack.pg.psql("SELECT count(*) FROM jobs")
    r = submit(srv, users["owner"], path, "/transcriptions/deepgram" + query,
               prefer=prefer)
    assert r.status_code == code, r.text
    assert "error" in r.json()
    assert usage(stack, r.headers["X-Request-Id"]) == []
    assert stack.pg.psql("SELECT count(*) FROM jobs") == before


def test_unknown_preference_is_ignored(env, speech):
    srv, users, _, _ = env
    r = submit(srv, users["owner"], speech[0], "/transcriptions/deepgram",
               prefer="return=minimal")
    assert r.status_code == 200, r.text


def test_bad_ids(env):
    srv, users, _, _ = env
    r = srv.get("/jobs/not-a-uuid", headers=users["owner"])
    assert r.status_code == 400 and "id" in r.json()["error"]["message"]
    r = srv.get("/jobs/%s" % uuid.uuid4(), headers=users["owner"])
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = srv.request("DELETE", "/jobs/%s" % uuid.uuid4(), headers=users["owner"])
    assert r.status_code == 404
    assert srv.get("/jobs?cursor=zzz", headers=users["owner"]).status_code == 400
    assert srv.get("/jobs?limit=0", headers=users["owner"]).status_code == 422
    assert srv.get("/jobs/%s" % uuid.uuid4()).status_code == 401


def test_cancel_queued_and_running(env, stack, speech):
    srv, users, start, _ = env
    path, _ = speech
    r = submit(srv, users["owner"], path, "/transcriptions/deepgram")
    jid = r.json()["id"]
    c = srv.request("DELETE", "/jobs/" + jid, headers=users["owner"])
    assert c.status_code == 202 and c.json()["status"] == "canceled"
    # running: a slow Deepgram answer, canceled while it waits
    stack.deepgram.script = ["slow"]
    r = submit(srv, users["owner"], path, "/transcriptions/deepgram")
    jid2, rid2 = r.json()["id"], r.headers["X-Request-Id"]
    w = start("w-cancel")
    wait(srv, users["owner"], jid2, states=("running",))
    t0 = time.time()
    while True:     # the run says where it is while Deepgram thinks
        j = srv.get("/jobs/" + jid2, headers=users["owner"]).json()
        if j["progress"] == {"stage": "transcribing", "percent": 30}:
            break
        assert time.time() - t0 < 4, j
        time.sleep(0.1)
    assert j["started_at"] and j["finished_at"] is None and \
        j["result"] is None
    c = srv.request("DELETE", "/jobs/" + jid2, headers=users["owner"])
    assert c.status_code == 202
    t0 = time.time()
    done, _ = wait(srv, users["owner"], jid2)
    assert done["status"] == "canceled", done
    assert time.time() - t0 < LEASE + 3      # before the slow answer came
    assert done["error"]["code"] == "canceled"
    assert usage(stack, rid2) == []
    j = srv.get("/jobs/" + jid, headers=users["owner"]).json()
    assert j["status"] == "canceled"
    # a finished job cannot be canceled again
    assert srv.request("DELETE", "/jobs/" + jid2,
                       headers=users["owner"]).status_code == 409
    w.stop()
    stack.deepgram.script = []


def test_two_workers_twenty_jobs_once_each(env, stack, speech):
    srv, users, start, _ = env
    path, _ = speech
    ids, rids = [], []
    for _ in range(20):
        r = submit(srv, users["owner"], path, "/transcriptions/deepgram")
        assert r.status_code == 202
        ids.append(r.json()["id"])
        rids.append(r.headers["X-Request-Id"])
    ws = [start("w-a"), start("w-b")]
    for jid in ids:
        done, _ = wait(srv, users["owner"], jid, timeout=60)
        assert done["status"] == "succeeded", done
        assert done["attempts"] == 1
    for rid in rids:
        assert usage(stack, rid) == [["deepgram", "success"]]
    workers = stack.pg.psql("SELECT DISTINCT worker FROM jobs WHERE id IN (%s)"
                            % ",".join("'%s'" % i for i in ids))
    assert len(workers) >= 1
    for w in ws:
        w.stop()


def test_kill9_worker_lease_passes_job_on(env, stack, speech):
    srv, users, start, _ = env
    path, _ = speech
    stack.deepgram.script = ["slow"]
    stack.deepgram.slow_seconds = 3
    r = submit(srv, users["owner"], path, "/transcriptions/deepgram")
    jid, rid = r.json()["id"], r.headers["X-Request-Id"]
    a = start("w-doomed")
    wait(srv, users["owner"], jid, states=("running",))
    time.sleep(0.3)
    a.proc.send_signal(signal.SIGKILL)
    a.proc.wait()
    t_kill = time.time()
    b = start("w-heir")
    done, _ = wait(srv, users["owner"], jid, timeout=30)
    assert done["status"] == "succeeded", done
    assert done["attempts"] == 2
    assert time.time() - t_kill >= LEASE - 1.5
    assert stack.pg.psql("SELECT worker FROM jobs WHERE id = '%s'" % jid) == \
        [["w-heir"]]
    assert usage(stack, rid) == [["deepgram", "success"]]
    b.stop()
    stack.deepgram.slow_seconds = 5


def test_database_restart_mid_queue(env, stack, speech):
    srv, users, start, _ = env
    path, _ = speech
    ids, rids = [], []
    for _ in range(6):
        r = submit(srv, users["owner"], path, "/transcriptions/deepgram")
        ids.append(r.json()["id"])
        rids.append(r.headers["X-Request-Id"])
    ws = [start("w-pg1"), start("w-pg2")]
    time.sleep(0.3)
    stack.pg.stop()
    time.sleep(1.5)
    stack.pg.start()
    for jid in ids:
        done, _ = wait(srv, users["owner"], jid, timeout=60)
        assert done["status"] == "succeeded", done
    for rid in rids:
        assert usage(stack, rid) == [["deepgram", "success"]]
    for w in ws:
        w.stop()


def test_small_upload_travels_in_the_database(env, stack, tmp_path):
    srv, users, start, spool = env
    wav = str(tmp_path / "short.wav")
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", wav,
                    "synth", "1", "sine", "440"], check=True)
    assert os.path.getsize(wav) < 40000
    r = submit(srv, users["owner"], wav, "/transcriptions/deepgram")
    assert r.status_code == 202, r.text
    jid = r.json()["id"]
    assert stack.pg.psql("SELECT count(*) FROM job_inputs WHERE job_id = '%s'"
                         % jid) == [["1"]]
    assert os.listdir(spool) == []
    w = start("w-inline")
    done, _ = wait(srv, users["owner"], jid)
    assert done["status"] == "succeeded", done
    assert done["result"]["body"]["transcript"]
    assert stack.pg.psql("SELECT count(*) FROM job_inputs WHERE job_id = '%s'"
                         % jid) == [["0"]]
    w.stop()


def scrape(srv):
    """The samples of /metrics as {(name, labels...): value}."""
    from prometheus_client.parser import text_string_to_metric_families
    r = srv.get("/metrics")
    assert r.status_code == 200, r.text
    out = {}
    for fam in text_string_to_metric_families(r.text):
        for s in fam.samples:
            out[(s.name,) + tuple(sorted(s.labels.items()))] = s.value
    return out


def test_metrics_queue_depth_and_durations(env, stack, speech):
    srv, users, start, _ = env
    path, _ = speech
    key = ("trapi_job_duration_seconds_count", ("state", "succeeded"))
    before = scrape(srv).get(key, 0)
    r = submit(srv, users["owner"], path, "/transcriptions/deepgram")
    assert r.status_code == 202
    queued = scrape(srv)
    # the queue as the database has it, every state shown
    db = dict(stack.pg.psql("SELECT state, count(*) FROM jobs GROUP BY 1"))
    for st in ("queued", "running", "succeeded", "failed", "canceled"):
        assert queued[("trapi_jobs", ("state", st))] == int(db.get(st, 0)), st
    assert queued[("trapi_jobs", ("state", "queued"))] >= 1
    w = start("w-metrics")
    done, _ = wait(srv, users["owner"], r.json()["id"])
    assert done["status"] == "succeeded", done
    t0 = time.time()
    while scrape(srv).get(key, 0) < before + 1 and time.time() - t0 < 5:
        time.sleep(0.1)
    after = scrape(srv)
    assert after[key] == before + 1
    assert after[("trapi_job_duration_seconds_sum", ("state", "succeeded"))] > 0
    assert after[("trapi_jobs", ("state", "succeeded"))] == int(stack.pg.psql(
        "SELECT count(*) FROM jobs WHERE state = 'succeeded'")[0][0])
    w.stop()


def test_async_translation_video_and_transcribe_translate(env, stack, speech):
    """The other long-running endpoints hand over as jobs too: a JSON
    translation, a video upload, transcribe-and-translate."""
    srv, users, start, _ = env
    path, _ = speech
    h = dict(users["owner"], Prefer="respond-async")
    subs = [srv.request("POST", "/translations/openai", headers=h, json={
        "text": "The house is big.", "source_language": "en",
        "target_language": "es", "provider": "local"})]
    with open(path, "rb") as f:
        audio = f.read()
    subs.append(srv.request("POST", "/transcriptions/video", headers=h,
                            files={"video": ("talk.wav", audio, "audio/wav")}))
    subs.append(srv.request("POST", "/transcriptions/transcribe-and-translate",
                            headers=h, data={"target_language": "es"},
                            files={"audio": ("talk.wav", audio, "audio/wav")}))
    for r in subs:
        assert r.status_code == 202, r.text
        assert usage(stack, r.headers["X-Request-Id"]) == []
    w = start("w-others")
    bodies = []
    for r in subs:
        done, _ = wait(srv, users["owner"], r.json()["id"], timeout=60)
        assert done["status"] == "succeeded", done
        bodies.append(done["result"]["body"])
        assert len(usage(stack, r.headers["X-Request-Id"])) == 1
    assert "casa" in bodies[0]["translated_text"] and bodies[0]["engine"] == "local"
    assert "test" in bodies[1]["transcript"].split()
    assert "test" in bodies[2]["transcript"].split() and bodies[2]["translated_text"]
    w.stop()


def test_async_document_is_fetched_from_its_result(env, stack):
    """A document as a job: the job's JSON names where its file is, and
    /jobs/{id}/result serves the file itself, to its owner only."""
    import io
    import docx
    srv, users, start, _ = env
    h = dict(users["owner"], Prefer="respond-async")
    body = {"text": "Minutes of the meeting.\n\nThe budget was approved.",
            "title": "Weekly call"}
    r = srv.request("POST", "/documents/docx", headers=h, json=body)
    assert r.status_code == 202, r.text
    jid = r.json()["id"]
    assert srv.get("/jobs/%s/result" % jid,
                   headers=users["owner"]).status_code == 404   # not yet
    w = start("w-doc")
    done, _ = wait(srv, users["owner"], jid, timeout=60)
    assert done["status"] == "succeeded", done
    res = done["result"]
    assert res["status"] == 200 and res["body"] is None
    assert res["content_type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert res["body_url"] == "/jobs/%s/result" % jid
    f = srv.get(res["body_url"], headers=users["owner"])
    assert f.status_code == 200
    assert f.headers["Content-Type"] == res["content_type"]
    # named as the synchronous answer names it
    sync = srv.request("POST", "/documents/docx", headers=users["owner"],
                       json=body)
    assert sync.headers["Content-Disposition"] == \
        'attachment; filename="Weekly_call.docx"'
    assert f.headers["Content-Disposition"] == \
        sync.headers["Content-Disposition"]
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(f.content)).paragraphs)
    assert "The budget was approved." in text and "Weekly call" in text
    assert srv.get(res["body_url"], headers=users["other"]).status_code == 404
    for bad in ("/jobs/%s/nope" % jid, "/jobs/%sx" % jid, "/jobs/%s/result/x" % jid):
        assert srv.get(bad, headers=users["owner"]).status_code in (400, 404), bad
    assert len(usage(stack, r.headers["X-Request-Id"])) == 1
    w.stop()


@pytest.mark.parametrize("kind", ["lighttpd", "apache-fcgid"])
def test_result_path_reaches_the_job_program(env, stack, kind):
    """Both web servers hand /jobs/{id}/result to the job program, which
    answers for it (not the catch-all's "no such endpoint")."""
    _, users, _, _ = env
    srv = stack.server(kind)
    jid = str(uuid.uuid4())
    r = srv.get("/jobs/%s/result" % jid, headers=users["owner"])
    assert r.status_code == 404, r.text
    assert "has no result" in r.json()["error"]["message"]
    r = srv.get("/jobs/%s/other" % jid, headers=users["owner"])
    assert r.status_code == 404 and "job resource" in r.json()["error"]["message"]


# Input that only an endpoint's own checks refuse: handed over as a job,
# it would be a 202 now and a failed job later.
BAD_INPUT = [
    ("/transcriptions/video", dict(data={"language": "en"})),
    ("/transcriptions/video", dict(data={"url": "file:///etc/passwd"})),
    ("/transcriptions/video", dict(data={"url": "http://127.0.0.1/a.mp4"})),
    ("/transcriptions/video", dict(files={"video": ("e.mp4", b"", "video/mp4")})),
    ("/transcriptions/deepgram", dict(data={"response_format": "nope"}, audio=1)),
    ("/transcriptions/assemblyai", dict(data={"response_format": "nope"}, audio=1)),
    ("/transcriptions/whisper", dict(data={"temperature": "2"}, audio=1)),
    ("/v1/audio/transcriptions", dict(data={"model": "nope"}, audio="file")),
    ("/v1/audio/translations", dict(data={"model": "whisper-1",
                                          "response_format": "nope"}, audio="file")),
    ("/transcriptions/transcribe-and-translate",
     dict(data={"target_language": "klingonish"}, audio=1)),
    ("/transcriptions/transcribe-and-translate",
     dict(data={"target_language": "es", "translation_engine": "nope"}, audio=1)),
    ("/transcriptions/transcribe-and-translate",
     dict(data={"target_language": "ja", "source_language": "en"}, audio=1)),
    ("/translations/openai", dict(json={"text": "  \n", "target_language": "es"})),
    ("/translations/openai", dict(json={"text": "Hi.", "target_language": "en",
                                        "source_language": "en"})),
    ("/translations/deepseek", dict(json={"text": "Hi.", "target_language": "es",
                                          "webhook_url": "ftp://x/"})),
    ("/translations/google", dict(json={"text": "Hi.", "target_language": "ja",
                                        "source_language": "en",
                                        "provider": "local"})),
    ("/documents/nope", dict(json={"text": "Minutes."})),
    ("/documents/srt", dict(json={"text": "Minutes."})),
    ("/documents/docx", dict(json={"title": "no text"})),
    ("/reports/pdf", dict(json={"text": "a", "transcript": {"text": "b"}})),
]


@pytest.mark.parametrize("path,req", BAD_INPUT,
                         ids=["%s-%d" % (p, i) for i, (p, _) in enumerate(BAD_INPUT)])
def test_bad_input_is_refused_before_it_is_queued(env, stack, speech, path, req):
    """What the synchronous call refuses, the async one refuses the same
    way at once: same status, same message, no job, nothing billed."""
    srv, users, _, _ = env
    req = dict(req)
    audio = req.pop("audio", None)
    if audio is not None:
        with open(speech[0], "rb") as f:
            req["files"] = {audio if audio == "file" else "audio":
                            ("speech.wav", f.read(), "audio/wav")}
    sync = srv.request("POST", path, headers=users["owner"], **req)
    assert 400 <= sync.status_code < 500, sync.text
    before = stack.pg.psql("SELECT count(*) FROM jobs")
    r = srv.request("POST", path, headers=dict(users["owner"],
                                               Prefer="respond-async"), **req)
    assert r.status_code == sync.status_code, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json()["error"]["message"] == sync.json()["error"]["message"]
    assert "Location" not in r.headers
    assert stack.pg.psql("SELECT count(*) FROM jobs") == before
    for x in (sync, r):
        assert usage(stack, x.headers["X-Request-Id"]) == []
