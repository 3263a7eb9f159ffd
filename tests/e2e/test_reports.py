"""POST /reports/{fmt}: the analysis of a transcript (duration, words,
words per minute, talk time and share per speaker, frequent content
words, sentiment over time and per speaker) in JSON, and as files read
by openpyxl (the native charts present), python-docx and poppler; bad
input as for documents."""

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


# Clearly positive, then clearly negative: speaker 0 happy, speaker 1 not.
MOOD = {"diarization": {"segments": [
    {"speaker": 0, "start": 0, "end": 10,
     "text": "This is wonderful news. I love the new design!"},
    {"speaker": 0, "start": 10, "end": 20,
     "text": "Great work, everyone is happy."},
    {"speaker": 1, "start": 20, "end": 30,
     "text": "This is terrible. I hate the delays."},
    {"speaker": 1, "start": 30, "end": 40,
     "text": "The launch was an awful, sad failure."}]},
    "processing_info": {"language": "en", "duration": 40}}


def test_sentiment_json(srv, stack):
    r = post(srv, "json", {"transcript": MOOD})
    s = json.loads(ok(r, "json", "transcript"))["sentiment"]
    assert s["engine"] == "local"
    over = s["over_time"]
    assert [(p["segment"], p["speaker"], p["start"], p["end"])
            for p in over] == [(0, 0, 0, 10), (1, 0, 10, 20),
                               (2, 1, 20, 30), (3, 1, 30, 40)]
    assert [p["label"] for p in over] == ["positive", "positive",
                                          "negative", "negative"]
    assert all(0.3 < p["score"] <= 1 for p in over[:2]), over
    assert all(-1 <= p["score"] < -0.3 for p in over[2:]), over
    sp = {p["speaker"]: p for p in s["speakers"]}
    assert set(sp) == {0, 1}
    assert sp[0]["label"] == "positive" and sp[0]["sentences"] == 3
    assert sp[1]["label"] == "negative" and sp[1]["sentences"] == 3
    assert -0.3 < s["overall"]["score"] < 0.3
    # One report billed, no sentiment row of its own.
    assert billed(stack, r.headers["X-Request-Id"]) == [["report", "success"]]
    # A language the engine does not speak: the report, without sentiment.
    es = dict(MOOD, processing_info={"language": "es"})
    assert json.loads(ok(post(srv, "json", {"transcript": es}), "json",
                         "transcript"))["sentiment"] is None


def test_sentiment_in_files(srv, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    docx = pytest.importorskip("docx")
    data = ok(post(srv, "xlsx", {"transcript": MOOD}), "xlsx", "transcript")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    charts = [c for ws in wb.worksheets for c in ws._charts]
    assert len(charts) == 2, charts
    assert sorted(type(c).__name__ for c in charts) == ["BarChart",
                                                        "LineChart"]
    rows = list(wb["Sentiment"].iter_rows(values_only=True))
    assert rows[0] == ("Start (s)", "End (s)", "Speaker", "Score", "Label")
    assert [(r[0], r[2], r[4]) for r in rows[1:5]] == [
        (0, 0, "positive"), (10, 0, "positive"),
        (20, 1, "negative"), (30, 1, "negative")]
    assert rows[1][3] > 0.3 and rows[4][3] < -0.3
    text, pages, _ = pdf_facts(ok(post(srv, "pdf", {"transcript": MOOD}),
                                  "pdf", "transcript"), tmp_path)
    assert "Sentiment over time" in text and "Talk time" in text
    assert "Speaker 0: positive" in text and "Speaker 1: negative" in text
    d = docx.Document(io.BytesIO(ok(post(srv, "docx", {"transcript": MOOD}),
                                    "docx", "transcript")))
    assert "Sentiment over time" in [p.text for p in d.paragraphs]
    cells = [[c.text for c in row.cells] for row in d.tables[0].rows]
    assert cells[0] == ["Start", "End", "Speaker", "Score", "Label"]
    assert [(c[0], c[2], c[4]) for c in cells[1:5]] == [
        ("00:00:00", "Speaker 0", "positive"),
        ("00:00:10", "Speaker 0", "positive"),
        ("00:00:20", "Speaker 1", "negative"),
        ("00:00:30", "Speaker 1", "negative")]
    assert float(cells[1][3]) > 0.3 and float(cells[4][3]) < -0.3
