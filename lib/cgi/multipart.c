/*
 * A streaming multipart/form-data parser (RFC 7578 over RFC 2046 section
 * 5.1).  Input arrives in chunks of any size and goes through a fixed
 * scan window: part bodies are passed to callbacks as soon as they are
 * known not to hold the delimiter, so a file part never sits in memory
 * whole.  Written by hand because no Debian-packaged C library parses
 * multipart as a stream with these limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extern.h"

static enum tr_err
fail(struct tr_multipart *mp, enum tr_err er, const char *msg)
{
	snprintf(mp->err, sizeof(mp->err), "%s", msg);
	return er;
}

static int
bchar(char c)
{
	/* RFC 2046 bchars, without the space that may not end a boundary. */
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || strchr("'()+_,-./:=? ", c) != NULL;
}

/*
 * Extracts the boundary parameter of a multipart Content-Type into out.
 * Returns TR_EINVAL if it is missing, empty, too long or has bytes that
 * RFC 2046 does not allow.
 */
enum tr_err
tr_multipart_boundary(const char *ctype, char *out, size_t outsz)
{
	const char	*p, *end;
	size_t		 len;

	if (ctype == NULL)
		return TR_EINVAL;
	for (p = ctype; (p = strchr(p, ';')) != NULL; ) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "boundary=", 9) != 0)
			continue;
		p += 9;
		if (*p == '"') {
			p++;
			if ((end = strchr(p, '"')) == NULL)
				return TR_EINVAL;
		} else
			for (end = p; *end != '\0' && *end != ';' &&
			    *end != ' ' && *end != '\t'; end++)
				continue;
		len = (size_t)(end - p);
		if (len == 0 || len > TR_MP_BOUNDMAX || len >= outsz ||
		    p[len - 1] == ' ')
			return TR_EINVAL;
		for (size_t i = 0; i < len; i++)
			if (!bchar(p[i]))
				return TR_EINVAL;
		memcpy(out, p, len);
		out[len] = '\0';
		return TR_OK;
	}
	return TR_EINVAL;
}

/*
 * Prepares a parser for the given boundary.  The caller's callbacks and
 * argument must outlive it.  Returns TR_EINVAL for a bad boundary.
 */
enum tr_err
tr_multipart_init(struct tr_multipart *mp, const char *boundary,
    size_t maxparts, size_t hdrmax, const struct tr_mp_cb *cb, void *arg)
{
	size_t	 blen = strlen(boundary);

	memset(mp, 0, sizeof(*mp));
	if (blen == 0 || blen > TR_MP_BOUNDMAX)
		return TR_EINVAL;
	if (hdrmax > TR_MP_WINDOW / 2 - 4)
		hdrmax = TR_MP_WINDOW / 2 - 4;
	mp->delimsz = (size_t)snprintf(mp->delim, sizeof(mp->delim),
	    "\r\n--%s", boundary);
	mp->maxparts = maxparts;
	mp->hdrmax = hdrmax;
	mp->cb = cb;
	mp->arg = arg;
	mp->state = TR_MP_PREAMBLE;
	mp->win = tr_xmalloc(TR_MP_WINDOW);
	/*
	 * The first delimiter has no CRLF before it; pretend the body
	 * starts with one so that one search finds every delimiter.
	 */
	memcpy(mp->win, "\r\n", 2);
	mp->winsz = 2;
	return TR_OK;
}

void
tr_multipart_free(struct tr_multipart *mp)
{
	TR_FREE(mp->win);
	mp->winsz = 0;
}

static void
consume(struct tr_multipart *mp, size_t n)
{
	memmove(mp->win, mp->win + n, mp->winsz - n);
	mp->winsz -= n;
}

/*
 * Reads one parameter value of a Content-Disposition header at *pp,
 * quoted or not, into a malloced string.  Returns NULL if malformed.
 */
