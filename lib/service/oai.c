/*
 * The OpenAI-compatible audio endpoints (provider-protocols section 3):
 * the same multipart fields and response shapes as
 * /v1/audio/transcriptions and /v1/audio/translations, so that an
 * OpenAI SDK works by changing only its base URL.  The model name picks
 * the provider: whisper-1 is OpenAI where configured, else the local
 * engine.
 */
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

const char *
tr_oai_model_provider(const char *model)
{
	size_t	 i;

	for (i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (strcmp(models[i].model, model) == 0)
			return models[i].provider;
	return NULL;
}

/* Model i as OpenAI describes one, or NULL if nothing serves it now. */
static struct json_object *
model(size_t i)
{
	const struct tr_provider *p = tr_provider(models[i].provider);
	struct json_object	*m;

	/* whisper-1 is always served: by the local engine if need be */
	if (p != NULL && !tr_provider_ready(p) &&
	    strcmp(models[i].model, "whisper-1") != 0)
		return NULL;
	m = json_object_new_object();
	json_object_object_add(m, "id", json_object_new_string(models[i].model));
	json_object_object_add(m, "object", json_object_new_string("model"));
	json_object_object_add(m, "created", json_object_new_int64(1677610602));
	json_object_object_add(m, "owned_by", json_object_new_string(
	    p != NULL && tr_provider_ready(p) ? p->name : "local"));
	return m;
}

/* GET /v1/models/{id}: the model of that id, or NULL (404). */
struct json_object *
tr_oai_model(const char *id)
{
	size_t	 i;

	for (i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (strcmp(models[i].model, id) == 0)
			return model(i);
	return NULL;
}

/* The models whose provider is ready, as GET /v1/models lists them. */
struct json_object *
tr_oai_models(void)
{
	struct json_object	*o, *arr, *m;
	size_t			 i;

	arr = json_object_new_array();
	for (i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if ((m = model(i)) != NULL)
			json_object_array_add(arr, m);
	o = json_object_new_object();
	json_object_object_add(o, "object", json_object_new_string("list"));
	json_object_object_add(o, "data", arr);
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

/* Both endpoints' checks: the response format, the model's provider. */
static enum tr_err
checks(struct tr_req *r, const struct tr_format **f, const char **prov)
{
	const char	*model = tr_str(r, TR_OAI_MODEL);
	enum tr_err	 er;

	if ((er = tr_transcript_format(r, tr_str(r, TR_OAI_FORMAT),
	    r->ep->formats, TR_EINVAL, f)) != TR_OK)
		return er;
	if ((*prov = tr_oai_model_provider(model)) == NULL)
		return tr_fail_param(r, TR_EINVAL, "model", "model '%.64s' does "
		    "not exist", model);
	return TR_OK;
}

enum tr_err
tr_oai_check(struct tr_req *r)
{
	const struct tr_format	*f;
	const char		*prov;

	return checks(r, &f, &prov);
}

/*
 * The handler of both endpoints; timestamp_granularities[] may be
 * repeated.
 */
static enum tr_err
audio(struct tr_req *r, int translate)
{
	const struct tr_pair	*temp = tr_field_get(r, TR_OAI_TEMP);
	const struct tr_upload	*up = tr_upload_get(r, TR_OAI_FILE);
	struct tr_prov_opts	 o = {
		.language = translate ? NULL : tr_str(r, TR_OAI_LANG),
		.prompt = tr_str(r, TR_OAI_PROMPT),
		.temperature = temp != NULL ? temp->parsed.d : 0,
	};
	struct tr_transcript	 t;
	const struct tr_format	*f;
	const char		*prov;
	enum tr_err		 er;

	if ((er = checks(r, &f, &prov)) != TR_OK)
		return er;
	o.translate = translate;
	o.ctype = up->ctype;
	o.filename = up->filename;
	tr_transcript_init(&t);
	/* A model whose provider has no key falls back to the local engine. */
	if ((er = tr_transcribe(r, up, NULL, prov, &o, &t)) == TR_OK)
		er = tr_transcript_reply(r, &t, f, translate);
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
