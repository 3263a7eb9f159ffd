/*
 * Unit tests of the subtitle renderings of lib/model/transcript.c:
 * SubRip and WebVTT timestamps, speaker prefixes and voice tags, cue
 * text kept on one line and without "-->", and the cues
 * tr_transcript_finish() cuts from words (at a pause over a second, a
 * change of speaker, six seconds).
 */
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "t.h"

static void
subtitles(const struct tr_transcript *t, int vtt, const char *want)
{
	struct tr_render	 rd = { 0 };
	struct tr_buf		 b;

	tr_buf_init(&b, 1 << 20);
	T((vtt ? tr_subtitle_vtt(t, &rd, &b) : tr_subtitle_srt(t, &rd, &b)) ==
	    TR_OK);
	T_STREQ(tr_buf_str(&b), want);
	tr_buf_free(&b);
}

int
main(void)
{
	struct tr_transcript	 t;

	/* Two speakers; an hour in; a line break and an arrow in a cue. */
	tr_transcript_init(&t);
	tr_transcript_segment(&t, " Hello there.", 0.32, 1.28, 0);
	tr_transcript_segment(&t, "Line\nbreak\r--> arrow", 3661.25, 3662.5, 1);
	subtitles(&t, 0,
	    "1\n00:00:00,320 --> 00:00:01,280\nSpeaker 0: Hello there.\n\n"
	    "2\n01:01:01,250 --> 01:01:02,500\nSpeaker 1: Line break -> "
	    "arrow\n\n");
	subtitles(&t, 1,
	    "WEBVTT\n\n00:00:00.320 --> 00:00:01.280\n<v Speaker 0>Hello "
	    "there.\n\n01:01:01.250 --> 01:01:02.500\n<v Speaker 1>Line "
	    "break -> arrow\n\n");
	tr_transcript_free(&t);

	/* One speaker or none: no prefix; a time before 0 is 0. */
	tr_transcript_init(&t);
	tr_transcript_segment(&t, "only", -1.0, 0.0005, -1);
	subtitles(&t, 0, "1\n00:00:00,000 --> 00:00:00,001\nonly\n\n");
	subtitles(&t, 1, "WEBVTT\n\n00:00:00.000 --> 00:00:00.001\nonly\n\n");
	tr_transcript_free(&t);

	/* Nothing said. */
	tr_transcript_init(&t);
	subtitles(&t, 0, "");
	subtitles(&t, 1, "WEBVTT\n\n");
	tr_transcript_free(&t);

	/* Cues from words: a pause over 1 s, a new speaker, 6 s at most. */
	tr_transcript_init(&t);
	tr_transcript_word(&t, "one", 0.0, 0.4, 0.9, 0);
	tr_transcript_word(&t, "two", 0.5, 0.9, 0.9, 0);
	tr_transcript_word(&t, "three", 2.0, 2.5, 0.9, 0);
	tr_transcript_word(&t, "four", 2.6, 3.0, 0.9, 1);
	tr_transcript_word(&t, "five", 3.1, 5.0, 0.9, 1);
	tr_transcript_word(&t, "six", 5.1, 9.0, 0.9, 1);
	tr_transcript_finish(&t);
	T_STREQ(t.text, "one two three four five six");
	T(t.duration == 9.0);
	subtitles(&t, 0,
	    "1\n00:00:00,000 --> 00:00:00,900\nSpeaker 0: one two\n\n"
	    "2\n00:00:02,000 --> 00:00:02,500\nSpeaker 0: three\n\n"
	    "3\n00:00:02,600 --> 00:00:05,000\nSpeaker 1: four five\n\n"
	    "4\n00:00:05,100 --> 00:00:09,000\nSpeaker 1: six\n\n");
	tr_transcript_free(&t);
	return 0;
}
