/*
 * The local sentiment engine: a lexicon-and-rules scorer in the manner
 * of VADER (Hutto and Gilbert, ICWSM 2014), in this process.  Each word
 * of the lexicon has a valence; the rules around it are VADER's, with
 * its empirically derived constants: negations ("not good") scale it by
 * -0.74, boosters and dampeners ("very", "slightly") up to three words
 * before it add or take 0.293 (less with distance), a word in capitals
 * among words that are not adds 0.733, a "but" halves what comes before
 * it and weighs what follows by 1.5, exclamation marks (up to four) add
 * 0.292 each and repeated question marks 0.18, and the sum is normalised
 * as score / sqrt(score^2 + 15).  English only.
 *
 * The lexicon is VADER's vader_lexicon.txt, from the npm package
 * vader-sentiment (installed at build time, never committed), loaded
 * once per process from SENTIMENT_LEXICON, or from where make install
 * puts it beside the programs, or from the build tree.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sentiment.h"

#ifndef TR_LEXICON_BUILD
#define TR_LEXICON_BUILD	""
#endif
/* From an installed program (PREFIX/lib/trapi/cgi-bin/x) to the file. */
#define LEX_INSTALLED	"/../../../share/trapi/vader_lexicon.txt"
#define LEX_MAXBYTES	(8 * 1024 * 1024)
#define LEX_MAXWORDS	100000
#define TOK_MAX		64	/* longer words are in no lexicon */

#define B_INCR		0.293
#define B_DECR		-0.293
#define C_INCR		0.733
#define N_SCALAR	-0.74
#define EP_INCR		0.292	/* each exclamation mark, up to EP_MAX */
#define EP_MAX		4
#define QM_INCR		0.18	/* each question mark, 2 or 3 of them */
#define QM_MAXINCR	0.96	/* 4 and more */
#define ALPHA		15	/* normalisation */
#define POS_MIN		0.05	/* compound at or above: positive */
#define MIX_MIN		1.0	/* both sides at least this... */
#define MIX_RATIO	0.5	/* ...and the smaller half the larger: mixed */

/* The lexicon: an open-addressing table over one arena of words. */
static struct {
	char		*arena;
	size_t		*slots;		/* offset + 1 into arena; 0: empty */
	double		*vals;
	size_t		 cap;		/* a power of two */
	int		 loaded;
} lex;

