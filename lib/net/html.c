/*
 * The media URL of a web page: a scan of its tags, enough to find the
 * first <video src>, <audio src>, <source src> or <meta property=
 * "og:video..." / "og:audio..." content> of an HTML page that someone
 * gave us instead of the media itself.  Not a full HTML parser: tags and
 * their attributes (quoted, unquoted or bare), comments, and the raw
 * text of <script> and <style> skipped; the value's character references
 * (&amp; and the like, numeric ones in ASCII) decoded.  The bytes are
 * untrusted: every read is bounded by len (tests/fuzz/fuzz_html.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extern.h"

#define HTML_NAME_MAX	32	/* a tag or attribute name we look at */

/* Where a media URL is: a tag, and the attribute that holds it. */
struct	site {
	const char	*tag;
	const char	*attr;		/* holds the URL */
	const char	*prop;		/* NULL, or: only when property= is one of */
};

static const struct site sites[] = {
	{ "video", "src", NULL },
	{ "audio", "src", NULL },
	{ "source", "src", NULL },
	{ "meta", "content", "og:video og:video:url og:video:secure_url "
	    "og:audio og:audio:url og:audio:secure_url" },
};

/* The character references we decode by name. */
static const struct { const char *name; char c; } ents[] = {
	{ "amp;", '&' }, { "quot;", '"' }, { "apos;", '\'' },
	{ "lt;", '<' }, { "gt;", '>' },
};

struct	scan {
	const char	*p, *end;
};

static int
isspc(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* A name (tag or attribute) into out, lowercased, truncated. */
static void
name(struct scan *s, char *out, size_t outsz)
{
	size_t	 n = 0;

	while (s->p < s->end && !isspc(*s->p) && *s->p != '>' &&
	    *s->p != '/' && *s->p != '=') {
		if (n + 1 < outsz)
			out[n++] = (char)((*s->p >= 'A' && *s->p <= 'Z') ?
			    *s->p + 32 : *s->p);
		s->p++;
	}
	out[n] = '\0';
}

/* Decodes [v, v+len) into out; TR_ETOOBIG if it does not fit. */
static enum tr_err
decode(const char *v, size_t len, char *out, size_t outsz)
{
	size_t		 i = 0, n = 0, k, el;
	unsigned long	 cp;
	char		 c, *e, num[12];

	while (i < len) {
		c = v[i++];
		if (c == '&') {
			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
				el = strlen(ents[k].name);
				if (len - i >= el &&
				    strncasecmp(v + i, ents[k].name, el) == 0) {
					c = ents[k].c;
					i += el;
					break;
				}
			}
			if (k == sizeof(ents) / sizeof(ents[0]) && i < len &&
			    v[i] == '#') {
				for (el = 0; el + 1 < sizeof(num) &&
				    i + 1 + el < len && v[i + 1 + el] != ';'; el++)
					num[el] = v[i + 1 + el];
				num[el] = '\0';
				cp = (num[0] == 'x' || num[0] == 'X') ?
				    strtoul(num + 1, &e, 16) : strtoul(num, &e, 10);
				if (el > 0 && *e == '\0' && i + 1 + el < len &&
				    cp > 0 && cp < 0x80) {
					c = (char)cp;
					i += el + 2;
				}
			}
		}
		if (n + 1 >= outsz)
			return TR_ETOOBIG;
		out[n++] = c;
	}
	out[n] = '\0';
	return TR_OK;
}

