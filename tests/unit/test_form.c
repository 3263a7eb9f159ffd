/*
 * Unit tests of lib/cgi/form.c: urlencoded bodies and query strings.
 */
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "t.h"

/*
 * Each input with its pair limit, the expected result and, on success,
 * the pairs as "key=value;" (the bytes may hold NULs: wantsz counts).
 */
static const struct {
	const char	*in;
	size_t		 maxpairs;
	enum tr_err	 er;
	const char	*want;
	size_t		 wantsz;
} tests[] = {
	{ "", 10, TR_OK, TR_LIT("") },
	{ "a=1", 10, TR_OK, TR_LIT("a=1;") },
	{ "a=1&b=2", 10, TR_OK, TR_LIT("a=1;b=2;") },
	{ "a=1&a=2", 10, TR_OK, TR_LIT("a=1;a=2;") },
	{ "a=b+c", 10, TR_OK, TR_LIT("a=b c;") },
	{ "a+b=+", 10, TR_OK, TR_LIT("a b= ;") },
	{ "%41=%62", 10, TR_OK, TR_LIT("A=b;") },
	{ "%4a%4A", 10, TR_OK, TR_LIT("JJ=;") },
	{ "%2B=%26%3D", 10, TR_OK, TR_LIT("+=&=;") },
	{ "%25=%2525", 10, TR_OK, TR_LIT("%=%25;") },
	{ "a=%20+%2b", 10, TR_OK, TR_LIT("a=  +;") },
	{ "a=%00", 10, TR_OK, TR_LIT("a=\0;") },
	{ "%00=x%00y", 10, TR_OK, TR_LIT("\0=x\0y;") },
	{ "a=%e2%82%AC", 10, TR_OK, TR_LIT("a=\xe2\x82\xac;") },
	{ "a=%ff%80", 10, TR_OK, TR_LIT("a=\xff\x80;") },
	{ "a=\xc3\xa9", 10, TR_OK, TR_LIT("a=\xc3\xa9;") },
	/* Empty segments and keys without "=". */
	{ "a=1&&b=2", 10, TR_OK, TR_LIT("a=1;b=2;") },
	{ "&&&", 10, TR_OK, TR_LIT("") },
	{ "&", 0, TR_OK, TR_LIT("") },
	{ "&a=1&", 10, TR_OK, TR_LIT("a=1;") },
	{ "a", 10, TR_OK, TR_LIT("a=;") },
	{ "a&b", 10, TR_OK, TR_LIT("a=;b=;") },
	{ "a=", 10, TR_OK, TR_LIT("a=;") },
	{ "=", 10, TR_OK, TR_LIT("=;") },
	{ "=1", 10, TR_OK, TR_LIT("=1;") },
	{ "a==b", 10, TR_OK, TR_LIT("a==b;") },
	{ "a=1=2", 10, TR_OK, TR_LIT("a=1=2;") },
	{ "a=?b;c", 10, TR_OK, TR_LIT("a=?b;c;") },
	/* Bad escapes. */
	{ "a=%", 10, TR_EINVAL, NULL, 0 },
	{ "a=%4", 10, TR_EINVAL, NULL, 0 },
	{ "a=%zz", 10, TR_EINVAL, NULL, 0 },
	{ "a=%4g", 10, TR_EINVAL, NULL, 0 },
	{ "a=%g4", 10, TR_EINVAL, NULL, 0 },
	{ "a=% 4", 10, TR_EINVAL, NULL, 0 },
	{ "a=%+4", 10, TR_EINVAL, NULL, 0 },
	{ "a=%-1", 10, TR_EINVAL, NULL, 0 },
	{ "%=1", 10, TR_EINVAL, NULL, 0 },
	{ "%", 10, TR_EINVAL, NULL, 0 },
	{ "a%=1", 10, TR_EINVAL, NULL, 0 },
	{ "a%4=1", 10, TR_EINVAL, NULL, 0 },
	{ "a%%41=1", 10, TR_EINVAL, NULL, 0 },
	{ "a=1&b=%", 10, TR_EINVAL, NULL, 0 },
	{ "a=1&%x=2", 10, TR_EINVAL, NULL, 0 },
	{ "a=%&b=1", 10, TR_EINVAL, NULL, 0 },
	{ "a=%4&1", 10, TR_EINVAL, NULL, 0 },
	/* The pair limit; empty segments do not count. */
	{ "a&b&c", 3, TR_OK, TR_LIT("a=;b=;c=;") },
	{ "a&b&c", 2, TR_ETOOBIG, NULL, 0 },
	{ "a&&b", 2, TR_OK, TR_LIT("a=;b=;") },
	{ "&&a&&b&&", 2, TR_OK, TR_LIT("a=;b=;") },
	{ "a", 0, TR_ETOOBIG, NULL, 0 },
	{ "", 0, TR_OK, TR_LIT("") },
};

