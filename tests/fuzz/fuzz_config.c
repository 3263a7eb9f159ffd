/*
 * libFuzzer target for tr_conf_parse() (lib/core/config.c).  Every pair it
 * reports must have a well-formed key and a one-line value, and what is
 * accepted must survive a round trip: written back as KEY="value"
 * lines and parsed again, the same pairs come out.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tr.h"

struct	st {
	struct tr_buf	 pairs;		/* "key=value\n" as reported */
	struct tr_buf	 text;		/* the pairs written back */
};

static void
cb(void *arg, const char *key, const char *val)
{
	struct st	*s = arg;
	const char	*p;

	if (key == NULL || val == NULL || *key == '\0')
		abort();
	for (p = key; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '_'))
			abort();
	if (strchr(val, '\n') != NULL)
		abort();
	if (tr_buf_addf(&s->pairs, "%s=%s\n", key, val) != TR_OK ||
	    tr_buf_addf(&s->text, "%s=\"%s\"\n", key, val) != TR_OK)
		abort();
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
	tr_buf_init(&first.text, 1 << 24);
	tr_buf_init(&again.pairs, 1 << 24);
	tr_buf_init(&again.text, 1 << 24);

	/* An exact copy, so that an overread is caught. */
	if ((copy = malloc(size + 1)) == NULL)
		abort();
	memcpy(copy, data, size);
	er = tr_conf_parse(copy, size, cb, &first);
	free(copy);
	if (er != TR_OK && er != TR_EINVAL)
		abort();
	if (er == TR_OK) {
		if (memchr(data, '\0', size) != NULL)
			abort();
		if (tr_conf_parse(tr_buf_str(&first.text), first.text.len,
		    cb, &again) != TR_OK ||
		    again.pairs.len != first.pairs.len ||
		    (first.pairs.len > 0 && memcmp(first.pairs.ptr,
		    again.pairs.ptr, first.pairs.len) != 0))
			abort();
	}
	tr_buf_free(&first.pairs);
	tr_buf_free(&first.text);
	tr_buf_free(&again.pairs);
	tr_buf_free(&again.text);
	return 0;
}
