/*
 * A transcript as a Word document (ECMA-376 WordprocessingML): the
 * package parts written into a zip with libzip.  The body,
 * word/document.xml, is streamed to a file beside the output one
 * paragraph at a time and zipped from there, so memory does not grow
 * with the transcript.  All text is XML-escaped, and what XML 1.0
 * cannot hold (control characters, U+FFFE, U+FFFF) becomes a space.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zip.h>

#include "extern.h"
#include "sentiment/sentiment.h"

#define XML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
#define W_NS	"http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define R_NS	"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define PKG_NS	"http://schemas.openxmlformats.org/package/2006"

static const char content_types[] = XML_HEAD
    "<Types xmlns=\"" PKG_NS "/content-types\">"
    "<Default Extension=\"rels\" ContentType=\"application/"
    "vnd.openxmlformats-package.relationships+xml\"/>"
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
    "<Override PartName=\"/word/document.xml\" ContentType=\"application/"
    "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
    "<Override PartName=\"/word/styles.xml\" ContentType=\"application/"
    "vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>"
    "<Override PartName=\"/docProps/core.xml\" ContentType=\"application/"
    "vnd.openxmlformats-package.core-properties+xml\"/>"
    "</Types>";

static const char rels[] = XML_HEAD
    "<Relationships xmlns=\"" PKG_NS "/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"" R_NS "/officeDocument\" "
    "Target=\"word/document.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"" PKG_NS "/relationships/metadata/"
    "core-properties\" Target=\"docProps/core.xml\"/>"
    "</Relationships>";

static const char doc_rels[] = XML_HEAD
    "<Relationships xmlns=\"" PKG_NS "/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"" R_NS "/styles\" "
    "Target=\"styles.xml\"/>"
    "</Relationships>";

static const char styles[] = XML_HEAD
    "<w:styles xmlns:w=\"" W_NS "\">"
    "<w:docDefaults><w:rPrDefault><w:rPr>"
    "<w:rFonts w:ascii=\"DejaVu Sans\" w:hAnsi=\"DejaVu Sans\" "
    "w:cs=\"DejaVu Sans\" w:eastAsia=\"DejaVu Sans\"/>"
    "<w:sz w:val=\"21\"/></w:rPr></w:rPrDefault>"
    "<w:pPrDefault><w:pPr><w:spacing w:after=\"120\"/></w:pPr>"
    "</w:pPrDefault></w:docDefaults>"
    "<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\">"
    "<w:name w:val=\"Normal\"/></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Title\">"
    "<w:name w:val=\"Title\"/><w:basedOn w:val=\"Normal\"/>"
    "<w:pPr><w:spacing w:after=\"240\"/></w:pPr>"
    "<w:rPr><w:b/><w:sz w:val=\"36\"/></w:rPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Metadata\">"
    "<w:name w:val=\"Metadata\"/><w:basedOn w:val=\"Normal\"/>"
    "<w:pPr><w:spacing w:after=\"0\"/></w:pPr>"
    "<w:rPr><w:color w:val=\"555555\"/></w:rPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Speaker\">"
    "<w:name w:val=\"Speaker\"/><w:basedOn w:val=\"Normal\"/>"
    "<w:pPr><w:keepNext/><w:spacing w:before=\"200\" w:after=\"40\"/></w:pPr>"
    "<w:rPr><w:b/><w:color w:val=\"1F3864\"/></w:rPr></w:style>"
    "</w:styles>";

/*
 * Appends s XML-escaped; what XML 1.0 cannot hold becomes a space.
 * The text is UTF-8 (checked when it came in).
 */
static enum tr_err
esc(struct tr_buf *b, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	enum tr_err		 er = TR_OK;

	for (; *p != '\0' && er == TR_OK; p++) {
		if (*p == '&')
			er = tr_buf_adds(b, "&amp;");
		else if (*p == '<')
			er = tr_buf_adds(b, "&lt;");
		else if (*p == '>')
			er = tr_buf_adds(b, "&gt;");
		else if (*p == '"')
			er = tr_buf_adds(b, "&quot;");
		else if (*p < 0x20 || *p == 0x7f)
			er = tr_buf_add(b, " ", 1);
		else if (p[0] == 0xef && p[1] == 0xbf &&
		    (p[2] == 0xbe || p[2] == 0xbf)) {
			er = tr_buf_add(b, " ", 1);
			p += 2;
		} else
			er = tr_buf_add(b, p, 1);
	}
	return er;
}

