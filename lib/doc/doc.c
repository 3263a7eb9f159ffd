/*
 * What the document writers share: times as a clock, the heading of a
 * segment (its speaker and start), and metadata values as text, so
 * that txt, docx, pdf and xlsx say the same things the same way.
 */
#include <math.h>
#include <stdio.h>

#include "extern.h"

void
tr__doc_clock(double secs, char buf[TR_DOC_CLOCK])
{
	long long	 s = llround(secs);

	if (s < 0)
		s = 0;
	snprintf(buf, TR_DOC_CLOCK, "%02lld:%02lld:%02lld", s / 3600,
	    s / 60 % 60, s % 60);
}

/*
 * "Speaker 1  00:00:03" as the transcript has them: the speaker when
 * the segment has one (numbered as subtitles number them), the start
 * when the segments are timed; nothing when neither.
 */
enum tr_err
tr__doc_heading(const struct tr_segment *s, const struct tr_render *o,
    struct tr_buf *b)
{
	char		 clock[TR_DOC_CLOCK];
	enum tr_err	 er;

	if (s->speaker >= 0 &&
	    (er = tr_buf_addf(b, "Speaker %d", s->speaker)) != TR_OK)
		return er;
	if (o->timed) {
		tr__doc_clock(s->start, clock);
		if ((er = tr_buf_addf(b, "%s%s", b->len > 0 ? "  " : "",
		    clock)) != TR_OK)
			return er;
	}
	return TR_OK;
}

const char *
tr__doc_value(struct json_object *v)
{
	return v != NULL ? json_object_get_string(v) : "";
}
