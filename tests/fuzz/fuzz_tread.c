/*
 * libFuzzer target for tr_transcript_read() (lib/model/tread.c): our
 * transcript JSON as a client may send it to /sentiment.  A success
 * leaves a transcript with text, segments in order of their own times
 * and speakers in range; a refusal always says why.
 */
#include <stdlib.h>
#include <string.h>

#include "extern.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t sz)
{
	struct json_object	*o = NULL;
	struct tr_transcript	 t;
	char			 why[256];
	size_t			 i;
	enum tr_err		 er;

	if (tr_json_parse((const char *)data, sz, 1 << 20, TR_JSON_DEPTH,
	    &o) != TR_OK)
		return 0;
	tr_transcript_init(&t);
	er = tr_transcript_read(o, &t, why, sizeof(why));
	if (er == TR_OK) {
		if (t.text == NULL || t.speakers > 256)
			abort();
		for (i = 0; i < t.nsegs; i++)
			if (t.segs[i].end < t.segs[i].start ||
			    t.segs[i].speaker >= t.speakers)
				abort();
	} else if (er != TR_EFIELD || why[0] == '\0')
		abort();
	tr_transcript_free(&t);
	json_object_put(o);
	return 0;
}
