/*
 * libFuzzer target for tr__openai_parse() (lib/prov/openai.c): a
 * verbose_json answer as OpenAI, or anything posing as it, might send.
 * A success must leave a transcript that passes the checks of answer.h
 * (OpenAI has no speakers) and whose text does not start with a space.
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
	if (tr__openai_parse(doc, &t) == TR_OK) {
		if (t.text == NULL || t.text[0] == ' ')
			abort();
		sound(&t, 0);
	} else
		tr_transcript_free(&t);
	json_object_put(doc);
	return 0;
}
