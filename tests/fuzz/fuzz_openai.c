/*
 * libFuzzer target for tr__openai_parse() (lib/prov/openai.c): a
 * verbose_json answer as OpenAI, or anything posing as it, might send.
 * A success must leave a transcript that passes the checks of answer.h
 * (OpenAI has no speakers) and whose text does not start with a space.
 */
#include "answer.h"

static void
parse(struct json_object *doc)
{
	struct tr_transcript	 t;

	tr_transcript_init(&t);
	if (tr__openai_parse(doc, &t) != TR_OK) {
		tr_transcript_free(&t);
		return;
	}
	if (t.text == NULL || t.text[0] == ' ')
		abort();
	sound(&t, 0);
}
