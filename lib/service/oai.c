/*
 * The OpenAI-compatible audio endpoints (provider-protocols section 3):
 * the same multipart fields and response shapes as
 * /v1/audio/transcriptions and /v1/audio/translations, so that an
 * OpenAI SDK works by changing only its base URL.  The model name picks
 * the provider: whisper-1 is OpenAI where configured, else the local
 * engine.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "prov/prov.h"

/* Model names we answer to, and who serves them. */
static const struct {
	const char	*model;
	const char	*provider;
} models[] = {
	{ "whisper-1", "openai" },
	{ "nova-2", "deepgram" },
	{ "pocketsphinx-en-us", "local" },
};

static const struct {
	const char	*code;
	const char	*name;
} langs[] = {
	{ "en", "english" }, { "it", "italian" }, { "fr", "french" },
	{ "de", "german" }, { "es", "spanish" }, { "pt", "portuguese" },
	{ "nl", "dutch" }, { "ja", "japanese" }, { "zh", "chinese" },
	{ "ru", "russian" },
};

const char *
tr_oai_model_provider(const char *model)
{
	size_t	 i;

	for (i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (strcmp(models[i].model, model) == 0)
			return models[i].provider;
	return NULL;
}

/* The models whose provider is ready, as GET /v1/models lists them. */
struct json_object *
tr_oai_models(void)
{
	struct json_object	*o, *arr, *m;
	const struct tr_provider *p;
	size_t			 i;

	arr = json_object_new_array();
	for (i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		p = tr_provider(models[i].provider);
		/* whisper-1 is always served: by the local engine if need be */
		if (p != NULL && !tr_provider_ready(p) &&
		    strcmp(models[i].model, "whisper-1") != 0)
			continue;
		m = json_object_new_object();
		json_object_object_add(m, "id",
		    json_object_new_string(models[i].model));
		json_object_object_add(m, "object", json_object_new_string("model"));
		json_object_object_add(m, "created", json_object_new_int64(1677610602));
		json_object_object_add(m, "owned_by", json_object_new_string(
		    p != NULL && tr_provider_ready(p) ? p->name : "local"));
		json_object_array_add(arr, m);
	}
	o = json_object_new_object();
	json_object_object_add(o, "object", json_object_new_string("list"));
	json_object_object_add(o, "data", arr);
	return o;
}

static const char *
lang_name(const char *code)
{
	size_t	 i;

	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
		if (strncmp(langs[i].code, code, 2) == 0)
			return langs[i].name;
	return code;
}

static int
wants(struct tr_req *r, const char *val)
{
	size_t	 i;

	for (i = 0; i < r->kvsz; i++)
		if (strcmp(r->kvs[i].key, "timestamp_granularities[]") == 0 &&
		    strcmp(r->kvs[i].val, val) == 0)
			return 1;
	return 0;
}

/* OpenAI's verbose_json for t. */
struct json_object *
tr_oai_verbose(struct tr_req *r, const struct tr_transcript *t, int translate)
{
	struct json_object	*o, *segs, *s;
	struct tr_buf		 text;
	size_t			 i;
	int			 words = wants(r, "word");
	int			 seg = wants(r, "segment") || !words;

	o = json_object_new_object();
	json_object_object_add(o, "task", json_object_new_string(
	    translate ? "translate" : "transcribe"));
	json_object_object_add(o, "language", json_object_new_string(
	    translate ? "english" : lang_name(t->language[0] ? t->language : "en")));
	json_object_object_add(o, "duration", json_object_new_double(t->duration));
	json_object_object_add(o, "text",
	    json_object_new_string(t->text != NULL ? t->text : ""));
	if (seg) {
		segs = json_object_new_array();
		for (i = 0; i < t->nsegs; i++) {
			s = json_object_new_object();
			json_object_object_add(s, "id", json_object_new_int((int)i));
			json_object_object_add(s, "seek", json_object_new_int(
			    (int)lround(t->segs[i].start * 100)));
			json_object_object_add(s, "start",
			    json_object_new_double(t->segs[i].start));
			json_object_object_add(s, "end",
			    json_object_new_double(t->segs[i].end));
			tr_buf_init(&text, 1 << 20);
			if (tr_buf_addf(&text, " %s", t->segs[i].text) != TR_OK)
				tr_buf_init(&text, 1);
			json_object_object_add(s, "text",
			    json_object_new_string(tr_buf_str(&text)));
			tr_buf_free(&text);
			json_object_object_add(s, "tokens", json_object_new_array());
			json_object_object_add(s, "temperature",
			    json_object_new_double(0));
			json_object_object_add(s, "avg_logprob",
			    json_object_new_double(0));
			json_object_object_add(s, "compression_ratio",
			    json_object_new_double(1));
			json_object_object_add(s, "no_speech_prob",
			    json_object_new_double(0));
			json_object_array_add(segs, s);
		}
		json_object_object_add(o, "segments", segs);
	}
	if (words)
		json_object_object_add(o, "words", tr_transcript_words_json(t, 1));
	return o;
}

/* The multipart fields of both endpoints, as OpenAI's. */
const struct tr_field tr_oai_fields[TR_OAI__MAX] = {
	{ "file", NULL, TR_FILE | TR_REQUIRED },	/* TR_OAI_FILE */
	{ "model", tr_valid_name, TR_REQUIRED },	/* TR_OAI_MODEL */
	{ "language", tr_valid_lang, 0 },		/* TR_OAI_LANG */
	{ "prompt", tr_valid_string, 0 },		/* TR_OAI_PROMPT */
	{ "response_format", tr_valid_ident, 0 },	/* TR_OAI_FORMAT */
	{ "temperature", tr_valid_amount, 0 },		/* TR_OAI_TEMP */
};

/*
 * The handler of both endpoints; timestamp_granularities[] may be
 * repeated.
 */
static enum tr_err
audio(struct tr_req *r, int translate)
{
	const struct tr_pair	*temp = tr_field_get(r, TR_OAI_TEMP);
	const struct tr_upload	*up = tr_upload_get(r, TR_OAI_FILE);
	const char		*model = tr_str(r, TR_OAI_MODEL);
	const char		*fmt = tr_str(r, TR_OAI_FORMAT);
	struct tr_prov_opts	 o = {
		.language = translate ? NULL : tr_str(r, TR_OAI_LANG),
		.prompt = tr_str(r, TR_OAI_PROMPT),
		.temperature = temp != NULL ? temp->parsed.d : 0,
	};
	struct tr_transcript	 t;
	struct json_object	*out;
	const char		*prov;
	enum tr_err		 er;

	if (fmt == NULL)
		fmt = "json";
	if (strcmp(fmt, "json") != 0 && strcmp(fmt, "text") != 0 &&
	    strcmp(fmt, "srt") != 0 && strcmp(fmt, "vtt") != 0 &&
	    strcmp(fmt, "verbose_json") != 0)
		return tr_fail(r, TR_EINVAL, "response_format must be one of "
		    "json, text, srt, verbose_json, vtt");
	if ((prov = tr_oai_model_provider(model)) == NULL)
		return tr_fail(r, TR_EINVAL, "model '%.64s' does not exist", model);
	o.translate = translate;
	o.ctype = up->ctype;
	o.filename = up->filename;
	tr_transcript_init(&t);
	/* A model whose provider has no key falls back to the local engine. */
	er = tr_transcribe(r, up, NULL, prov, &o, &t);
	if (er != TR_OK)
		goto out;
	if (strcmp(fmt, "json") == 0) {
		out = json_object_new_object();
		json_object_object_add(out, "text",
		    json_object_new_string(t.text != NULL ? t.text : ""));
		er = tr_reply_json(r, 200, out);
		json_object_put(out);
	} else if (strcmp(fmt, "verbose_json") == 0) {
		out = tr_oai_verbose(r, &t, translate);
		er = tr_reply_json(r, 200, out);
		json_object_put(out);
	} else
		er = tr_transcript_reply(r, &t, fmt);
out:
	tr_transcript_free(&t);
	return er;
}

enum tr_err
tr_oai_transcriptions(struct tr_req *r)
{
	return audio(r, 0);
}

enum tr_err
tr_oai_translations(struct tr_req *r)
{
	return audio(r, 1);
}
