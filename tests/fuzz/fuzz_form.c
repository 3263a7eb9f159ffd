/*
 * libFuzzer target for tr_form_parse() (lib/cgi/form.c).  The callback owns
 * and frees each key and value and checks they are terminated.  What is
 * accepted must survive a round trip: the pairs percent-encoded again
 * and parsed give the same pairs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define MAXPAIRS	100

struct	st {
	struct tr_buf	 pairs;		/* length-prefixed keys and values */
	struct tr_buf	 enc;		/* the pairs encoded again */
	size_t		 n;
	size_t		 bytes;		/* decoded bytes */
};

static void
encode(struct tr_buf *b, const char *s, size_t sz)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			 e[3];
	unsigned char		 c;
	size_t			 i;

	for (i = 0; i < sz; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~') {
			if (tr_buf_add(b, &s[i], 1) != TR_OK)
				abort();
		} else if (c == ' ') {
			if (tr_buf_add(b, "+", 1) != TR_OK)
				abort();
		} else {
			e[0] = '%';
			e[1] = hex[c >> 4];
			e[2] = hex[c & 0xf];
			if (tr_buf_add(b, e, 3) != TR_OK)
				abort();
		}
	}
}

static enum tr_err
cb(void *arg, char *key, size_t keysz, char *val, size_t valsz)
{
	struct st	*s = arg;

	if (key == NULL || val == NULL || key[keysz] != '\0' ||
	    val[valsz] != '\0' || ++s->n > MAXPAIRS)
		abort();
	s->bytes += keysz + valsz;
	if (tr_buf_addf(&s->pairs, "%zu:", keysz) != TR_OK ||
	    tr_buf_add(&s->pairs, key, keysz) != TR_OK ||
	    tr_buf_addf(&s->pairs, "%zu:", valsz) != TR_OK ||
	    tr_buf_add(&s->pairs, val, valsz) != TR_OK)
		abort();
	encode(&s->enc, key, keysz);
	if (tr_buf_add(&s->enc, "=", 1) != TR_OK)
		abort();
	encode(&s->enc, val, valsz);
	if (tr_buf_add(&s->enc, "&", 1) != TR_OK)
		abort();
	free(key);
	free(val);
	return TR_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct st	 first, again;
	char		*copy;
	enum tr_err	 er;

	memset(&first, 0, sizeof(first));
	memset(&again, 0, sizeof(again));
	tr_buf_init(&first.pairs, 1 << 24);
	tr_buf_init(&first.enc, 1 << 24);
	tr_buf_init(&again.pairs, 1 << 24);
	tr_buf_init(&again.enc, 1 << 24);

	/* An exact copy, so that an overread is caught. */
	if ((copy = malloc(size + 1)) == NULL)
		abort();
	memcpy(copy, data, size);
	er = tr_form_parse(copy, size, MAXPAIRS, cb, &first);
	free(copy);
	if (er != TR_OK && er != TR_EINVAL && er != TR_ETOOBIG)
		abort();
	if (er == TR_OK) {
		/* Decoding never grows the text. */
		if (first.bytes > size)
			abort();
		if (tr_form_parse(tr_buf_str(&first.enc), first.enc.len,
		    MAXPAIRS, cb, &again) != TR_OK ||
		    again.n != first.n || again.pairs.len != first.pairs.len ||
		    (first.pairs.len > 0 && memcmp(first.pairs.ptr,
		    again.pairs.ptr, first.pairs.len) != 0))
			abort();
	}
	tr_buf_free(&first.pairs);
	tr_buf_free(&first.enc);
	tr_buf_free(&again.pairs);
	tr_buf_free(&again.enc);
	return 0;
}
