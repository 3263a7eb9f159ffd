"""POST /documents/{fmt}: transcripts and texts as files, opened by the
programs people open them with (python-docx, openpyxl, poppler's
pdftotext and pdfinfo, LibreOffice), each format's type and name, the
usage row, and bad input answered in JSON with nothing billed and no
temp file left."""

import io
import json
import os
import re
import subprocess
import tempfile
import zipfile

import pytest

from conftest import LEGACY_KEY, need
from test_http import error_of

KEY = {"x-api-key": LEGACY_KEY}
CTYPES = {
    "docx": "application/vnd.openxmlformats-officedocument."
            "wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "txt": "text/plain; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
    "json": "application/json",
}
WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet "
         "kilo lima mike november oscar papa quebec romeo sierra tango").split()


def transcript(nsegs, speakers=2, words_per_seg=8, texts=None):
    """Our JSON, as /transcriptions/deepgram answers it."""
    segs, words, t = [], [], 0.0
    for i in range(nsegs):
        text = texts[i] if texts else " ".join(
            WORDS[(i + k) % len(WORDS)] for k in range(words_per_seg)) + \
            " number %d" % i
        ws = text.split()
        start = t
        for w in ws:
            words.append({"word": w, "start": round(t, 3),
                          "end": round(t + 0.4, 3), "confidence": 0.9,
                          "speaker": i % speakers})
            t += 0.5
        segs.append({"speaker": i % speakers, "start": round(start, 3),
                     "end": round(t - 0.1, 3), "text": text})
        t += 0.7
    return {"transcript": " ".join(s["text"] for s in segs),
            "diarization": {"speakers_detected": speakers, "segments": segs},
            "words": words,
            "processing_info": {"provider": "deepgram", "model": "nova-2",
                                "language": "en", "duration": round(t, 3),
                                "request_id": "x", "provider_request_id": "y"}}


MIXED = ["Café crème à Paris, déjà vu", "Привет, как дела сегодня",
         "Ελληνικά γράμματα", "Tom & Jerry <b>not bold</b> \"quoted\""]


def post(srv, fmt, body, headers=KEY):
    return srv.request("POST", "/documents/" + fmt, headers=headers,
                       json=body, timeout=120)


def billed(stack, rid):
    return stack.pg.psql("SELECT service, status FROM usage_logs"
                         " WHERE request_id = '%s'" % rid)


@pytest.fixture(scope="module")
def srv(stack):
    return stack.server("lighttpd")


def ok(r, fmt, name):
    assert r.status_code == 200, r.text[:500]
    assert r.headers["Content-Type"] == CTYPES[fmt]
    assert r.headers["Content-Disposition"] == \
        'attachment; filename="%s.%s"' % (name, fmt)
    # Apache's CGI module sends its own chunked framing instead.
    if "Content-Length" in r.headers:
        assert int(r.headers["Content-Length"]) == len(r.content)
    return r.content


def test_docx_read_by_python_docx(srv, stack, tmp_path):
    docx = pytest.importorskip("docx")
    body = {"transcript": transcript(4, texts=MIXED), "title": "Board meeting",
            "metadata": {"author": "Ана", "room": 12}}
    r = post(srv, "docx", body)
    data = ok(r, "docx", "Board_meeting")
    d = docx.Document(io.BytesIO(data))
    paras = [p.text for p in d.paragraphs]
    assert paras[0] == "Board meeting"
    assert d.paragraphs[0].style.name == "Title"
    assert "author: Ана" in paras and "room: 12" in paras
    for text in MIXED:
        assert text in paras
    heads = [p for p in paras if p.startswith("Speaker ")]
    assert heads[0] == "Speaker 0  00:00:00" and heads[1].startswith("Speaker 1  ")
    assert d.core_properties.title == "Board meeting"
    assert billed(stack, r.headers["X-Request-Id"]) == [["document", "success"]]


