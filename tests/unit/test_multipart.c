/*
 * Unit tests of the streaming multipart/form-data parser
 * (lib/cgi/multipart.c): the boundary parameter, a valid body fed in every
 * possible chunking, and malformed or oversized bodies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "t.h"

#define LOGMAX	(64 * 1024 * 1024)

/*
 * What the callbacks saw, as text: "begin name|filename|ctype", then
 * "data <n>:<bytes>" and "end" when the part ends.  A callback can be
 * told to fail at a given part.
 */
struct	rec {
	struct tr_buf	 log;
	struct tr_buf	 cur;		/* data of the open part */
	int		 open;		/* between begin and end */
	size_t		 nbegin;
	size_t		 failpart;	/* 1-based part to fail in, or 0 */
	int		 failwhere;	/* 'b'egin, 'd'ata or 'e'nd */
};

static enum tr_err
cb_begin(void *arg, const char *name, const char *filename,
    const char *ctype)
{
	struct rec	*r = arg;

	T(!r->open);
	T(name != NULL && ctype != NULL);
	r->open = 1;
	r->nbegin++;
	T(tr_buf_addf(&r->log, "begin %s|%s|%s\n", name,
	    filename != NULL ? filename : "(null)", ctype) == TR_OK);
	if (r->failpart == r->nbegin && r->failwhere == 'b')
		return TR_EFIELD;
	return TR_OK;
}

static enum tr_err
cb_data(void *arg, const char *p, size_t n)
{
	struct rec	*r = arg;

	T(r->open);
	T(n > 0);
	T(tr_buf_add(&r->cur, p, n) == TR_OK);
	if (r->failpart == r->nbegin && r->failwhere == 'd')
		return TR_ETOOBIG;
	return TR_OK;
}

static enum tr_err
cb_end(void *arg)
{
	struct rec	*r = arg;

	T(r->open);
	r->open = 0;
	T(tr_buf_addf(&r->log, "data %zu:", r->cur.len) == TR_OK);
	T(tr_buf_add(&r->log, tr_buf_str(&r->cur), r->cur.len) == TR_OK);
	T(tr_buf_add(&r->log, TR_LIT("\nend\n")) == TR_OK);
	tr_buf_reset(&r->cur);
	if (r->failpart == r->nbegin && r->failwhere == 'e')
		return TR_ESYSTEM;
	return TR_OK;
}

static const struct tr_mp_cb	 cbs = { cb_begin, cb_data, cb_end };

static void
rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	tr_buf_init(&r->log, LOGMAX);
	tr_buf_init(&r->cur, LOGMAX);
}

static void
rec_free(struct rec *r)
{
	tr_buf_free(&r->log);
	tr_buf_free(&r->cur);
}

/* A small PRNG for reproducible random chunkings. */
static uint32_t
xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/*
 * How to cut the body: the first chunk is `first' bytes, the rest come
 * in chunks of `step' bytes (0: all at once; SIZE_MAX: random sizes
 * from 1 to 64 seeded by `first', which then is not a length).
 */
struct	cut {
	size_t	 first;
	size_t	 step;
};

/*
 * Parses body into r with the given limits.  Returns the first error of
 * feed or finish; each chunk is an exact-size copy so that an overread
 * shows under valgrind or ASan.
 */
static enum tr_err
parse(struct rec *r, const char *body, size_t len, struct cut c,
    size_t maxparts, size_t hdrmax)
{
	struct tr_multipart	 mp;
	char			*chunk;
	size_t			 off = 0, n;
	uint32_t		 seed = (uint32_t)c.first * 2654435761u + 1;
	enum tr_err		 er;
	int			 nth = 0;

	rec_init(r);
	T(tr_multipart_init(&mp, "XyZ", maxparts, hdrmax, &cbs, r) == TR_OK);
	er = TR_OK;
	while (off < len && er == TR_OK) {
		if (c.step == SIZE_MAX)
			n = 1 + xorshift(&seed) % 64;
		else if (nth == 0 && c.first > 0)
			n = c.first;
		else
			n = c.step == 0 ? len - off : c.step;
		if (n > len - off)
			n = len - off;
		nth++;
		chunk = tr_xmalloc(n);
		memcpy(chunk, body + off, n);
		er = tr_multipart_feed(&mp, chunk, n);
		free(chunk);
		off += n;
	}
	/* An empty feed changes nothing. */
	if (er == TR_OK)
		er = tr_multipart_feed(&mp, body, 0);
	if (er == TR_OK)
		er = tr_multipart_finish(&mp);
	if (er != TR_OK)
		T(mp.err[0] != '\0');
	else
		T(!r->open);
	tr_multipart_free(&mp);
	tr_multipart_free(&mp);		/* twice is harmless */
	return er;
}

