/*
 * libFuzzer target for the downloader's proxy (lib/net/proxy.c): the
 * first line of a request head, which yt-dlp sends for whatever URL a
 * page led it to.  An accepted line names a host and a numeric port
 * that fit their buffers, and a path and a version inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tr_proxy_req	 q;
	const char		*in;
	char			*copy;
	size_t			 n;

	/* An exact copy, so that an overread is caught. */
	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		abort();
	memcpy(copy, data, size);
	in = copy;
	if (tr__proxy_parse(in, size, &q) == TR_OK) {
		n = strlen(q.host);
		if (n == 0 || n >= sizeof(q.host) || q.port[0] == '\0' ||
		    strspn(q.port, "0123456789") != strlen(q.port))
			abort();
		if (q.version < in || q.version + q.versionlen > in + size ||
		    q.rest < in || q.rest > in + size)
			abort();
		if (q.connect != (q.path == NULL))
			abort();
		if (q.path != NULL && (q.path < in ||
		    q.path + q.pathlen > in + size || q.path[0] != '/'))
			abort();
	}
	free(copy);
	return 0;
}
