/*
 * A transcript as PDF with libharu: DejaVu Sans (fonts-dejavu-core)
 * embedded as a TrueType font under libharu's UTF-8 encoder, so that
 * any script the font covers prints; lines wrapped to the page by the
 * font's own advance widths; a heading (speaker, start) above each
 * segment when the transcript has them; "n / N" at the foot of each
 * page.  libharu keeps the document in memory until it is saved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hpdf.h>

#include "extern.h"
#include "sentiment/sentiment.h"

#define PAGE_W		595.276f	/* A4, points */
#define PAGE_H		841.89f
#define MARGIN		56.0f
#define BODY_SIZE	11.0f
#define HEAD_SIZE	9.5f
#define TITLE_SIZE	18.0f
#define LEADING		1.4f		/* line height / font size */

struct	pdf {
	HPDF_Doc	 doc;
	HPDF_Font	 font, bold;
	HPDF_Page	 page;
	HPDF_Page	*pages;		/* every page, for the footers */
	size_t		 npages, pagecap;
	float		 y;		/* baseline of the next line */
	HPDF_STATUS	 err;		/* libharu's first error */
};

static void
onerror(HPDF_STATUS err, HPDF_STATUS detail, void *arg)
{
	struct pdf	*p = arg;

	if (p->err == 0) {
		p->err = err;
		tr_warnx("pdf: libharu error 0x%04X (%u)", (unsigned)err,
		    (unsigned)detail);
	}
}

static int
newpage(struct pdf *p)
{
	if ((p->page = HPDF_AddPage(p->doc)) == NULL)
		return -1;
	HPDF_Page_SetWidth(p->page, PAGE_W);
	HPDF_Page_SetHeight(p->page, PAGE_H);
	if (p->npages == p->pagecap) {
		p->pagecap = p->pagecap ? p->pagecap * 2 : 16;
		p->pages = reallocarray(p->pages, p->pagecap,
		    sizeof(*p->pages));
		if (p->pages == NULL)
			return -1;
	}
	p->pages[p->npages++] = p->page;
	p->y = PAGE_H - MARGIN;
	return 0;
}