/* The valid body and what the callbacks must see of it. */
static const char	 body[] =
    "This is the preamble.  It is to be ignored.\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"model\"\r\n"
    "\r\n"
    "whisper-1\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"a b.wav\"\r\n"
    "Content-Type: audio/wav\r\n"
    "\r\n"
    "RIFF\0\0\0\0WAVE\r\n--Xy\r\n-\r\n--\r\r\n--XY\n--XyZ\r--XyZ "
    "x--XyZ--\r\n\r\n--Xy\r\n--XyZ"	/* ends on a real delimiter */
    "\r\n"
    "Content-Disposition: form-data; name=\"empty\"\r\n"
    "\r\n"
    "\r\n"
    "--XyZ\r\n"
    "content-disposition: FORM-DATA; name=unquoted; filename=\"\"\r\n"
    "content-type: text/plain; charset=utf-8\r\n"
    "X-Other: ignored\r\n"
    "\r\n"
    "line1\r\nline2\r\n\r\n"
    "--XyZ\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Disposition: form-data;name=\"q\\\"uote\";"
    "\tfilename=\"c:\\\\x.bin\"\r\n"
    "\r\n"
    "\r\n\r\n--\r\n-- XyZ\r\n"
    "\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"\"; other=\"x;y\"\r\n"
    "\r\n"
    "caf\xc3\xa9\xff\r\n"
    "--XyZ--\r\n"
    "This is the epilogue.  It is also to be ignored.\r\n"
    "--XyZ\r\n";

static const char	 want[] =
    "begin model|(null)|\n"
    "data 9:whisper-1\nend\n"
    "begin file|a b.wav|audio/wav\n"
    "data 61:RIFF\0\0\0\0WAVE\r\n--Xy\r\n-\r\n--\r\r\n--XY\n--XyZ\r--XyZ "
    "x--XyZ--\r\n\r\n--Xy\nend\n"
    "begin empty|(null)|\n"
    "data 0:\nend\n"
    "begin unquoted||text/plain; charset=utf-8\n"
    "data 14:line1\r\nline2\r\n\nend\n"
    "begin q\"uote|c:\\x.bin|application/octet-stream\n"
    "data 16:\r\n\r\n--\r\n-- XyZ\r\n\nend\n"
    "begin |(null)|\n"
    "data 6:caf\xc3\xa9\xff\nend\n";

static void
check_valid(struct cut c)
{
	struct rec	 r;
	enum tr_err	 er;

	er = parse(&r, body, sizeof(body) - 1, c, 50, 1024);
	if (er != TR_OK || r.log.len != sizeof(want) - 1 ||
	    memcmp(r.log.ptr, want, r.log.len) != 0) {
		struct tr_buf	 e;

		tr_buf_init(&e, LOGMAX);
		T(tr_log_escape(&e, r.log.ptr, r.log.len) == TR_OK);
		T(tr_buf_adds(&e, "\nwant\n") == TR_OK);
		T(tr_log_escape(&e, want, sizeof(want) - 1) == TR_OK);
		fprintf(stderr, "cut %zu/%zu: error %d, saw\n%s\n",
		    c.first, c.step, er, tr_buf_str(&e));
		tr_buf_free(&e);
		T(0);
	}
	T(r.nbegin == 6);
	rec_free(&r);
}

