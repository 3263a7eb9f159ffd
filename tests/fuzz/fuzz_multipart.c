/*
 * libFuzzer target for the streaming multipart parser (lib/cgi/multipart.c).
 * The first byte chooses how the rest is cut into chunks; the body is
 * parsed with boundary "XyZ" once whole and once in those chunks, and
 * both runs must report the same parts, data and result.  The callbacks
 * check the invariants: data only between begin and end, never the
 * delimiter inside a part, never more parts than allowed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define MAXPARTS	50
#define HDRMAX		1024
#define DELIM		"\r\n--XyZ"

struct	st {
	struct tr_buf	 log;		/* what the callbacks saw */
	char		 tail[sizeof(DELIM) - 2]; /* last data bytes */
	size_t		 tailsz;
	size_t		 nparts;
	int		 open;
};

static enum tr_err
fbegin(void *arg, const char *name, const char *filename, const char *ctype)
{
	struct st	*s = arg;

	if (s->open || name == NULL || ctype == NULL ||
	    ++s->nparts > MAXPARTS)
		abort();
	s->open = 1;
	s->tailsz = 0;
	if (tr_buf_addf(&s->log, "B%zu:%s|%zu:%s|%zu:%s\n", strlen(name),
	    name, filename != NULL ? strlen(filename) : 0,
	    filename != NULL ? filename : "", strlen(ctype), ctype) != TR_OK)
		abort();
	return TR_OK;
}

static enum tr_err
fdata(void *arg, const char *p, size_t n)
{
	struct st	*s = arg;
	char		 join[2 * sizeof(DELIM)];
	size_t		 k;

	if (!s->open || p == NULL || n == 0)
		abort();
	/* The delimiter never shows in a part, even across calls. */
	if (memmem(p, n, DELIM, sizeof(DELIM) - 1) != NULL)
		abort();
	k = n < sizeof(DELIM) - 2 ? n : sizeof(DELIM) - 2;
	memcpy(join, s->tail, s->tailsz);
	memcpy(join + s->tailsz, p, k);
	if (memmem(join, s->tailsz + k, DELIM, sizeof(DELIM) - 1) != NULL)
		abort();
	if (n >= sizeof(s->tail)) {
		memcpy(s->tail, p + n - sizeof(s->tail), sizeof(s->tail));
		s->tailsz = sizeof(s->tail);
	} else {
		memcpy(join, s->tail, s->tailsz);
		memcpy(join + s->tailsz, p, n);
		k = s->tailsz + n;
		s->tailsz = k < sizeof(s->tail) ? k : sizeof(s->tail);
		memcpy(s->tail, join + k - s->tailsz, s->tailsz);
	}
	if (tr_buf_add(&s->log, p, n) != TR_OK)
		abort();
	return TR_OK;
}

static enum tr_err
fend(void *arg)
{
	struct st	*s = arg;

	if (!s->open)
		abort();
	s->open = 0;
	if (tr_buf_add(&s->log, TR_LIT("\nE\n")) != TR_OK)
		abort();
	return TR_OK;
}

static const struct tr_mp_cb	 cbs = { fbegin, fdata, fend };

/* Next chunk length for a cutting mode. */
static size_t
chunk(uint8_t mode, uint32_t *seed, size_t left)
{
	size_t	 n;

	switch (mode & 3) {
	case 0:
		n = left;
		break;
	case 1:
		n = 1;
		break;
	case 2:
		n = (size_t)(mode >> 2) + 1;
		break;
	default:
		*seed ^= *seed << 13;
		*seed ^= *seed >> 17;
		*seed ^= *seed << 5;
		n = 1 + *seed % 80;
		break;
	}
	return n < left ? n : left;
}

static enum tr_err
parse(struct st *s, const uint8_t *data, size_t size, uint8_t mode)
{
	struct tr_multipart	 mp;
	uint32_t		 seed = 0x9e3779b9u ^ mode;
	size_t			 n;
	char			*copy;
	enum tr_err		 er = TR_OK;

	memset(s, 0, sizeof(*s));
	tr_buf_init(&s->log, 1 << 24);
	if (tr_multipart_init(&mp, "XyZ", MAXPARTS, HDRMAX, &cbs, s) != TR_OK)
		abort();
	while (size > 0 && er == TR_OK) {
		n = chunk(mode, &seed, size);
		/* An exact copy, so that an overread is caught. */
		copy = malloc(n);
		if (copy == NULL)
			abort();
		memcpy(copy, data, n);
		er = tr_multipart_feed(&mp, copy, n);
		free(copy);
		data += n;
		size -= n;
	}
	if (er == TR_OK)
		er = tr_multipart_finish(&mp);
	if (er == TR_OK && (mp.state != TR_MP_DONE || s->open))
		abort();
	if (er != TR_OK && mp.err[0] == '\0')
		abort();
	if (mp.nparts > MAXPARTS + 1)
		abort();
	tr_multipart_free(&mp);
	return er;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct st	 whole, cut;
	enum tr_err	 er1, er2;
	uint8_t		 mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	er1 = parse(&whole, data, size, 0);
	er2 = parse(&cut, data, size, mode);
	if (er1 != er2 || whole.log.len != cut.log.len ||
	    (whole.log.len > 0 &&
	    memcmp(whole.log.ptr, cut.log.ptr, whole.log.len) != 0))
		abort();
	tr_buf_free(&whole.log);
	tr_buf_free(&cut.log);
	return 0;
}
