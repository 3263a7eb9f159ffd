/*
 * libFuzzer target for eio_payload_split() (ws-bridge/siopkt.c), the
 * Engine.IO polling payload a client POSTs, and for the Socket.IO
 * decoder behind it: every message packet ("4...") of the payload goes
 * through sio_decode() as ws-bridge does.  What is handed on must be
 * well formed: a text packet is never empty and never holds a
 * separator, a binary one is within the limit and comes back the same
 * through base64; an accepted payload has one packet more than it has
 * separators.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bridge.h"

#define MAXBIN	65536

struct	seen {
	size_t	 npkts;
};

static int
pkt(void *arg, const unsigned char *p, size_t len, int binary)
{
	struct seen	*s = arg;
	struct sio_pkt	 sp;
	struct tr_buf	 b;
	unsigned char	*enc;
	int		 n;

	s->npkts++;
	if (binary) {
		if (len > MAXBIN)
			abort();
		enc = malloc(4 * (len / 3 + 1) + 1);
		if (enc == NULL)
			abort();
		n = EVP_EncodeBlock(enc, p, (int)len);
		tr_buf_init(&b, MAXBIN);
		if (tr_b64_decode(&b, (const char *)enc, (size_t)n, 0) !=
		    TR_OK || b.len != len || (len > 0 &&
		    memcmp(b.ptr, p, len) != 0))
			abort();
		tr_buf_free(&b);
		free(enc);
		return 0;
	}
	if (len == 0 || memchr(p, '\x1e', len) != NULL)
		abort();
	if (p[0] == '4' && sio_decode((const char *)p + 1, len - 1, &sp) ==
	    0)
		sio_pkt_free(&sp);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen	 s;
	size_t		 i, nsep = 0;

	memset(&s, 0, sizeof(s));
	if (eio_payload_split((const char *)data, size, MAXBIN, pkt, &s) ==
	    -1)
		return 0;
	for (i = 0; i < size; i++)
		nsep += data[i] == 0x1e;
	if (s.npkts != nsep + 1)
		abort();
	return 0;
}