/* A paragraph of style (NULL: Normal) with one run of text. */
static enum tr_err
para(struct tr_buf *b, const char *style, const char *text)
{
	enum tr_err	 er;

	if ((er = tr_buf_adds(b, "<w:p>")) != TR_OK ||
	    (style != NULL && (er = tr_buf_addf(b, "<w:pPr><w:pStyle w:val="
	    "\"%s\"/></w:pPr>", style)) != TR_OK) ||
	    (er = tr_buf_adds(b, "<w:r><w:t xml:space=\"preserve\">")) != TR_OK ||
	    (er = esc(b, text)) != TR_OK)
		return er;
	return tr_buf_adds(b, "</w:t></w:r></w:p>");
}

/* Writes what b holds to f and empties it. */
static enum tr_err
flush(struct tr_buf *b, FILE *f)
{
	if (b->len > 0 && fwrite(b->ptr, 1, b->len, f) != b->len) {
		tr_warn("docx: write");
		return TR_ESYSTEM;
	}
	tr_buf_reset(b);
	return TR_OK;
}

/* word/document.xml, streamed to f. */
static enum tr_err
body(const struct tr_transcript *t, const struct tr_render *o, FILE *f)
{
	struct tr_buf	 b, h, line;
	size_t		 i;
	enum tr_err	 er;

	tr_buf_init(&b, TR_RENDER_MAX);
	tr_buf_init(&h, 256);
	tr_buf_init(&line, 1 << 20);
	er = tr_buf_adds(&b, XML_HEAD "<w:document xmlns:w=\"" W_NS "\" "
	    "xmlns:r=\"" R_NS "\"><w:body>");
	if (er == TR_OK && o->title != NULL)
		er = para(&b, "Title", o->title);
	if (er == TR_OK && o->meta != NULL) {
		json_object_object_foreach(o->meta, key, val) {
			tr_buf_reset(&line);
			if ((er = tr_buf_addf(&line, "%s: %s", key,
			    tr__doc_value(val))) != TR_OK ||
			    (er = para(&b, "Metadata", tr_buf_str(&line))) != TR_OK)
				break;
		}
	}
	for (i = 0; er == TR_OK && i < t->nsegs; i++) {
		tr_buf_reset(&h);
		if ((er = tr__doc_heading(&t->segs[i], o, &h)) != TR_OK ||
		    (h.len > 0 && (er = para(&b, "Speaker",
		    tr_buf_str(&h))) != TR_OK) ||
		    (er = para(&b, NULL, t->segs[i].text)) != TR_OK)
			break;
		if (b.len > 64 * 1024)
			er = flush(&b, f);
	}
	if (er == TR_OK)
		er = tr_buf_adds(&b, "<w:sectPr><w:pgSz w:w=\"11906\" "
		    "w:h=\"16838\"/><w:pgMar w:top=\"1134\" w:right=\"1134\" "
		    "w:bottom=\"1134\" w:left=\"1134\" w:header=\"567\" "
		    "w:footer=\"567\" w:gutter=\"0\"/></w:sectPr>"
		    "</w:body></w:document>");
	if (er == TR_OK)
		er = flush(&b, f);
	tr_buf_free(&b);
	tr_buf_free(&h);
	tr_buf_free(&line);
	return er;
}

/* docProps/core.xml: the title. */
static enum tr_err
core(const struct tr_render *o, struct tr_buf *b)
{
	enum tr_err	 er;

	if ((er = tr_buf_adds(b, XML_HEAD "<cp:coreProperties xmlns:cp=\""
	    PKG_NS "/metadata/core-properties\" "
	    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
	    "<dc:creator>" TR_SERVICE "</dc:creator>")) != TR_OK)
		return er;
	if (o->title != NULL &&
	    ((er = tr_buf_adds(b, "<dc:title>")) != TR_OK ||
	    (er = esc(b, o->title)) != TR_OK ||
	    (er = tr_buf_adds(b, "</dc:title>")) != TR_OK))
		return er;
	return tr_buf_adds(b, "</cp:coreProperties>");
}

/* Adds a part from memory that outlives zip_close(). */
static int
add(zip_t *z, const char *name, const void *p, size_t len)
{
	zip_source_t	*src;

	if ((src = zip_source_buffer(z, p, len, 0)) == NULL)
		return -1;
	if (zip_file_add(z, name, src, ZIP_FL_ENC_UTF_8) < 0) {
		zip_source_free(src);
		return -1;
	}
	return 0;
}