def test_xlsx_read_by_openpyxl(srv):
    openpyxl = pytest.importorskip("openpyxl")
    t = transcript(5, speakers=3, texts=MIXED + ["last one"])
    r = post(srv, "xlsx", {"transcript": t, "title": "Q3",
                           "metadata": {"project": "Кириллица"}})
    wb = openpyxl.load_workbook(io.BytesIO(ok(r, "xlsx", "Q3")))
    assert wb.sheetnames == ["Transcript", "Info"]
    rows = list(wb["Transcript"].iter_rows(values_only=True))
    assert rows[0] == ("Start", "End", "Speaker", "Text")
    assert len(rows) == 6
    segs = t["diarization"]["segments"]
    for row, s in zip(rows[1:], segs):
        assert row == (s["start"], s["end"], "Speaker %d" % s["speaker"],
                       s["text"])
    info = {k: v for k, v in wb["Info"].iter_rows(values_only=True)}
    assert info["Title"] == "Q3" and info["project"] == "Кириллица"
    assert info["Language"] == "en"


def pdf_facts(data, tmp_path):
    need("pdftotext", "pdfinfo", why="reading PDFs")
    p = tmp_path / "d.pdf"
    p.write_bytes(data)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(p), "-"],
                          check=True, capture_output=True, text=True).stdout
    info = subprocess.run(["pdfinfo", str(p)], check=True, capture_output=True,
                          text=True)
    assert "Syntax Error" not in info.stderr, info.stderr
    pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))
    return text, pages, info.stdout


def test_pdf_text_and_pages(srv, tmp_path):
    r = post(srv, "pdf", {"transcript": transcript(4, texts=MIXED),
                          "title": "Réunion"})
    text, pages, info = pdf_facts(ok(r, "pdf", "R_union"), tmp_path)
    assert pages == 1
    assert "Réunion" in text
    for s in MIXED:
        assert s in text, text
    assert "Speaker 1" in text and "00:00:0" in text
    assert re.search(r"\b1\s*/\s*1\b", text)
    assert "DejaVuSans" in subprocess.run(
        ["pdffonts", str(tmp_path / "d.pdf")], capture_output=True,
        text=True).stdout


def test_300_segments_in_every_format(srv, stack, tmp_path):
    """A long transcript renders in each format; the PDF spans pages,
    numbered n / N, and wraps its long lines inside the page."""
    docx = pytest.importorskip("docx")
    openpyxl = pytest.importorskip("openpyxl")
    t = transcript(300, speakers=3, words_per_seg=30)
    out = {}
    for fmt in CTYPES:
        r = post(srv, fmt, {"transcript": t})
        out[fmt] = ok(r, fmt, "transcript")
    text, pages, _ = pdf_facts(out["pdf"], tmp_path)
    assert pages >= 5
    assert re.search(r"\b%d\s*/\s*%d\b" % (pages, pages), text)
    assert "number 299" in text and "number 0" in text
    width = subprocess.run(["pdfinfo", "-box", str(tmp_path / "d.pdf")],
                           capture_output=True, text=True).stdout
    assert re.search(r"MediaBox:\s+0\.00\s+0\.00\s+595\.28\s+841\.89", width)
    d = docx.Document(io.BytesIO(out["docx"]))
    assert sum(p.text.startswith("Speaker ") for p in d.paragraphs) == 300
    wb = openpyxl.load_workbook(io.BytesIO(out["xlsx"]), read_only=True)
    assert sum(1 for _ in wb["Transcript"].iter_rows()) == 301
    assert out["txt"].decode().count("\n\n") == 300
    assert json.loads(out["json"])["diarization"]["segments"] == \
        t["diarization"]["segments"]
    assert stack.leftovers() == []


