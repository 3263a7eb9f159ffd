/*
 * Unit tests of the field validators (lib/cgi/valid.c), in the manner of
 * kcgi's regress tests: for each validator, values it must accept and
 * values it must refuse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tr.h"
#include "t.h"

struct	val {
	const char	*s;
	size_t		 sz;	/* bytes, NULs included */
};

#define V(s)	{ (s), sizeof(s) - 1 }

static const struct val utf8_valids[] = {
	V(""),
	V("hello"),
	V("\x7f"),
	V("\x01\x1f"),
	V("caf\xc3\xa9"),			/* U+00E9 */
	V("\xc2\x80"),				/* U+0080 */
	V("\xdf\xbf"),				/* U+07FF */
	V("\xe0\xa0\x80"),			/* U+0800 */
	V("\xe2\x82\xac"),			/* U+20AC */
	V("\xed\x9f\xbf"),			/* U+D7FF */
	V("\xee\x80\x80"),			/* U+E000 */
	V("\xef\xbf\xbd"),			/* U+FFFD */
	V("\xef\xbf\xbf"),			/* U+FFFF */
	V("\xf0\x90\x80\x80"),			/* U+10000 */
	V("\xf0\x9f\x98\x80"),			/* U+1F600 */
	V("\xf4\x8f\xbf\xbf"),			/* U+10FFFF */
	V("a\0b"),				/* NUL is UTF-8 */
	V("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"),
};

static const struct val utf8_invalids[] = {
	V("\x80"),				/* lone continuation */
	V("\xbf"),
	V("a\x80z"),
	V("\xc0\x80"),				/* overlong NUL */
	V("\xc0\xaf"),				/* overlong "/" */
	V("\xc1\xbf"),
	V("\xc2"),				/* truncated */
	V("\xc2z"),
	V("\xc2\xc2\x80"),
	V("\xe0\x80\x80"),			/* overlong */
	V("\xe0\x9f\xbf"),
	V("\xe2\x82"),				/* truncated */
	V("\xe2\x82z"),
	V("\xe2z\xac"),
	V("\xed\xa0\x80"),			/* U+D800 surrogate */
	V("\xed\xbf\xbf"),			/* U+DFFF surrogate */
	V("\xf0\x80\x80\x80"),			/* overlong */
	V("\xf0\x8f\xbf\xbf"),
	V("\xf0\x90\x80"),			/* truncated */
	V("\xf4\x90\x80\x80"),			/* U+110000 */
	V("\xf5\x80\x80\x80"),
	V("\xf8\x88\x80\x80\x80"),		/* 5-byte form */
	V("\xfc\x84\x80\x80\x80\x80"),		/* 6-byte form */
	V("\xfe"),
	V("\xff"),
	V("caf\xe9"),				/* Latin-1 */
};

static const struct val string_valids[] = {
	V(""),
	V("hello world"),
	V("caf\xc3\xa9"),
	V("tab\tnewline\n"),
	V("\xf0\x9f\x98\x80"),
};

static const struct val string_invalids[] = {
	V("a\0b"),
	V("\0"),
	V("abc\0"),
	V("\xff"),
	V("caf\xe9"),
	V("\xed\xa0\x80"),
};

static const struct {
	struct val	 v;
	long long	 want;
} int_valids[] = {
	{ V("0"), 0 },
	{ V("-0"), 0 },
	{ V("1"), 1 },
	{ V("-1"), -1 },
	{ V("0042"), 42 },
	{ V("9223372036854775807"), INT64_MAX },
	{ V("-9223372036854775808"), INT64_MIN },
};

static const struct val int_invalids[] = {
	V(""),
	V(" "),
	V(" 1"),
	V("1 "),
	V("+1"),
	V("-"),
	V("1.0"),
	V("1e3"),
	V("0x1f"),
	V("abc"),
	V("12abc"),
	V("9223372036854775808"),
	V("-9223372036854775809"),
	V("1\0"),
	V("1\0002"),
};

static const struct {
	struct val	 v;
	long long	 want;
} bool_valids[] = {
	{ V("true"), 1 },
	{ V("TRUE"), 1 },
	{ V("True"), 1 },
	{ V("1"), 1 },
	{ V("yes"), 1 },
	{ V("YES"), 1 },
	{ V("on"), 1 },
	{ V("On"), 1 },
	{ V("false"), 0 },
	{ V("FALSE"), 0 },
	{ V("0"), 0 },
	{ V("no"), 0 },
	{ V("off"), 0 },
	{ V("OFF"), 0 },
};

static const struct val bool_invalids[] = {
	V(""),
	V("t"),
	V("f"),
	V("y"),
	V("n"),
	V("2"),
	V("-1"),
	V("01"),
	V("truee"),
	V(" true"),
	V("true "),
	V("yes please"),
	V("true\0"),
	V("true\0false"),
	V("0\0"),
};

static const struct val email_valids[] = {
	V("a@b.co"),
	V("user@example.com"),
	V("first.last@example.com"),
	V("user+tag@example.co.uk"),
	V("user_name-1@sub-domain.example.org"),
	V("x@a.bc"),
	V("UPPER@EXAMPLE.COM"),
	V("o'brien@example.ie"),
	V("1234567890@example.com"),
};

