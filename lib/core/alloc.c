/*
 * Aborting allocators for fixed sizes: running out of memory for a few
 * bytes is not an error a caller could handle.  This is the ground
 * floor of lib/: it reports on stderr itself rather than through the
 * log, which is built on buffers built on these.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tr.h"

/* Says why on stderr and aborts; nothing else can be done. */
static void
oom(const char *what, size_t n)
{
	char	 msg[96];
	int	 len;

	len = snprintf(msg, sizeof(msg), "%s(%zu): out of memory\n", what, n);
	if (len > 0 && write(STDERR_FILENO, msg, (size_t)len) < 0) {
		/* nowhere left to report it */
	}
	abort();
}

void *
tr_xmalloc(size_t sz)
{
	void	*p;

	if ((p = malloc(sz == 0 ? 1 : sz)) == NULL)
		oom("malloc", sz);
	return p;
}

void *
tr_xcalloc(size_t n, size_t sz)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, sz == 0 ? 1 : sz)) == NULL)
		oom("calloc", n * sz);
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

	if (n == SIZE_MAX)
		oom("strndup", n);
	p = tr_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
