"""POST /reports/{fmt}: the analysis of a transcript (duration, words,
words per minute, talk time and share per speaker, frequent content
words) in JSON, and as files read by openpyxl (the native chart
present), python-docx and poppler; bad input as for documents."""

import io
import json
import zipfile

import pytest

from test_documents import KEY, billed, ok, pdf_facts, transcript
from test_http import error_of


def post(srv, fmt, body, headers=KEY):
    return srv.request("POST", "/reports/" + fmt, headers=headers,
                       json=body, timeout=60)


# Speaker 0 talks 30 s, speaker 1 10 s; "budget" is said most.
TALK = {"transcript": "x", "diarization": {"segments": [
    {"speaker": 0, "start": 0, "end": 20,
     "text": "The budget for the budget review, budget again"},
    {"speaker": 1, "start": 20, "end": 30, "text": "Marketing wants budget"},
    {"speaker": 0, "start": 30, "end": 40, "text": "Marketing said no"}]},
    "processing_info": {"language": "en", "duration": 60}}


@pytest.fixture(scope="module")
def srv(stack):
    return stack.server("lighttpd")


def test_json_figures(srv, stack):
    r = post(srv, "json", {"transcript": TALK, "title": "Review"})
    j = json.loads(ok(r, "json", "Review"))
    assert j["title"] == "Review"
    assert j["duration_seconds"] == 60
    assert j["words"] == 14
    assert j["words_per_minute"] == 14.0
    sp = {s["speaker"]: s for s in j["speakers"]}
    assert sp[0]["talk_seconds"] == 30 and sp[1]["talk_seconds"] == 10
    assert sp[0]["share"] == 0.75 and sp[0]["turns"] == 2
    assert j["top_words"][0] == {"word": "budget", "count": 4}
    assert j["top_words"][1] == {"word": "marketing", "count": 2}
    assert "the" not in [w["word"] for w in j["top_words"]]
    assert billed(stack, r.headers["X-Request-Id"]) == [["report", "success"]]


def test_xlsx_with_chart(srv):
    openpyxl = pytest.importorskip("openpyxl")
    data = ok(post(srv, "xlsx", {"transcript": TALK}), "xlsx", "transcript")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "xl/charts/chart1.xml" in names
    chart = zipfile.ZipFile(io.BytesIO(data)).read("xl/charts/chart1.xml")
    assert b"<c:barChart>" in chart and b"Report!$B$7:$B$8" in chart
    ws = openpyxl.load_workbook(io.BytesIO(data))["Report"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[6][:3] == ("Speaker 0", 30, 0.75)
    assert rows[7][:3] == ("Speaker 1", 10, 0.25)
    assert ("budget", 4) in [r[:2] for r in rows]


def test_pdf_and_docx(srv, tmp_path):
    docx = pytest.importorskip("docx")
    text, pages, _ = pdf_facts(ok(post(srv, "pdf", {"transcript": TALK,
                                                    "title": "Отчёт"}),
                                  "pdf", "transcript"), tmp_path)
    assert "Отчёт" in text and "Words per minute: 14.0" in text
    assert "Speaker 0: 00:00:30 (75.0%)" in text and "75%" in text
    assert "1. budget (4)" in text and pages == 1
    d = docx.Document(io.BytesIO(ok(post(srv, "docx", {"transcript": TALK}),
                                    "docx", "transcript")))
    paras = [p.text for p in d.paragraphs]
    assert "Speaker 1: 00:00:10 (25.0%), 3 words, 1 turns" in paras
    assert "2. marketing (2)" in paras


def test_long_transcript_and_bad_input(srv, stack):
    t = transcript(300, speakers=3, words_per_seg=20)
    for fmt in ("pdf", "docx", "xlsx", "json"):
        ok(post(srv, fmt, {"transcript": t}), fmt, "transcript")
    n = len(stack.pg.psql("SELECT 1 FROM usage_logs WHERE service = 'report'"))
    e = error_of(post(srv, "srt", {"transcript": TALK}), 404)
    assert "srt" in e["message"] and "xlsx" in e["message"]
    e = error_of(post(srv, "pdf", {"transcript": {"words": [{"word": 1}]}}), 422)
    assert "transcript.words[0].word" in e["message"]
    error_of(post(srv, "pdf", {"text": ""}), 422)
    error_of(post(srv, "json", {"text": "x" * (1024 * 1024 + 1)}), 413)
    assert len(stack.pg.psql("SELECT 1 FROM usage_logs"
                             " WHERE service = 'report'")) == n
    assert stack.leftovers() == []