/*
 * Writes the package at path with the body that fill streams; both the
 * transcript and the report are such a package.
 */
static enum tr_err
package(const struct tr_transcript *t, const struct tr_render *o,
    const char *path, enum tr_err (*fill)(const struct tr_transcript *,
    const struct tr_render *, FILE *))
{
	struct tr_buf	 cb, xml;
	zip_source_t	*src;
	zip_t		*z = NULL;
	FILE		*f = NULL;
	int		 zerr;
	enum tr_err	 er;

	tr_buf_init(&cb, 64 * 1024);
	tr_buf_init(&xml, 4096);
	if ((er = tr_buf_addf(&xml, "%s.body.xml", path)) != TR_OK ||
	    (er = core(o, &cb)) != TR_OK)
		goto out;
	if ((f = fopen(xml.ptr, "wxe")) == NULL) {
		tr_warn("docx: %s", xml.ptr);
		er = TR_ESYSTEM;
		goto out;
	}
	er = fill(t, o, f);
	if (fclose(f) != 0 && er == TR_OK) {
		tr_warn("docx: close");
		er = TR_ESYSTEM;
	}
	if (er != TR_OK)
		goto out;
	if ((z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr)) == NULL) {
		tr_warnx("docx: zip_open %s: error %d", path, zerr);
		er = TR_ESYSTEM;
		goto out;
	}
	er = TR_ESYSTEM;
	if (add(z, "[Content_Types].xml", content_types,
	    sizeof(content_types) - 1) == -1 ||
	    add(z, "_rels/.rels", rels, sizeof(rels) - 1) == -1 ||
	    add(z, "word/_rels/document.xml.rels", doc_rels,
	    sizeof(doc_rels) - 1) == -1 ||
	    add(z, "word/styles.xml", styles, sizeof(styles) - 1) == -1 ||
	    add(z, "docProps/core.xml", cb.ptr, cb.len) == -1)
		goto zfail;
	if ((src = zip_source_file(z, xml.ptr, 0, -1)) == NULL)
		goto zfail;
	if (zip_file_add(z, "word/document.xml", src, ZIP_FL_ENC_UTF_8) < 0) {
		zip_source_free(src);
		goto zfail;
	}
	if (zip_close(z) == -1)
		goto zfail;
	z = NULL;
	er = TR_OK;
	goto out;
zfail:
	tr_warnx("docx: %s", zip_strerror(z));
	zip_discard(z);
	z = NULL;
out:
	if (xml.ptr != NULL)
		unlink(xml.ptr);
	tr_buf_free(&xml);
	tr_buf_free(&cb);
	return er;
}

enum tr_err
tr_doc_docx(const struct tr_transcript *t, const struct tr_render *o,
    const char *path)
{
	return package(t, o, path, body);
}

/* A table row of n cells, each one paragraph of text. */
static enum tr_err
row(struct tr_buf *b, const char *const *cells, size_t n)
{
	size_t		 i;
	enum tr_err	 er;

	if ((er = tr_buf_adds(b, "<w:tr>")) != TR_OK)
		return er;
	for (i = 0; i < n; i++)
		if ((er = tr_buf_adds(b, "<w:tc>")) != TR_OK ||
		    (er = para(b, NULL, cells[i])) != TR_OK ||
		    (er = tr_buf_adds(b, "</w:tc>")) != TR_OK)
			return er;
	return tr_buf_adds(b, "</w:tr>");
}

/*
 * The sentiment of a report as a table: a row for each scored segment
 * in order (start, end, speaker, score, label), then one for each
 * speaker and the overall one.
 */
