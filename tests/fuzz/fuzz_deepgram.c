/*
 * libFuzzer target for tr__deepgram_parse() (lib/prov/deepgram.c): a
 * pre-recorded answer as Deepgram, or anything posing as it, might
 * send, read once without and once with diarization.  Whatever it
 * holds, the transcripts must pass the checks of answer.h.
 */
#include "answer.h"

static void
parse(struct json_object *doc)
{
	struct tr_transcript	 t;
	int			 diarize;

	for (diarize = 0; diarize <= 1; diarize++) {
		tr_transcript_init(&t);
		if (tr__deepgram_parse(doc, diarize, &t) == TR_OK)
			sound(&t, diarize);
		else
			tr_transcript_free(&t);
	}
}