static const struct val email_invalids[] = {
	V(""),
	V("plain"),
	V("@example.com"),
	V("user@"),
	V("user@example"),
	V("user@example."),
	V("user@example.c"),
	V("user@.example.com"),		/* empty domain label */
	V("user@.com"),
	V("user@example..com"),
	V("user.@example.com"),
	V(".user@example.com"),
	V("us..er@example.com"),
	V("a@b@example.com"),
	V("user name@example.com"),
	V("user@exa mple.com"),
	V(" user@example.com"),
	V("user@example.com "),
	V("user\t@example.com"),
	V("user@example.com\n"),
	V("\"user\"@example.com"),
	V("user(comment)@example.com"),
	V("<user@example.com>"),
	V("user@[127.0.0.1]"),
	V("a,b@example.com"),
	V("a;b@example.com"),
	V("a:b@example.com"),
	V("a\\b@example.com"),
	V("caf\xc3\xa9@example.com"),
	V("user@ex\x7f" "ample.com"),
	V("user@example.com\0.evil"),
	V("user\0@example.com"),
};

static const struct val name_valids[] = {
	V(""),
	V("Ada Lovelace"),
	V("ACME, Inc. (\"the best\")"),
	V("Zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac"),
};

static const struct val name_invalids[] = {
	V("tab\there"),
	V("new\nline"),
	V("esc\x1b[0m"),
	V("del\x7f"),
	V("nul\0"),
	V("caf\xe9"),
};

static const struct val ident_valids[] = {
	V("deepgram"),
	V("openai"),
	V("a"),
	V("x_y.z-1"),
	V("0123456789012345678901234567890123456789012345678901234567890123"),
};

static const struct val ident_invalids[] = {
	V(""),
	V("OpenAI"),
	V("a b"),
	V("a/b"),
	V("a\0"),
	V("caf\xc3\xa9"),
	V("01234567890123456789012345678901234567890123456789012345678901234"),
};

static const struct {
	struct val	 v;
	long long	 want;
} uint_valids[] = {
	{ V("0"), 0 },
	{ V("42"), 42 },
	{ V("2147483647"), 2147483647 },
};

static const struct val uint_invalids[] = {
	V(""),
	V("-1"),
	V("+1"),
	V("2147483648"),
	V("1.5"),
	V("0x10"),
	V("1\0"),
};

static const struct {
	struct val	 v;
	double		 want;
} amount_valids[] = {
	{ V("0"), 0 },
	{ V("0.25"), 0.25 },
	{ V(".5"), 0.5 },
	{ V("12.50"), 12.5 },
	{ V("1e3"), 1000 },
	{ V("1e12"), 1e12 },
};

static const struct val amount_invalids[] = {
	V(""),
	V("-1"),
	V("-0.01"),
	V("1e13"),
	V("abc"),
	V("1,5"),
	V("nan"),
	V("inf"),
	V("0x10"),
	V("0x1p4"),
	V(" 1"),
	V("1 "),
	V("1\0"),
};

/* A value as the request layer hands it over: malloced and terminated. */
static int
run(tr_validator fn, const struct val *v, struct tr_pair *p)
{
	int	 rc;

	memset(p, 0, sizeof(*p));
	p->key = "field";
	p->val = tr_xstrndup(v->s, v->sz);
	p->valsz = v->sz;
	rc = fn(p);
	free(p->val);
	p->val = NULL;
	return rc;
}

static void
fail(const char *what, const struct val *v, int want)
{
	size_t	 i;

	fprintf(stderr, "%s %s \"", what, want ? "refused" : "accepted");
	for (i = 0; i < v->sz; i++)
		if (v->s[i] >= 0x20 && v->s[i] < 0x7f)
			fputc(v->s[i], stderr);
		else
			fprintf(stderr, "\\x%02x", (unsigned char)v->s[i]);
	fprintf(stderr, "\"\n");
	T(0);
}

static void
test_utf8(void)
{
	size_t	 i, j;

	for (i = 0; i < T_NELEM(utf8_valids); i++)
		if (!tr_valid_utf8(utf8_valids[i].s, utf8_valids[i].sz))
			fail("utf8", &utf8_valids[i], 1);
	for (i = 0; i < T_NELEM(utf8_invalids); i++)
		if (tr_valid_utf8(utf8_invalids[i].s, utf8_invalids[i].sz))
			fail("utf8", &utf8_invalids[i], 0);

	/* A multibyte sequence cut anywhere is invalid. */
	for (i = 0; i < T_NELEM(utf8_valids); i++)
		for (j = 1; j < utf8_valids[i].sz; j++)
			if ((utf8_valids[i].s[j] & 0xc0) == 0x80)
				T(!tr_valid_utf8(utf8_valids[i].s, j));

	/* Every single byte: ASCII only. */
	for (i = 0; i < 256; i++) {
		char	 c = (char)i;

		T(tr_valid_utf8(&c, 1) == (i < 0x80));
	}

	/* Every two-byte sequence from C2 80 to DF BF. */
	for (i = 0xc0; i <= 0xdf; i++)
		for (j = 0; j < 256; j++) {
			char	 s[2] = { (char)i, (char)j };

			T(tr_valid_utf8(s, 2) ==
			    (i >= 0xc2 && j >= 0x80 && j <= 0xbf));
		}
}