static char *
param_value(const char **pp, const char *end)
{
	const char	*p = *pp;
	struct tr_buf	 b;

	tr_buf_init(&b, 4096);
	if (p < end && *p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			if (tr_buf_add(&b, p, 1) != TR_OK)
				return NULL;
		}
		if (p >= end) {
			tr_buf_free(&b);
			return NULL;
		}
		p++;
	} else {
		for (; p < end && *p != ';' && *p != ' ' && *p != '\t'; p++)
			if (tr_buf_add(&b, p, 1) != TR_OK)
				return NULL;
	}
	*pp = p;
	return tr_buf_take(&b, NULL);
}

/*
 * Parses a part's header block (without the final blank line) and calls
 * the begin callback.  Only Content-Disposition and Content-Type matter;
 * other headers are ignored.
 */
static enum tr_err
part_headers(struct tr_multipart *mp, const char *h, size_t len)
{
	const char	*line, *eol, *end = h + len, *p, *v;
	char		*name = NULL, *filename = NULL, *ctype = NULL;
	char		*key, *val;
	size_t		 klen;
	int		 disp = 0;
	enum tr_err	 er = TR_OK;

	if (memchr(h, '\0', len) != NULL)
		return fail(mp, TR_EINVAL, "NUL byte in a part header");
	for (line = h; line < end; line = eol + 2) {
		if ((eol = memmem(line, (size_t)(end - line), "\r\n", 2)) == NULL)
			eol = end;
		if ((p = memchr(line, ':', (size_t)(eol - line))) == NULL ||
		    p == line || *line == ' ' || *line == '\t') {
			er = fail(mp, TR_EINVAL, "malformed part header");
			goto out;
		}
		klen = (size_t)(p - line);
		for (v = p + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			continue;
		if (klen == 19 && strncasecmp(line, "Content-Disposition", 19) == 0) {
			if (disp++) {
				er = fail(mp, TR_EINVAL,
				    "duplicate Content-Disposition");
				goto out;
			}
			if ((size_t)(eol - v) < 9 ||
			    strncasecmp(v, "form-data", 9) != 0) {
				er = fail(mp, TR_EINVAL,
				    "part is not form-data");
				goto out;
			}
			for (p = v + 9; p < eol; ) {
				while (p < eol && (*p == ';' || *p == ' ' ||
				    *p == '\t'))
					p++;
				if (p >= eol)
					break;
				for (v = p; v < eol && *v != '='; v++)
					continue;
				if (v >= eol) {
					er = fail(mp, TR_EINVAL,
					    "malformed Content-Disposition");
					goto out;
				}
				key = tr_xstrndup(p, (size_t)(v - p));
				p = v + 1;
				if ((val = param_value(&p, eol)) == NULL) {
					free(key);
					er = fail(mp, TR_EINVAL,
					    "malformed Content-Disposition");
					goto out;
				}
				if (strcasecmp(key, "name") == 0 && name == NULL)
					name = val;
				else if (strcasecmp(key, "filename") == 0 &&
				    filename == NULL)
					filename = val;
				else
					free(val);
				free(key);
			}
		} else if (klen == 12 &&
		    strncasecmp(line, "Content-Type", 12) == 0) {
			free(ctype);
			ctype = tr_xstrndup(v, (size_t)(eol - v));
		}
		if (eol == end)
			break;
	}
	if (!disp || name == NULL) {
		er = fail(mp, TR_EINVAL, "part without a form-data name");
		goto out;
	}
	if (++mp->nparts > mp->maxparts) {
		er = fail(mp, TR_ETOOBIG, "too many parts");
		goto out;
	}
	er = mp->cb->begin(mp->arg, name, filename, ctype != NULL ? ctype : "");
	if (er != TR_OK && mp->err[0] == '\0')
		snprintf(mp->err, sizeof(mp->err), "part rejected");
out:
	free(name);
	free(filename);
	free(ctype);
	return er;
}

/* Processes the window until it needs more input. */
static enum tr_err
run(struct tr_multipart *mp)
{
	const char	*d, *h;
	size_t		 n;
	enum tr_err	 er;

	for (;;) {
		switch (mp->state) {
		case TR_MP_PREAMBLE:
		case TR_MP_BODY:
			d = memmem(mp->win, mp->winsz, mp->delim, mp->delimsz);
			n = d != NULL ? (size_t)(d - mp->win) :
			    (mp->winsz >= mp->delimsz ?
			    mp->winsz - (mp->delimsz - 1) : 0);
			if (n > 0 && mp->state == TR_MP_BODY &&
			    (er = mp->cb->data(mp->arg, mp->win, n)) != TR_OK) {
				if (mp->err[0] == '\0')
					snprintf(mp->err, sizeof(mp->err),
					    "part rejected");
				return er;
			}
			if (d == NULL) {
				consume(mp, n);
				return TR_OK;
			}
			consume(mp, n + mp->delimsz);
			if (mp->state == TR_MP_BODY &&
			    (er = mp->cb->end(mp->arg)) != TR_OK) {
				if (mp->err[0] == '\0')
					snprintf(mp->err, sizeof(mp->err),
					    "part rejected");
				return er;
			}
			mp->state = TR_MP_AFTERDELIM;
			break;
		case TR_MP_AFTERDELIM:
			if (mp->winsz < 2)
				return TR_OK;
			if (memcmp(mp->win, "--", 2) == 0) {
				mp->state = TR_MP_DONE;
				break;
			}
			if (memcmp(mp->win, "\r\n", 2) != 0)
				return fail(mp, TR_EINVAL,
				    "malformed boundary line");
			consume(mp, 2);
			mp->state = TR_MP_HEADERS;
			break;
		case TR_MP_HEADERS:
			if (mp->winsz >= 2 && memcmp(mp->win, "\r\n", 2) == 0)
				return fail(mp, TR_EINVAL,
				    "part without headers");
			h = memmem(mp->win, mp->winsz, "\r\n\r\n", 4);
			if (h == NULL) {
				if (mp->winsz > mp->hdrmax + 4)
					return fail(mp, TR_ETOOBIG,
					    "part header too large");
				return TR_OK;
			}
			n = (size_t)(h - mp->win);
			if (n > mp->hdrmax)
				return fail(mp, TR_ETOOBIG,
				    "part header too large");
			if ((er = part_headers(mp, mp->win, n)) != TR_OK)
				return er;
			consume(mp, n + 4);
			/* The part's data starts right after the blank line,
			 * and its end is a delimiter with its own CRLF. */
			mp->state = TR_MP_BODY;
			break;
		case TR_MP_DONE:
			mp->winsz = 0;	/* the epilogue is ignored */
			return TR_OK;
		default:
			return fail(mp, TR_ESYSTEM, "bad parser state");
		}
	}
}

/*
 * Feeds bytes.  Returns TR_OK, or the first error (the reason in
 * mp->err); after an error the parser must only be freed.
 */
enum tr_err
tr_multipart_feed(struct tr_multipart *mp, const char *p, size_t len)
{
	size_t		 n;
	enum tr_err	 er;

	if (mp->win == NULL)
		return TR_ESYSTEM;
	while (len > 0) {
		n = TR_MP_WINDOW - mp->winsz;
		if (n > len)
			n = len;
		memcpy(mp->win + mp->winsz, p, n);
		mp->winsz += n;
		p += n;
		len -= n;
		if ((er = run(mp)) != TR_OK)
			return er;
	}
	return TR_OK;
}

/* Ends the input.  Returns TR_EINVAL unless the closing delimiter came. */
enum tr_err
tr_multipart_finish(struct tr_multipart *mp)
{
	if (mp->state != TR_MP_DONE)
		return fail(mp, TR_EINVAL, mp->state == TR_MP_PREAMBLE ?
		    "no multipart boundary in the body" :
		    "truncated multipart body");
	return TR_OK;
}