/* What the callback collected: it owns the keys and values. */
struct	got {
	struct tr_buf	 pairs;		/* "key=value;" */
	size_t		 n;
	size_t		 failat;	/* return failer from call n, or 0 */
	enum tr_err	 failer;
};

static enum tr_err
cb(void *arg, char *key, size_t keysz, char *val, size_t valsz)
{
	struct got	*g = arg;

	T(key != NULL && val != NULL);
	T(key[keysz] == '\0' && val[valsz] == '\0');
	g->n++;
	if (g->failat != 0 && g->n >= g->failat) {
		free(key);
		free(val);
		return g->failer;
	}
	T(tr_buf_add(&g->pairs, key, keysz) == TR_OK);
	T(tr_buf_add(&g->pairs, "=", 1) == TR_OK);
	T(tr_buf_add(&g->pairs, val, valsz) == TR_OK);
	T(tr_buf_add(&g->pairs, ";", 1) == TR_OK);
	free(key);
	free(val);
	return TR_OK;
}

static void
test_table(void)
{
	struct got	 g;
	char		*in;
	size_t		 i, len;
	enum tr_err	 er;

	for (i = 0; i < T_NELEM(tests); i++) {
		memset(&g, 0, sizeof(g));
		tr_buf_init(&g.pairs, 4096);
		/* An exact-size copy, so an overread shows in valgrind. */
		len = strlen(tests[i].in);
		in = tr_xmalloc(len);
		memcpy(in, tests[i].in, len);
		er = tr_form_parse(in, len, tests[i].maxpairs, cb, &g);
		if (er != tests[i].er) {
			fprintf(stderr, "\"%s\": got %d, want %d\n",
			    tests[i].in, er, tests[i].er);
			T(0);
		}
		if (er == TR_OK)
			T_MEMEQ(tr_buf_str(&g.pairs), g.pairs.len,
			    tests[i].want, tests[i].wantsz);
		tr_buf_free(&g.pairs);
		free(in);
	}
}

static void
test_misc(void)
{
	struct got	 g;

	/* Only len bytes are read. */
	memset(&g, 0, sizeof(g));
	tr_buf_init(&g.pairs, 4096);
	T(tr_form_parse("a=1&b=2", 3, 10, cb, &g) == TR_OK);
	T_STREQ(tr_buf_str(&g.pairs), "a=1;");
	tr_buf_reset(&g.pairs);
	T(tr_form_parse("a=%41", 4, 10, cb, &g) == TR_EINVAL);
	T(tr_form_parse("a=1", 0, 0, cb, &g) == TR_OK);
	T(g.n == 1);
	tr_buf_free(&g.pairs);

	/* The callback's error stops the parse. */
	memset(&g, 0, sizeof(g));
	tr_buf_init(&g.pairs, 4096);
	g.failat = 2;
	g.failer = TR_EFIELD;
	T(tr_form_parse("a=1&b=2&c=3", 11, 10, cb, &g) == TR_EFIELD);
	T(g.n == 2);
	T_STREQ(tr_buf_str(&g.pairs), "a=1;");
	tr_buf_free(&g.pairs);

	/* Many pairs. */
	{
		struct tr_buf	 in;
		size_t		 i;

		tr_buf_init(&in, 1 << 20);
		for (i = 0; i < 1000; i++)
			T(tr_buf_addf(&in, "k%zu=v%%2B%zu&", i, i) == TR_OK);
		memset(&g, 0, sizeof(g));
		tr_buf_init(&g.pairs, 1 << 20);
		T(tr_form_parse(in.ptr, in.len, 1000, cb, &g) == TR_OK);
		T(g.n == 1000);
		T(strstr(tr_buf_str(&g.pairs), ";k999=v+999;") != NULL);
		tr_buf_free(&g.pairs);
		memset(&g, 0, sizeof(g));
		tr_buf_init(&g.pairs, 1 << 20);
		T(tr_form_parse(in.ptr, in.len, 999, cb, &g) == TR_ETOOBIG);
		T(g.n == 999);
		tr_buf_free(&g.pairs);
		tr_buf_free(&in);
	}
}

int
main(void)
{
	test_table();
	test_misc();
	return 0;
}
