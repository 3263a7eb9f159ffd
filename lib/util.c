/*
 * Small helpers every module needs: aborting allocators for fixed sizes,
 * strtonum-style number parsing, kernel randomness, hex, and a
 * constant-time comparison for secrets.
 */
#include <sys/random.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tr.h"

void *
tr_xmalloc(size_t sz)
{
	void	*p;

	if ((p = malloc(sz == 0 ? 1 : sz)) == NULL) {
		tr_errx("malloc(%zu): out of memory", sz);
		abort();
	}
	return p;
}

void *
tr_xcalloc(size_t n, size_t sz)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, sz == 0 ? 1 : sz)) == NULL) {
		tr_errx("calloc(%zu, %zu): out of memory", n, sz);
		abort();
	}
	return p;
}

char *
tr_xstrdup(const char *s)
{
	return tr_xstrndup(s, strlen(s));
}

/* Copies n bytes (which may hold NULs) and terminates the copy. */
char *
tr_xstrndup(const char *s, size_t n)
{
	char	*p;

	if (n == SIZE_MAX) {
		tr_errx("strndup: size overflow");
		abort();
	}
	p = tr_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/*
 * Parses a whole decimal integer in [min, max], like OpenBSD strtonum(3)
 * but returning an error code.  Leading blanks, "+" signs and trailing
 * bytes are refused.
 */
enum tr_err
tr_parse_ll(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0' || !(*s == '-' || (*s >= '0' && *s <= '9')))
		return TR_EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return TR_EINVAL;
	*out = v;
	return TR_OK;
}

enum tr_err
tr_parse_double(const char *s, double min, double max, double *out)
{
	char	*end;
	double	 v;

	/* strtod(3) also takes hexadecimal ("0x1p4"); only decimal here. */
	if (s == NULL || *s == '\0' ||
	    !(*s == '-' || *s == '.' || (*s >= '0' && *s <= '9')) ||
	    strpbrk(s, "xX") != NULL)
		return TR_EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
		return TR_EINVAL;
	*out = v;
	return TR_OK;
}

/* Fills the buffer from the kernel's CSPRNG.  Returns TR_ESYSTEM on error. */
enum tr_err
tr_random(void *p, size_t sz)
{
	unsigned char	*c = p;
	ssize_t		 n;

	while (sz > 0) {
		n = getrandom(c, sz, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			tr_warn("getrandom");
			return TR_ESYSTEM;
		}
		c += n;
		sz -= (size_t)n;
	}
	return TR_OK;
}

/* Writes 2 * sz lowercase hex digits and a NUL to out. */
void
tr_hex(const unsigned char *p, size_t sz, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < sz; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * sz] = '\0';
}

/*
 * Compares two equal-length byte strings in time that depends only on
 * the length.  Returns 1 if they are equal.
 */
int
tr_memeq_ct(const void *a, const void *b, size_t sz)
{
	const volatile unsigned char	*x = a, *y = b;
	unsigned char			 d = 0;
	size_t				 i;

	for (i = 0; i < sz; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}
