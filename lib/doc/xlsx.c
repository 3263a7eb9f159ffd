/*
 * A transcript as an Excel workbook with libxlsxwriter: a sheet
 * "Transcript" with one row per segment (start, end, speaker, text),
 * and a sheet "Info" with the title, the metadata, the language and
 * duration.  The workbook is written in libxlsxwriter's constant-memory
 * mode, each row flushed to a temp file in the request's directory as
 * it is written, so memory does not grow with the transcript.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "extern.h"
#include "sentiment/sentiment.h"

#define XLSX_CELLMAX	32767	/* characters in one cell (Excel) */

/*
 * Writes a string cell, cut at a character boundary to what a cell
 * holds (bytes, a bound on characters).
 */
static lxw_error
cell(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const char *s,
    lxw_format *fmt)
{
	char		*cut;
	size_t		 n = strlen(s);
	lxw_error	 e;

	if (n <= XLSX_CELLMAX)
		return worksheet_write_string(ws, row, col, s, fmt);
	n = XLSX_CELLMAX;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	cut = tr_xstrndup(s, n);
	e = worksheet_write_string(ws, row, col, cut, fmt);
	free(cut);
	return e;
}

static lxw_error
transcript(lxw_workbook *wb, const struct tr_transcript *t,
    const struct tr_render *o)
{
	lxw_worksheet	*ws;
	lxw_format	*bold, *secs;
	char		 label[32];
	const char	*head[] = { "Start", "End", "Speaker", "Text" };
	lxw_row_t	 r;
	lxw_col_t	 c;
	lxw_error	 e = LXW_NO_ERROR;
	size_t		 i;

	if ((ws = workbook_add_worksheet(wb, "Transcript")) == NULL)
		return LXW_ERROR_MEMORY_MALLOC_FAILED;
	bold = workbook_add_format(wb);
	format_set_bold(bold);
	secs = workbook_add_format(wb);
	format_set_num_format(secs, "0.000");
	worksheet_set_column(ws, 0, 1, 10, NULL);
	worksheet_set_column(ws, 2, 2, 12, NULL);
	worksheet_set_column(ws, 3, 3, 100, NULL);
	for (c = 0; c < 4 && e == LXW_NO_ERROR; c++)
		e = worksheet_write_string(ws, 0, c, head[c], bold);
	for (i = 0; i < t->nsegs && e == LXW_NO_ERROR; i++) {
		r = (lxw_row_t)(i + 1);
		if (o->timed &&
		    ((e = worksheet_write_number(ws, r, 0, t->segs[i].start,
		    secs)) != LXW_NO_ERROR ||
		    (e = worksheet_write_number(ws, r, 1, t->segs[i].end,
		    secs)) != LXW_NO_ERROR))
			break;
		if (t->segs[i].speaker >= 0) {
			snprintf(label, sizeof(label), "Speaker %d",
			    t->segs[i].speaker);
			if ((e = worksheet_write_string(ws, r, 2, label,
			    NULL)) != LXW_NO_ERROR)
				break;
		}
		e = cell(ws, r, 3, t->segs[i].text, NULL);
	}
	return e;
}

static lxw_error
info(lxw_workbook *wb, const struct tr_transcript *t,
    const struct tr_render *o)
{
	lxw_worksheet	*ws;
	lxw_row_t	 r = 0;
	lxw_error	 e = LXW_NO_ERROR;

	if ((ws = workbook_add_worksheet(wb, "Info")) == NULL)
		return LXW_ERROR_MEMORY_MALLOC_FAILED;
	worksheet_set_column(ws, 0, 0, 20, NULL);
	worksheet_set_column(ws, 1, 1, 60, NULL);
	if (o->title != NULL &&
	    ((e = worksheet_write_string(ws, r, 0, "Title", NULL)) != LXW_NO_ERROR ||
	    (e = cell(ws, r++, 1, o->title, NULL)) != LXW_NO_ERROR))
		return e;
	if (t->language[0] != '\0' &&
	    ((e = worksheet_write_string(ws, r, 0, "Language", NULL)) != LXW_NO_ERROR ||
	    (e = worksheet_write_string(ws, r++, 1, t->language, NULL)) != LXW_NO_ERROR))
		return e;
	if (o->timed &&
	    ((e = worksheet_write_string(ws, r, 0, "Duration (s)", NULL)) != LXW_NO_ERROR ||
	    (e = worksheet_write_number(ws, r++, 1, t->duration, NULL)) != LXW_NO_ERROR))
		return e;
	if (o->meta == NULL)
		return e;
	json_object_object_foreach(o->meta, key, val) {
		if ((e = cell(ws, r, 0, key, NULL)) != LXW_NO_ERROR ||
		    (e = cell(ws, r++, 1, tr__doc_value(val),
		    NULL)) != LXW_NO_ERROR)
			return e;
	}
	return e;
}

