/*
 * Deepgram pre-recorded transcription (provider-protocols section 1):
 * the raw audio POSTed to /v1/listen with "Authorization: Token", the
 * features as query parameters, and the answer's words, utterances or
 * paragraphs read into the transcript model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov.h"

/* Reads results.channels[0].alternatives[0] and the utterances. */
enum tr_err
tr__deepgram_parse(struct json_object *doc, int diarize,
    struct tr_transcript *t)
{
	struct json_object	*res, *ch, *alt, *words, *w, *utt, *u, *md;
	const char		*text, *lang;
	size_t			 i, n;

	if (!json_object_object_get_ex(doc, "results", &res) ||
	    tr__jarray(res, "channels", &ch) < 1 ||
	    tr__jarray(json_object_array_get_idx(ch, 0), "alternatives",
	    &alt) < 1)
		return TR_EPROVIDER;
	alt = json_object_array_get_idx(alt, 0);
	t->text = tr_xstrdup((text = tr_json_str(alt, "transcript")) != NULL ?
	    text : "");
	if ((lang = tr_json_str(json_object_array_get_idx(ch, 0),
	    "detected_language")) != NULL)
		snprintf(t->language, sizeof(t->language), "%s", lang);
	n = tr__jarray(alt, "words", &words);
	for (i = 0; i < n; i++) {
		w = json_object_array_get_idx(words, i);
		if ((text = tr_json_str(w, "punctuated_word")) == NULL)
			text = tr_json_str(w, "word");
		if (text != NULL)
			tr_transcript_word(t, text, tr__jnum(w, "start"),
			    tr__jnum(w, "end"), tr__jnum(w, "confidence"),
			    diarize ? tr__jspeaker(w) : -1);
	}
	n = tr__jarray(res, "utterances", &utt);
	for (i = 0; i < n; i++) {
		u = json_object_array_get_idx(utt, i);
		if ((text = tr_json_str(u, "transcript")) != NULL)
			tr_transcript_segment(t, text, tr__jnum(u, "start"),
			    tr__jnum(u, "end"), diarize ? tr__jspeaker(u) : -1);
	}
	if (json_object_object_get_ex(doc, "metadata", &md)) {
		t->duration = tr__jnum(md, "duration");
		if ((text = tr_json_str(md, "request_id")) != NULL)
			snprintf(t->request_id, sizeof(t->request_id), "%s", text);
	}
	return TR_OK;
}

/* Deepgram's error body: {"err_code","err_msg","request_id"}. */
static const char *
errmsg(struct json_object *doc)
{
	return tr_json_str(doc, "err_msg");
}

static enum tr_err
transcribe(struct tr_req *r, const struct tr_upload *up,
    const struct tr_media *m, const struct tr_prov_opts *o,
    struct tr_transcript *t)
{
	struct tr_http_opts	 ho;
	struct json_object	*doc = NULL;
	struct tr_buf		 url, auth, ct;
	const char		*hdrs[3], *model;
	char			 reqid[96] = "";
	enum tr_err		 er;

	(void)m;
	model = o->model != NULL ? o->model : tr_prov_deepgram.model;
	tr_buf_init(&url, 4096);
	tr_buf_init(&auth, 1024);
	tr_buf_init(&ct, 512);
	if ((er = tr_buf_addf(&url, "%s/v1/listen?model=%s&punctuate=true"
	    "&smart_format=true&paragraphs=true&utterances=true&diarize=%s",
	    tr_conf_def("DEEPGRAM_BASE_URL", "https://api.deepgram.com"),
	    model, o->diarize ? "true" : "false")) != TR_OK ||
	    (o->language != NULL &&
	    (er = tr_buf_addf(&url, "&language=%s", o->language)) != TR_OK) ||
	    (o->language == NULL &&
	    (er = tr_buf_adds(&url, "&detect_language=true")) != TR_OK) ||
	    (er = tr_buf_addf(&auth, "Authorization: Token %s",
	    tr_conf_def("DEEPGRAM_API_KEY", ""))) != TR_OK ||
	    (er = tr_buf_addf(&ct, "Content-Type: %s", o->ctype != NULL &&
	    strncmp(o->ctype, "audio/", 6) == 0 && strpbrk(o->ctype, "\r\n") ==
	    NULL ? o->ctype : "application/octet-stream")) != TR_OK)
		goto out;
	hdrs[0] = auth.ptr;
	hdrs[1] = ct.ptr;
	hdrs[2] = NULL;
	tr__prov_http(&ho, url.ptr, hdrs, "DEEPGRAM_TIMEOUT", 600,
	    "dg-request-id");
	/* The upload as it is: in memory, or its file. */
	if (up->mem.ptr != NULL) {
		ho.body = up->mem.ptr;
		ho.bodysz = up->mem.len;
	} else if ((er = tr__prov_file(r, up, &ho.bodyfile)) != TR_OK)
		goto out;
	er = tr__prov_call(r, "deepgram", &ho, errmsg, &doc, reqid,
	    sizeof(reqid));
	tr_wipe(auth.ptr, auth.len);
	if (er != TR_OK)
		goto out;
	if (tr__deepgram_parse(doc, o->diarize, t) != TR_OK) {
		er = tr_fail(r, TR_EPROVIDER, "deepgram: unexpected response "
		    "shape (request %.96s)", reqid);
		goto out;
	}
	snprintf(t->provider, sizeof(t->provider), "deepgram");
	snprintf(t->model, sizeof(t->model), "%s", model);
	if (t->request_id[0] == '\0')
		snprintf(t->request_id, sizeof(t->request_id), "%s", reqid);
out:
	json_object_put(doc);
	tr_buf_free(&url);
	tr_buf_free(&auth);
	tr_buf_free(&ct);
	return er;
}

const struct tr_provider tr_prov_deepgram = {
	.name = "deepgram", .model = "nova-2", .keyvar = "DEEPGRAM_API_KEY",
	.costvar = "COST_PER_MINUTE_DEEPGRAM", .cost = 0.0043,
	.transcribe = transcribe,
};
