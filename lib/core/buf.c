/*
 * A growable byte buffer with a hard maximum, always NUL-terminated
 * (curl's dynbuf).  A failed append frees the buffer, so a caller only
 * has to return the error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tr.h"

void
tr_buf_init(struct tr_buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

/*
 * Appends len bytes.  Returns TR_ETOOBIG if the result would exceed the
 * maximum and TR_ENOMEM if memory is short; either way the buffer is
 * freed (and may be reused after tr_buf_init()).
 */
enum tr_err
tr_buf_add(struct tr_buf *b, const void *p, size_t len)
{
	size_t	 need, ncap;
	char	*np;

	if (len > b->max || b->len > b->max - len) {
		tr_buf_free(b);
		return TR_ETOOBIG;
	}
	need = b->len + len + 1;
	if (need > b->cap) {
		ncap = b->cap ? b->cap : 64;
		while (ncap < need)
			ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
		if (b->max < SIZE_MAX && ncap > b->max + 1)
			ncap = b->max + 1;
		if ((np = realloc(b->ptr, ncap)) == NULL) {
			tr_buf_free(b);
			return TR_ENOMEM;
		}
		b->ptr = np;
		b->cap = ncap;
	}
	if (len > 0)
		memcpy(b->ptr + b->len, p, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return TR_OK;
}

enum tr_err
tr_buf_adds(struct tr_buf *b, const char *s)
{
	return tr_buf_add(b, s, strlen(s));
}

enum tr_err
tr_buf_addf(struct tr_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 small[256], *big;
	int	 n;
	enum tr_err er;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		tr_buf_free(b);
		return TR_ESYSTEM;
	}
	if ((size_t)n < sizeof(small))
		return tr_buf_add(b, small, (size_t)n);
	if ((size_t)n > b->max) {
		tr_buf_free(b);
		return TR_ETOOBIG;
	}
	if ((big = malloc((size_t)n + 1)) == NULL) {
		tr_buf_free(b);
		return TR_ENOMEM;
	}
	va_start(ap, fmt);
	(void)vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	er = tr_buf_add(b, big, (size_t)n);
	free(big);
	return er;
}

/* The contents as a string: never NULL, "" for an empty buffer. */
const char *
tr_buf_str(const struct tr_buf *b)
{
	return b->ptr != NULL ? b->ptr : "";
}

/* Empties the buffer but keeps its memory. */
void
tr_buf_reset(struct tr_buf *b)
{
	b->len = 0;
	if (b->ptr != NULL)
		b->ptr[0] = '\0';
}

/*
 * Hands the bytes to the caller, who frees them; the buffer is left
 * empty.  Returns a malloced empty string for an empty buffer.
 */
char *
tr_buf_take(struct tr_buf *b, size_t *lenp)
{
	char	*p = b->ptr;

	if (lenp != NULL)
		*lenp = b->len;
	if (p == NULL)
		p = tr_xstrdup("");
	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}

/* Frees the bytes; the buffer stays initialised and empty. */
void
tr_buf_free(struct tr_buf *b)
{
	TR_FREE(b->ptr);
	b->len = b->cap = 0;
}