static size_t
hash(const char *s, size_t n)
{
	size_t	 h = 1469598103934665603ULL, i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* The valence of the word of n bytes; 0 and *found 0 if none. */
static double
lookup(const char *w, size_t n, int *found)
{
	size_t	 i, off;

	*found = 0;
	if (!lex.loaded || n == 0)
		return 0;
	for (i = hash(w, n) & (lex.cap - 1); (off = lex.slots[i]) != 0;
	    i = (i + 1) & (lex.cap - 1))
		if (strncmp(lex.arena + off - 1, w, n) == 0 &&
		    lex.arena[off - 1 + n] == '\0') {
			*found = 1;
			return lex.vals[i];
		}
	return 0;
}

void
tr__senti_lexicon_free(void)
{
	free(lex.arena);
	free(lex.slots);
	free(lex.vals);
	memset(&lex, 0, sizeof(lex));
}

/* Reads the whole file (at most LEX_MAXBYTES) into a NUL-ended buffer. */
static char *
slurp(const char *path, size_t *len)
{
	struct tr_buf	 b;
	char		 chunk[65536];
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	tr_buf_init(&b, LEX_MAXBYTES);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (tr_buf_add(&b, chunk, (size_t)n) != TR_OK) {
			close(fd);
			return NULL;
		}
	close(fd);
	if (n < 0 || b.len == 0) {
		tr_buf_free(&b);
		return NULL;
	}
	return tr_buf_take(&b, len);
}

/*
 * Parses "word TAB mean TAB ..." lines into the table.  Returns 0 if
 * the text holds no valid line.
 */
static int
parse(char *text, size_t len)
{
	char	*line, *end, *tab, *num;
	size_t	 n = 0, cap, i;
	double	 v;
	int	 found;

	for (i = 0; i < len; i++)
		n += text[i] == '\n';
	if (n + 1 > LEX_MAXWORDS)
		return 0;
	for (cap = 16; cap < 2 * (n + 1); cap *= 2)
		continue;
	lex.cap = cap;
	lex.slots = tr_xcalloc(cap, sizeof(*lex.slots));
	lex.vals = tr_xcalloc(cap, sizeof(*lex.vals));
	lex.loaded = 1;
	n = 0;
	for (line = text; line < text + len; line = end + 1) {
		if ((end = memchr(line, '\n', (size_t)(text + len - line))) == NULL)
			end = text + len;
		*end = '\0';
		if ((tab = strchr(line, '\t')) == NULL || tab == line)
			continue;
		*tab = '\0';
		num = tab + 1;
		errno = 0;
		v = strtod(num, &tab);
		if (tab == num || errno != 0 || !isfinite(v) || fabs(v) > 10)
			continue;
		(void)lookup(line, strlen(line), &found);
		if (found)
			continue;
		for (i = hash(line, strlen(line)) & (cap - 1); lex.slots[i] != 0;
		    i = (i + 1) & (cap - 1))
			continue;
		lex.slots[i] = (size_t)(line - text) + 1;
		lex.vals[i] = v;
		n++;
	}
	return n > 0;
}

/* Tries one path; 1 if the lexicon is now loaded from it. */
static int
load(const char *path)
{
	char	*text;
	size_t	 len;

	if (path == NULL || *path == '\0' || (text = slurp(path, &len)) == NULL)
		return 0;
	lex.arena = text;
	if (!parse(text, len)) {
		tr__senti_lexicon_free();	/* text too */
		return 0;
	}
	tr_debug("sentiment lexicon loaded from %s", path);
	return 1;
}

/*
 * Loads the lexicon once per process: from path, else SENTIMENT_LEXICON,
 * else beside the installed programs, else from the build tree.
 * TR_EUNAVAIL (logged with the places tried) if none can be read.
 */
enum tr_err
tr__senti_lexicon(const char *path)
{
	char	 self[PATH_MAX], inst[PATH_MAX + 64], *slash;
	ssize_t	 n;

	if (lex.loaded)
		return TR_OK;
	if (path == NULL)
		path = tr_conf("SENTIMENT_LEXICON");
	if (path != NULL) {
		if (load(path))
			return TR_OK;
		tr_errx("sentiment lexicon %s cannot be read", path);
		return TR_EUNAVAIL;
	}
	inst[0] = '\0';
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL)
			*slash = '\0';
		snprintf(inst, sizeof(inst), "%s%s", self, LEX_INSTALLED);
	}
	if (load(inst) || load(TR_LEXICON_BUILD))
		return TR_OK;
	tr_errx("sentiment lexicon not found (set SENTIMENT_LEXICON; tried "
	    "%s and %s)", inst, TR_LEXICON_BUILD);
	return TR_EUNAVAIL;
}

/* Words that negate what follows. */
static const char *const negations[] = {
	"aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt",
	"doesnt", "dont", "hadnt", "hasnt", "havent", "isnt", "mightnt",
	"mustnt", "neither", "neednt", "never", "none", "nope", "nor", "not",
	"nothing", "nowhere", "oughtnt", "shant", "shouldnt", "uhuh", "wasnt",
	"werent", "without", "wont", "wouldnt", "rarely", "seldom", "despite",
	"uh-uh",
};

