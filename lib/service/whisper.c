/*
 * The seed's /transcriptions/whisper: the upload to OpenAI whisper-1
 * (language, prompt, temperature) or to the provider it names, answered
 * in our JSON, text, srt, vtt or OpenAI's verbose_json.  Without an
 * OPENAI_API_KEY the local engine answers.
 */
#include "prov/prov.h"

/* The fields of /transcriptions/whisper. */
const struct tr_field tr_whisper_fields[TR_WHISPER__MAX] = {
	{ "audio", NULL, TR_FILE | TR_REQUIRED },	/* TR_WHISPER_AUDIO */
	{ "language", tr_valid_lang, 0 },		/* TR_WHISPER_LANG */
	{ "prompt", tr_valid_string, 0 },		/* TR_WHISPER_PROMPT */
	{ "temperature", tr_valid_amount, 0 },		/* TR_WHISPER_TEMP */
	{ "response_format", tr_valid_ident, 0 },	/* TR_WHISPER_FORMAT */
	{ "provider", tr_valid_ident, 0 },		/* TR_WHISPER_PROVIDER */
};

/* Its checks: the temperature's range, the response format. */
static enum tr_err
checks(struct tr_req *r, const struct tr_format **f)
{
	const struct tr_pair	*temp = tr_field_get(r, TR_WHISPER_TEMP);

	if (temp != NULL && temp->parsed.d > 1)
		return tr_fail(r, TR_EFIELD, "temperature must be from 0 to 1");
	return tr_transcript_format(r, tr_str(r, TR_WHISPER_FORMAT),
	    r->ep->formats, TR_EFIELD, f);
}

enum tr_err
tr_whisper_check(struct tr_req *r)
{
	const struct tr_format	*f;

	return checks(r, &f);
}

/* The handler of /transcriptions/whisper. */
enum tr_err
tr_whisper_transcribe(struct tr_req *r)
{
	const struct tr_pair	*temp = tr_field_get(r, TR_WHISPER_TEMP);
	const struct tr_upload	*up = tr_upload_get(r, TR_WHISPER_AUDIO);
	struct tr_prov_opts	 o = {
		.language = tr_str(r, TR_WHISPER_LANG),
		.prompt = tr_str(r, TR_WHISPER_PROMPT),
		.temperature = temp != NULL ? temp->parsed.d : 0,
		.ctype = up->ctype, .filename = up->filename,
	};
	struct tr_transcript	 t;
	const struct tr_format	*f;
	enum tr_err		 er;

	if ((er = checks(r, &f)) != TR_OK)
		return er;
	tr_transcript_init(&t);
	er = tr_transcribe(r, up, tr_str(r, TR_WHISPER_PROVIDER), "openai", &o,
	    &t);
	if (er == TR_OK)
		er = tr_transcript_reply(r, &t, f, 0);
	tr_transcript_free(&t);
	return er;
}
