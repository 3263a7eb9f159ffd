/*
 * OpenAI Whisper (provider-protocols section 3): the audio as multipart
 * to /v1/audio/transcriptions (or /translations), always asking for
 * verbose_json with segment and word timestamps, which the transcript
 * model then renders in whatever format the client wanted.
 *
 * Not yet here: splitting media over the 25 MB upload limit.  Such an
 * upload is refused with 413 before anything is sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define TR_REQ_INTERNAL
#include "prov.h"

#define OAI_MAXBODY	(64 * 1024 * 1024)
#define OAI_LIMIT	26214400	/* the whole request body, bytes */

static const struct {
	const char	*name;
	const char	*code;
} langs[] = {
	{ "english", "en" }, { "italian", "it" }, { "french", "fr" },
	{ "german", "de" }, { "spanish", "es" }, { "portuguese", "pt" },
	{ "dutch", "nl" }, { "japanese", "ja" }, { "chinese", "zh" },
	{ "russian", "ru" },
};

static void
set_language(struct tr_transcript *t, const char *name)
{
	size_t	 i;

	for (i = 0; name != NULL && i < sizeof(langs) / sizeof(langs[0]); i++)
		if (strcmp(langs[i].name, name) == 0) {
			snprintf(t->language, sizeof(t->language), "%s",
			    langs[i].code);
			return;
		}
	snprintf(t->language, sizeof(t->language), "%.15s",
	    name != NULL ? name : "");
}

static enum tr_err
parse(struct json_object *doc, struct tr_transcript *t)
{
	struct json_object	*arr, *e;
	const char		*s;
	size_t			 i;

	if ((s = tr_json_str(doc, "text")) == NULL)
		return TR_EPROVIDER;
	t->text = tr_xstrdup(s);
	while (*t->text == ' ')
		memmove(t->text, t->text + 1, strlen(t->text));
	set_language(t, tr_json_str(doc, "language"));
	t->duration = tr__jnum(doc, "duration");
	if (json_object_object_get_ex(doc, "segments", &arr))
		for (i = 0; i < json_object_array_length(arr); i++) {
			e = json_object_array_get_idx(arr, i);
			if ((s = tr_json_str(e, "text")) == NULL)
				continue;
			while (*s == ' ')
				s++;
			tr_transcript_segment(t, s, tr__jnum(e, "start"),
			    tr__jnum(e, "end"), -1);
		}
	if (json_object_object_get_ex(doc, "words", &arr))
		for (i = 0; i < json_object_array_length(arr); i++) {
			e = json_object_array_get_idx(arr, i);
			if ((s = tr_json_str(e, "word")) != NULL)
				tr_transcript_word(t, s, tr__jnum(e, "start"),
				    tr__jnum(e, "end"), 1.0, -1);
		}
	return TR_OK;
}

/* A file name with an extension OpenAI accepts, from the container. */
static const char *
filename_for(const struct tr_media *m, const char *given)
{
	static const char *const exts[] = { ".flac", ".m4a", ".mp3", ".mp4",
	    ".mpeg", ".mpga", ".oga", ".ogg", ".wav", ".webm" };
	size_t		 i, n;

	for (i = 0; given != NULL && i < sizeof(exts) / sizeof(exts[0]); i++) {
		n = strlen(given);
		if (n > strlen(exts[i]) &&
		    strcasecmp(given + n - strlen(exts[i]), exts[i]) == 0)
			return given;
	}
	if (strstr(m->format, "wav") != NULL)
		return "audio.wav";
	if (strstr(m->format, "mp3") != NULL)
		return "audio.mp3";
	if (strstr(m->format, "ogg") != NULL)
		return "audio.ogg";
	if (strstr(m->format, "flac") != NULL)
		return "audio.flac";
	if (strstr(m->format, "webm") != NULL || strstr(m->format, "matroska"))
		return "audio.webm";
	return "audio.mp4";
}

