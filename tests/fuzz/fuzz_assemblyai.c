/*
 * libFuzzer target for tr__assemblyai_parse() (lib/prov/assemblyai.c):
 * a transcript job as AssemblyAI, or anything posing as it, might send
 * it.  The parser takes any object; what it makes must pass the checks
 * of answer.h, with speakers only from the letters A to Z.
 */
#include "answer.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tr_transcript	 t;
	struct json_object	*doc;

	if ((doc = answer(data, size)) == NULL)
		return 0;
	tr_transcript_init(&t);
	tr__assemblyai_parse(doc, &t);
	if (t.speakers > 26)
		abort();
	sound(&t, 1);
	json_object_put(doc);
	return 0;
}