static void
test_valid(void)
{
	struct cut	 c;
	size_t		 i;

	/* Whole, byte by byte, and in two chunks at every split. */
	c.first = 0;
	c.step = 0;
	check_valid(c);
	c.step = 1;
	check_valid(c);
	c.step = 0;
	for (i = 1; i < sizeof(body) - 1; i++) {
		c.first = i;
		check_valid(c);
	}
	/* Small fixed sizes and random ones. */
	for (i = 2; i <= 16; i++) {
		c.first = 0;
		c.step = i;
		check_valid(c);
	}
	c.step = SIZE_MAX;
	for (i = 0; i < 200; i++) {
		c.first = i;
		check_valid(c);
	}
}

/*
 * A file part much larger than the scan window, whose data is full of
 * delimiter prefixes, in chunks that straddle the window size.
 */
static void
test_large(void)
{
	static const char	 head[] = "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"f\"; filename=\"big\"\r\n"
	    "\r\n";
	static const char	 tail[] = "\r\n--XyZ--\r\n";
	static const char	*const frags[] = {
		/* No two of them make a delimiter. */
		"\r", "\r\n", "\r\n-", "\r\n--", "\r\n--X", "\r\n--Xy",
		"x\n--XyZ", "-", "x--XyZ", "abc", "\0", "\xff",
	};
	static const size_t	 steps[] = { 0, 1000, 4096, 65535, 65536,
				    65537, 100000 };
	struct tr_buf		 b, w;
	struct rec		 r;
	struct cut		 c;
	uint32_t		 seed = 42;
	size_t			 i, datasz, f;

	tr_buf_init(&b, LOGMAX);
	T(tr_buf_add(&b, head, sizeof(head) - 1) == TR_OK);
	while (b.len < 300 * 1024) {
		f = xorshift(&seed) % T_NELEM(frags);
		T(tr_buf_add(&b, frags[f], strlen(frags[f]) +
		    (frags[f][0] == '\0')) == TR_OK);
	}
	datasz = b.len - (sizeof(head) - 1);
	T(tr_buf_add(&b, tail, sizeof(tail) - 1) == TR_OK);

	tr_buf_init(&w, LOGMAX);
	T(tr_buf_addf(&w, "begin f|big|\ndata %zu:", datasz) == TR_OK);
	T(tr_buf_add(&w, b.ptr + sizeof(head) - 1, datasz) == TR_OK);
	T(tr_buf_adds(&w, "\nend\n") == TR_OK);

	for (i = 0; i < T_NELEM(steps); i++) {
		c.first = 0;
		c.step = steps[i];
		T(parse(&r, b.ptr, b.len, c, 1, 1024) == TR_OK);
		T_MEMEQ(r.log.ptr, r.log.len, w.ptr, w.len);
		rec_free(&r);
	}
	/* Split at the window size and around it. */
	for (i = TR_MP_WINDOW - 8; i <= TR_MP_WINDOW + 8; i++) {
		c.first = i;
		c.step = 0;
		T(parse(&r, b.ptr, b.len, c, 1, 1024) == TR_OK);
		T_MEMEQ(r.log.ptr, r.log.len, w.ptr, w.len);
		rec_free(&r);
	}
	tr_buf_free(&w);
	tr_buf_free(&b);
}

