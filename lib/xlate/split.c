/*
 * Cutting a long text under an engine's limit: paragraphs (a blank
 * line between) first, a paragraph over the limit at sentence ends, a
 * sentence over it between words, a word over it between code points.
 * Spans are offsets into the caller's text (no copy of it); what lies
 * between them (the paragraph breaks, the spaces) the caller copies
 * verbatim into the translation, so the breaks survive.
 */
#include <stdlib.h>
#include <string.h>

#include "xlate.h"

enum	level { LV_PARA, LV_SENTENCE, LV_WORD, LV_CHAR, LV__MAX };

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\f' || c == '\v';
}

/* Is p[i] the first byte of a UTF-8 sequence (or ASCII)? */
static int
is_lead(const char *p, size_t i)
{
	return ((unsigned char)p[i] & 0xC0) != 0x80;
}

/*
 * The units [p, p+n) costs: code points, or for chat models tokens
 * counted conservatively as one per two bytes.
 */
size_t
tr_split_cost(const char *p, size_t n, enum tr_unit u)
{
	size_t	 i, c = 0;

	if (u == TR_UNIT_TOKENS)
		return (n + 1) / 2;
	for (i = 0; i < n; i++)
		c += is_lead(p, i);
	return c;
}

/* Does a sentence end just before p[i] (its punctuation)? */
static int
sentence_end(const char *p, size_t i)
{
	static const char *const ends[] = { "\xe3\x80\x82", "\xef\xbc\x81",
	    "\xef\xbc\x9f", "\xe2\x80\xa6" };	/* 。！？… */
	size_t	 k, n;

	if (i == 0)
		return 0;
	if (strchr(".!?;", p[i - 1]) != NULL || p[i - 1] == '\n')
		return 1;
	for (k = 0; k < sizeof(ends) / sizeof(ends[0]); k++) {
		n = strlen(ends[k]);
		if (i >= n && memcmp(p + i - n, ends[k], n) == 0)
			return 1;
	}
	return 0;
}

/* May a piece of this level end before p[i] (start <= i <= end)? */
static int
cut_ok(const char *p, size_t i, size_t end, enum level lv)
{
	if (i == end)
		return 1;
	switch (lv) {
	case LV_PARA:
		/* after a run of whitespace holding two newlines */
		if (i < 2 || is_space(p[i]))
			return 0;
		{
			size_t	 j = i, nl = 0;

			while (j > 0 && is_space(p[j - 1]))
				nl += p[--j] == '\n';
			return nl >= 2;
		}
	case LV_SENTENCE:
		if (is_space(p[i]) || i == 0 || !is_space(p[i - 1]))
			return 0;
		{
			size_t	 j = i;

			while (j > 0 && is_space(p[j - 1]))
				j--;
			return sentence_end(p, j) || p[i - 1] == '\n';
		}
	case LV_WORD:
		return !is_space(p[i]) && i > 0 && is_space(p[i - 1]);
	default:
		return is_lead(p, i);
	}
}

static void
add_span(struct tr_split *s, const char *p, size_t a, size_t b)
{
	while (a < b && is_space(p[a]))
		a++;
	while (b > a && is_space(p[b - 1]))
		b--;
	if (a == b)
		return;
	if (s->nspans == s->spancap) {
		s->spancap = s->spancap ? s->spancap * 2 : 16;
		s->spans = reallocarray(s->spans, s->spancap, sizeof(*s->spans));
		if (s->spans == NULL)
			tr_errx("split: out of memory"), abort();
	}
	s->spans[s->nspans].off = a;
	s->spans[s->nspans++].len = b - a;
}

/*
 * Spans of [a, b) each under limit: pieces of this level packed
 * greedily; a piece over the limit alone is cut at the next level.
 */
static void
pack(struct tr_split *s, const char *p, size_t a, size_t b, size_t limit,
    enum tr_unit u, enum level lv)
{
	size_t	 start = a, last = a, i, cum = 0, cstart = 0, clast = 0, c;

	if (tr_split_cost(p + a, b - a, u) <= limit || lv == LV__MAX) {
		add_span(s, p, a, b);
		return;
	}
	/* cum: code points in [a, i), kept as i moves (no rescans) */
	for (i = a + 1; i <= b; i++) {
		cum += is_lead(p, i - 1);
		if (!cut_ok(p, i, b, lv))
			continue;
		c = u == TR_UNIT_TOKENS ? (i - start + 1) / 2 : cum - cstart;
		if (c <= limit) {
			last = i;
			clast = cum;
			if (i == b)
				add_span(s, p, start, b);
			continue;
		}
		if (last > start) {
			add_span(s, p, start, last);
			start = last;
			cstart = clast;
			i = last;	/* the loop's i++ goes past it */
			cum = clast;
			continue;
		}
		/* one piece alone is over the limit */
		pack(s, p, start, i, limit, u, lv + 1);
		start = last = i;
		cstart = clast = cum;
	}
}

void
tr_split_text(struct tr_split *s, const char *p, size_t n, size_t limit,
    enum tr_unit u)
{
	size_t	 a = 0, i;

	memset(s, 0, sizeof(*s));
	if (n == 0)
		return;
	if (limit < 1)
		limit = 1;

	/* every paragraph a span of its own, cut further if too long */
	for (i = 1; i <= n; i++)
		if (cut_ok(p, i, n, LV_PARA)) {
			pack(s, p, a, i, limit, u, LV_SENTENCE);
			a = i;
		}
	tr_split_pack(s, p, limit, u);
}

/* Batches of consecutive spans, joined by a blank line, under limit. */
void
tr_split_pack(struct tr_split *s, const char *p, size_t limit, enum tr_unit u)
{
	size_t	 i, cost = 0, c;

	s->nbatches = 0;
	for (i = 0; i < s->nspans; i++) {
		c = tr_split_cost(p + s->spans[i].off, s->spans[i].len, u);
		if (i == 0 || cost + 2 + c > limit) {
			if (s->nbatches == s->batchcap) {
				s->batchcap = s->batchcap ? s->batchcap * 2 : 16;
				s->batches = reallocarray(s->batches,
				    s->batchcap, sizeof(*s->batches));
				if (s->batches == NULL)
					tr_errx("split: out of memory"), abort();
			}
			s->batches[s->nbatches++] = i;
			cost = c;
		} else
			cost += 2 + c;
	}
}

void
tr_split_free(struct tr_split *s)
{
	free(s->spans);
	free(s->batches);
	memset(s, 0, sizeof(*s));
}