/* Degree adverbs: boosters (B_INCR) and dampeners (B_DECR). */
static const struct {
	const char	*word;
	double		 incr;
} boosters[] = {
	{ "absolutely", B_INCR }, { "amazingly", B_INCR },
	{ "awfully", B_INCR }, { "completely", B_INCR },
	{ "considerably", B_INCR }, { "decidedly", B_INCR },
	{ "deeply", B_INCR }, { "enormously", B_INCR }, { "entirely", B_INCR },
	{ "especially", B_INCR }, { "exceptionally", B_INCR },
	{ "extremely", B_INCR }, { "fabulously", B_INCR },
	{ "fully", B_INCR }, { "greatly", B_INCR }, { "hella", B_INCR },
	{ "highly", B_INCR }, { "hugely", B_INCR }, { "incredibly", B_INCR },
	{ "intensely", B_INCR }, { "majorly", B_INCR }, { "more", B_INCR },
	{ "most", B_INCR }, { "particularly", B_INCR }, { "purely", B_INCR },
	{ "quite", B_INCR }, { "really", B_INCR }, { "remarkably", B_INCR },
	{ "so", B_INCR }, { "substantially", B_INCR },
	{ "thoroughly", B_INCR }, { "totally", B_INCR },
	{ "tremendously", B_INCR }, { "uber", B_INCR },
	{ "unbelievably", B_INCR }, { "unusually", B_INCR },
	{ "utterly", B_INCR }, { "very", B_INCR },
	{ "almost", B_DECR }, { "barely", B_DECR }, { "hardly", B_DECR },
	{ "kinda", B_DECR }, { "kindof", B_DECR }, { "kind-of", B_DECR },
	{ "less", B_DECR }, { "little", B_DECR }, { "marginally", B_DECR },
	{ "occasionally", B_DECR }, { "partly", B_DECR },
	{ "scarcely", B_DECR }, { "slightly", B_DECR },
	{ "somewhat", B_DECR }, { "sorta", B_DECR }, { "sortof", B_DECR },
	{ "sort-of", B_DECR },
};

/* Idioms whose words mean more than their sum. */
static const struct {
	const char	*words;
	double		 val;
} idioms[] = {
	{ "the shit", 3 }, { "the bomb", 3 }, { "bad ass", 1.5 },
	{ "yeah right", -2 }, { "cut the mustard", 2 },
	{ "kiss of death", -1.5 }, { "hand to mouth", -2 },
};

struct	tok {
	const char	*raw;		/* as written, punctuation stripped */
	size_t		 rawsz;
	char		 low[TOK_MAX];	/* lowercased, ’ as '; "" if too long */
	size_t		 lowsz;
	int		 upper;		/* ALL CAPS */
};

static int
is(const struct tok *t, const char *w)
{
	return strcmp(t->low, w) == 0;
}

static int
negated(const struct tok *t)
{
	size_t	 i;

	for (i = 0; i < sizeof(negations) / sizeof(negations[0]); i++)
		if (is(t, negations[i]))
			return 1;
	return strstr(t->low, "n't") != NULL;
}

static double
booster(const struct tok *t)
{
	size_t	 i;

	for (i = 0; i < sizeof(boosters) / sizeof(boosters[0]); i++)
		if (is(t, boosters[i].word))
			return boosters[i].incr;
	return 0;
}

static double
valence_of(const struct tok *t, int *found)
{
	return lookup(t->low, t->lowsz, found);
}

/*
 * Splits the text into tokens at white space: leading and trailing
 * punctuation is dropped from each (a token of punctuation only, an
 * emoticon, is kept whole), and one-letter words are skipped, as
 * VADER does.  Returns the count; *out is malloced.
 */
static size_t
tokenize(const char *s, size_t len, struct tok **out)
{
	struct tok	*v = NULL, *t;
	size_t		 n = 0, cap = 0, i = 0, j, a, b, k;
	unsigned char	 c;

	while (i < len) {
		while (i < len && isspace((unsigned char)s[i]))
			i++;
		for (j = i; j < len && !isspace((unsigned char)s[j]); j++)
			continue;
		if (j == i)
			break;
		for (a = i; a < j && ispunct((unsigned char)s[a]); a++)
			continue;
		for (b = j; b > a && ispunct((unsigned char)s[b - 1]); b--)
			continue;
		if (a == b) {
			a = i;		/* an emoticon */
			b = j;
		}
		i = j;
		if (b - a < 2)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			v = reallocarray(v, cap, sizeof(*v));
			if (v == NULL) {
				tr_errx("sentiment: out of memory");
				abort();
			}
		}
		t = &v[n++];
		t->raw = s + a;
		t->rawsz = b - a;
		t->upper = 0;
		t->lowsz = 0;
		for (k = a; k < b; k++) {
			c = (unsigned char)s[k];
			if (c >= 'a' && c <= 'z')
				t->upper = -1;
			else if (c >= 'A' && c <= 'Z' && t->upper == 0)
				t->upper = 1;
			/* U+2019, the typographic apostrophe: "don’t". */
			if (c == 0xe2 && k + 2 < b && (unsigned char)s[k + 1] ==
			    0x80 && (unsigned char)s[k + 2] == 0x99) {
				c = '\'';
				k += 2;
			}
			if (t->lowsz + 1 < TOK_MAX)
				t->low[t->lowsz] = (char)tolower(c);
			t->lowsz++;
		}
		if (t->lowsz + 1 > TOK_MAX)
			t->lowsz = 0;
		t->low[t->lowsz] = '\0';
		t->upper = t->upper == 1;
	}
	*out = v;
	return n;
}

