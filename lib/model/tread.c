/*
 * Our transcript JSON read back (what tr_transcript_json() writes and
 * the transcription endpoints return): a client sends it to the
 * post-processing endpoints.  Every member is checked for its type and
 * range; a wrong one is refused with the path of the member that is
 * wrong ("transcript.diarization.segments[2].start").  Unknown members
 * are ignored.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "extern.h"

#define READ_MAXSPEAKER	255	/* speaker numbers from 0 */
#define READ_MAXSECS	1e7	/* as media.c: no real audio is longer */

/* Writes why the member at path is wrong; returns TR_EFIELD. */
static enum tr_err
bad(char *why, size_t whysz, const char *path, const char *what)
{
	snprintf(why, whysz, "%s %s", path, what);
	return TR_EFIELD;
}

/* A member of o: *v is NULL if absent (or JSON null, when nullok). */
static enum tr_err
member(struct json_object *o, const char *key, json_type type, int nullok,
    struct json_object **v, char *why, size_t whysz, const char *path)
{
	char	 p[160];

	*v = NULL;
	if (!json_object_object_get_ex(o, key, v) || *v == NULL)
		return TR_OK;
	if (json_object_is_type(*v, type) ||
	    (type == json_type_double && json_object_is_type(*v, json_type_int)))
		return TR_OK;
	snprintf(p, sizeof(p), "%s.%s", path, key);
	*v = NULL;
	return bad(why, whysz, p, type == json_type_string ? "must be a string" :
	    type == json_type_double ? "must be a number" :
	    type == json_type_int ? "must be an integer" :
	    type == json_type_array ? "must be an array" : "must be an object");
}

/* A string member without NUL; NULL if absent. */
static enum tr_err
text(struct json_object *o, const char *key, const char **s, char *why,
    size_t whysz, const char *path)
{
	struct json_object	*v;
	char			 p[160];
	enum tr_err		 er;

	*s = NULL;
	if ((er = member(o, key, json_type_string, 0, &v, why, whysz,
	    path)) != TR_OK || v == NULL)
		return er;
	*s = json_object_get_string(v);
	if (strlen(*s) != (size_t)json_object_get_string_len(v)) {
		snprintf(p, sizeof(p), "%s.%s", path, key);
		return bad(why, whysz, p, "must not contain NUL");
	}
	return TR_OK;
}

/* A time in seconds, required. */
static enum tr_err
seconds(struct json_object *o, const char *key, double *d, char *why,
    size_t whysz, const char *path)
{
	struct json_object	*v;
	char			 p[160];
	enum tr_err		 er;

	snprintf(p, sizeof(p), "%s.%s", path, key);
	if ((er = member(o, key, json_type_double, 0, &v, why, whysz,
	    path)) != TR_OK)
		return er;
	if (v == NULL)
		return bad(why, whysz, p, "is required");
	*d = json_object_get_double(v);
	if (!isfinite(*d) || *d < 0 || *d > READ_MAXSECS)
		return bad(why, whysz, p, "must be seconds from 0");
	return TR_OK;
}

/* A speaker: a number from 0, or null or absent (-1). */
static enum tr_err
speaker(struct json_object *o, int *sp, char *why, size_t whysz,
    const char *path)
{
	struct json_object	*v;
	char			 p[160];
	int64_t			 n;
	enum tr_err		 er;

	*sp = -1;
	if ((er = member(o, "speaker", json_type_int, 1, &v, why, whysz,
	    path)) != TR_OK || v == NULL)
		return er;
	n = json_object_get_int64(v);
	if (n < 0 || n > READ_MAXSPEAKER) {
		snprintf(p, sizeof(p), "%s.speaker", path);
		return bad(why, whysz, p, "must be a speaker number from 0 "
		    "to 255, or null");
	}
	*sp = (int)n;
	return TR_OK;
}

static enum tr_err
segments(struct json_object *arr, struct tr_transcript *t, char *why,
    size_t whysz)
{
	struct json_object	*s;
	const char		*txt;
	char			 p[96];
	double			 start, end;
	size_t			 i, n = json_object_array_length(arr);
	int			 sp;
	enum tr_err		 er;

	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "transcript.diarization.segments[%zu]", i);
		s = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(s, json_type_object))
			return bad(why, whysz, p, "must be an object");
		if ((er = text(s, "text", &txt, why, whysz, p)) != TR_OK)
			return er;
		if (txt == NULL) {
			snprintf(p + strlen(p), sizeof(p) - strlen(p), ".text");
			return bad(why, whysz, p, "is required");
		}
		if ((er = seconds(s, "start", &start, why, whysz, p)) != TR_OK ||
		    (er = seconds(s, "end", &end, why, whysz, p)) != TR_OK ||
		    (er = speaker(s, &sp, why, whysz, p)) != TR_OK)
			return er;
		if (end < start) {
			snprintf(p + strlen(p), sizeof(p) - strlen(p), ".end");
			return bad(why, whysz, p, "must not be before its start");
		}
		tr_transcript_segment(t, txt, start, end, sp);
	}
	return TR_OK;
}

