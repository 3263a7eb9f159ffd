/*
 * Unit tests of the splitter (lib/xlate/split.c): paragraphs are spans
 * of their own, a long one is cut at sentence ends, a long sentence
 * between words, a long word between code points (never inside one);
 * every span under the limit; batches pack spans under the limit.
 */
#include <stdlib.h>
#include <string.h>

#include "xlate/xlate.h"
#include "t.h"

static char *
span(const char *p, const struct tr_split *s, size_t i)
{
	return strndup(p + s->spans[i].off, s->spans[i].len);
}

static void
test_paragraphs(void)
{
	const char	*p = "  One. Two.\n\nThree.\n \n\nFour  ";
	struct tr_split	 s;
	char		*a;

	tr_split_text(&s, p, strlen(p), 1000, TR_UNIT_CHARS);
	T(s.nspans == 3);
	T_STREQ((a = span(p, &s, 0)), "One. Two.");
	free(a);
	T_STREQ((a = span(p, &s, 2)), "Four");
	free(a);
	T(s.nbatches == 1 && s.batches[0] == 0);
	tr_split_free(&s);
}

static void
test_sentences(void)
{
	const char	*p = "Aaaa bbb. Cccc ddd! Eeee fff? Gggg.";
	struct tr_split	 s;
	char		*a;
	size_t		 i;

	tr_split_text(&s, p, strlen(p), 12, TR_UNIT_CHARS);
	T(s.nspans == 4);
	T_STREQ((a = span(p, &s, 1)), "Cccc ddd!");
	free(a);
	for (i = 0; i < s.nspans; i++)
		T(s.spans[i].len <= 12);
	T(s.nbatches == 4);
	tr_split_free(&s);
	/* tokens: one per two bytes, so 10 tokens are 20 bytes */
	tr_split_text(&s, p, strlen(p), 10, TR_UNIT_TOKENS);
	T(s.nspans == 2);
	T_STREQ((a = span(p, &s, 0)), "Aaaa bbb. Cccc ddd!");
	free(a);
	tr_split_free(&s);
}

static void
test_words_and_chars(void)
{
	/* "è" is two bytes, "日" three, "🎉" four: never cut inside */
	const char	*p = "\xc3\xa8\xc3\xa8\xc3\xa8 \xe6\x97\xa5\xe6\x97\xa5"
	    "\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5 \xf0\x9f\x8e\x89\xf0\x9f\x8e\x89";
	struct tr_split	 s;
	size_t		 i, end;

	tr_split_text(&s, p, strlen(p), 3, TR_UNIT_CHARS);
	T(s.nspans == 4);	/* èèè, 日日日, 日日, 🎉🎉 */
	for (i = 0; i < s.nspans; i++) {
		end = s.spans[i].off + s.spans[i].len;
		T(((unsigned char)p[s.spans[i].off] & 0xC0) != 0x80);
		T(end == strlen(p) || ((unsigned char)p[end] & 0xC0) != 0x80);
		T(tr_split_cost(p + s.spans[i].off, s.spans[i].len,
		    TR_UNIT_CHARS) <= 3);
	}
	tr_split_free(&s);
	tr_split_text(&s, "", 0, 3, TR_UNIT_CHARS);
	T(s.nspans == 0 && s.nbatches == 0);
	tr_split_free(&s);
}

int
main(void)
{
	test_paragraphs();
	test_sentences();
	test_words_and_chars();
	return 0;
}
