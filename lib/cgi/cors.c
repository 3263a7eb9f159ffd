/*
 * CORS (Fetch standard, "CORS protocol"): the origins listed in
 * CORS_ORIGINS (or ALLOWED_ORIGINS), comma-separated, get
 * Access-Control-Allow-Origin and answered preflights.  Unset, "*" is
 * allowed in development (as the seed did) and nothing in production.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "extern.h"

static const char *
origins(void)
{
	const char	*o = tr_conf("CORS_ORIGINS");

	if (o == NULL)
		o = tr_conf("ALLOWED_ORIGINS");
	if (o == NULL && !tr_conf_production())
		o = "*";
	return o;
}

static int
allowed(const char *list, const char *origin)
{
	const char	*p, *end;
	size_t		 n = strlen(origin);

	for (p = list; *p != '\0'; p = *end ? end + 1 : end) {
		while (*p == ' ')
			p++;
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		while (end > p && end[-1] == ' ')
			end--;
		if ((size_t)(end - p) == 1 && *p == '*')
			return 2;
		if ((size_t)(end - p) == n && strncasecmp(p, origin, n) == 0)
			return 1;
		while (*end == ' ')
			end++;
	}
	return 0;
}

/*
 * Adds the CORS response headers for an allowed Origin.  Sets
 * *preflight if this is a preflight (OPTIONS with
 * Access-Control-Request-Method), which the caller answers with 204.
 */
enum tr_err
tr__cors(struct tr_req *r, int *preflight)
{
	const char	*origin, *list, *reqm;
	struct tr_buf	 b;
	enum tr_err	 er;
	size_t		 i;
	int		 how;

	*preflight = 0;
	if ((origin = tr_header_in(r, "Origin")) == NULL ||
	    (list = origins()) == NULL ||
	    strpbrk(origin, "\r\n") != NULL ||
	    (how = allowed(list, origin)) == 0)
		return TR_OK;
	if ((er = tr_header(r, "Access-Control-Allow-Origin",
	    how == 2 ? "*" : origin)) != TR_OK ||
	    (er = tr_header(r, "Vary", "Origin")) != TR_OK ||
	    (er = tr_header(r, "Access-Control-Expose-Headers",
	    "X-Request-Id, Retry-After, X-RateLimit-Limit, "
	    "X-RateLimit-Remaining, X-RateLimit-Reset")) != TR_OK)
		return er;
	reqm = tr_header_in(r, "Access-Control-Request-Method");
	if (r->method != TR_METHOD_OPTIONS || reqm == NULL)
		return TR_OK;
	*preflight = 1;
	tr_buf_init(&b, 256);
	for (i = 0; i < TR_METHOD__MAX; i++)
		if ((r->ep->methods & (1u << i)) &&
		    (er = tr_buf_addf(&b, "%s%s", b.len ? ", " : "",
		    tr_method_name((enum tr_method)i))) != TR_OK)
			return er;
	er = tr_header(r, "Access-Control-Allow-Methods", tr_buf_str(&b));
	tr_buf_free(&b);
	if (er != TR_OK ||
	    (er = tr_header(r, "Access-Control-Allow-Headers",
	    "Authorization, Content-Type, X-API-Key")) != TR_OK ||
	    (er = tr_header(r, "Access-Control-Max-Age", "600")) != TR_OK)
		return er;
	return TR_OK;
}
