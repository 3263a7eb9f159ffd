/*
 * The analysis behind /reports/{fmt}: duration, words, words per
 * minute, each speaker's talk time and share, and the most frequent
 * content words (lowercased, stop words and words under three letters
 * left out), computed once from the transcript's segments for every
 * report writer.  Sentiment is not part of it yet.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "sentiment/sentiment.h"

/* English function words that say nothing of what was talked about. */
static const char *const stop[] = {
	"about", "after", "again", "all", "also", "and", "any", "are", "back",
	"because", "been", "before", "but", "can", "could", "did", "does",
	"don't", "for", "from", "get", "got", "had", "has", "have", "her",
	"here", "him", "his", "how", "i'm", "into", "it's", "its", "just",
	"know", "like", "more", "much", "not", "now", "one", "only", "our",
	"out", "over", "really", "said", "say", "see", "she", "should", "some",
	"that", "that's", "the", "their", "them", "then", "there", "these",
	"they", "thing", "think", "this", "those", "very", "was", "way", "well",
	"were", "what", "when", "where", "which", "who", "why", "will", "with",
	"would", "yeah", "yes", "you", "your",
};

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
is_stop(const char *w)
{
	return bsearch(&w, stop, sizeof(stop) / sizeof(stop[0]),
	    sizeof(stop[0]), cmpstr) != NULL;
}

/* Counts one word in the open-addressed table (grown at half full). */
static void
count(struct tr_report *rp, const char *w)
{
	struct tr_report_word	*old;
	size_t			 i, h = 5381, oldcap;

	if (rp->nuniq * 2 >= rp->cap) {
		old = rp->tab;
		oldcap = rp->cap;
		rp->cap = oldcap ? oldcap * 2 : 1024;
		rp->tab = tr_xcalloc(rp->cap, sizeof(*rp->tab));
		rp->nuniq = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i].word != NULL) {
				h = 5381;
				for (const char *p = old[i].word; *p; p++)
					h = h * 33 + (unsigned char)*p;
				while (rp->tab[h % rp->cap].word != NULL)
					h++;
				rp->tab[h % rp->cap] = old[i];
				rp->nuniq++;
			}
		free(old);
		h = 5381;
	}
	for (const char *p = w; *p; p++)
		h = h * 33 + (unsigned char)*p;
	for (i = h % rp->cap; rp->tab[i].word != NULL; i = (i + 1) % rp->cap)
		if (strcmp(rp->tab[i].word, w) == 0) {
			rp->tab[i].count++;
			return;
		}
	rp->tab[i].word = tr_xstrdup(w);
	rp->tab[i].count = 1;
	rp->nuniq++;
}

/* Splits text into words: letters (any script), digits, apostrophes. */
static size_t
words(struct tr_report *rp, const char *s)
{
	char	 w[64];
	size_t	 n = 0, k = 0, letters = 0;

	for (;; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x80 || isalnum(c) || (c == '\'' && k > 0)) {
			if (k < sizeof(w) - 1)
				w[k++] = (char)tolower(c);
			if (c >= 0x80 || isalpha(c))
				letters++;
			continue;
		}
		if (k > 0) {
			w[k] = '\0';
			n++;
			while (k > 0 && w[k - 1] == '\'')
				w[--k] = '\0';
			if (letters >= 3 && k >= 3 && !is_stop(w) &&
			    tr_valid_utf8(w, k))
				count(rp, w);
		}
		k = letters = 0;
		if (c == '\0')
			return n;
	}
}

static int
bycount(const void *a, const void *b)
{
	const struct tr_report_word *x = a, *y = b;

	if (x->word == NULL || y->word == NULL)
		return (x->word == NULL) - (y->word == NULL);
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->word, y->word);
}

/* Fills rp from t; tr_report_free() releases it. */
void
tr_report_make(const struct tr_transcript *t, struct tr_report *rp)
{
	struct tr_report_speaker	*sp;
	const struct tr_segment		*s;
	size_t				 i, j, n;

	memset(rp, 0, sizeof(*rp));
	rp->duration = t->duration;
	for (i = 0; i < t->nsegs; i++) {
		s = &t->segs[i];
		n = words(rp, s->text);
		rp->words += n;
		if (s->end > rp->duration)
			rp->duration = s->end;
		for (j = 0; j < rp->nspeakers; j++)
			if (rp->speakers[j].speaker == s->speaker)
				break;
		if (j == rp->nspeakers) {
			if (j == TR_REPORT_SPEAKERS)
				continue;
			rp->speakers[j].speaker = s->speaker;
			rp->nspeakers++;
		}
		sp = &rp->speakers[j];
		sp->seconds += s->end - s->start;
		sp->words += n;
		sp->turns++;
		rp->talk += s->end - s->start;
	}
	for (j = 0; j < rp->nspeakers; j++)
		rp->speakers[j].share = rp->talk > 0 ?
		    rp->speakers[j].seconds / rp->talk : 0;
	rp->wpm = rp->duration > 0 ? rp->words / (rp->duration / 60) : 0;
	if (rp->cap > 0)
		qsort(rp->tab, rp->cap, sizeof(*rp->tab), bycount);
	rp->ntop = rp->nuniq < TR_REPORT_TOP ? rp->nuniq : TR_REPORT_TOP;
}

