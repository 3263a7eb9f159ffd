/*
 * libFuzzer target for what lib/net/ reads of untrusted bytes: the URL
 * check (tr_url_check) and the media URL of an HTML page
 * (tr_html_media_url), then that URL joined to a page's and checked.
 * An accepted URL must be short, printable ASCII with an http(s) scheme;
 * an extracted one must fit its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*copy, why[192], out[TR_URL_MAX + 1], abs[TR_URL_MAX + 1];
	size_t	 i, n;
	enum tr_err er;

	/* An exact copy, so that an overread is caught. */
	if ((copy = malloc(size + 1)) == NULL)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	er = tr_url_check(copy, why, sizeof(why));
	if (er == TR_OK) {
		n = strlen(copy);
		if (n > TR_URL_MAX || (strncasecmp(copy, "http://", 7) != 0 &&
		    strncasecmp(copy, "https://", 8) != 0))
			abort();
		for (i = 0; i < n; i++)
			if ((unsigned char)copy[i] <= ' ' ||
			    (unsigned char)copy[i] >= 0x7f)
				abort();
	} else if (er != TR_EFIELD || why[0] == '\0')
		abort();
	free(copy);

	if ((copy = malloc(size)) == NULL && size > 0)
		abort();
	if (size > 0)
		memcpy(copy, data, size);
	er = tr_html_media_url(copy, size, out, sizeof(out));
	free(copy);
	if (er == TR_OK) {
		if (strlen(out) >= sizeof(out) || out[0] == '\0')
			abort();
		if (tr_url_join("http://example.com/dir/page.html", out, abs,
		    sizeof(abs)) == TR_OK &&
		    tr_url_check(abs, why, sizeof(why)) != TR_OK &&
		    why[0] == '\0')
			abort();
	} else if (er != TR_ENOTFOUND && er != TR_ETOOBIG)
		abort();
	return 0;
}
