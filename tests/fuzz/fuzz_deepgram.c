/*
 * libFuzzer target for tr__deepgram_parse() (lib/prov/deepgram.c): a
 * pre-recorded answer as Deepgram, or anything posing as it, might
 * send, read once without and once with diarization.  Whatever it
 * holds, the transcripts must pass the checks of answer.h, and a
 * success must have found the transcript of the first alternative.
 */
#include "answer.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tr_transcript	 t;
	struct json_object	*doc;
	int			 diarize;

	if ((doc = answer(data, size)) == NULL)
		return 0;
	for (diarize = 0; diarize <= 1; diarize++) {
		tr_transcript_init(&t);
		if (tr__deepgram_parse(doc, diarize, &t) == TR_OK)
			sound(&t, diarize);
		else
			tr_transcript_free(&t);
	}
	json_object_put(doc);
	return 0;
}