static enum tr_err
words(struct json_object *arr, struct tr_transcript *t, char *why,
    size_t whysz)
{
	struct json_object	*w, *c;
	const char		*txt;
	char			 p[64];
	double			 start, end, conf;
	size_t			 i, n = json_object_array_length(arr);
	int			 sp;
	enum tr_err		 er;

	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "transcript.words[%zu]", i);
		w = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(w, json_type_object))
			return bad(why, whysz, p, "must be an object");
		if ((er = text(w, "word", &txt, why, whysz, p)) != TR_OK)
			return er;
		if (txt == NULL) {
			snprintf(p + strlen(p), sizeof(p) - strlen(p), ".word");
			return bad(why, whysz, p, "is required");
		}
		if ((er = seconds(w, "start", &start, why, whysz, p)) != TR_OK ||
		    (er = seconds(w, "end", &end, why, whysz, p)) != TR_OK ||
		    (er = speaker(w, &sp, why, whysz, p)) != TR_OK ||
		    (er = member(w, "confidence", json_type_double, 0, &c, why,
		    whysz, p)) != TR_OK)
			return er;
		conf = c != NULL ? json_object_get_double(c) : 1;
		if (!(conf >= 0 && conf <= 1)) {
			snprintf(p + strlen(p), sizeof(p) - strlen(p),
			    ".confidence");
			return bad(why, whysz, p, "must be from 0 to 1");
		}
		tr_transcript_word(t, txt, start, end, conf, sp);
	}
	return TR_OK;
}

/*
 * Reads our transcript JSON o into t (initialised by the caller, freed
 * by it whatever this returns).  TR_EFIELD with why saying which member
 * is wrong, or that there is no text at all.
 */
enum tr_err
tr_transcript_read(struct json_object *o, struct tr_transcript *t,
    char *why, size_t whysz)
{
	struct json_object	*d, *segs, *ws, *pi, *v;
	const char		*s;
	enum tr_err		 er;

	*why = '\0';
	if (!json_object_is_type(o, json_type_object))
		return bad(why, whysz, "transcript", "must be a JSON object "
		    "(a transcription endpoint's answer)");
	if ((er = text(o, "transcript", &s, why, whysz, "transcript")) != TR_OK)
		return er;
	if (s != NULL)
		t->text = tr_xstrdup(s);
	if ((er = member(o, "diarization", json_type_object, 1, &d, why, whysz,
	    "transcript")) != TR_OK)
		return er;
	if (d != NULL && ((er = member(d, "segments", json_type_array, 1,
	    &segs, why, whysz, "transcript.diarization")) != TR_OK ||
	    (segs != NULL && (er = segments(segs, t, why, whysz)) != TR_OK)))
		return er;
	if ((er = member(o, "words", json_type_array, 1, &ws, why, whysz,
	    "transcript")) != TR_OK ||
	    (ws != NULL && (er = words(ws, t, why, whysz)) != TR_OK))
		return er;
	if ((er = member(o, "processing_info", json_type_object, 1, &pi, why,
	    whysz, "transcript")) != TR_OK)
		return er;
	if (pi != NULL) {
		if ((er = text(pi, "language", &s, why, whysz,
		    "transcript.processing_info")) != TR_OK)
			return er;
		if (s != NULL)
			snprintf(t->language, sizeof(t->language), "%s", s);
		if ((er = member(pi, "duration", json_type_double, 1, &v, why,
		    whysz, "transcript.processing_info")) != TR_OK)
			return er;
		if (v != NULL && isfinite(json_object_get_double(v)) &&
		    json_object_get_double(v) >= 0)
			t->duration = json_object_get_double(v);
	}
	tr_transcript_finish(t);
	if (t->text == NULL || t->text[strspn(t->text, " \t\r\n")] == '\0')
		return bad(why, whysz, "transcript", "has no text (neither "
		    "transcript, segments nor words)");
	return TR_OK;
}
