/*
 * Unit tests of lib/core/num.c and lib/core/crypto.c: number parsing,
 * hex, constant-time compare and kernel randomness.
 */
#include <float.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tr.h"
#include "t.h"

static const struct {
	const char	*s;
	long long	 min, max;
	long long	 want;
} ll_valid[] = {
	{ "0", 0, 0, 0 },
	{ "-0", 0, 0, 0 },
	{ "1", 0, 10, 1 },
	{ "10", 0, 10, 10 },
	{ "-10", -10, 10, -10 },
	{ "007", 0, 10, 7 },
	{ "9223372036854775807", LLONG_MIN, LLONG_MAX, LLONG_MAX },
	{ "-9223372036854775808", LLONG_MIN, LLONG_MAX, LLONG_MIN },
	{ "599", 100, 599, 599 },
	{ "100", 100, 599, 100 },
};

static const struct {
	const char	*s;
	long long	 min, max;
} ll_invalid[] = {
	{ "", 0, 10 },
	{ " 1", 0, 10 },
	{ "1 ", 0, 10 },
	{ "\t1", 0, 10 },
	{ "+1", 0, 10 },
	{ "-", -10, 10 },
	{ "--1", -10, 10 },
	{ "-+1", -10, 10 },
	{ "- 1", -10, 10 },
	{ "1a", 0, 10 },
	{ "a1", 0, 10 },
	{ "0x10", 0, 100 },
	{ "1.0", 0, 10 },
	{ "1e3", 0, 10000 },
	{ "11", 0, 10 },
	{ "-1", 0, 10 },
	{ "600", 100, 599 },
	{ "99", 100, 599 },
	{ "9223372036854775808", LLONG_MIN, LLONG_MAX },
	{ "-9223372036854775809", LLONG_MIN, LLONG_MAX },
	{ "99999999999999999999999", LLONG_MIN, LLONG_MAX },
	{ "1\n", 0, 10 },
};

static const struct {
	const char	*s;
	double		 min, max;
	double		 want;
} d_valid[] = {
	{ "0", 0, 1, 0 },
	{ "1", 0, 1, 1 },
	{ "0.5", 0, 1, 0.5 },
	{ ".5", 0, 1, 0.5 },
	{ "-.5", -1, 1, -0.5 },
	{ "-1", -1, 1, -1 },
	{ "1e2", 0, 1000, 100 },
	{ "1E-2", 0, 1, 0.01 },
	{ "2.5e+1", 0, 100, 25 },
	{ "007.25", 0, 10, 7.25 },
	{ "1.", 0, 10, 1 },
};

static const struct {
	const char	*s;
	double		 min, max;
} d_invalid[] = {
	{ "", 0, 1 },
	{ " 1", 0, 1 },
	{ "1 ", 0, 1 },
	{ "+1", 0, 1 },
	{ "-", -1, 1 },
	{ ".", 0, 1 },
	{ "1..2", 0, 10 },
	{ "1e", 0, 10 },
	{ "e1", 0, 100 },
	{ "abc", 0, 1 },
	{ "nan", -DBL_MAX, DBL_MAX },
	{ "NaN", -DBL_MAX, DBL_MAX },
	{ "-nan", -DBL_MAX, DBL_MAX },
	{ "inf", -DBL_MAX, DBL_MAX },
	{ "infinity", -DBL_MAX, DBL_MAX },
	{ "-inf", -DBL_MAX, DBL_MAX },
	{ "1e999", -DBL_MAX, DBL_MAX },
	{ "-1e999", -DBL_MAX, DBL_MAX },
	{ "0x10", 0, 100 },
	{ "0X1p3", 0, 100 },
	{ "-0x1", -10, 10 },
	{ "1.5", 0, 1 },
	{ "-0.1", 0, 1 },
	{ "1,5", 0, 10 },
};

