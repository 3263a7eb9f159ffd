/*
 * Our transcript JSON read back into the model, for the documents made
 * from it: what a client sends is what a transcription endpoint
 * answered (or OpenAI's verbose_json), so every member is checked for
 * its type and range, every string for UTF-8 without NUL, and the
 * counts and bytes against the caller's limits, before any of it is
 * kept.  An error names the member: "diarization.segments[3].start".
 * The one reader of it: /documents, /reports and /sentiment.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define MAXSECS		(1e7)	/* no recording lasts longer (115 days) */
#define MAXSPEAKER	999

struct	pctx {
	const struct tr_tlimits	*lim;
	size_t			 text;		/* bytes of text so far */
	char			*why;
	size_t			 whysz;
};

static enum tr_err
bad(struct pctx *c, enum tr_err er, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(c->why, c->whysz, fmt, ap);
	va_end(ap);
	return er;
}

/* The field's name in messages: "transcript.words[3].start". */
static const char *
fname(char *buf, size_t sz, const char *path, size_t i, const char *key)
{
	if (path == NULL)
		snprintf(buf, sz, "transcript.%s", key);
	else
		snprintf(buf, sz, "transcript.%s[%zu].%s", path, i, key);
	return buf;
}

/* A string member (NULL if absent and not required); path NULL: o's. */
static enum tr_err
str(struct pctx *c, struct json_object *o, const char *key, const char *path,
    size_t i, int required, const char **out)
{
	struct json_object	*v;
	const char		*s;
	char			 f[96];
	size_t			 len;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
		if (!required)
			return TR_OK;
		return bad(c, TR_EFIELD, "field '%s' is required",
		    fname(f, sizeof(f), path, i, key));
	}
	if (!json_object_is_type(v, json_type_string))
		return bad(c, TR_EFIELD, "field '%s' must be a string",
		    fname(f, sizeof(f), path, i, key));
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (strlen(s) != len || !tr_valid_utf8(s, len))
		return bad(c, TR_EFIELD, "field '%s' holds a NUL or is not "
		    "UTF-8", fname(f, sizeof(f), path, i, key));
	if ((c->text += len) > c->lim->text)
		return bad(c, TR_ETOOBIG, "the transcript's text is over the "
		    "limit of %zu bytes", c->lim->text);
	*out = s;
	return TR_OK;
}

/* A number of seconds in [0, MAXSECS]; def if absent. */
static enum tr_err
secs(struct pctx *c, struct json_object *o, const char *key, const char *path,
    size_t i, double def, double *out)
{
	struct json_object	*v;
	double			 d;

	*out = def;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
		if (def >= 0)
			return TR_OK;
		return bad(c, TR_EFIELD, "field 'transcript.%s[%zu].%s' is "
		    "required", path, i, key);
	}
	if (!json_object_is_type(v, json_type_double) &&
	    !json_object_is_type(v, json_type_int))
		return bad(c, TR_EFIELD, "field 'transcript.%s[%zu].%s' must be "
		    "a number", path, i, key);
	d = json_object_get_double(v);
	if (!isfinite(d) || d < 0 || d > MAXSECS)
		return bad(c, TR_EFIELD, "field 'transcript.%s[%zu].%s' must be "
		    "seconds from 0 to %g", path, i, key, MAXSECS);
	*out = d;
	return TR_OK;
}

/* A speaker number or null; -1 when absent or null. */
static enum tr_err
speaker(struct pctx *c, struct json_object *o, const char *path, size_t i,
    int *out)
{
	struct json_object	*v;
	int64_t			 n;

	*out = -1;
	if (!json_object_object_get_ex(o, "speaker", &v) || v == NULL)
		return TR_OK;
	if (!json_object_is_type(v, json_type_int) ||
	    (n = json_object_get_int64(v)) < 0 || n > MAXSPEAKER)
		return bad(c, TR_EFIELD, "field 'transcript.%s[%zu].speaker' "
		    "must be null or an integer from 0 to %d", path, i,
		    MAXSPEAKER);
	*out = (int)n;
	return TR_OK;
}

/* An array member, NULL if absent. */
static enum tr_err
array(struct pctx *c, struct json_object *o, const char *key,
    const char *path, size_t max, struct json_object **out)
{
	struct json_object	*v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return TR_OK;
	if (!json_object_is_type(v, json_type_array))
		return bad(c, TR_EFIELD, "field 'transcript.%s' must be an "
		    "array", path);
	if (json_object_array_length(v) > max)
		return bad(c, TR_ETOOBIG, "field 'transcript.%s' has more than "
		    "%zu elements", path, max);
	*out = v;
	return TR_OK;
}

static enum tr_err
segments(struct pctx *c, struct json_object *arr, const char *path,
    struct tr_transcript *t)
{
	struct json_object	*s;
	const char		*text;
	double			 start, end;
	size_t			 i, n = json_object_array_length(arr);
	int			 spk;
	enum tr_err		 er;

	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(s, json_type_object))
			return bad(c, TR_EFIELD, "field 'transcript.%s[%zu]' "
			    "must be an object", path, i);
		if ((er = str(c, s, "text", path, i, 1, &text)) != TR_OK ||
		    (er = secs(c, s, "start", path, i, -1, &start)) != TR_OK ||
		    (er = secs(c, s, "end", path, i, start, &end)) != TR_OK ||
		    (er = speaker(c, s, path, i, &spk)) != TR_OK)
			return er;
		if (end < start)
			return bad(c, TR_EFIELD, "field 'transcript.%s[%zu].end' "
			    "must not be before its start", path, i);
		tr_transcript_segment(t, text, start, end, spk);
	}
	return TR_OK;
}