/* Malformed bodies and the error each must give, however cut. */
static const struct {
	const char	*name;
	const char	*in;
	size_t		 insz;
	size_t		 maxparts;
	enum tr_err	 er;
} invalids[] = {
	{ "empty body", TR_LIT(""), 10, TR_EINVAL },
	{ "no boundary at all", TR_LIT("hello, world\r\n"), 10, TR_EINVAL },
	{ "boundary without dashes", TR_LIT("XyZ\r\n"), 10, TR_EINVAL },
	{ "other boundary", TR_LIT("--AbC\r\n\r\n--AbC--\r\n"), 10,
	  TR_EINVAL },
	{ "no closing boundary", TR_LIT("--XyZ\r\n"
	  "Content-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n"),
	  10, TR_EINVAL },
	{ "delimiter without close", TR_LIT("--XyZ\r\n"
	  "Content-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n"
	  "--XyZ"), 10, TR_EINVAL },
	{ "close with one dash", TR_LIT("--XyZ\r\n"
	  "Content-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n"
	  "--XyZ-"), 10, TR_EINVAL },
	{ "truncated headers", TR_LIT("--XyZ\r\n"
	  "Content-Disposition: form-data; name=\"a\"\r\n"), 10, TR_EINVAL },
	{ "only the first delimiter", TR_LIT("--XyZ"), 10, TR_EINVAL },
	{ "no Content-Disposition", TR_LIT("--XyZ\r\n"
	  "Content-Type: text/plain\r\n\r\nx\r\n--XyZ--\r\n"), 10,
	  TR_EINVAL },
	{ "not form-data", TR_LIT("--XyZ\r\n"
	  "Content-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n"
	  "--XyZ--\r\n"), 10, TR_EINVAL },
	{ "no name", TR_LIT("--XyZ\r\n"
	  "Content-Disposition: form-data; filename=\"a\"\r\n\r\nx\r\n"
	  "--XyZ--\r\n"), 10, TR_EINVAL },
	{ "parameter without value", TR_LIT("--XyZ\r\n"
	  "Content-Disposition: form-data; name\r\n\r\nx\r\n--XyZ--\r\n"),
	  10, TR_EINVAL },
	{ "unterminated quote", TR_LIT("--XyZ\r\n"
	  "Content-Disposition: form-data; name=\"a\r\n\r\nx\r\n"
	  "--XyZ--\r\n"), 10, TR_EINVAL },
	{ "duplicate Content-Disposition", TR_LIT("--XyZ\r\n"
	  "Content-Disposition: form-data; name=\"a\"\r\n"
	  "Content-Disposition: form-data; name=\"b\"\r\n\r\nx\r\n"
	  "--XyZ--\r\n"), 10, TR_EINVAL },
	{ "header without colon", TR_LIT("--XyZ\r\n"
	  "Content-Disposition: form-data; name=\"a\"\r\nBogus\r\n\r\nx\r\n"
	  "--XyZ--\r\n"), 10, TR_EINVAL },
	{ "header with empty name", TR_LIT("--XyZ\r\n"
	  ": x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n"
	  "--XyZ--\r\n"), 10, TR_EINVAL },
	{ "folded header", TR_LIT("--XyZ\r\n"
	  "Content-Disposition: form-data;\r\n name=\"a\"\r\n\r\nx\r\n"
	  "--XyZ--\r\n"), 10, TR_EINVAL },
	{ "NUL in a header", TR_LIT("--XyZ\r\n"
	  "Content-Disposition: form-data; name=\"a\0b\"\r\n\r\nx\r\n"
	  "--XyZ--\r\n"), 10, TR_EINVAL },
	{ "NUL in an ignored header", TR_LIT("--XyZ\r\n"
	  "Content-Disposition: form-data; name=\"a\"\r\nX-A: \0\r\n\r\nx\r\n"
	  "--XyZ--\r\n"), 10, TR_EINVAL },
	{ "part without headers", TR_LIT("--XyZ\r\n\r\nx\r\n--XyZ--\r\n"),
	  10, TR_EINVAL },
	{ "garbage after boundary", TR_LIT("--XyZ garbage\r\n"
	  "Content-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n"
	  "--XyZ--\r\n"), 10, TR_EINVAL },
	{ "longer boundary", TR_LIT("--XyZW\r\n"
	  "Content-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n"
	  "--XyZ--\r\n"), 10, TR_EINVAL },
	{ "LF only", TR_LIT("--XyZ\n"
	  "Content-Disposition: form-data; name=\"a\"\n\nx\n--XyZ--\n"),
	  10, TR_EINVAL },
	{ "bad boundary line later", TR_LIT("--XyZ\r\n"
	  "Content-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n"
	  "--XyZx\r\n"), 10, TR_EINVAL },
	{ "too many parts", TR_LIT("--XyZ\r\n"
	  "Content-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ\r\n"
	  "Content-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n--XyZ\r\n"
	  "Content-Disposition: form-data; name=\"c\"\r\n\r\n3\r\n"
	  "--XyZ--\r\n"), 2, TR_ETOOBIG },
	{ "no parts allowed", TR_LIT("--XyZ\r\n"
	  "Content-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
	  "--XyZ--\r\n"), 0, TR_ETOOBIG },
};

