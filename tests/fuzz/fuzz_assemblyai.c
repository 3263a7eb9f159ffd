/*
 * libFuzzer target for tr__assemblyai_parse() (lib/prov/assemblyai.c):
 * a transcript job as AssemblyAI, or anything posing as it, might send
 * it.  The parser takes any object; what it makes must pass the checks
 * of answer.h, with speakers only from the letters A to Z.
 */
#include "answer.h"

static void
parse(struct json_object *doc)
{
	struct tr_transcript	 t;

	tr_transcript_init(&t);
	tr__assemblyai_parse(doc, &t);
	if (t.speakers > 26)
		abort();
	sound(&t, 1);
}
