/*
 * The transcript as subtitles: SubRip (SRT) and WebVTT, one cue per
 * segment, the speaker named when there are several.  The segments
 * were cut to cue size by tr_transcript_finish().
 */
#include <math.h>

#include "extern.h"

/* Writes seconds as HH:MM:SS,mmm (SRT) or HH:MM:SS.mmm (VTT). */
static enum tr_err
stamp(struct tr_buf *b, double secs, char sep)
{
	long long	 ms = llround(secs * 1000);

	if (ms < 0)
		ms = 0;
	return tr_buf_addf(b, "%02lld:%02lld:%02lld%c%03lld", ms / 3600000,
	    ms / 60000 % 60, ms / 1000 % 60, sep, ms % 1000);
}

/* Appends cue text, one line, without "-->" (which would end a cue). */
static enum tr_err
cue_text(struct tr_buf *b, const char *s)
{
	enum tr_err	 er = TR_OK;

	for (; *s != '\0' && er == TR_OK; s++) {
		if (*s == '\n' || *s == '\r')
			er = tr_buf_add(b, " ", 1);
		else if (s[0] == '-' && s[1] == '-' && s[2] == '>') {
			er = tr_buf_add(b, "->", 2);
			s += 2;
		} else
			er = tr_buf_add(b, s, 1);
	}
	return er;
}

/*
 * Renders the segments as SubRip (vtt = 0) or WebVTT (vtt = 1), with
 * the speaker as a voice tag or prefix when there are several.
 */
static enum tr_err
subtitles(const struct tr_transcript *t, int vtt, struct tr_buf *b)
{
	const char	*text;
	size_t		 i;
	enum tr_err	 er;

	if (vtt && (er = tr_buf_adds(b, "WEBVTT\n\n")) != TR_OK)
		return er;
	for (i = 0; i < t->nsegs; i++) {
		text = t->segs[i].text;
		while (*text == ' ')
			text++;
		if (!vtt && (er = tr_buf_addf(b, "%zu\n", i + 1)) != TR_OK)
			return er;
		if ((er = stamp(b, t->segs[i].start, vtt ? '.' : ',')) != TR_OK ||
		    (er = tr_buf_adds(b, " --> ")) != TR_OK ||
		    (er = stamp(b, t->segs[i].end, vtt ? '.' : ',')) != TR_OK ||
		    (er = tr_buf_add(b, "\n", 1)) != TR_OK)
			return er;
		if (t->speakers > 1 && t->segs[i].speaker >= 0 &&
		    (er = tr_buf_addf(b, vtt ? "<v Speaker %d>" : "Speaker %d: ",
		    t->segs[i].speaker)) != TR_OK)
			return er;
		if ((er = cue_text(b, text)) != TR_OK ||
		    (er = tr_buf_adds(b, "\n\n")) != TR_OK)
			return er;
	}
	return TR_OK;
}

enum tr_err
tr_subtitle_srt(const struct tr_transcript *t, const struct tr_render *o,
    struct tr_buf *b)
{
	return subtitles(t, 0, b);
}

enum tr_err
tr_subtitle_vtt(const struct tr_transcript *t, const struct tr_render *o,
    struct tr_buf *b)
{
	return subtitles(t, 1, b);
}