/* What a booster word before a sentiment word adds to its valence. */
static double
scalar(const struct tok *t, double v, int capdiff)
{
	double	 s = booster(t);

	if (s == 0)
		return 0;
	if (v < 0)
		s = -s;
	if (capdiff && t->upper)
		s += v > 0 ? C_INCR : -C_INCR;
	return s;
}

static double
never_check(double v, const struct tok *w, size_t s, size_t i)
{
	if (s == 0 && negated(&w[i - 1]))
		v *= N_SCALAR;
	else if (s == 1) {
		if (is(&w[i - 2], "never") && (is(&w[i - 1], "so") ||
		    is(&w[i - 1], "this")))
			v *= 1.5;
		else if (negated(&w[i - 2]))
			v *= N_SCALAR;
	} else if (s == 2) {
		if ((is(&w[i - 3], "never") && (is(&w[i - 2], "so") ||
		    is(&w[i - 2], "this"))) || is(&w[i - 1], "so") ||
		    is(&w[i - 1], "this"))
			v *= 1.25;
		else if (negated(&w[i - 3]))
			v *= N_SCALAR;
	}
	return v;
}

/* Do the n tokens from i spell the idiom's words? */
static int
spells(const struct tok *w, size_t nw, size_t i, const char *words)
{
	const char	*p = words, *sp;
	size_t		 len;

	for (; *p != '\0'; i++) {
		if (i >= nw)
			return 0;
		sp = strchr(p, ' ');
		len = sp != NULL ? (size_t)(sp - p) : strlen(p);
		if (w[i].lowsz != len || strncmp(w[i].low, p, len) != 0)
			return 0;
		p += len + (sp != NULL);
	}
	return 1;
}

/* An idiom around the word at i sets its valence. */
static double
idioms_check(double v, const struct tok *w, size_t nw, size_t i)
{
	size_t	 k, start, n, m;
	const char *p;

	for (k = 0; k < sizeof(idioms) / sizeof(idioms[0]); k++) {
		for (n = 1, p = idioms[k].words; *p != '\0'; p++)
			n += *p == ' ';
		/* Each start that puts the word at i inside the idiom. */
		for (m = 0; m < n; m++) {
			if (i < m)
				break;
			start = i - m;
			if (spells(w, nw, start, idioms[k].words))
				return idioms[k].val;
		}
	}
	/* "kind of", "sort of" before it: a dampener of two words. */
	if (i >= 2 && is(&w[i - 1], "of") && (is(&w[i - 2], "kind") ||
	    is(&w[i - 2], "sort")))
		v += B_DECR;
	return v;
}

static double
least_check(double v, const struct tok *w, size_t i)
{
	int	 found;

	if (i == 0 || !is(&w[i - 1], "least"))
		return v;
	(void)valence_of(&w[i - 1], &found);
	if (found)
		return v;
	if (i == 1 || (!is(&w[i - 2], "at") && !is(&w[i - 2], "very")))
		v *= N_SCALAR;
	return v;
}