static void
check_invalid(size_t i, struct cut c)
{
	struct rec	 r;
	enum tr_err	 er;

	er = parse(&r, invalids[i].in, invalids[i].insz, c,
	    invalids[i].maxparts, 1024);
	if (er != invalids[i].er) {
		fprintf(stderr, "%s, cut %zu/%zu: got %d, want %d\n",
		    invalids[i].name, c.first, c.step, er, invalids[i].er);
		T(0);
	}
	rec_free(&r);
}

static void
test_invalid(void)
{
	struct cut	 c;
	size_t		 i, j;

	for (i = 0; i < T_NELEM(invalids); i++) {
		c.first = 0;
		c.step = 0;
		check_invalid(i, c);
		c.step = 1;
		check_invalid(i, c);
		c.step = 0;
		for (j = 1; j < invalids[i].insz; j++) {
			c.first = j;
			check_invalid(i, c);
		}
	}
}

/* A header block of hdrsz bytes (without its final CRLF CRLF). */
static enum tr_err
header_of(size_t hdrsz, size_t hdrmax, size_t step, int terminated)
{
	struct tr_buf	 b;
	struct rec	 r;
	struct cut	 c;
	enum tr_err	 er;
	static const char pre[] = "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\nX-Pad: ";

	tr_buf_init(&b, LOGMAX);
	T(tr_buf_add(&b, pre, sizeof(pre) - 1) == TR_OK);
	T(hdrsz >= sizeof(pre) - 1 - 7);
	while (b.len - 7 < hdrsz)
		T(tr_buf_add(&b, "p", 1) == TR_OK);
	if (terminated)
		T(tr_buf_adds(&b, "\r\n\r\nx\r\n--XyZ--\r\n") == TR_OK);
	c.first = 0;
	c.step = step;
	er = parse(&r, b.ptr, b.len, c, 10, hdrmax);
	rec_free(&r);
	tr_buf_free(&b);
	return er;
}

static void
test_header_limit(void)
{
	static const size_t	 steps[] = { 0, 1, 7, 1000 };
	size_t			 i;

	for (i = 0; i < T_NELEM(steps); i++) {
		T(header_of(1024, 1024, steps[i], 1) == TR_OK);
		T(header_of(1025, 1024, steps[i], 1) == TR_ETOOBIG);
		T(header_of(5000, 1024, steps[i], 1) == TR_ETOOBIG);
		T(header_of(5000, 1024, steps[i], 0) == TR_ETOOBIG);
		T(header_of(100000, 1024, steps[i], 0) == TR_ETOOBIG);
		T(header_of(200, 100, steps[i], 1) == TR_ETOOBIG);
		/* A cap past the window is clamped to half of it. */
		T(header_of(20000, SIZE_MAX, steps[i], 1) == TR_OK);
		T(header_of(20000, SIZE_MAX - 3, steps[i], 1) == TR_OK);
		T(header_of(40000, SIZE_MAX, steps[i], 1) == TR_ETOOBIG);
		T(header_of(40000, SIZE_MAX, steps[i], 0) == TR_ETOOBIG);
	}
}

/* A body of n tiny parts. */
static enum tr_err
parts_of(size_t n, size_t maxparts, size_t *nbegin)
{
	struct tr_buf	 b;
	struct rec	 r;
	struct cut	 c = { 0, 0 };
	enum tr_err	 er;
	size_t		 i;

	tr_buf_init(&b, LOGMAX);
	for (i = 0; i < n; i++)
		T(tr_buf_addf(&b, "--XyZ\r\nContent-Disposition: form-data; "
		    "name=p%zu\r\n\r\n%zu\r\n", i, i) == TR_OK);
	T(tr_buf_adds(&b, "--XyZ--\r\n") == TR_OK);
	er = parse(&r, b.ptr, b.len, c, maxparts, 1024);
	*nbegin = r.nbegin;
	rec_free(&r);
	tr_buf_free(&b);
	return er;
}

static void
test_parts_limit(void)
{
	size_t	 n;

	T(parts_of(10000, 1000, &n) == TR_ETOOBIG);
	T(n == 1000);
	T(parts_of(1000, 1000, &n) == TR_OK);
	T(n == 1000);
	T(parts_of(1001, 1000, &n) == TR_ETOOBIG);
	T(n == 1000);
	T(parts_of(0, 0, &n) == TR_OK);
	T(n == 0);
}

