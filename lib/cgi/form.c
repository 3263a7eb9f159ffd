/*
 * application/x-www-form-urlencoded bodies and query strings (WHATWG URL
 * standard, "application/x-www-form-urlencoded parsing"): "&"-separated
 * pairs, "+" for space, %XX escapes.  A malformed escape is an error
 * rather than passed through, so validators see only decoded bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "extern.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes [p, end) into a malloced string; NULL on a bad escape. */
static char *
decode(const char *p, const char *end, size_t *outsz)
{
	char	*out, *o;
	int	 hi, lo;

	o = out = tr_xmalloc((size_t)(end - p) + 1);
	for (; p < end; p++) {
		if (*p == '+')
			*o++ = ' ';
		else if (*p == '%') {
			if (end - p < 3 || (hi = hexval(p[1])) < 0 ||
			    (lo = hexval(p[2])) < 0) {
				free(out);
				return NULL;
			}
			*o++ = (char)(hi << 4 | lo);
			p += 2;
		} else
			*o++ = *p;
	}
	*o = '\0';
	*outsz = (size_t)(o - out);
	return out;
}

/*
 * Calls cb for each pair; empty segments are skipped and a segment with
 * no "=" is a key with an empty value.  Returns TR_EINVAL for a bad
 * escape, TR_ETOOBIG past maxpairs, or the callback's error.
 */
enum tr_err
tr_form_parse(const char *s, size_t len, size_t maxpairs, tr_form_cb cb,
    void *arg)
{
	const char	*p = s, *end = s + len, *amp, *eq;
	char		*k, *v;
	size_t		 ksz, vsz, n = 0;
	enum tr_err	 er;

	while (p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p) {
			p++;
			continue;
		}
		if (++n > maxpairs)
			return TR_ETOOBIG;
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		if ((k = decode(p, eq, &ksz)) == NULL)
			return TR_EINVAL;
		v = decode(eq < amp ? eq + 1 : amp, amp, &vsz);
		if (v == NULL) {
			free(k);
			return TR_EINVAL;
		}
		if ((er = cb(arg, k, ksz, v, vsz)) != TR_OK)
			return er;
		p = amp < end ? amp + 1 : end;
	}
	return TR_OK;
}
