/*
 * libFuzzer target for tr_transcript_parse() (lib/model/parse.c): our
 * transcript JSON as a client of /documents/{fmt} may send it, with
 * small limits.  A refusal says why and leaves nothing allocated; an
 * accepted transcript is within the limits, has segments with text and
 * ordered times, and renders in every text format of the documents.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

static const char *const fmts[] = { "txt", "srt", "vtt", "json" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct tr_tlimits	 lim = { 64, 256, 4096 };
	const struct tr_format	*f;
	struct json_object	*doc = NULL;
	struct tr_transcript	 t;
	struct tr_render	 o = { .reqid = "fuzz", .timed = 1 };
	struct tr_buf		 b;
	char			 why[256];
	size_t			 i;
	enum tr_err		 er;

	if (tr_json_parse((const char *)data, size, 1 << 20, TR_JSON_DEPTH,
	    &doc) != TR_OK || doc == NULL)
		return 0;
	why[0] = '\0';
	er = tr_transcript_parse(doc, &lim, &t, why, sizeof(why));
	if (er != TR_OK) {
		if ((er != TR_EFIELD && er != TR_ETOOBIG) || why[0] == '\0' ||
		    t.nsegs != 0 || t.text != NULL)
			abort();
		json_object_put(doc);
		return 0;
	}
	if (t.nsegs == 0 || t.nwords > lim.words)
		abort();
	for (i = 0; i < t.nsegs; i++)
		if (t.segs[i].text == NULL || t.segs[i].end < t.segs[i].start)
			abort();
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		if ((f = tr_format(fmts[i], TR_FMT_DOC)) == NULL ||
		    f->render == NULL)
			abort();
		tr_buf_init(&b, TR_RENDER_MAX);
		if (f->render(&t, &o, &b) != TR_OK ||
		    !tr_valid_utf8(tr_buf_str(&b), b.len))
			abort();
		tr_buf_free(&b);
	}
	tr_transcript_free(&t);
	json_object_put(doc);
	return 0;
}
