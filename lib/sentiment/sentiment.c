/*
 * The table of sentiment engines, and what every engine's caller
 * shares: a transcript cut into sentences (within each segment, or its
 * text when it has none), the sentences scored in one batch by the
 * engine, and the aggregates of segments, speakers and the whole.
 *
 * An aggregate's score is the mean of its sentences' scores weighted
 * by their words.  Its label is mixed when sentences labelled positive
 * and sentences labelled negative (a mixed one counting half to each)
 * each carry a quarter of its words or more; else it follows the score
 * (positive from 0.05, negative from -0.05, neutral between).  One
 * sentence alone keeps its own label.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sentiment.h"

#define AGG_MIXED	0.25	/* share of words on each side: mixed */
#define AGG_POLAR	0.05	/* |score| from which a label is not neutral */

static const struct tr_senti_engine *const engines[] = {
	&tr_senti_local,
	&tr_senti_openai,
};

const struct tr_senti_engine *
tr_senti_engine(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
		if (strcmp(engines[i]->name, name) == 0)
			return engines[i];
	return NULL;
}

enum tr_err
tr_senti_engine_names(struct tr_buf *b)
{
	enum tr_err	 er = TR_OK;
	size_t		 i;

	for (i = 0; i < sizeof(engines) / sizeof(engines[0]) && er == TR_OK;
	    i++)
		er = tr_buf_addf(b, "%s%s", i ? ", " : "", engines[i]->name);
	return er;
}

/* Abbreviations whose full stop ends no sentence. */
static const char *const abbrevs[] = {
	"mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc",
	"e.g", "i.e", "inc", "ltd", "co", "no", "approx",
};

/* Does the word that ends just before the full stop at dot abbreviate? */
static int
abbrev(const char *s, size_t dot)
{
	size_t	 a = dot, i;

	while (a > 0 && s[a - 1] != ' ' && s[a - 1] != '\t' &&
	    s[a - 1] != '\n')
		a--;
	for (i = 0; i < sizeof(abbrevs) / sizeof(abbrevs[0]); i++)
		if (strlen(abbrevs[i]) == dot - a &&
		    strncasecmp(s + a, abbrevs[i], dot - a) == 0)
			return 1;
	return 0;
}

static int
space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\f' || c == '\v';
}

static size_t
count_words(const char *s, size_t len)
{
	size_t	 i, n = 0;

	for (i = 0; i < len; i++)
		if (!space(s[i]) && (i == 0 || space(s[i - 1])))
			n++;
	return n;
}

/* Adds one sentence (trimmed; nothing if it is empty). */
static enum tr_err
add(struct tr_req *r, struct tr_senti_doc *d, size_t *cap, const char *s,
    size_t len, size_t seg)
{
	struct tr_senti	*v;

	while (len > 0 && space(*s)) {
		s++;
		len--;
	}
	while (len > 0 && space(s[len - 1]))
		len--;
	if (len == 0)
		return TR_OK;
	if (d->nsents == TR_SENTI_MAXSENTS)
		return tr_fail(r, TR_ETOOBIG, "more than %d sentences",
		    TR_SENTI_MAXSENTS);
	if (d->nsents == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		if ((v = reallocarray(d->sents, *cap, sizeof(*v))) == NULL)
			return TR_ENOMEM;
		d->sents = v;
	}
	v = &d->sents[d->nsents++];
	memset(v, 0, sizeof(*v));
	v->text = s;
	v->len = len;
	v->seg = seg;
	v->words = count_words(s, len);
	return TR_OK;
}

/*
 * Cuts s into sentences: after a run of '.', '!' or '?' (and closing
 * quotes or brackets) followed by white space or the end, but for a
 * known abbreviation's full stop, and at every blank line.
 */
static enum tr_err
split(struct tr_req *r, struct tr_senti_doc *d, size_t *cap, const char *s,
    size_t seg)
{
	size_t		 len = strlen(s), start = 0, i, j;
	enum tr_err	 er;

	for (i = 0; i < len; i++) {
		if (s[i] == '\n' && i + 1 < len && (s[i + 1] == '\n' ||
		    (s[i + 1] == '\r' && i + 2 < len && s[i + 2] == '\n'))) {
			if ((er = add(r, d, cap, s + start, i - start,
			    seg)) != TR_OK)
				return er;
			start = i + 1;
			continue;
		}
		if (s[i] != '.' && s[i] != '!' && s[i] != '?')
			continue;
		for (j = i; j < len && strchr(".!?", s[j]) != NULL; j++)
			continue;
		while (j < len && strchr("\"')]", s[j]) != NULL)
			j++;
		if (j < len && !space(s[j])) {
			i = j - 1;
			continue;
		}
		if (s[i] == '.' && j == i + 1 && abbrev(s, i)) {
			i = j - 1;
			continue;
		}
		if ((er = add(r, d, cap, s + start, j - start, seg)) != TR_OK)
			return er;
		start = j;
		i = j - 1;
	}
	return add(r, d, cap, s + start, len - start, seg);
}