static void
test_parse_ll(void)
{
	long long	 v;
	size_t		 i;

	for (i = 0; i < T_NELEM(ll_valid); i++) {
		v = 12345;
		T(tr_parse_ll(ll_valid[i].s, ll_valid[i].min, ll_valid[i].max,
		    &v) == TR_OK);
		T(v == ll_valid[i].want);
	}
	for (i = 0; i < T_NELEM(ll_invalid); i++) {
		v = 12345;
		if (tr_parse_ll(ll_invalid[i].s, ll_invalid[i].min,
		    ll_invalid[i].max, &v) != TR_EINVAL) {
			fprintf(stderr, "accepted \"%s\"\n", ll_invalid[i].s);
			T(0);
		}
		T(v == 12345);	/* untouched */
	}
	T(tr_parse_ll(NULL, 0, 10, &v) == TR_EINVAL);
}

static void
test_parse_double(void)
{
	double	 v;
	size_t	 i;

	for (i = 0; i < T_NELEM(d_valid); i++) {
		v = 12345;
		if (tr_parse_double(d_valid[i].s, d_valid[i].min,
		    d_valid[i].max, &v) != TR_OK) {
			fprintf(stderr, "refused \"%s\"\n", d_valid[i].s);
			T(0);
		}
		T(v == d_valid[i].want);
	}
	for (i = 0; i < T_NELEM(d_invalid); i++) {
		v = 12345;
		if (tr_parse_double(d_invalid[i].s, d_invalid[i].min,
		    d_invalid[i].max, &v) != TR_EINVAL) {
			fprintf(stderr, "accepted \"%s\"\n", d_invalid[i].s);
			T(0);
		}
		T(v == 12345);
	}
	T(tr_parse_double(NULL, 0, 1, &v) == TR_EINVAL);
}

static void
test_hex(void)
{
	static const unsigned char	 in[] = { 0x00, 0x01, 0x7f, 0x80,
					    0xab, 0xcd, 0xef, 0xff, 0x10 };
	char				 out[2 * sizeof(in) + 1];

	memset(out, 'Z', sizeof(out));
	tr_hex(in, sizeof(in), out);
	T_STREQ(out, "00017f80abcdefff10");

	memset(out, 'Z', sizeof(out));
	tr_hex(in, 0, out);
	T(out[0] == '\0' && out[1] == 'Z');

	memset(out, 'Z', sizeof(out));
	tr_hex(in + 7, 1, out);
	T_STREQ(out, "ff");
	T(out[3] == 'Z');
}

static void
test_memeq_ct(void)
{
	static const struct {
		const char	*a, *b;
		size_t		 sz;
		int		 want;
	} tests[] = {
		{ "", "", 0, 1 },
		{ "a", "b", 0, 1 },
		{ "a", "a", 1, 1 },
		{ "a", "b", 1, 0 },
		{ "secret-token", "secret-token", 12, 1 },
		{ "secret-token", "secret-tokeN", 12, 0 },
		{ "Secret-token", "secret-token", 12, 0 },
		{ "ab\0cd", "ab\0cd", 5, 1 },
		{ "ab\0cd", "ab\0ce", 5, 0 },
		{ "\x80", "\x00", 1, 0 },
		{ "\xff\xfe", "\xff\xfe", 2, 1 },
	};
	size_t	 i;

	for (i = 0; i < T_NELEM(tests); i++)
		T(tr_memeq_ct(tests[i].a, tests[i].b, tests[i].sz) ==
		    tests[i].want);
}

static void
test_random(void)
{
	unsigned char	 a[32], b[32], big[100000];
	size_t		 i, zeros;

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	T(tr_random(a, sizeof(a)) == TR_OK);
	T(tr_random(b, sizeof(b)) == TR_OK);
	/* 2^-256 odds of a false failure. */
	T(memcmp(a, b, sizeof(a)) != 0);
	T(tr_random(a, 0) == TR_OK);

	/* A large request is filled completely. */
	memset(big, 0, sizeof(big));
	T(tr_random(big, sizeof(big)) == TR_OK);
	for (zeros = 0, i = sizeof(big) - 1000; i < sizeof(big); i++)
		zeros += big[i] == 0;
	T(zeros < 100);
}

int
main(void)
{
	test_parse_ll();
	test_parse_double();
	test_hex();
	test_memeq_ct();
	test_random();
	return 0;
}