/* A callback's error stops the parse and is returned. */
static void
test_callback_errors(void)
{
	static const struct {
		size_t		 part;
		int		 where;
		enum tr_err	 er;
	} tests[] = {
		{ 1, 'b', TR_EFIELD },
		{ 2, 'b', TR_EFIELD },
		{ 2, 'd', TR_ETOOBIG },
		{ 1, 'e', TR_ESYSTEM },
		{ 4, 'e', TR_ESYSTEM },
	};
	struct tr_multipart	 mp;
	struct rec		 r;
	size_t			 i, step;
	enum tr_err		 er;

	for (i = 0; i < T_NELEM(tests); i++)
		for (step = 0; step <= 1; step++) {
			const char	*p = body;
			size_t		 left = sizeof(body) - 1, n;

			rec_init(&r);
			r.failpart = tests[i].part;
			r.failwhere = tests[i].where;
			T(tr_multipart_init(&mp, "XyZ", 50, 1024, &cbs, &r) ==
			    TR_OK);
			er = TR_OK;
			while (left > 0 && er == TR_OK) {
				n = step ? 1 : left;
				er = tr_multipart_feed(&mp, p, n);
				p += n;
				left -= n;
			}
			T(er == tests[i].er);
			T(r.nbegin == tests[i].part);
			T(mp.err[0] != '\0');
			tr_multipart_free(&mp);
			rec_free(&r);
		}
}

static void
test_init(void)
{
	struct tr_multipart	 mp;
	struct rec		 r;
	char			 b70[71], b71[72];

	memset(b70, 'b', 70);
	b70[70] = '\0';
	memset(b71, 'b', 71);
	b71[71] = '\0';
	rec_init(&r);
	T(tr_multipart_init(&mp, "", 10, 1024, &cbs, &r) == TR_EINVAL);
	tr_multipart_free(&mp);
	T(tr_multipart_feed(&mp, "x", 1) != TR_OK);
	T(tr_multipart_init(&mp, b71, 10, 1024, &cbs, &r) == TR_EINVAL);
	tr_multipart_free(&mp);
	T(tr_multipart_init(&mp, b70, 10, 1024, &cbs, &r) == TR_OK);
	T(mp.delimsz == 74);
	T(tr_multipart_feed(&mp, TR_LIT("--")) == TR_OK);
	T(tr_multipart_feed(&mp, b70, 70) == TR_OK);
	T(tr_multipart_feed(&mp, TR_LIT("--")) == TR_OK);
	T(tr_multipart_finish(&mp) == TR_OK);
	tr_multipart_free(&mp);
	T(r.nbegin == 0);

	/* After the close delimiter everything is epilogue. */
	T(tr_multipart_init(&mp, "XyZ", 10, 1024, &cbs, &r) == TR_OK);
	T(tr_multipart_feed(&mp, TR_LIT("--XyZ--")) == TR_OK);
	T(tr_multipart_feed(&mp, TR_LIT("\r\n--XyZ\r\n"
	    "Content-Disposition: form-data; name=a\r\n\r\nx\r\n--XyZ--"))
	    == TR_OK);
	T(tr_multipart_finish(&mp) == TR_OK);
	T(r.nbegin == 0);
	tr_multipart_free(&mp);
	rec_free(&r);
}