/* The aggregate of the sentences for which pick() says yes. */
static void
aggregate(const struct tr_senti_doc *d, struct tr_senti_agg *a,
    int (*pick)(const struct tr_senti_doc *, size_t, size_t), size_t key)
{
	const struct tr_senti	*last = NULL;
	double			 sum = 0, w, wpos = 0, wneg = 0, wall = 0;
	size_t			 i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < d->nsents; i++) {
		if (!pick(d, i, key))
			continue;
		last = &d->sents[i];
		w = last->words > 0 ? (double)last->words : 1;
		sum += w * last->score;
		wall += w;
		if (last->label == TR_SENTI_POSITIVE)
			wpos += w;
		else if (last->label == TR_SENTI_NEGATIVE)
			wneg += w;
		else if (last->label == TR_SENTI_MIXED) {
			wpos += w / 2;
			wneg += w / 2;
		}
		a->sentences++;
		a->words += last->words;
	}
	a->label = TR_SENTI_NEUTRAL;
	if (a->sentences == 0)
		return;
	a->score = sum / wall;
	if (a->sentences == 1)
		a->label = last->label;
	else if (wpos / wall >= AGG_MIXED && wneg / wall >= AGG_MIXED)
		a->label = TR_SENTI_MIXED;
	else if (a->score >= AGG_POLAR)
		a->label = TR_SENTI_POSITIVE;
	else if (a->score <= -AGG_POLAR)
		a->label = TR_SENTI_NEGATIVE;
}

static const struct tr_transcript *pick_t;	/* for by_speaker() */

static int
all(const struct tr_senti_doc *d, size_t i, size_t key)
{
	return 1;
}

static int
by_seg(const struct tr_senti_doc *d, size_t i, size_t key)
{
	return d->sents[i].seg == key;
}

static int
by_speaker(const struct tr_senti_doc *d, size_t i, size_t key)
{
	size_t	 seg = d->sents[i].seg;

	return seg != SIZE_MAX && pick_t->segs[seg].speaker >= 0 &&
	    (size_t)pick_t->segs[seg].speaker == key;
}

void
tr_senti_doc_free(struct tr_senti_doc *d)
{
	free(d->sents);
	free(d->segs);
	free(d->speakers);
	memset(d, 0, sizeof(*d));
}

enum tr_err
tr_senti_doc(struct tr_req *r, const struct tr_senti_engine *e,
    const char *lang, const struct tr_transcript *t, struct tr_senti_doc *d)
{
	size_t		 cap = 0, i;
	int		 maxsp = -1;
	enum tr_err	 er = TR_OK;

	memset(d, 0, sizeof(*d));
	if (!e->speaks(lang))
		return tr_fail_param(r, TR_EFIELD, "language", "the %s "
		    "sentiment engine does not know language '%.16s'", e->name,
		    lang);
	if (t->nsegs == 0)
		er = split(r, d, &cap, t->text != NULL ? t->text : "",
		    SIZE_MAX);
	for (i = 0; i < t->nsegs && er == TR_OK; i++) {
		er = split(r, d, &cap, t->segs[i].text, i);
		if (t->segs[i].speaker > maxsp)
			maxsp = t->segs[i].speaker;
	}
	if (er == TR_OK && d->nsents > 0)
		er = e->score(r, lang, d->sents, d->nsents, &d->use);
	if (er != TR_OK) {
		tr_senti_doc_free(d);
		return er;
	}
	aggregate(d, &d->overall, all, 0);
	if (t->nsegs > 0) {
		d->segs = tr_xcalloc(t->nsegs, sizeof(*d->segs));
		d->nsegs = t->nsegs;
		for (i = 0; i < t->nsegs; i++)
			aggregate(d, &d->segs[i], by_seg, i);
	}
	if (maxsp >= 0) {
		d->nspeakers = (size_t)maxsp + 1;
		d->speakers = tr_xcalloc(d->nspeakers, sizeof(*d->speakers));
		pick_t = t;
		for (i = 0; i < d->nspeakers; i++)
			aggregate(d, &d->speakers[i], by_speaker, i);
		pick_t = NULL;
	}
	return TR_OK;
}