/* Is word one of the space-separated words of list? */
static int
oneof(const char *word, const char *list)
{
	size_t	 n = strlen(word);
	const char *p;

	if (n == 0)
		return 0;
	for (p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

/*
 * Reads one tag's attributes (s->p just past its name) up to its '>',
 * and keeps the values of want and of "property".  Returns the value of
 * want in val (raw, not decoded), or NULL.
 */
static void
attrs(struct scan *s, const char *want, const char **val, size_t *vlen,
    const char **prop, size_t *plen)
{
	char		 an[HTML_NAME_MAX];
	const char	*v;
	char		 q;

	*val = *prop = NULL;
	*vlen = *plen = 0;
	while (s->p < s->end && *s->p != '>') {
		if (isspc(*s->p) || *s->p == '/') {
			s->p++;
			continue;
		}
		name(s, an, sizeof(an));
		if (an[0] == '\0') {		/* a stray '=' */
			s->p++;
			continue;
		}
		while (s->p < s->end && isspc(*s->p))
			s->p++;
		if (s->p >= s->end || *s->p != '=')
			continue;		/* a bare attribute */
		s->p++;
		while (s->p < s->end && isspc(*s->p))
			s->p++;
		if (s->p < s->end && (*s->p == '"' || *s->p == '\'')) {
			q = *s->p++;
			for (v = s->p; s->p < s->end && *s->p != q; s->p++)
				continue;
		} else {
			q = 0;
			for (v = s->p; s->p < s->end && !isspc(*s->p) &&
			    *s->p != '>'; s->p++)
				continue;
		}
		if (strcmp(an, want) == 0 && *val == NULL) {
			*val = v;
			*vlen = (size_t)(s->p - v);
		} else if (strcmp(an, "property") == 0 && *prop == NULL) {
			*prop = v;
			*plen = (size_t)(s->p - v);
		}
		if (q != 0 && s->p < s->end)
			s->p++;			/* the closing quote */
	}
	if (s->p < s->end)
		s->p++;				/* '>' */
}

/* Skips to just past needle (case-insensitive), or to the end. */
static void
skipto(struct scan *s, const char *needle)
{
	size_t	 n = strlen(needle);

	while (s->p < s->end) {
		if ((size_t)(s->end - s->p) >= n &&
		    strncasecmp(s->p, needle, n) == 0) {
			s->p += n;
			return;
		}
		s->p++;
	}
}

enum tr_err
tr_html_media_url(const char *html, size_t len, char *out, size_t outsz)
{
	struct scan	 s = { html, html + len };
	char		 tag[HTML_NAME_MAX], pv[128];
	const char	*val, *prop;
	size_t		 vlen, plen, i;
	enum tr_err	 er;

	if (outsz == 0)
		return TR_ETOOBIG;
	out[0] = '\0';
	while (s.p < s.end) {
		if (*s.p++ != '<')
			continue;
		if ((size_t)(s.end - s.p) >= 3 && strncmp(s.p, "!--", 3) == 0) {
			s.p += 3;
			skipto(&s, "-->");
			continue;
		}
		if (s.p < s.end && (*s.p == '/' || *s.p == '!' || *s.p == '?')) {
			skipto(&s, ">");
			continue;
		}
		name(&s, tag, sizeof(tag));
		for (i = 0; i < sizeof(sites) / sizeof(sites[0]); i++)
			if (strcmp(tag, sites[i].tag) == 0)
				break;
		attrs(&s, i < sizeof(sites) / sizeof(sites[0]) ?
		    sites[i].attr : "", &val, &vlen, &prop, &plen);
		/* Their text is not markup. */
		if (strcmp(tag, "script") == 0)
			skipto(&s, "</script");
		else if (strcmp(tag, "style") == 0)
			skipto(&s, "</style");
		if (i == sizeof(sites) / sizeof(sites[0]) || val == NULL ||
		    vlen == 0)
			continue;
		if (sites[i].prop != NULL) {
			if (prop == NULL || decode(prop, plen, pv, sizeof(pv)) !=
			    TR_OK)
				continue;
			for (char *c = pv; *c != '\0'; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c += 32;
			if (!oneof(pv, sites[i].prop))
				continue;
		}
		if ((er = decode(val, vlen, out, outsz)) != TR_OK)
			return er;
		/* Spaces around a URL are no part of it. */
		for (i = strlen(out); i > 0 && isspc(out[i - 1]); i--)
			out[i - 1] = '\0';
		for (i = 0; isspc(out[i]); i++)
			continue;
		memmove(out, out + i, strlen(out + i) + 1);
		if (out[0] != '\0')
			return TR_OK;
	}
	return TR_ENOTFOUND;
}
