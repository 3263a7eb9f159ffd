/*
 * Unit tests of the capped byte buffer (lib/core/buf.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tr.h"
#include "t.h"

static void
test_empty(void)
{
	struct tr_buf	 b;
	char		*p;
	size_t		 len = 99;

	tr_buf_init(&b, 16);
	T(b.ptr == NULL && b.len == 0 && b.cap == 0 && b.max == 16);
	T_STREQ(tr_buf_str(&b), "");
	tr_buf_reset(&b);
	T(b.ptr == NULL && b.len == 0);

	/* Taking an empty buffer gives a malloced empty string. */
	p = tr_buf_take(&b, &len);
	T(p != NULL && len == 0);
	T_STREQ(p, "");
	free(p);
	T(b.ptr == NULL && b.len == 0 && b.cap == 0);

	/* Adding nothing still leaves a terminated string. */
	T(tr_buf_add(&b, NULL, 0) == TR_OK);
	T(b.ptr != NULL && b.len == 0);
	T_STREQ(tr_buf_str(&b), "");
	tr_buf_free(&b);
	T(b.ptr == NULL && b.len == 0 && b.cap == 0 && b.max == 16);
	tr_buf_free(&b);	/* twice is harmless */
}

static void
test_add(void)
{
	struct tr_buf	 b;
	char		*p;
	size_t		 len, i;

	tr_buf_init(&b, 1024);
	T(tr_buf_add(&b, "abc", 3) == TR_OK);
	T(tr_buf_adds(&b, "def") == TR_OK);
	T(tr_buf_add(&b, "g\0h", 3) == TR_OK);
	T(b.len == 9);
	T_MEMEQ(b.ptr, b.len, "abcdefg\0h", 9);
	T(b.ptr[b.len] == '\0');
	T(b.cap > b.len);

	/* Grow across several reallocations. */
	for (i = 0; i < 100; i++)
		T(tr_buf_add(&b, "0123456789", 10) == TR_OK);
	T(b.len == 1009);
	T(b.ptr[b.len] == '\0');
	T(memcmp(b.ptr + 999, "0123456789", 10) == 0);
	T(b.cap <= b.max + 1);

	/* Reset keeps the memory. */
	p = b.ptr;
	tr_buf_reset(&b);
	T(b.ptr == p && b.len == 0);
	T_STREQ(tr_buf_str(&b), "");
	T(tr_buf_adds(&b, "xyz") == TR_OK);
	T_STREQ(tr_buf_str(&b), "xyz");

	p = tr_buf_take(&b, &len);
	T(len == 3);
	T_STREQ(p, "xyz");
	free(p);
	T(b.ptr == NULL && b.len == 0);
	p = tr_buf_take(&b, NULL);	/* lenp may be NULL */
	T(p != NULL && *p == '\0');
	free(p);
	tr_buf_free(&b);
}

static void
test_max(void)
{
	static const size_t	 maxes[] = { 0, 1, 63, 64, 65, 100, 1000 };
	struct tr_buf		 b;
	char			 big[1001];
	size_t			 i, m, split;

	memset(big, 'x', sizeof(big));
	for (i = 0; i < T_NELEM(maxes); i++) {
		m = maxes[i];

		/* Exactly max bytes fit, in one append or two. */
		for (split = 0; split <= m; split += m / 3 + 1) {
			tr_buf_init(&b, m);
			T(tr_buf_add(&b, big, split) == TR_OK);
			T(tr_buf_add(&b, big, m - split) == TR_OK);
			T(b.len == m && b.ptr[m] == '\0');
			T(b.cap <= m + 1);
			/* One more byte frees the buffer. */
			T(tr_buf_add(&b, "y", 1) == TR_ETOOBIG);
			T(b.ptr == NULL && b.len == 0 && b.cap == 0);
			/* It can be used again. */
			T(tr_buf_add(&b, big, m) == TR_OK);
			T(b.len == m);
			tr_buf_free(&b);
		}

		/* A single append past max. */
		tr_buf_init(&b, m);
		T(tr_buf_add(&b, big, m + 1) == TR_ETOOBIG);
		T(b.ptr == NULL && b.len == 0);
		/* A length that would overflow. */
		T(tr_buf_add(&b, big, SIZE_MAX) == TR_ETOOBIG);
		T(tr_buf_add(&b, big, m) == TR_OK);
		if (m > 0)
			T(tr_buf_add(&b, big, SIZE_MAX - m + 1) == TR_ETOOBIG);
		else
			tr_buf_free(&b);
		T(b.ptr == NULL);
	}

	/* No cap at all. */
	tr_buf_init(&b, SIZE_MAX);
	for (i = 0; i < 10; i++)
		T(tr_buf_add(&b, big, sizeof(big)) == TR_OK);
	T(b.len == 10 * sizeof(big) && b.ptr[b.len] == '\0');
	T(b.cap > b.len);
	tr_buf_free(&b);
}

static void
test_addf(void)
{
	struct tr_buf	 b;
	char		 want[1200];
	size_t		 i;

	tr_buf_init(&b, 2000);
	T(tr_buf_addf(&b, "%d-%s-%zu", 42, "x", (size_t)7) == TR_OK);
	T_STREQ(tr_buf_str(&b), "42-x-7");
	T(tr_buf_addf(&b, "%s", "") == TR_OK);
	T(b.len == 6);

	/* Longer than the function's stack buffer. */
	memset(want, 'a', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	tr_buf_reset(&b);
	T(tr_buf_addf(&b, "%s", want) == TR_OK);
	T(b.len == sizeof(want) - 1);
	T_STREQ(tr_buf_str(&b), want);
	for (i = 255; i <= 257; i++) {
		tr_buf_reset(&b);
		T(tr_buf_addf(&b, "%.*s", (int)i, want) == TR_OK);
		T(b.len == i && b.ptr[i] == '\0');
	}

	/* Over the cap, small and large. */
	T(tr_buf_addf(&b, "%s%s", want, want) == TR_ETOOBIG);
	T(b.ptr == NULL && b.len == 0);
	tr_buf_init(&b, 10);
	T(tr_buf_addf(&b, "%s", "0123456789") == TR_OK);
	T(tr_buf_addf(&b, "%c", 'x') == TR_ETOOBIG);
	T(b.ptr == NULL);
	T(tr_buf_addf(&b, "%s", want) == TR_ETOOBIG);
	T(b.ptr == NULL);
	tr_buf_init(&b, 300);
	T(tr_buf_addf(&b, "%.299s", want) == TR_OK);
	T(tr_buf_addf(&b, "%.2s", want) == TR_ETOOBIG);
	T(b.ptr == NULL);
}

static void
test_alloc(void)
{
	char	*p;

	p = tr_xstrndup("ab\0cd", 5);
	T(memcmp(p, "ab\0cd", 6) == 0);
	free(p);
	p = tr_xstrdup("hello");
	T_STREQ(p, "hello");
	free(p);
	p = tr_xmalloc(0);
	free(p);
	p = tr_xcalloc(4, 4);
	for (int i = 0; i < 16; i++)
		T(p[i] == 0);
	free(p);
}

int
main(void)
{
	test_empty();
	test_add();
	test_max();
	test_addf();
	test_alloc();
	return 0;
}