/* Exclamation and question marks: what they add to the sum's size. */
static double
punct(const char *s, size_t len)
{
	size_t	 i, ep = 0, qm = 0;
	double	 a;

	for (i = 0; i < len; i++) {
		ep += s[i] == '!';
		qm += s[i] == '?';
	}
	a = (ep > EP_MAX ? EP_MAX : ep) * EP_INCR;
	if (qm > 1)
		a += qm <= 3 ? qm * QM_INCR : QM_MAXINCR;
	return a;
}

/*
 * Scores one sentence: the compound score in [-1, 1] and its label
 * (mixed when it says as much for as against).  The lexicon must be
 * loaded (tr__senti_lexicon()); without it every text is neutral.
 */
void
tr__senti_vader(const char *s, size_t len, double *score,
    enum tr_senti_label *label)
{
	struct tok	*w;
	double		*val, v, sum = 0, pos = 0, neg = 0, sc, amp;
	size_t		 nw, i, k, but = SIZE_MAX, nup = 0;
	int		 capdiff, found;

	nw = tokenize(s, len, &w);
	val = tr_xcalloc(nw + 1, sizeof(*val));
	for (i = 0; i < nw; i++)
		nup += w[i].upper;
	capdiff = nup > 0 && nup < nw;
	for (i = 0; i < nw; i++) {
		if (booster(&w[i]) != 0 || (i + 1 < nw && is(&w[i], "kind") &&
		    is(&w[i + 1], "of")))
			continue;
		v = valence_of(&w[i], &found);
		if (!found)
			continue;
		if (w[i].upper && capdiff)
			v += v > 0 ? C_INCR : -C_INCR;
		for (k = 0; k < 3; k++) {
			if (i <= k)
				break;
			(void)valence_of(&w[i - k - 1], &found);
			if (found)
				continue;
			sc = scalar(&w[i - k - 1], v, capdiff);
			if (k == 1)
				sc *= 0.95;
			else if (k == 2)
				sc *= 0.9;
			v = never_check(v + sc, w, k, i);
			if (k == 2)
				v = idioms_check(v, w, nw, i);
		}
		val[i] = least_check(v, w, i);
	}
	for (i = 0; i < nw && but == SIZE_MAX; i++)
		if (is(&w[i], "but"))
			but = i;
	for (i = 0; i < nw; i++) {
		if (but != SIZE_MAX && i < but)
			val[i] *= 0.5;
		else if (but != SIZE_MAX && i > but)
			val[i] *= 1.5;
		sum += val[i];
		if (val[i] > 0)
			pos += val[i];
		else
			neg -= val[i];
	}
	amp = punct(s, len);
	if (sum > 0)
		sum += amp;
	else if (sum < 0)
		sum -= amp;
	v = sum / sqrt(sum * sum + ALPHA);
	*score = v < -1 ? -1 : v > 1 ? 1 : v;
	if (pos >= MIX_MIN && neg >= MIX_MIN &&
	    (pos < neg ? pos / neg : neg / pos) >= MIX_RATIO)
		*label = TR_SENTI_MIXED;
	else if (*score >= POS_MIN)
		*label = TR_SENTI_POSITIVE;
	else if (*score <= -POS_MIN)
		*label = TR_SENTI_NEGATIVE;
	else
		*label = TR_SENTI_NEUTRAL;
	free(val);
	free(w);
}

static int
speaks(const char *lang)
{
	const struct tr_lang	*l;

	if (lang == NULL)
		return 1;
	l = tr_lang_primary(lang);
	return l != NULL && strcmp(l->code, "en") == 0;
}

static enum tr_err
score(struct tr_req *r, const char *lang, struct tr_senti *v, size_t n,
    struct tr_senti_use *use)
{
	size_t		 i;

	(void)lang;
	(void)use;
	if (tr__senti_lexicon(NULL) != TR_OK)
		return tr_fail(r, TR_EUNAVAIL, "the local sentiment engine's "
		    "lexicon is not installed (see the server log)");
	for (i = 0; i < n; i++)
		tr__senti_vader(v[i].text, v[i].len, &v[i].score, &v[i].label);
	return TR_OK;
}

const struct tr_senti_engine tr_senti_local = {
	.name = "local", .keyvar = NULL, .speaks = speaks, .score = score,
};