static void
test_string(void)
{
	struct tr_pair	 p;
	size_t		 i;

	for (i = 0; i < T_NELEM(string_valids); i++) {
		if (!run(tr_valid_string, &string_valids[i], &p))
			fail("string", &string_valids[i], 1);
		T(p.parsed.s != NULL);
	}
	for (i = 0; i < T_NELEM(string_invalids); i++)
		if (run(tr_valid_string, &string_invalids[i], &p))
			fail("string", &string_invalids[i], 0);
}

static void
test_int(void)
{
	struct tr_pair	 p;
	size_t		 i;

	for (i = 0; i < T_NELEM(int_valids); i++) {
		if (!run(tr_valid_int, &int_valids[i].v, &p))
			fail("int", &int_valids[i].v, 1);
		T(p.parsed.i == int_valids[i].want);
	}
	for (i = 0; i < T_NELEM(int_invalids); i++)
		if (run(tr_valid_int, &int_invalids[i], &p))
			fail("int", &int_invalids[i], 0);
}

static void
test_bool(void)
{
	struct tr_pair	 p;
	size_t		 i;

	for (i = 0; i < T_NELEM(bool_valids); i++) {
		memset(&p, 0, sizeof(p));
		if (!run(tr_valid_bool, &bool_valids[i].v, &p))
			fail("bool", &bool_valids[i].v, 1);
		T(p.parsed.i == bool_valids[i].want);
	}
	for (i = 0; i < T_NELEM(bool_invalids); i++)
		if (run(tr_valid_bool, &bool_invalids[i], &p))
			fail("bool", &bool_invalids[i], 0);
}

static void
test_email(void)
{
	struct tr_pair	 p;
	struct val	 v;
	char		 buf[300];
	size_t		 i;

	for (i = 0; i < T_NELEM(email_valids); i++) {
		if (!run(tr_valid_email, &email_valids[i], &p))
			fail("email", &email_valids[i], 1);
		T(p.parsed.s != NULL);
	}
	for (i = 0; i < T_NELEM(email_invalids); i++)
		if (run(tr_valid_email, &email_invalids[i], &p))
			fail("email", &email_invalids[i], 0);

	/* 254 bytes at most. */
	memset(buf, 'a', sizeof(buf));
	memcpy(buf + 250, "@b.co", 5);
	v.s = buf + 1;
	v.sz = 254;
	T(run(tr_valid_email, &v, &p));
	v.s = buf;
	v.sz = 255;
	T(!run(tr_valid_email, &v, &p));
}

static void
test_more(void)
{
	struct tr_pair	 p;
	size_t		 i;

	for (i = 0; i < T_NELEM(name_valids); i++)
		if (!run(tr_valid_name, &name_valids[i], &p))
			fail("name", &name_valids[i], 1);
	for (i = 0; i < T_NELEM(name_invalids); i++)
		if (run(tr_valid_name, &name_invalids[i], &p))
			fail("name", &name_invalids[i], 0);
	for (i = 0; i < T_NELEM(ident_valids); i++)
		if (!run(tr_valid_ident, &ident_valids[i], &p))
			fail("ident", &ident_valids[i], 1);
	for (i = 0; i < T_NELEM(ident_invalids); i++)
		if (run(tr_valid_ident, &ident_invalids[i], &p))
			fail("ident", &ident_invalids[i], 0);
	for (i = 0; i < T_NELEM(uint_valids); i++) {
		if (!run(tr_valid_uint, &uint_valids[i].v, &p))
			fail("uint", &uint_valids[i].v, 1);
		T(p.parsed.i == uint_valids[i].want);
	}
	for (i = 0; i < T_NELEM(uint_invalids); i++)
		if (run(tr_valid_uint, &uint_invalids[i], &p))
			fail("uint", &uint_invalids[i], 0);
	for (i = 0; i < T_NELEM(amount_valids); i++) {
		if (!run(tr_valid_amount, &amount_valids[i].v, &p))
			fail("amount", &amount_valids[i].v, 1);
		T(p.parsed.d == amount_valids[i].want);
	}
	for (i = 0; i < T_NELEM(amount_invalids); i++)
		if (run(tr_valid_amount, &amount_invalids[i], &p))
			fail("amount", &amount_invalids[i], 0);

	/* 200 bytes of name at most. */
	{
		char		 buf[201];
		struct val	 v;

		memset(buf, 'n', sizeof(buf));
		v.s = buf;
		v.sz = 200;
		T(run(tr_valid_name, &v, &p));
		v.sz = 201;
		T(!run(tr_valid_name, &v, &p));
	}
}

int
main(void)
{
	test_utf8();
	test_string();
	test_int();
	test_bool();
	test_email();
	test_more();
	return 0;
}