/* Decodes one UTF-8 character at s (valid, checked on input). */
static unsigned int
utf8(const unsigned char *s, size_t *n)
{
	if (s[0] < 0x80) {
		*n = 1;
		return s[0];
	}
	if (s[0] < 0xe0) {
		*n = 2;
		return (s[0] & 0x1fu) << 6 | (s[1] & 0x3fu);
	}
	if (s[0] < 0xf0) {
		*n = 3;
		return (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 |
		    (s[2] & 0x3fu);
	}
	*n = 4;
	return (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12 |
	    (s[2] & 0x3fu) << 6 | (s[3] & 0x3fu);
}

/* Shows one line of n bytes at the current position. */
static int
show(struct pdf *p, HPDF_Font font, float size, const char *s, size_t n,
    float x)
{
	char	*line = tr_xstrndup(s, n);
	size_t	 i;

	for (i = 0; i < n; i++)		/* no control bytes in a PDF string */
		if ((unsigned char)line[i] < 0x20)
			line[i] = ' ';
	if (p->y < MARGIN + size && newpage(p) == -1) {
		free(line);
		return -1;
	}
	HPDF_Page_BeginText(p->page);
	HPDF_Page_SetFontAndSize(p->page, font, size);
	HPDF_Page_TextOut(p->page, x, p->y, line);
	HPDF_Page_EndText(p->page);
	p->y -= size * LEADING;
	free(line);
	return p->err != 0 ? -1 : 0;
}

/*
 * Writes text wrapped to the width between the margins, breaking at
 * spaces (inside a word too long for a line, anywhere).
 */
static int
wrapped(struct pdf *p, HPDF_Font font, float size, const char *text)
{
	const unsigned char	*s = (const unsigned char *)text;
	const float		 width = (PAGE_W - 2 * MARGIN) * 1000 / size;
	size_t			 start = 0, i = 0, brk = 0, n;
	float			 w = 0;
	unsigned int		 c;

	while (s[i] != '\0') {
		c = utf8(s + i, &n);
		if (c == '\n' || c == '\r') {
			if (show(p, font, size, text + start, i - start,
			    MARGIN) == -1)
				return -1;
			start = i + n;
			brk = 0;
			w = 0;
			i += n;
			continue;
		}
		if (c == ' ')
			brk = i;
		w += HPDF_Font_GetUnicodeWidth(font, (HPDF_UNICODE)
		    (c > 0xffff ? 0xfffd : c));
		if (w > width && i > start) {
			if (brk <= start)
				brk = i;		/* no space: cut here */
			if (show(p, font, size, text + start, brk - start,
			    MARGIN) == -1)
				return -1;
			start = brk;
			while (s[start] == ' ')
				start++;
			i = start;
			brk = 0;
			w = 0;
			continue;
		}
		i += n;
	}
	if (i > start)
		return show(p, font, size, text + start, i - start, MARGIN);
	return 0;
}

/* "n / N" at the foot of every page, once N is known. */
static int
footers(struct pdf *p)
{
	char	 s[48];
	size_t	 i;
	float	 tw;

	for (i = 0; i < p->npages; i++) {
		snprintf(s, sizeof(s), "%zu / %zu", i + 1, p->npages);
		HPDF_Page_BeginText(p->pages[i]);
		HPDF_Page_SetFontAndSize(p->pages[i], p->font, HEAD_SIZE);
		tw = HPDF_Page_TextWidth(p->pages[i], s);
		HPDF_Page_TextOut(p->pages[i], (PAGE_W - tw) / 2, MARGIN / 2, s);
		HPDF_Page_EndText(p->pages[i]);
	}
	return p->err != 0 ? -1 : 0;
}

static int
content(struct pdf *p, const struct tr_transcript *t,
    const struct tr_render *o)
{
	struct tr_buf	 h;
	size_t		 i;
	int		 rc = 0;

	if (o->title != NULL) {
		if (wrapped(p, p->bold, TITLE_SIZE, o->title) == -1)
			return -1;
		p->y -= BODY_SIZE / 2;
	}
	tr_buf_init(&h, 1 << 20);
	if (o->meta != NULL) {
		json_object_object_foreach(o->meta, key, val) {
			tr_buf_reset(&h);
			if (tr_buf_addf(&h, "%s: %s", key,
			    tr__doc_value(val)) != TR_OK ||
			    wrapped(p, p->font, HEAD_SIZE, h.ptr) == -1) {
				tr_buf_free(&h);
				return -1;
			}
		}
		p->y -= BODY_SIZE / 2;
	}
	for (i = 0; i < t->nsegs && rc == 0; i++) {
		tr_buf_reset(&h);
		if (tr__doc_heading(&t->segs[i], o, &h) != TR_OK) {
			rc = -1;
			break;
		}
		if (h.len > 0) {
			/* A heading never ends a page alone. */
			if (p->y < MARGIN + HEAD_SIZE * LEADING + BODY_SIZE &&
			    newpage(p) == -1) {
				rc = -1;
				break;
			}
			HPDF_Page_SetRGBFill(p->page, 0.12f, 0.22f, 0.39f);
			rc = show(p, p->bold, HEAD_SIZE, h.ptr, h.len, MARGIN);
			HPDF_Page_SetRGBFill(p->page, 0, 0, 0);
		}
		if (rc == 0)
			rc = wrapped(p, p->font, BODY_SIZE, t->segs[i].text);
		p->y -= BODY_SIZE * 0.5f;
	}
	tr_buf_free(&h);
	return rc;
}

/* A line of text at the current height, advancing it. */
static int
line(struct pdf *p, HPDF_Font font, float size, const char *s)
{
	return wrapped(p, font, size, s);
}

/*
 * Talk time as horizontal bars, one a speaker, longest first as the
 * speakers came: a label, a bar scaled to the longest, the share.
 */
static int
bars(struct pdf *p, const struct tr_report *rp)
{
	const float	 bh = 14, gap = 6, lw = 90, maxw = PAGE_W - 2 * MARGIN -
			    lw - 60;
	char		 name[32], pct[32];
	double		 most = 0;
	float		 w;
	size_t		 i;

	for (i = 0; i < rp->nspeakers; i++)
		if (rp->speakers[i].seconds > most)
			most = rp->speakers[i].seconds;
	for (i = 0; i < rp->nspeakers; i++) {
		if (p->y < MARGIN + bh && newpage(p) == -1)
			return -1;
		tr__report_name(&rp->speakers[i], name, sizeof(name));
		snprintf(pct, sizeof(pct), "%.0f%%",
		    rp->speakers[i].share * 100);
		w = most > 0 ? (float)(rp->speakers[i].seconds / most) * maxw : 0;
		HPDF_Page_BeginText(p->page);
		HPDF_Page_SetFontAndSize(p->page, p->font, HEAD_SIZE);
		HPDF_Page_TextOut(p->page, MARGIN, p->y - bh + 4, name);
		HPDF_Page_TextOut(p->page, MARGIN + lw + w + 6, p->y - bh + 4,
		    pct);
		HPDF_Page_EndText(p->page);
		HPDF_Page_SetRGBFill(p->page, 0.20f, 0.42f, 0.70f);
		HPDF_Page_Rectangle(p->page, MARGIN + lw, p->y - bh,
		    w > 1 ? w : 1, bh);
		HPDF_Page_Fill(p->page);
		HPDF_Page_SetRGBFill(p->page, 0, 0, 0);
		p->y -= bh + gap;
	}
	p->y -= BODY_SIZE;
	return p->err != 0 ? -1 : 0;
}

/*
 * Sentiment over time as a line: each scored segment a point, at its
 * middle on the time axis (or by its rank, untimed), its score from -1
 * (foot) to 1 (top) about a grey zero line; then the figures.
 */
static int
sentiline(struct pdf *p, const struct tr_transcript *t,
    const struct tr_senti_doc *d)
{
	const float	 h = 100, x0 = MARGIN + 24, w = PAGE_W - 2 * MARGIN - 24;
	char		 s[128];
	double		 end = 0, at;
	float		 x, y = 0, mid;
	size_t		 i, n = 0, k = 0;

	for (i = 0; i < d->nsegs && i < t->nsegs; i++)
		if (d->segs[i].sentences > 0) {
			n++;
			if (t->segs[i].end > end)
				end = t->segs[i].end;
		}
	if (line(p, p->bold, BODY_SIZE + 2, "Sentiment over time") == -1)
		return -1;
	if (p->y < MARGIN + h + BODY_SIZE && newpage(p) == -1)
		return -1;
	p->y -= 4;
	mid = p->y - h / 2;
	HPDF_Page_BeginText(p->page);
	HPDF_Page_SetFontAndSize(p->page, p->font, HEAD_SIZE);
	HPDF_Page_TextOut(p->page, MARGIN, p->y - HEAD_SIZE, "+1");
	HPDF_Page_TextOut(p->page, MARGIN, mid - HEAD_SIZE / 3, "0");
	HPDF_Page_TextOut(p->page, MARGIN, p->y - h, "-1");
	HPDF_Page_EndText(p->page);
	HPDF_Page_SetLineWidth(p->page, 0.5f);
	HPDF_Page_SetRGBStroke(p->page, 0.6f, 0.6f, 0.6f);
	HPDF_Page_Rectangle(p->page, x0, p->y - h, w, h);
	HPDF_Page_MoveTo(p->page, x0, mid);
	HPDF_Page_LineTo(p->page, x0 + w, mid);
	HPDF_Page_Stroke(p->page);
	HPDF_Page_SetLineWidth(p->page, 1.5f);
	HPDF_Page_SetRGBStroke(p->page, 0.80f, 0.35f, 0.10f);
	for (i = 0; i < d->nsegs && i < t->nsegs; i++) {
		if (d->segs[i].sentences == 0)
			continue;
		at = end > 0 ? (t->segs[i].start + t->segs[i].end) / 2 / end :
		    n > 1 ? (double)k / (double)(n - 1) : 0.5;
		x = x0 + (float)at * w;
		y = mid + (float)d->segs[i].score * (h / 2);
		if (k++ == 0)
			HPDF_Page_MoveTo(p->page, x, y);
		else
			HPDF_Page_LineTo(p->page, x, y);
	}
	if (k == 1)		/* one point: a level line */
		HPDF_Page_LineTo(p->page, x0 + w, y);
	if (k > 0)
		HPDF_Page_Stroke(p->page);
	HPDF_Page_SetRGBStroke(p->page, 0, 0, 0);
	HPDF_Page_SetLineWidth(p->page, 1);
	p->y -= h + 1.5f * BODY_SIZE;
	snprintf(s, sizeof(s), "Overall: %s (%.2f)",
	    tr_senti_label_name(d->overall.label), d->overall.score);
	if (line(p, p->font, BODY_SIZE, s) == -1)
		return -1;
	for (i = 0; i < d->nspeakers; i++) {
		if (d->speakers[i].sentences == 0)
			continue;
		snprintf(s, sizeof(s), "Speaker %zu: %s (%.2f), %zu sentences",
		    i, tr_senti_label_name(d->speakers[i].label),
		    d->speakers[i].score, d->speakers[i].sentences);
		if (line(p, p->font, BODY_SIZE, s) == -1)
			return -1;
	}
	p->y -= BODY_SIZE;
	return p->err != 0 ? -1 : 0;
}

static int
report(struct pdf *p, const struct tr_transcript *t,
    const struct tr_render *o)
{
	struct tr_report	 rp;
	char			 s[256], name[32], clock[TR_DOC_CLOCK];
	size_t			 i;
	int			 rc = -1;

	tr_report_make(t, &rp);
	if (line(p, p->bold, TITLE_SIZE, o->title != NULL ? o->title :
	    "Transcript report") == -1)
		goto out;
	p->y -= BODY_SIZE / 2;
	tr__doc_clock(rp.duration, clock);
	snprintf(s, sizeof(s), "Duration: %s   Words: %zu   Words per "
	    "minute: %.1f   Speakers: %zu", clock, rp.words, rp.wpm,
	    rp.nspeakers);
	if (line(p, p->font, BODY_SIZE, s) == -1)
		goto out;
	p->y -= BODY_SIZE;
	if (line(p, p->bold, BODY_SIZE + 2, "Talk time") == -1)
		goto out;
	p->y -= 4;
	if (bars(p, &rp) == -1)
		goto out;
	for (i = 0; i < rp.nspeakers; i++) {
		tr__report_name(&rp.speakers[i], name, sizeof(name));
		tr__doc_clock(rp.speakers[i].seconds, clock);
		snprintf(s, sizeof(s), "%s: %s (%.1f%%), %zu words, %zu turns",
		    name, clock, rp.speakers[i].share * 100,
		    rp.speakers[i].words, rp.speakers[i].turns);
		if (line(p, p->font, BODY_SIZE, s) == -1)
			goto out;
	}
	p->y -= BODY_SIZE;
	if (o->senti != NULL && sentiline(p, t, o->senti) == -1)
		goto out;
	if (line(p, p->bold, BODY_SIZE + 2, "Most frequent words") == -1)
		goto out;
	for (i = 0; i < rp.ntop; i++) {
		snprintf(s, sizeof(s), "%zu. %s (%zu)", i + 1, rp.tab[i].word,
		    rp.tab[i].count);
		if (line(p, p->font, BODY_SIZE, s) == -1)
			goto out;
	}
	rc = 0;
out:
	tr_report_free(&rp);
	return rc;
}

/* Opens a document with the fonts loaded, for both writers. */
static int
pdf_open(struct pdf *p)
{
	const char	*name, *bname;
	const char	*font = tr_conf_def("DOCUMENT_FONT", TR_DOC_FONT);
	const char	*bfont = tr_conf_def("DOCUMENT_FONT_BOLD", TR_DOC_FONT_BOLD);

	memset(p, 0, sizeof(*p));
	if ((p->doc = HPDF_New(onerror, p)) == NULL)
		return -1;
	HPDF_SetCompressionMode(p->doc, HPDF_COMP_ALL);
	if (HPDF_UseUTFEncodings(p->doc) != HPDF_OK ||
	    HPDF_SetCurrentEncoder(p->doc, "UTF-8") != HPDF_OK)
		return -1;
	if ((name = HPDF_LoadTTFontFromFile(p->doc, font, HPDF_TRUE)) == NULL ||
	    (bname = HPDF_LoadTTFontFromFile(p->doc, bfont, HPDF_TRUE)) == NULL) {
		tr_warnx("pdf: cannot load the fonts %s, %s", font, bfont);
		return -1;
	}
	if ((p->font = HPDF_GetFont(p->doc, name, "UTF-8")) == NULL ||
	    (p->bold = HPDF_GetFont(p->doc, bname, "UTF-8")) == NULL)
		return -1;
	HPDF_SetInfoAttr(p->doc, HPDF_INFO_CREATOR, TR_SERVICE);
	return newpage(p);
}

/* Saves and frees the document; TR_OK if nothing failed on the way. */
static enum tr_err
pdf_close(struct pdf *p, int rc, const char *path)
{
	enum tr_err	 er = TR_ESYSTEM;

	if (rc == 0 && footers(p) == 0 &&
	    HPDF_SaveToFile(p->doc, path) == HPDF_OK && p->err == 0)
		er = TR_OK;
	if (p->doc != NULL)
		HPDF_Free(p->doc);
	free(p->pages);
	return er;
}

enum tr_err
tr_report_pdf(const struct tr_transcript *t, const struct tr_render *o,
    const char *path)
{
	struct pdf	 p;
	int		 rc;

	rc = pdf_open(&p);
	if (rc == 0)
		rc = report(&p, t, o);
	return pdf_close(&p, rc, path);
}

enum tr_err
tr_doc_pdf(const struct tr_transcript *t, const struct tr_render *o,
    const char *path)
{
	struct pdf	 p;
	int		 rc;

	rc = pdf_open(&p);
	if (rc == 0)
		rc = content(&p, t, o);
	return pdf_close(&p, rc, path);
}