enum tr_err
tr_doc_xlsx(const struct tr_transcript *t, const struct tr_render *o,
    const char *path)
{
	lxw_workbook_options	 opt = { .constant_memory = LXW_TRUE,
				    .tmpdir = (char *)o->tmpdir };
	lxw_doc_properties	 props = { .title = (char *)o->title,
				    .author = (char *)TR_SERVICE };
	lxw_workbook		*wb;
	lxw_error		 e;

	if ((wb = workbook_new_opt(path, &opt)) == NULL) {
		tr_warnx("xlsx: cannot create %s", path);
		return TR_ESYSTEM;
	}
	workbook_set_properties(wb, &props);
	if ((e = transcript(wb, t, o)) == LXW_NO_ERROR)
		e = info(wb, t, o);
	if (e != LXW_NO_ERROR) {
		tr_warnx("xlsx: %s", lxw_strerror(e));
		(void)workbook_close(wb);
		return TR_ESYSTEM;
	}
	if ((e = workbook_close(wb)) != LXW_NO_ERROR) {
		tr_warnx("xlsx: %s", lxw_strerror(e));
		return TR_ESYSTEM;
	}
	return TR_OK;
}

/*
 * The sentiment of a report: a sheet "Sentiment" with each scored
 * segment (start, end, speaker, score, label) and each speaker's, and a
 * native line chart of the score over time on the sheet "Report".
 */
static void
senti_sheet(lxw_workbook *wb, lxw_worksheet *rep, lxw_format *bold,
    const struct tr_transcript *t, const struct tr_senti_doc *d)
{
	const char		*head[] = { "Start (s)", "End (s)", "Speaker",
				    "Score", "Label" };
	lxw_worksheet		*ws = workbook_add_worksheet(wb, "Sentiment");
	lxw_chart		*ch;
	lxw_chart_series	*se;
	char			 name[32];
	lxw_row_t		 r = 1;
	size_t			 i;

	worksheet_set_column(ws, 0, 4, 12, NULL);
	for (i = 0; i < 5; i++)
		worksheet_write_string(ws, 0, (lxw_col_t)i, head[i], bold);
	for (i = 0; i < d->nsegs && i < t->nsegs; i++, r++) {
		if (d->segs[i].sentences == 0) {
			r--;
			continue;
		}
		worksheet_write_number(ws, r, 0, t->segs[i].start, NULL);
		worksheet_write_number(ws, r, 1, t->segs[i].end, NULL);
		if (t->segs[i].speaker >= 0)
			worksheet_write_number(ws, r, 2, t->segs[i].speaker, NULL);
		worksheet_write_number(ws, r, 3, d->segs[i].score, NULL);
		worksheet_write_string(ws, r, 4,
		    tr_senti_label_name(d->segs[i].label), NULL);
	}
	if (r > 1 && (ch = workbook_add_chart(wb, LXW_CHART_LINE)) != NULL) {
		chart_title_set_name(ch, "Sentiment over time");
		se = chart_add_series(ch, NULL, NULL);
		chart_series_set_categories(se, "Sentiment", 1, 0, r - 1, 0);
		chart_series_set_values(se, "Sentiment", 1, 3, r - 1, 3);
		chart_axis_set_min(ch->y_axis, -1);
		chart_axis_set_max(ch->y_axis, 1);
		chart_legend_set_position(ch, LXW_CHART_LEGEND_NONE);
		worksheet_insert_chart(rep, 16, 6, ch);
	}
	r++;
	worksheet_write_string(ws, r, 0, "Overall", bold);
	worksheet_write_number(ws, r, 3, d->overall.score, NULL);
	worksheet_write_string(ws, r++, 4,
	    tr_senti_label_name(d->overall.label), NULL);
	for (i = 0; i < d->nspeakers; i++) {
		if (d->speakers[i].sentences == 0)
			continue;
		snprintf(name, sizeof(name), "Speaker %zu", i);
		worksheet_write_string(ws, r, 0, name, NULL);
		worksheet_write_number(ws, r, 2, (double)i, NULL);
		worksheet_write_number(ws, r, 3, d->speakers[i].score, NULL);
		worksheet_write_string(ws, r++, 4,
		    tr_senti_label_name(d->speakers[i].label), NULL);
	}
}