def cues(text, vtt):
    """Parses SubRip or WebVTT cues strictly: (start, end, text) each."""
    blocks = text.strip("\n").split("\n\n")
    if vtt:
        assert blocks.pop(0) == "WEBVTT"
    stamp = r"(\d\d):(\d\d):(\d\d)[%s](\d\d\d)" % ("." if vtt else ",")
    out = []
    for i, b in enumerate(blocks):
        lines = b.split("\n")
        if not vtt:
            assert lines.pop(0) == str(i + 1)
        m = re.fullmatch(stamp + " --> " + stamp, lines[0])
        assert m, lines[0]
        g = [int(x) for x in m.groups()]
        start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        assert start <= end
        out.append((start, end, "\n".join(lines[1:])))
    return out


def test_srt_vtt_txt_json(srv):
    t = transcript(3, texts=MIXED[:3])
    segs = t["diarization"]["segments"]
    for fmt in ("srt", "vtt"):
        c = cues(ok(post(srv, fmt, {"transcript": t}), fmt,
                    "transcript").decode(), fmt == "vtt")
        assert [(a, b) for a, b, _ in c] == [(s["start"], s["end"]) for s in segs]
        assert MIXED[1] in c[1][2]
    txt = ok(post(srv, "txt", {"transcript": t, "title": "T",
                               "metadata": {"k": "v"}}), "txt", "T").decode()
    assert txt.startswith("T\n\nk: v\n\nSpeaker 0  00:00:00\n" + MIXED[0])
    j = json.loads(ok(post(srv, "json", {"transcript": t, "title": "T"}),
                      "json", "T"))
    assert j["title"] == "T" and j["transcript"] == t["transcript"]


def test_plain_text(srv, tmp_path):
    docx = pytest.importorskip("docx")
    text = "First paragraph, ελληνικά.\n\nSecond: Привет мир.\n"
    d = docx.Document(io.BytesIO(ok(post(srv, "docx", {"text": text}),
                                    "docx", "transcript")))
    assert [p.text for p in d.paragraphs] == ["First paragraph, ελληνικά.",
                                              "Second: Привет мир."]
    ptext, pages, _ = pdf_facts(ok(post(srv, "pdf", {"text": text}), "pdf",
                                   "transcript"), tmp_path)
    assert "Second: Привет мир." in ptext and "Speaker" not in ptext
    # Subtitles need times.
    e = error_of(post(srv, "srt", {"text": text}), 422)
    assert "srt" in e["message"]


