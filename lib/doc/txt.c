/*
 * A transcript as plain UTF-8 text for download: the title, the
 * metadata as "key: value" lines, then one paragraph a segment under
 * its heading (speaker, start) when the transcript has them.
 */
#include "extern.h"

enum tr_err
tr_doc_txt(const struct tr_transcript *t, const struct tr_render *o,
    struct tr_buf *b)
{
	struct tr_buf	 h;
	size_t		 i;
	enum tr_err	 er = TR_OK;

	if (o->title != NULL &&
	    (er = tr_buf_addf(b, "%s\n\n", o->title)) != TR_OK)
		return er;
	if (o->meta != NULL) {
		json_object_object_foreach(o->meta, key, val)
			if ((er = tr_buf_addf(b, "%s: %s\n", key,
			    tr__doc_value(val))) != TR_OK)
				return er;
		if ((er = tr_buf_add(b, "\n", 1)) != TR_OK)
			return er;
	}
	tr_buf_init(&h, 256);
	for (i = 0; i < t->nsegs && er == TR_OK; i++) {
		tr_buf_reset(&h);
		if ((er = tr__doc_heading(&t->segs[i], o, &h)) != TR_OK)
			break;
		er = tr_buf_addf(b, "%s%s%s\n\n", tr_buf_str(&h),
		    h.len > 0 ? "\n" : "", t->segs[i].text);
	}
	tr_buf_free(&h);
	return er;
}
