/*
 * AssemblyAI (provider-protocols section 5): upload the audio, create a
 * transcript job, poll it with a growing interval to "completed" or
 * "error" within an overall time limit.  Times arrive in milliseconds
 * and speakers as letters; both become the transcript model's.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prov.h"

struct	aai {
	struct tr_req	*r;
	struct tr_buf	 auth;		/* "Authorization: <key>" */
	const char	*base;
};

/* AssemblyAI's error body: {"error": "..."}. */
static const char *
errmsg(struct json_object *doc)
{
	return tr_json_str(doc, "error");
}

/* One call: a JSON body, an upload file, or neither (GET). */
static enum tr_err
call(struct aai *a, const char *url, const char *body, const char *file,
    struct json_object **doc)
{
	struct tr_http_opts	 ho;
	const char		*hdrs[3];

	hdrs[0] = a->auth.ptr;
	hdrs[1] = file != NULL ? "Content-Type: application/octet-stream" :
	    "Content-Type: application/json";
	hdrs[2] = NULL;
	tr__prov_http(&ho, url, hdrs, "ASSEMBLYAI_REQUEST_TIMEOUT", 300, NULL);
	ho.body = body;
	ho.bodysz = body != NULL ? strlen(body) : 0;
	ho.bodyfile = file;
	return tr__prov_call(a->r, "assemblyai", &ho, errmsg, doc, NULL, 0);
}

static int
speaker(struct json_object *o)
{
	const char	*s = tr_json_str(o, "speaker");

	if (s == NULL || !isupper((unsigned char)s[0]) || s[1] != '\0')
		return -1;
	return s[0] - 'A';
}

/* Reads a completed transcript job: text, words, utterances. */
void
tr__assemblyai_parse(struct json_object *doc, struct tr_transcript *t)
{
	struct json_object	*arr, *e;
	const char		*s;
	size_t			 i, n;

	t->text = tr_xstrdup((s = tr_json_str(doc, "text")) != NULL ? s : "");
	if ((s = tr_json_str(doc, "language_code")) != NULL)
		snprintf(t->language, sizeof(t->language), "%.2s", s);
	t->duration = tr__jnum(doc, "audio_duration");
	n = tr__jarray(doc, "words", &arr);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(arr, i);
		if ((s = tr_json_str(e, "text")) != NULL)
			tr_transcript_word(t, s, tr__jnum(e, "start") / 1000,
			    tr__jnum(e, "end") / 1000, tr__jnum(e, "confidence"),
			    speaker(e));
	}
	n = tr__jarray(doc, "utterances", &arr);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(arr, i);
		if ((s = tr_json_str(e, "text")) != NULL)
			tr_transcript_segment(t, s, tr__jnum(e, "start") / 1000,
			    tr__jnum(e, "end") / 1000, speaker(e));
	}
}

static int
valid_id(const char *id)
{
	size_t	 n = 0;

	for (; id != NULL && id[n] != '\0'; n++)
		if (!isalnum((unsigned char)id[n]) && id[n] != '-' &&
		    id[n] != '_')
			return 0;
	return n > 0 && n <= 64;
}

static long long
ms_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum tr_err
transcribe(struct tr_req *r, const struct tr_upload *up,
    const struct tr_media *m, const struct tr_prov_opts *o,
    struct tr_transcript *t)
{
	const char		*path;
	struct aai		 a;
	struct json_object	*doc = NULL, *req;
	struct tr_buf		 url;
	struct timespec		 ts;
	const char		*s, *status;
	char			 id[80], upload[2048];
	long long		 deadline, wait;
	enum tr_err		 er;

	(void)m;
	memset(&a, 0, sizeof(a));
	a.r = r;
	a.base = tr_conf_def("ASSEMBLYAI_BASE_URL", "https://api.assemblyai.com");
	tr_buf_init(&a.auth, 1024);
	tr_buf_init(&url, 4096);
	if ((er = tr_buf_addf(&a.auth, "Authorization: %s",
	    tr_conf_def("ASSEMBLYAI_API_KEY", ""))) != TR_OK)
		goto out;