/*
 * The report as a workbook: a sheet "Report" with the figures, a table
 * of speakers (talk seconds, share, words, turns) with a native bar
 * chart of talk time, and the most frequent words.  Not in constant
 * memory mode: a chart refers to cells, and the report is small.
 */
enum tr_err
tr_report_xlsx(const struct tr_transcript *t, const struct tr_render *o,
    const char *path)
{
	lxw_workbook_options	 opt = { .tmpdir = (char *)o->tmpdir };
	lxw_doc_properties	 props = { .title = (char *)o->title,
				    .author = (char *)TR_SERVICE };
	const char		*head[] = { "Speaker", "Talk seconds", "Share",
				    "Words", "Turns" };
	struct tr_report	 rp;
	lxw_workbook		*wb;
	lxw_worksheet		*ws;
	lxw_format		*bold, *pct;
	lxw_chart		*ch;
	lxw_chart_series	*se;
	char			 name[32];
	lxw_row_t		 r, first;
	size_t			 i;
	lxw_error		 e;

	if ((wb = workbook_new_opt(path, &opt)) == NULL)
		return TR_ESYSTEM;
	tr_report_make(t, &rp);
	workbook_set_properties(wb, &props);
	ws = workbook_add_worksheet(wb, "Report");
	bold = workbook_add_format(wb);
	format_set_bold(bold);
	pct = workbook_add_format(wb);
	format_set_num_format(pct, "0.0%");
	worksheet_set_column(ws, 0, 0, 22, NULL);
	worksheet_set_column(ws, 1, 4, 14, NULL);
	worksheet_write_string(ws, 0, 0, o->title != NULL ? o->title :
	    "Transcript report", bold);
	worksheet_write_string(ws, 1, 0, "Duration (s)", NULL);
	worksheet_write_number(ws, 1, 1, rp.duration, NULL);
	worksheet_write_string(ws, 2, 0, "Words", NULL);
	worksheet_write_number(ws, 2, 1, (double)rp.words, NULL);
	worksheet_write_string(ws, 3, 0, "Words per minute", NULL);
	worksheet_write_number(ws, 3, 1, rp.wpm, NULL);
	for (i = 0; i < 5; i++)
		worksheet_write_string(ws, 5, (lxw_col_t)i, head[i], bold);
	first = 6;
	for (i = 0; i < rp.nspeakers; i++) {
		r = first + (lxw_row_t)i;
		tr__report_name(&rp.speakers[i], name, sizeof(name));
		worksheet_write_string(ws, r, 0, name, NULL);
		worksheet_write_number(ws, r, 1, rp.speakers[i].seconds, NULL);
		worksheet_write_number(ws, r, 2, rp.speakers[i].share, pct);
		worksheet_write_number(ws, r, 3, (double)rp.speakers[i].words,
		    NULL);
		worksheet_write_number(ws, r, 4, (double)rp.speakers[i].turns,
		    NULL);
	}
	r = first + (lxw_row_t)rp.nspeakers + 1;
	worksheet_write_string(ws, r, 0, "Most frequent words", bold);
	worksheet_write_string(ws, r, 1, "Count", bold);
	for (i = 0; i < rp.ntop; i++) {
		cell(ws, r + 1 + (lxw_row_t)i, 0, rp.tab[i].word, NULL);
		worksheet_write_number(ws, r + 1 + (lxw_row_t)i, 1,
		    (double)rp.tab[i].count, NULL);
	}
	if (rp.nspeakers > 0 && (ch = workbook_add_chart(wb,
	    LXW_CHART_BAR)) != NULL) {
		chart_title_set_name(ch, "Talk time (s)");
		se = chart_add_series(ch, NULL, NULL);
		chart_series_set_categories(se, "Report", first, 0,
		    first + (lxw_row_t)rp.nspeakers - 1, 0);
		chart_series_set_values(se, "Report", first, 1,
		    first + (lxw_row_t)rp.nspeakers - 1, 1);
		chart_legend_set_position(ch, LXW_CHART_LEGEND_NONE);
		worksheet_insert_chart(ws, 0, 6, ch);
	}
	if (o->senti != NULL)
		senti_sheet(wb, ws, bold, t, o->senti);
	tr_report_free(&rp);
	if ((e = workbook_close(wb)) != LXW_NO_ERROR) {
		tr_warnx("xlsx: %s", lxw_strerror(e));
		return TR_ESYSTEM;
	}
	return TR_OK;
}
