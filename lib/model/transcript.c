/*
 * The one transcript model every provider fills (text, language,
 * duration, words with times, confidence and speaker, segments,
 * speakers), and our JSON of it.  Rendering from one model is what
 * lets every provider offer every format: the formats are the table of
 * format.c, the subtitles are subtitle.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define CUE_MAXSECS	6.0	/* a subtitle cue lasts at most this */
#define CUE_MAXCHARS	84	/* two lines of 42 */

void
tr_transcript_init(struct tr_transcript *t)
{
	memset(t, 0, sizeof(*t));
}

void
tr_transcript_free(struct tr_transcript *t)
{
	size_t	 i;

	for (i = 0; i < t->nwords; i++)
		free(t->words[i].text);
	for (i = 0; i < t->nsegs; i++)
		free(t->segs[i].text);
	free(t->words);
	free(t->segs);
	free(t->text);
	memset(t, 0, sizeof(*t));
}

/*
 * Makes room for one more element in arr, of n used out of *cap, each
 * size bytes: the first allocation holds first, each next one twice
 * as many.
 */
static void *
grow(void *arr, size_t n, size_t *cap, size_t first, size_t size)
{
	size_t	 ncap;

	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : first;
	if ((arr = reallocarray(arr, ncap, size)) == NULL) {
		tr_errx("transcript: out of memory");
		abort();
	}
	*cap = ncap;
	return arr;
}

/* Adds a word; text is copied.  speaker < 0: none. */
void
tr_transcript_word(struct tr_transcript *t, const char *text, double start,
    double end, double conf, int speaker)
{
	struct tr_word	*w;

	t->words = grow(t->words, t->nwords, &t->wordcap, 64,
	    sizeof(*t->words));
	w = &t->words[t->nwords++];
	w->text = tr_xstrdup(text);
	w->start = start;
	w->end = end < start ? start : end;
	w->confidence = conf;
	w->speaker = speaker;
	if (speaker + 1 > t->speakers)
		t->speakers = speaker + 1;
}

/* Adds a segment (a paragraph, an utterance); text is copied. */
void
tr_transcript_segment(struct tr_transcript *t, const char *text,
    double start, double end, int speaker)
{
	struct tr_segment	*s;

	t->segs = grow(t->segs, t->nsegs, &t->segcap, 16, sizeof(*t->segs));
	s = &t->segs[t->nsegs++];
	s->text = tr_xstrdup(text);
	s->start = start;
	s->end = end < start ? start : end;
	s->speaker = speaker;
	if (speaker + 1 > t->speakers)
		t->speakers = speaker + 1;
}

/*
 * Makes segments from the words when the provider gave none: a new one
 * at a change of speaker, a pause over a second, or past the cue
 * limits.  Also sets the text from the words if it is empty.
 */
void
tr_transcript_finish(struct tr_transcript *t)
{
	struct tr_buf	 b, all;
	size_t		 i, first = 0;
	int		 cut;

	tr_buf_init(&all, 64 * 1024 * 1024);
	if (t->nsegs == 0 && t->nwords > 0) {
		tr_buf_init(&b, 1 << 20);
		for (i = 0; i < t->nwords; i++) {
			if (b.len > 0 && tr_buf_add(&b, " ", 1) != TR_OK)
				break;
			if (tr_buf_adds(&b, t->words[i].text) != TR_OK)
				break;
			cut = i + 1 == t->nwords ||
			    t->words[i + 1].speaker != t->words[i].speaker ||
			    t->words[i + 1].start - t->words[i].end > 1.0 ||
			    t->words[i + 1].end - t->words[first].start > CUE_MAXSECS ||
			    b.len + 1 + strlen(t->words[i + 1].text) > CUE_MAXCHARS;
			if (cut) {
				tr_transcript_segment(t, tr_buf_str(&b),
				    t->words[first].start, t->words[i].end,
				    t->words[first].speaker);
				tr_buf_reset(&b);
				first = i + 1;
			}
		}
		tr_buf_free(&b);
	}
	if (t->text == NULL || *t->text == '\0') {
		for (i = 0; i < t->nsegs; i++)
			if ((all.len > 0 && tr_buf_add(&all, " ", 1) != TR_OK) ||
			    tr_buf_adds(&all, t->segs[i].text) != TR_OK)
				break;
		free(t->text);
		t->text = tr_buf_take(&all, NULL);
	}
	tr_buf_free(&all);
	if (t->duration <= 0 && t->nwords > 0)
		t->duration = t->words[t->nwords - 1].end;
}

static struct json_object *
dbl(double v)
{
	return json_object_new_double(round(v * 1000) / 1000);
}

/* The words as a JSON array (speaker only when diarized). */
struct json_object *
tr_transcript_words_json(const struct tr_transcript *t, int openai)
{
	struct json_object	*arr = json_object_new_array(), *w;
	size_t			 i;

	for (i = 0; i < t->nwords; i++) {
		w = json_object_new_object();
		json_object_object_add(w, "word",
		    json_object_new_string(t->words[i].text));
		json_object_object_add(w, "start", dbl(t->words[i].start));
		json_object_object_add(w, "end", dbl(t->words[i].end));
		if (!openai) {
			json_object_object_add(w, "confidence",
			    dbl(t->words[i].confidence));
			if (t->words[i].speaker >= 0)
				json_object_object_add(w, "speaker",
				    json_object_new_int(t->words[i].speaker));
		}
		json_object_array_add(arr, w);
	}
	return arr;
}

/*
 * Our JSON: the seed's transcript, diarization and processing_info, and
 * the words.
 */
struct json_object *
tr_transcript_json(const struct tr_transcript *t, const char *reqid)
{
	struct json_object	*o, *d, *segs, *s, *pi;
	size_t			 i;

	o = json_object_new_object();
	json_object_object_add(o, "transcript",
	    json_object_new_string(t->text != NULL ? t->text : ""));
	d = json_object_new_object();
	json_object_object_add(d, "speakers_detected",
	    json_object_new_int(t->speakers));
	segs = json_object_new_array();
	for (i = 0; i < t->nsegs; i++) {
		s = json_object_new_object();
		json_object_object_add(s, "speaker", t->segs[i].speaker >= 0 ?
		    json_object_new_int(t->segs[i].speaker) : NULL);
		json_object_object_add(s, "start", dbl(t->segs[i].start));
		json_object_object_add(s, "end", dbl(t->segs[i].end));
		json_object_object_add(s, "text",
		    json_object_new_string(t->segs[i].text));
		json_object_array_add(segs, s);
	}
	json_object_object_add(d, "segments", segs);
	json_object_object_add(o, "diarization", d);
	json_object_object_add(o, "words", tr_transcript_words_json(t, 0));
	pi = json_object_new_object();
	json_object_object_add(pi, "provider", json_object_new_string(t->provider));
	json_object_object_add(pi, "model", json_object_new_string(t->model));
	json_object_object_add(pi, "language", json_object_new_string(t->language));
	json_object_object_add(pi, "duration", dbl(t->duration));
	json_object_object_add(pi, "request_id", json_object_new_string(reqid));
	json_object_object_add(pi, "provider_request_id",
	    json_object_new_string(t->request_id));
	json_object_object_add(o, "processing_info", pi);
	return o;
}