static enum tr_err
transcribe(struct tr_req *r, const char *path, const struct tr_media *m,
    const struct tr_prov_opts *o, struct tr_transcript *t)
{
	struct tr_http_part	 parts[8];
	struct tr_http_opts	 ho;
	struct tr_http_resp	 resp;
	struct json_object	*doc = NULL, *err;
	struct tr_buf		 url, auth;
	struct stat		 st;
	const char		*hdrs[2], *msg = NULL;
	char			 temp[32];
	size_t			 n = 0;
	enum tr_err		 er;

	if (stat(path, &st) == -1)
		return TR_ESYSTEM;
	if (st.st_size > OAI_LIMIT - 64 * 1024)
		return tr_fail(r, TR_ETOOBIG, "media over OpenAI's 25 MB limit "
		    "cannot be sent yet; use provider=deepgram or local");
	parts[n++] = (struct tr_http_part){ .name = "file", .file = path,
	    .filename = filename_for(m, o->filename) };
	parts[n++] = (struct tr_http_part){ .name = "model", .value =
	    o->model != NULL ? o->model : tr_prov_openai.model };
	parts[n++] = (struct tr_http_part){ .name = "response_format",
	    .value = "verbose_json" };
	if (!o->translate) {
		parts[n++] = (struct tr_http_part){
		    .name = "timestamp_granularities[]", .value = "word" };
		parts[n++] = (struct tr_http_part){
		    .name = "timestamp_granularities[]", .value = "segment" };
		if (o->language != NULL)
			parts[n++] = (struct tr_http_part){ .name = "language",
			    .value = o->language };
	}
	if (o->prompt != NULL)
		parts[n++] = (struct tr_http_part){ .name = "prompt",
		    .value = o->prompt };
	snprintf(temp, sizeof(temp), "%g", o->temperature);
	parts[n++] = (struct tr_http_part){ .name = "temperature", .value = temp };
	tr_buf_init(&url, 4096);
	tr_buf_init(&auth, 1024);
	if ((er = tr_buf_addf(&url, "%s/v1/audio/%s",
	    tr_conf_def("OPENAI_BASE_URL", "https://api.openai.com"),
	    o->translate ? "translations" : "transcriptions")) != TR_OK ||
	    (er = tr_buf_addf(&auth, "Authorization: Bearer %s",
	    tr_conf_def("OPENAI_API_KEY", ""))) != TR_OK)
		goto out;
	hdrs[0] = auth.ptr;
	hdrs[1] = NULL;
	memset(&ho, 0, sizeof(ho));
	ho.url = url.ptr;
	ho.headers = hdrs;
	ho.parts = parts;
	ho.nparts = n;
	ho.timeout_ms = tr_conf_ll("OPENAI_TIMEOUT", 600, 1, 7200) * 1000;
	ho.maxbody = OAI_MAXBODY;
	ho.retries = (int)tr_conf_ll("PROVIDER_RETRIES", 2, 0, 10);
	ho.reqid_header = "x-request-id";
	er = tr_http_do(&ho, &resp);
	tr_wipe(auth.ptr, auth.len);
	if (er != TR_OK) {
		er = tr__prov_fail(r, "openai", er, NULL, NULL);
		goto out;
	}
	if (tr_json_parse(tr_buf_str(&resp.body), resp.body.len, OAI_MAXBODY,
	    32, &doc) != TR_OK || doc == NULL)
		er = tr__prov_fail(r, "openai", TR_OK, &resp, "malformed response");
	else if (resp.status != 200) {
		if (json_object_object_get_ex(doc, "error", &err))
			msg = tr_json_str(err, "message");
		er = tr__prov_fail(r, "openai", TR_OK, &resp, msg);
	} else if ((er = parse(doc, t)) != TR_OK)
		er = tr__prov_fail(r, "openai", TR_OK, &resp,
		    "unexpected response shape");
	else {
		snprintf(t->provider, sizeof(t->provider), "openai");
		snprintf(t->model, sizeof(t->model), "%s", o->model != NULL ?
		    o->model : tr_prov_openai.model);
		snprintf(t->request_id, sizeof(t->request_id), "%s", resp.reqid);
	}
	json_object_put(doc);
	tr_http_resp_free(&resp);
out:
	tr_buf_free(&url);
	tr_buf_free(&auth);
	return er;
}

const struct tr_provider tr_prov_openai = {
	.name = "openai", .model = "whisper-1", .keyvar = "OPENAI_API_KEY",
	.costvar = "COST_PER_MINUTE_OPENAI", .cost = 0.006,
	.transcribe = transcribe,
};