static const struct {
	const char	*ctype;
	const char	*want;
} bvalids[] = {
	{ "multipart/form-data; boundary=XyZ", "XyZ" },
	{ "multipart/form-data;boundary=XyZ", "XyZ" },
	{ "multipart/form-data;\tboundary=XyZ", "XyZ" },
	{ "multipart/form-data; boundary=\"XyZ\"", "XyZ" },
	{ "multipart/form-data; BOUNDARY=XyZ", "XyZ" },
	{ "multipart/form-data; Boundary=\"XyZ\"; charset=utf-8", "XyZ" },
	{ "multipart/form-data; charset=utf-8; boundary=XyZ", "XyZ" },
	{ "multipart/form-data; boundary=XyZ; charset=utf-8", "XyZ" },
	{ "multipart/form-data; boundary=XyZ;charset=utf-8", "XyZ" },
	{ "multipart/form-data; boundary=XyZ ", "XyZ" },
	{ "multipart/form-data; boundary=XyZ\t; x=y", "XyZ" },
	{ "multipart/form-data; xboundary=1; boundary=XyZ", "XyZ" },
	{ "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
	  "----WebKitFormBoundary7MA4YWxkTrZu0gW" },
	{ "multipart/form-data; boundary=------------------------d74496d66958873e",
	  "------------------------d74496d66958873e" },
	{ "multipart/form-data; boundary=\"a b\"", "a b" },
	{ "multipart/form-data; boundary=\" a\"", " a" },
	{ "multipart/form-data; boundary=\"'()+_,-./:=?\"", "'()+_,-./:=?" },
	{ "multipart/form-data; boundary='()+_,-./:=?", "'()+_,-./:=?" },
	{ "multipart/form-data; boundary=0123456789012345678901234567890123"
	  "456789012345678901234567890123456789",
	  "0123456789012345678901234567890123456789012345678901234567890123"
	  "456789" },
	{ "multipart/form-data; boundary=\"01234567890123456789012345678901"
	  "23456789012345678901234567890123456789\"",
	  "0123456789012345678901234567890123456789012345678901234567890123"
	  "456789" },
};

static const char *const binvalids[] = {
	"",
	"multipart/form-data",
	"multipart/form-data;",
	"multipart/form-data boundary=XyZ",
	"multipart/form-data; boundary",
	"multipart/form-data; boundary=",
	"multipart/form-data; boundary=;",
	"multipart/form-data; boundary= XyZ",
	"multipart/form-data; boundary=\"\"",
	"multipart/form-data; boundary=\"XyZ",
	"multipart/form-data; boundary=\"XyZ \"",
	"multipart/form-data; boundary=\"a\tb\"",
	"multipart/form-data; boundary=\"a;b\"",
	"multipart/form-data; boundary=Xy<Z",
	"multipart/form-data; boundary=Xy\"Z",
	"multipart/form-data; boundary=Xy\\Z",
	"multipart/form-data; boundary=Xy@Z",
	"multipart/form-data; boundary=Xy[Z]",
	"multipart/form-data; boundary=Xy\x01Z",
	"multipart/form-data; boundary=Xy\x7fZ",
	"multipart/form-data; boundary=caf\xc3\xa9",
	"multipart/form-data; xboundary=XyZ",
	"multipart/form-data; boundaryX=XyZ",
	"multipart/form-data; boundary=0123456789012345678901234567890123"
	    "4567890123456789012345678901234567890",
	"multipart/form-data; boundary=\"01234567890123456789012345678901"
	    "234567890123456789012345678901234567890\"",
};

static void
test_boundary(void)
{
	char	 out[TR_MP_BOUNDMAX + 1], small[4];
	size_t	 i;

	for (i = 0; i < T_NELEM(bvalids); i++) {
		memset(out, 'Z', sizeof(out));
		if (tr_multipart_boundary(bvalids[i].ctype, out,
		    sizeof(out)) != TR_OK) {
			fprintf(stderr, "refused %s\n", bvalids[i].ctype);
			T(0);
		}
		T_STREQ(out, bvalids[i].want);
	}
	for (i = 0; i < T_NELEM(binvalids); i++)
		if (tr_multipart_boundary(binvalids[i], out, sizeof(out)) !=
		    TR_EINVAL) {
			fprintf(stderr, "accepted %s\n", binvalids[i]);
			T(0);
		}
	T(tr_multipart_boundary(NULL, out, sizeof(out)) == TR_EINVAL);

	/* The output buffer bounds the length too. */
	T(tr_multipart_boundary("multipart/form-data; boundary=abc", small,
	    sizeof(small)) == TR_OK);
	T_STREQ(small, "abc");
	T(tr_multipart_boundary("multipart/form-data; boundary=abcd", small,
	    sizeof(small)) == TR_EINVAL);
}

int
main(void)
{
	test_boundary();
	test_init();
	test_valid();
	test_large();
	test_invalid();
	test_header_limit();
	test_parts_limit();
	test_callback_errors();
	return 0;
}
