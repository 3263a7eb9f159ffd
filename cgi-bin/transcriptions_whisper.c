/*
 * POST /transcriptions/whisper: audio to OpenAI whisper-1 (language,
 * prompt, temperature), in json (ours), text, srt, vtt or OpenAI's
 * verbose_json.  provider=local, or no OPENAI_API_KEY, runs the local
 * engine instead.
 */
#include "prov/prov.h"

enum	key { KEY_AUDIO, KEY_LANG, KEY_PROMPT, KEY_TEMP, KEY_FORMAT,
	KEY_PROVIDER, KEY__MAX };

static const struct tr_field keys[KEY__MAX] = {
	{ "audio", NULL, TR_FILE | TR_REQUIRED },	/* KEY_AUDIO */
	{ "language", tr_valid_lang, 0 },		/* KEY_LANG */
	{ "prompt", tr_valid_string, 0 },		/* KEY_PROMPT */
	{ "temperature", tr_valid_amount, 0 },		/* KEY_TEMP */
	{ "response_format", tr_valid_ident, 0 },	/* KEY_FORMAT */
	{ "provider", tr_valid_ident, 0 },		/* KEY_PROVIDER */
};

static enum tr_err
handle(struct tr_req *r)
{
	const struct tr_pair	*temp = tr_field_get(r, KEY_TEMP);
	const struct tr_upload	*up = tr_upload_get(r, KEY_AUDIO);
	struct tr_prov_opts	 o = {
		.language = tr_str(r, KEY_LANG),
		.prompt = tr_str(r, KEY_PROMPT),
		.temperature = temp != NULL ? temp->parsed.d : 0,
		.ctype = up->ctype, .filename = up->filename,
	};
	struct tr_transcript	 t;
	const struct tr_format	*f;
	enum tr_err		 er;

	if (temp != NULL && temp->parsed.d > 1)
		return tr_fail(r, TR_EFIELD, "temperature must be from 0 to 1");
	if ((er = tr_transcript_format(r, tr_str(r, KEY_FORMAT),
	    TR_FMT_WHISPER, TR_EFIELD, &f)) != TR_OK)
		return er;
	tr_transcript_init(&t);
	er = tr_transcribe(r, up, tr_str(r, KEY_PROVIDER), "openai", &o, &t);
	if (er == TR_OK)
		er = tr_transcript_reply(r, &t, f, 0);
	tr_transcript_free(&t);
	return er;
}

static const struct tr_endpoint ep = {
	.path = "/transcriptions/whisper", .methods = TR_POST,
	.auth = TR_AUTH_ANY, .body_max = TR_BODY_UPLOAD, .fields = keys,
	.fieldsz = KEY__MAX, .handler = handle,
};

int
main(void)
{
	return tr_serve(&ep);
}