void
tr_report_free(struct tr_report *rp)
{
	size_t	 i;

	for (i = 0; i < rp->cap; i++)
		free(rp->tab[i].word);
	free(rp->tab);
	memset(rp, 0, sizeof(*rp));
}

/* "Speaker 2", or "(no speaker)" for segments without one. */
void
tr__report_name(const struct tr_report_speaker *sp, char *buf, size_t sz)
{
	if (sp->speaker >= 0)
		snprintf(buf, sz, "Speaker %d", sp->speaker);
	else
		snprintf(buf, sz, "(no speaker)");
}

/* A score rounded to 4 places, as /sentiment gives it. */
static struct json_object *
score(double v)
{
	return json_object_new_double((double)(long long)(v * 1e4 +
	    (v < 0 ? -0.5 : 0.5)) / 1e4);
}

static struct json_object *
agg(const struct tr_senti_agg *a)
{
	struct json_object	*e = json_object_new_object();

	json_object_object_add(e, "label",
	    json_object_new_string(tr_senti_label_name(a->label)));
	json_object_object_add(e, "score", score(a->score));
	return e;
}

/*
 * The sentiment of a report: overall, over time (each segment scored,
 * in order, with its times and speaker) and per speaker.
 */
static struct json_object *
senti_json(const struct tr_transcript *t, const struct tr_senti_doc *d)
{
	struct json_object	*j, *arr, *e;
	size_t			 i;

	j = json_object_new_object();
	json_object_object_add(j, "engine",
	    json_object_new_string(tr_senti_local.name));
	json_object_object_add(j, "overall", agg(&d->overall));
	arr = json_object_new_array();
	for (i = 0; i < d->nsegs && i < t->nsegs; i++) {
		if (d->segs[i].sentences == 0)
			continue;
		e = agg(&d->segs[i]);
		json_object_object_add(e, "segment",
		    json_object_new_int64((int64_t)i));
		json_object_object_add(e, "speaker", t->segs[i].speaker >= 0 ?
		    json_object_new_int(t->segs[i].speaker) : NULL);
		json_object_object_add(e, "start",
		    json_object_new_double(t->segs[i].start));
		json_object_object_add(e, "end",
		    json_object_new_double(t->segs[i].end));
		json_object_array_add(arr, e);
	}
	json_object_object_add(j, "over_time", arr);
	arr = json_object_new_array();
	for (i = 0; i < d->nspeakers; i++) {
		if (d->speakers[i].sentences == 0)
			continue;
		e = agg(&d->speakers[i]);
		json_object_object_add(e, "speaker", json_object_new_int((int)i));
		json_object_object_add(e, "sentences", json_object_new_int64(
		    (int64_t)d->speakers[i].sentences));
		json_object_array_add(arr, e);
	}
	json_object_object_add(j, "speakers", arr);
	return j;
}

/* The report as JSON. */
enum tr_err
tr_report_json(const struct tr_transcript *t, const struct tr_render *o,
    struct tr_buf *b)
{
	struct tr_report	 rp;
	struct json_object	*j, *arr, *e;
	const char		*s;
	char			 name[32];
	size_t			 i, len;
	enum tr_err		 er;

	tr_report_make(t, &rp);
	j = json_object_new_object();
	if (o->title != NULL)
		json_object_object_add(j, "title", json_object_new_string(o->title));
	if (o->meta != NULL)
		json_object_object_add(j, "metadata", json_object_get(o->meta));
	json_object_object_add(j, "duration_seconds",
	    json_object_new_double(rp.duration));
	json_object_object_add(j, "words", json_object_new_int64(
	    (int64_t)rp.words));
	json_object_object_add(j, "words_per_minute",
	    json_object_new_double((double)(long long)(rp.wpm * 10 + 0.5) / 10));
	arr = json_object_new_array();
	for (i = 0; i < rp.nspeakers; i++) {
		e = json_object_new_object();
		tr__report_name(&rp.speakers[i], name, sizeof(name));
		json_object_object_add(e, "speaker", rp.speakers[i].speaker >= 0 ?
		    json_object_new_int(rp.speakers[i].speaker) : NULL);
		json_object_object_add(e, "name", json_object_new_string(name));
		json_object_object_add(e, "talk_seconds",
		    json_object_new_double(rp.speakers[i].seconds));
		json_object_object_add(e, "share",
		    json_object_new_double(rp.speakers[i].share));
		json_object_object_add(e, "words", json_object_new_int64(
		    (int64_t)rp.speakers[i].words));
		json_object_object_add(e, "turns", json_object_new_int64(
		    (int64_t)rp.speakers[i].turns));
		json_object_array_add(arr, e);
	}
	json_object_object_add(j, "speakers", arr);
	arr = json_object_new_array();
	for (i = 0; i < rp.ntop; i++) {
		e = json_object_new_object();
		json_object_object_add(e, "word",
		    json_object_new_string(rp.tab[i].word));
		json_object_object_add(e, "count", json_object_new_int64(
		    (int64_t)rp.tab[i].count));
		json_object_array_add(arr, e);
	}
	json_object_object_add(j, "top_words", arr);
	json_object_object_add(j, "sentiment", o->senti != NULL ?
	    senti_json(t, o->senti) : NULL);
	s = json_object_to_json_string_length(j, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	er = tr_buf_add(b, s, len);
	json_object_put(j);
	tr_report_free(&rp);
	return er;
}