	/* 1: the bytes. */
	if ((er = tr__prov_file(r, up, &path)) != TR_OK ||
	    (er = tr_buf_addf(&url, "%s/v2/upload", a.base)) != TR_OK ||
	    (er = call(&a, url.ptr, NULL, path, &doc)) != TR_OK)
		goto out;
	if ((s = tr_json_str(doc, "upload_url")) == NULL ||
	    strlen(s) >= sizeof(upload)) {
		er = tr_fail(r, TR_EPROVIDER, "assemblyai: upload without url");
		goto out;
	}
	snprintf(upload, sizeof(upload), "%s", s);
	json_object_put(doc);
	doc = NULL;

	/* 2: the job. */
	req = json_object_new_object();
	json_object_object_add(req, "audio_url", json_object_new_string(upload));
	json_object_object_add(req, "speech_models", json_object_new_array());
	json_object_array_add(json_object_object_get(req, "speech_models"),
	    json_object_new_string("universal-3-pro"));
	json_object_array_add(json_object_object_get(req, "speech_models"),
	    json_object_new_string("universal-2"));
	if (o->language != NULL)
		json_object_object_add(req, "language_code",
		    json_object_new_string(o->language));
	else
		json_object_object_add(req, "language_detection",
		    json_object_new_boolean(1));
	json_object_object_add(req, "speaker_labels",
	    json_object_new_boolean(o->diarize));
	json_object_object_add(req, "punctuate", json_object_new_boolean(1));
	json_object_object_add(req, "format_text", json_object_new_boolean(1));
	tr_buf_reset(&url);
	if ((er = tr_buf_addf(&url, "%s/v2/transcript", a.base)) == TR_OK)
		er = call(&a, url.ptr, json_object_to_json_string_ext(req,
		    JSON_C_TO_STRING_PLAIN), NULL, &doc);
	json_object_put(req);
	if (er != TR_OK)
		goto out;
	if (!valid_id(s = tr_json_str(doc, "id"))) {
		er = tr_fail(r, TR_EPROVIDER, "assemblyai: job without an id");
		goto out;
	}
	snprintf(id, sizeof(id), "%s", s);

	/* 3: poll, every 0.5 s at first, then less often, to a deadline. */
	deadline = ms_now() + tr_conf_ll("ASSEMBLYAI_TIMEOUT", 900, 1, 86400) *
	    1000;
	wait = tr_conf_ll("ASSEMBLYAI_POLL_MS", 500, 10, 60000);
	for (;;) {
		status = tr_json_str(doc, "status");
		if (status != NULL && strcmp(status, "completed") == 0)
			break;
		if (status != NULL && strcmp(status, "error") == 0) {
			er = tr_fail(r, TR_EPROVIDER, "assemblyai: transcript %s "
			    "failed: %.200s", id, tr_json_str(doc, "error") != NULL ?
			    tr_json_str(doc, "error") : "no reason given");
			goto out;
		}
		if (ms_now() + wait > deadline) {
			er = tr_fail(r, TR_ETIMEOUT, "assemblyai: transcript %s "
			    "not done in time", id);
			goto out;
		}
		ts.tv_sec = wait / 1000;
		ts.tv_nsec = wait % 1000 * 1000000L;
		nanosleep(&ts, NULL);
		if (wait < 5000)
			wait = wait * 3 / 2;
		json_object_put(doc);
		doc = NULL;
		tr_buf_reset(&url);
		if ((er = tr_buf_addf(&url, "%s/v2/transcript/%s", a.base,
		    id)) != TR_OK || (er = call(&a, url.ptr, NULL, NULL,
		    &doc)) != TR_OK)
			goto out;
	}
	tr__assemblyai_parse(doc, t);
	snprintf(t->provider, sizeof(t->provider), "assemblyai");
	snprintf(t->model, sizeof(t->model), "universal");
	snprintf(t->request_id, sizeof(t->request_id), "%s", id);
out:
	json_object_put(doc);
	tr_wipe(a.auth.ptr, a.auth.len);
	tr_buf_free(&a.auth);
	tr_buf_free(&url);
	return er;
}

const struct tr_provider tr_prov_assemblyai = {
	.name = "assemblyai", .model = "universal", .keyvar = "ASSEMBLYAI_API_KEY",
	.costvar = "COST_PER_MINUTE_ASSEMBLYAI", .cost = 0.0045,
	.transcribe = transcribe,
};
