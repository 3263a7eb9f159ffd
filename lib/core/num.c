/*
 * Numbers from text: whole decimal integers and decimals in a range,
 * strtonum(3)-style, for query strings, form fields and settings.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tr.h"

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