static enum tr_err
senti_table(struct tr_buf *b, const struct tr_transcript *t,
    const struct tr_senti_doc *d)
{
	const char	*head[] = { "Start", "End", "Speaker", "Score", "Label" };
	const char	*c[5];
	char		 st[TR_DOC_CLOCK], en[TR_DOC_CLOCK], sp[32], sc[32];
	size_t		 i;
	enum tr_err	 er;

	c[0] = st, c[1] = en, c[2] = sp, c[3] = sc;
	if ((er = para(b, "Speaker", "Sentiment over time")) != TR_OK ||
	    (er = tr_buf_adds(b, "<w:tbl><w:tblPr><w:tblW w:w=\"0\" "
	    "w:type=\"auto\"/></w:tblPr><w:tblGrid><w:gridCol w:w=\"1800\"/>"
	    "<w:gridCol w:w=\"1800\"/><w:gridCol w:w=\"1800\"/>"
	    "<w:gridCol w:w=\"1400\"/><w:gridCol w:w=\"1400\"/>"
	    "</w:tblGrid>")) != TR_OK ||
	    (er = row(b, head, 5)) != TR_OK)
		return er;
	for (i = 0; i < d->nsegs && i < t->nsegs; i++) {
		if (d->segs[i].sentences == 0)
			continue;
		tr__doc_clock(t->segs[i].start, st);
		tr__doc_clock(t->segs[i].end, en);
		if (t->segs[i].speaker >= 0)
			snprintf(sp, sizeof(sp), "Speaker %d", t->segs[i].speaker);
		else
			sp[0] = '\0';
		snprintf(sc, sizeof(sc), "%.2f", d->segs[i].score);
		c[4] = tr_senti_label_name(d->segs[i].label);
		if ((er = row(b, c, 5)) != TR_OK)
			return er;
	}
	st[0] = en[0] = '\0';
	for (i = 0; i <= d->nspeakers; i++) {
		const struct tr_senti_agg *a = i < d->nspeakers ?
		    &d->speakers[i] : &d->overall;

		if (a->sentences == 0)
			continue;
		if (i < d->nspeakers)
			snprintf(sp, sizeof(sp), "Speaker %zu", i);
		else
			snprintf(sp, sizeof(sp), "Overall");
		snprintf(sc, sizeof(sc), "%.2f", a->score);
		c[4] = tr_senti_label_name(a->label);
		if ((er = row(b, c, 5)) != TR_OK)
			return er;
	}
	return tr_buf_adds(b, "</w:tbl>");
}

/* The report's body (figures, talk time per speaker, frequent words). */
static enum tr_err
report_body(const struct tr_transcript *t, const struct tr_render *o,
    FILE *f)
{
	struct tr_report	 rp;
	struct tr_buf		 b;
	char			 s[256], name[32], clock[TR_DOC_CLOCK];
	size_t			 i;
	enum tr_err		 er;

	tr_report_make(t, &rp);
	tr_buf_init(&b, TR_RENDER_MAX);
	tr__doc_clock(rp.duration, clock);
	snprintf(s, sizeof(s), "Duration: %s   Words: %zu   Words per minute: "
	    "%.1f   Speakers: %zu", clock, rp.words, rp.wpm, rp.nspeakers);
	if ((er = tr_buf_adds(&b, XML_HEAD "<w:document xmlns:w=\"" W_NS
	    "\"><w:body>")) != TR_OK ||
	    (er = para(&b, "Title", o->title != NULL ? o->title :
	    "Transcript report")) != TR_OK ||
	    (er = para(&b, NULL, s)) != TR_OK ||
	    (er = para(&b, "Speaker", "Talk time")) != TR_OK)
		goto out;
	for (i = 0; i < rp.nspeakers; i++) {
		tr__report_name(&rp.speakers[i], name, sizeof(name));
		tr__doc_clock(rp.speakers[i].seconds, clock);
		snprintf(s, sizeof(s), "%s: %s (%.1f%%), %zu words, %zu turns",
		    name, clock, rp.speakers[i].share * 100,
		    rp.speakers[i].words, rp.speakers[i].turns);
		if ((er = para(&b, NULL, s)) != TR_OK)
			goto out;
	}
	if (o->senti != NULL && (er = senti_table(&b, t, o->senti)) != TR_OK)
		goto out;
	if ((er = para(&b, "Speaker", "Most frequent words")) != TR_OK)
		goto out;
	for (i = 0; i < rp.ntop; i++) {
		snprintf(s, sizeof(s), "%zu. %s (%zu)", i + 1, rp.tab[i].word,
		    rp.tab[i].count);
		if ((er = para(&b, NULL, s)) != TR_OK)
			goto out;
	}
	if ((er = tr_buf_adds(&b, "</w:body></w:document>")) == TR_OK)
		er = flush(&b, f);
out:
	tr_buf_free(&b);
	tr_report_free(&rp);
	return er;
}

enum tr_err
tr_report_docx(const struct tr_transcript *t, const struct tr_render *o,
    const char *path)
{
	return package(t, o, path, report_body);
}
