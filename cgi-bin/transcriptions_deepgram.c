/*
 * POST /transcriptions/deepgram: audio to Deepgram pre-recorded (nova-2),
 * as the seed: language, diarize, paragraphs; the transcript, its
 * diarization and processing_info, plus the words.  provider=local (and
 * no DEEPGRAM_API_KEY) runs the local engine instead.
 */
#include <string.h>

#include "prov/prov.h"

enum	key { KEY_AUDIO, KEY_LANG, KEY_DIARIZE, KEY_PROVIDER, KEY_FORMAT,
	KEY_MODEL, KEY__MAX };

static const struct tr_field keys[KEY__MAX] = {
	{ "audio", NULL, TR_FILE | TR_REQUIRED },	/* KEY_AUDIO */
	{ "language", tr_valid_lang, 0 },		/* KEY_LANG */
	{ "diarize", tr_valid_bool, 0 },		/* KEY_DIARIZE */
	{ "provider", tr_valid_ident, 0 },		/* KEY_PROVIDER */
	{ "response_format", tr_valid_ident, 0 },	/* KEY_FORMAT */
	{ "model", tr_valid_ident, 0 },			/* KEY_MODEL */
};

static enum tr_err
handle(struct tr_req *r)
{
	const struct tr_pair	*d = tr_field_get(r, KEY_DIARIZE);
	const struct tr_upload	*up = tr_upload_get(r, KEY_AUDIO);
	struct tr_prov_opts	 o = {
		.language = tr_str(r, KEY_LANG),
		.diarize = d != NULL && d->parsed.i,
		.model = tr_str(r, KEY_MODEL),
		.ctype = up->ctype, .filename = up->filename,
	};
	struct tr_transcript	 t;
	const char		*fmt = tr_str(r, KEY_FORMAT);
	enum tr_err		 er;

	if (fmt != NULL && strcmp(fmt, "json") != 0 && strcmp(fmt, "text") != 0 &&
	    strcmp(fmt, "srt") != 0 && strcmp(fmt, "vtt") != 0)
		return tr_fail(r, TR_EFIELD, "response_format must be json, "
		    "text, srt or vtt");
	tr_transcript_init(&t);
	if ((er = tr_transcribe(r, up, tr_str(r, KEY_PROVIDER), "deepgram", &o,
	    &t)) == TR_OK)
		er = tr_transcript_reply(r, &t, fmt);
	tr_transcript_free(&t);
	return er;
}

static const struct tr_endpoint ep = {
	.path = "/transcriptions/deepgram", .methods = TR_POST,
	.auth = TR_AUTH_ANY, .body_max = TR_BODY_UPLOAD, .fields = keys,
	.fieldsz = KEY__MAX, .handler = handle,
};

int
main(void)
{
	return tr_serve(&ep);
}