def test_libreoffice_opens_docx_and_xlsx(srv, tmp_path):
    need("libreoffice", why="opening the documents as an office suite does")
    t = transcript(20, texts=None)
    files = []
    for fmt in ("docx", "xlsx"):
        p = tmp_path / ("%s.%s" % (fmt[0], fmt))
        p.write_bytes(ok(post(srv, fmt, {"transcript": t, "title": "LO"}),
                         fmt, "LO"))
        files.append(str(p))
    home = tempfile.mkdtemp(dir=str(tmp_path))
    outdir = tmp_path / "out"
    r = subprocess.run(["libreoffice", "--headless", "--convert-to", "pdf",
                        "--outdir", str(outdir)] + files,
                       env=dict(os.environ, HOME=home), capture_output=True,
                       text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    assert "Error" not in r.stderr, r.stderr
    for name in ("d.pdf", "x.pdf"):
        assert (outdir / name).stat().st_size > 1000, r.stdout


def test_file_names_made_safe(srv):
    cases = [("../../etc/passwd", "etc_passwd"), ("a\r\nX-Evil: 1", "a_X-Evil_1"),
             ("nul\u0000byte", "nul_byte"), ("...", "transcript"),
             ("Отчёт 2024", "2024"), ("report.v2", "report.v2")]
    for title, name in cases:
        r = post(srv, "txt", {"text": "hello", "title": title})
        ok(r, "txt", name)
        assert "X-Evil" not in r.headers
    r = post(srv, "txt", {"text": "hello", "title": "T", "filename": "/x/../y"})
    ok(r, "txt", "x_y")
    # The title itself keeps its text, its control bytes as spaces.
    r = post(srv, "txt", {"text": "hello", "title": "a\r\nb\u0000c"})
    assert r.content.decode().startswith("a b c\n\n")


def test_bad_input(srv, stack):
    n = len(stack.pg.psql("SELECT 1 FROM usage_logs WHERE service = 'document'"))
    good = transcript(2)
    e = error_of(post(srv, "odt", {"text": "x"}), 404, "not_found")
    assert "odt" in e["message"] and "docx" in e["message"]
    e = error_of(post(srv, "%2e%2e", {"text": "x"}), 404)
    bad_shapes = [
        ({"diarization": {"segments": [{"start": 0, "end": 1}]}},
         "transcript.diarization.segments[0].text"),
        ({"diarization": {"segments": [{"text": "a", "start": "0"}]}},
         "transcript.diarization.segments[0].start"),
        ({"diarization": {"segments": [{"text": "a", "start": -1}]}},
         "transcript.diarization.segments[0].start"),
        ({"diarization": {"segments": [{"text": "a", "start": 0,
                                        "speaker": "A"}]}},
         "transcript.diarization.segments[0].speaker"),
        ({"diarization": {"segments": {}}}, "transcript.diarization.segments"),
        ({"diarization": []}, "transcript.diarization"),
        ({"words": [{"word": 3, "start": 0}]}, "transcript.words[0].word"),
        ({"transcript": 5}, "transcript.transcript"),
        ({"processing_info": {"language": "no such"}, "transcript": "x"},
         "transcript.processing_info.language"),
        ({}, "transcript"),
    ]
    for t, field in bad_shapes:
        e = error_of(post(srv, "pdf", {"transcript": t}), 422)
        assert field in e["message"], (field, e["message"])
    error_of(post(srv, "pdf", {"transcript": "a string"}), 422)
    error_of(post(srv, "pdf", {"transcript": [good]}), 422)
    e = error_of(post(srv, "pdf", {"text": "x", "transcript": good}), 422)
    e = error_of(post(srv, "pdf", {}), 400)
    assert "text" in e["message"]
    for empty in ("", "  \n\t "):
        e = error_of(post(srv, "docx", {"text": empty}), 422)
        assert "empty" in e["message"]
    e = error_of(post(srv, "docx", {"text": "a\u0000b"}), 422)
    assert "text" in e["message"]
    # Invalid UTF-8 in the JSON body itself.
    r = srv.request("POST", "/documents/pdf", headers=dict(
        KEY, **{"Content-Type": "application/json"}),
        data=b'{"text": "caf\xe9"}')
    error_of(r, 400)
    e = error_of(post(srv, "xlsx", {"text": "x" * (1024 * 1024 + 1)}), 413)
    assert "text" in e["message"]
    e = error_of(post(srv, "xlsx", {"transcript": transcript(
        2, texts=["y" * (600 * 1024), "z" * (600 * 1024)])}), 413)
    r = srv.request("POST", "/documents/pdf", headers=dict(
        KEY, **{"Content-Type": "application/json"}),
        data=b'{"text": "' + b"x" * (9 * 1024 * 1024) + b'"}')
    error_of(r, 413)
    e = error_of(post(srv, "txt", {"text": "x", "metadata": {"a": {"b": 1}}}),
                 422)
    assert "metadata.a" in e["message"]
    error_of(post(srv, "txt", {"text": "x", "metadata": [1]}), 422)
    error_of(post(srv, "txt", {"text": "x", "title": "t" * 501}), 422)
    error_of(post(srv, "pdf", {"text": "x"}, headers={}), 401)
    assert len(stack.pg.psql("SELECT 1 FROM usage_logs"
                             " WHERE service = 'document'")) == n
    assert stack.leftovers() == []


def test_every_server_serves_documents(server):
    r = post(server, "docx", {"text": "hello", "title": "S"})
    data = ok(r, "docx", "S")
    z = zipfile.ZipFile(io.BytesIO(data))
    assert z.testzip() is None
    assert "[Content_Types].xml" in z.namelist()