static enum tr_err
words(struct pctx *c, struct json_object *arr, struct tr_transcript *t)
{
	struct json_object	*w;
	const char		*text;
	double			 start, end, conf;
	size_t			 i, n = json_object_array_length(arr);
	int			 spk;
	enum tr_err		 er;

	for (i = 0; i < n; i++) {
		w = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(w, json_type_object))
			return bad(c, TR_EFIELD, "field 'transcript.words[%zu]' "
			    "must be an object", i);
		if ((er = str(c, w, "word", "words", i, 1, &text)) != TR_OK ||
		    (er = secs(c, w, "start", "words", i, -1, &start)) != TR_OK ||
		    (er = secs(c, w, "end", "words", i, start, &end)) != TR_OK ||
		    (er = secs(c, w, "confidence", "words", i, 0, &conf)) != TR_OK ||
		    (er = speaker(c, w, "words", i, &spk)) != TR_OK)
			return er;
		if (end < start)
			return bad(c, TR_EFIELD, "field 'transcript.words[%zu].end' "
			    "must not be before its start", i);
		tr_transcript_word(t, text, start, end, conf > 1 ? 1 : conf, spk);
	}
	return TR_OK;
}

/* processing_info: language and duration, what a document shows. */
static enum tr_err
info(struct pctx *c, struct json_object *o, struct tr_transcript *t)
{
	struct json_object	*pi, *v;
	const char		*lang;
	double			 d;

	if (!json_object_object_get_ex(o, "processing_info", &pi) || pi == NULL)
		return TR_OK;
	if (!json_object_is_type(pi, json_type_object))
		return bad(c, TR_EFIELD, "field 'transcript.processing_info' "
		    "must be an object");
	if (json_object_object_get_ex(pi, "language", &v) && v != NULL) {
		lang = json_object_get_string(v);
		if (!json_object_is_type(v, json_type_string) ||
		    !tr_lang_wellformed(lang, strlen(lang)))
			return bad(c, TR_EFIELD, "field 'transcript."
			    "processing_info.language' must be a language tag");
		snprintf(t->language, sizeof(t->language), "%s", lang);
	}
	if (json_object_object_get_ex(pi, "duration", &v) && v != NULL) {
		d = json_object_get_double(v);
		if ((!json_object_is_type(v, json_type_double) &&
		    !json_object_is_type(v, json_type_int)) ||
		    !isfinite(d) || d < 0 || d > MAXSECS)
			return bad(c, TR_EFIELD, "field 'transcript."
			    "processing_info.duration' must be seconds");
		t->duration = d;
	}
	return TR_OK;
}

/*
 * Fills t from o (see extern.h).  Segments come from diarization (ours)
 * or segments (verbose_json), else from the words, else the text's
 * paragraphs (untimed).
 */
enum tr_err
tr_transcript_parse(struct json_object *o, const struct tr_tlimits *lim,
    struct tr_transcript *t, char *why, size_t whysz)
{
	struct pctx		 c = { lim, 0, why, whysz };
	struct json_object	*d, *segs = NULL, *ws = NULL;
	const char		*text = NULL;
	const char		*segpath = "diarization.segments";
	enum tr_err		 er;

	tr_transcript_init(t);
	if (!json_object_is_type(o, json_type_object)) {
		er = bad(&c, TR_EFIELD, "field 'transcript' must be a JSON "
		    "object (a transcription endpoint's answer)");
		goto out;
	}
	if ((er = str(&c, o, "transcript", NULL, 0, 0, &text)) != TR_OK)
		goto out;
	if (text == NULL && (er = str(&c, o, "text", NULL, 0, 0, &text)) != TR_OK)
		goto out;
	if (json_object_object_get_ex(o, "diarization", &d) && d != NULL) {
		if (!json_object_is_type(d, json_type_object)) {
			er = bad(&c, TR_EFIELD, "field 'transcript.diarization' "
			    "must be an object");
			goto out;
		}
		if ((er = array(&c, d, "segments", segpath, lim->segs,
		    &segs)) != TR_OK)
			goto out;
	}
	if (segs == NULL) {
		segpath = "segments";
		if ((er = array(&c, o, "segments", segpath, lim->segs,
		    &segs)) != TR_OK)
			goto out;
	}
	if ((er = array(&c, o, "words", "words", lim->words, &ws)) != TR_OK ||
	    (segs != NULL && (er = segments(&c, segs, segpath, t)) != TR_OK) ||
	    (ws != NULL && (er = words(&c, ws, t)) != TR_OK) ||
	    (er = info(&c, o, t)) != TR_OK)
		goto out;
	if (text != NULL)
		t->text = tr_xstrdup(text);
	if (t->nsegs == 0 && t->nwords == 0 &&
	    (t->text == NULL || t->text[strspn(t->text, " \t\r\n")] == '\0')) {
		er = bad(&c, TR_EFIELD, "field 'transcript' has no text, "
		    "segments or words");
		goto out;
	}
	if (t->nsegs > 0 || t->nwords > 0)
		tr_transcript_finish(t);
	else
		tr_transcript_paragraphs(t);
out:
	if (er != TR_OK)
		tr_transcript_free(t);
	return er;
}

/*
 * The paragraphs of the text (split at line ends, blank ones dropped)
 * as segments without times or speakers.
 */
void
tr_transcript_paragraphs(struct tr_transcript *t)
{
	const char	*p, *e;
	char		*line;
	size_t		 n;

	for (p = t->text; p != NULL && *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		e = p + strcspn(p, "\r\n");
		n = (size_t)(e - p);
		while (n > 0 && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0)
			continue;
		line = tr_xstrndup(p, n);
		tr_transcript_segment(t, line, 0, 0, -1);
		free(line);
	}
}
