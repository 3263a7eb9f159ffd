/*
 * OpenAI Whisper (provider-protocols section 3): the audio as multipart
 * to /v1/audio/transcriptions (or /translations), always asking for
 * verbose_json with segment and word timestamps, which the transcript
 * model then renders in whatever format the client wanted.
 *
 * OpenAI counts the whole request body against 25 MiB.  Larger media is
 * cut with ffmpeg into pieces under the limit, at a silence near each
 * cut where there is one, sent in order, and joined with every time
 * shifted by its piece's offset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prov.h"

#define OAI_LIMIT	(24 * 1024 * 1024)	/* under the 26214400 body cap */

/* Whisper names the language ("english"): ours is its code, "en". */
static void
set_language(struct tr_transcript *t, const char *name)
{
	const struct tr_lang	*l;

	if (name == NULL)
		name = "";
	l = tr_lang_openai(name);
	snprintf(t->language, sizeof(t->language), "%.15s",
	    l != NULL ? l->code : name);
}

/* Reads a verbose_json answer: text, language, segments, words. */
enum tr_err
tr__openai_parse(struct json_object *doc, struct tr_transcript *t)
{
	struct json_object	*arr, *e;
	const char		*s;
	size_t			 i, n;

	if ((s = tr_json_str(doc, "text")) == NULL)
		return TR_EPROVIDER;
	t->text = tr_xstrdup(s);
	while (*t->text == ' ')
		memmove(t->text, t->text + 1, strlen(t->text));
	set_language(t, tr_json_str(doc, "language"));
	t->duration = tr__jnum(doc, "duration");
	n = tr__jarray(doc, "segments", &arr);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(arr, i);
		if ((s = tr_json_str(e, "text")) == NULL)
			continue;
		while (*s == ' ')
			s++;
		tr_transcript_segment(t, s, tr__jnum(e, "start"),
		    tr__jnum(e, "end"), -1);
	}
	n = tr__jarray(doc, "words", &arr);
	for (i = 0; i < n; i++) {
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

/* OpenAI's error envelope: {"error":{"message",...}}. */
static const char *
errmsg(struct json_object *doc)
{
	struct json_object	*e;

	return json_object_object_get_ex(doc, "error", &e) ?
	    tr_json_str(e, "message") : NULL;
}

/* Sends one file (under the limit) and reads the answer into t. */
static enum tr_err
send_one(struct tr_req *r, const char *path, const struct tr_media *m,
    const struct tr_prov_opts *o, struct tr_transcript *t)
{
	struct tr_http_part	 parts[8];
	struct tr_http_opts	 ho;
	struct json_object	*doc = NULL;
	struct tr_buf		 url, auth;
	const char		*hdrs[2];
	char			 temp[32], reqid[96] = "";
	size_t			 n = 0;
	enum tr_err		 er;

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
	tr__prov_http(&ho, url.ptr, hdrs, "OPENAI_TIMEOUT", 600,
	    "x-request-id");
	ho.parts = parts;
	ho.nparts = n;
	er = tr__prov_call(r, "openai", &ho, errmsg, &doc, reqid,
	    sizeof(reqid));
	tr_wipe(auth.ptr, auth.len);
	if (er != TR_OK)
		goto out;
	if (tr__openai_parse(doc, t) != TR_OK) {
		er = tr_fail(r, TR_EPROVIDER, "openai: unexpected response "
		    "shape (request %.96s)", reqid);
		goto out;
	}
	snprintf(t->provider, sizeof(t->provider), "openai");
	snprintf(t->model, sizeof(t->model), "%s", o->model != NULL ?
	    o->model : tr_prov_openai.model);
	snprintf(t->request_id, sizeof(t->request_id), "%s", reqid);
out:
	json_object_put(doc);
	tr_buf_free(&url);
	tr_buf_free(&auth);
	return er;
}

/* Appends piece p, which starts at off seconds, to t. */
static void
join(struct tr_transcript *t, const struct tr_transcript *p, double off)
{
	struct tr_buf	 b;
	size_t		 i;

	for (i = 0; i < p->nwords; i++)
		tr_transcript_word(t, p->words[i].text, p->words[i].start + off,
		    p->words[i].end + off, p->words[i].confidence, -1);
	for (i = 0; i < p->nsegs; i++)
		tr_transcript_segment(t, p->segs[i].text, p->segs[i].start + off,
		    p->segs[i].end + off, -1);
	tr_buf_init(&b, 64 * 1024 * 1024);
	if (tr_buf_adds(&b, t->text != NULL ? t->text : "") == TR_OK &&
	    (b.len == 0 || tr_buf_add(&b, " ", 1) == TR_OK) &&
	    tr_buf_adds(&b, p->text != NULL ? p->text : "") == TR_OK) {
		free(t->text);
		t->text = tr_buf_take(&b, NULL);
	}
	tr_buf_free(&b);
	memcpy(t->language, p->language, sizeof(t->language));
	memcpy(t->provider, p->provider, sizeof(t->provider));
	memcpy(t->model, p->model, sizeof(t->model));
	memcpy(t->request_id, p->request_id, sizeof(t->request_id));
}

/*
 * The end of the piece that starts at start: the silence latest before
 * start + len but after 60% of it, or start + len itself.
 */
static double
cut_after(double start, double len, double dur, const double *sil, size_t n)
{
	double	 want = start + len, best = -1;
	size_t	 i;

	if (want >= dur)
		return dur;
	for (i = 0; i < n; i++)
		if (sil[i] > start + len * 0.6 && sil[i] <= want)
			best = sil[i];
	return best > 0 ? best : want;
}

static enum tr_err
transcribe(struct tr_req *r, const struct tr_upload *up,
    const struct tr_media *m, const struct tr_prov_opts *o,
    struct tr_transcript *t)
{
	struct tr_transcript	 piece;
	struct stat		 st;
	const char		*path, *fn, *ext;
	char			*ppath = NULL, name[64], stage[64];
	double			*sil = NULL, start, end, len;
	size_t			 nsil = 0, k, total;
	long long		 limit;
	enum tr_err		 er;

	limit = tr_conf_ll("OPENAI_MAX_BYTES", OAI_LIMIT, 4096, OAI_LIMIT);
	if ((er = tr__prov_file(r, up, &path)) != TR_OK)
		return er;
	if (stat(path, &st) == -1)
		return TR_ESYSTEM;
	if (st.st_size <= limit)
		return send_one(r, path, m, o, t);
	if (m->duration <= 0)
		return tr_fail(r, TR_ETOOBIG, "media over the provider's limit "
		    "with no known duration cannot be split");
	/* Pieces of equal time should be under the limit, with margin. */
	len = m->duration * (double)limit * 0.85 / (double)st.st_size;
	if ((er = tr_media_silences(path, &sil, &nsil)) != TR_OK)
		return tr_fail(r, er, "the media could not be split");
	fn = filename_for(m, o->filename);
	ext = strrchr(fn, '.') != NULL ? strrchr(fn, '.') : ".wav";
	/* As many pieces as equal cuts would make: silences move the cuts
	 * earlier, so the last piece may come one past it. */
	total = (size_t)(m->duration / len) + 1;
	for (start = 0, k = 0; start < m->duration - 0.01; start = end, k++) {
		if (k >= total)
			total = k + 1;
		snprintf(stage, sizeof(stage), "transcribing piece %zu of %zu",
		    k + 1, total);
		if ((er = tr_job_progress(r, stage,
		    30 + (int)(60 * k / total))) != TR_OK)
			break;
		end = cut_after(start, len, m->duration, sil, nsil);
		snprintf(name, sizeof(name), "piece-%zu%s", k, ext);
		free(ppath);
		if ((er = tr__req_tmpfile(r, name, &ppath)) != TR_OK ||
		    (er = tr_media_cut(path, start, end, ppath)) != TR_OK)
			break;
		if (stat(ppath, &st) == -1 || st.st_size > limit) {
			er = tr_fail(r, TR_ETOOBIG, "a piece of the media is "
			    "still over the provider's limit");
			break;
		}
		tr_transcript_init(&piece);
		er = send_one(r, ppath, m, o, &piece);
		if (er == TR_OK)
			join(t, &piece, start);
		tr_transcript_free(&piece);
		unlink(ppath);
		if (er != TR_OK)
			break;
	}
	free(ppath);
	free(sil);
	t->duration = m->duration;
	tr_info("openai: %zu pieces of about %.0f s", k, len);
	return er;
}

const struct tr_provider tr_prov_openai = {
	.name = "openai", .model = "whisper-1", .keyvar = "OPENAI_API_KEY",
	.costvar = "COST_PER_MINUTE_OPENAI", .cost = 0.006,
	.transcribe = transcribe,
};
