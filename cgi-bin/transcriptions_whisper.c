/*
 * POST /transcriptions/whisper: audio to OpenAI whisper-1 (language,
 * prompt, temperature), in json (ours), text, srt, vtt or OpenAI's
 * verbose_json.  provider=local, or no OPENAI_API_KEY, runs the local
 * engine instead.
 */
#include "tr.h"

static const struct tr_endpoint ep = {
	.path = "/transcriptions/whisper", .methods = TR_POST,
	.auth = TR_AUTH_ANY, .body_max = TR_BODY_UPLOAD,
	.fields = tr_whisper_fields, .fieldsz = TR_WHISPER__MAX,
	.async = 1, .formats = TR_FMT_WHISPER, .slot = 1, .check = tr_whisper_check,
	.handler = tr_whisper_transcribe,
};

int
main(void)
{
	return tr_serve(&ep);
}
