/*
 * What every transcription endpoint does around its provider: probe the
 * upload (415 if it is not audio, and the real duration for billing),
 * choose the provider (the local engine when the asked-for provider has
 * no key), take a quota slot, transcribe, write the usage row, and
 * render the transcript in the format asked for.
 */
#include <stdio.h>
#include <string.h>

#include "prov/prov.h"

/*
 * Transcribes the upload with the named provider (NULL: the endpoint's
 * default, want).  Fills t; on error the request's message is set.
 */
enum tr_err
tr_transcribe(struct tr_req *r, const struct tr_upload *up, const char *name,
    const char *want, const struct tr_prov_opts *o, struct tr_transcript *t)
{
	const struct tr_provider	*p;
	struct tr_media			 m;
	struct tr_usage			 u;
	const char			*c;
	double				 per;
	long long			 slot;
	enum tr_err			 er, ul;

	if (name != NULL) {
		if ((p = tr_provider(name)) == NULL)
			return tr_fail(r, TR_EFIELD, "unknown provider '%.32s'",
			    name);
		if (!tr_provider_ready(p))
			return tr_fail(r, TR_EUNAVAIL, "provider '%s' is not "
			    "configured (%s is unset)", p->name, p->keyvar);
	} else {
		p = tr_provider(want);
		if (p == NULL || !tr_provider_ready(p))
			p = &tr_prov_local;
	}
	if (up->size == 0)
		return tr_fail(r, TR_EINVAL, "the uploaded file is empty");
	if ((er = tr_media_probe(up->path, &m)) != TR_OK)
		return tr_fail(r, er, "the upload is not audio or video "
		    "with an audio track");
	if ((er = tr_quota_begin(r, m.duration, &slot)) != TR_OK)
		return er;
	er = p->transcribe(r, up->path, &m, o, t);
	if (er == TR_OK) {
		if (t->duration <= 0)
			t->duration = m.duration;
		tr_transcript_finish(t);
	}
	per = p->cost;
	if ((c = tr_conf(p->costvar)) != NULL &&
	    tr_parse_double(c, 0, 1000, &per) != TR_OK) {
		tr_warnx("%s is not a price; using %g", p->costvar, p->cost);
		per = p->cost;
	}
	memset(&u, 0, sizeof(u));
	u.service = p->name;
	u.status = er == TR_OK ? "success" : "error";
	u.audio_seconds = er == TR_OK ? m.duration : 0;
	u.cost_usd = u.audio_seconds / 60 * per;
	ul = tr_usage_log(r, &u);
	tr_quota_end(r, slot);
	if (er != TR_OK)
		return er;
	return ul;
}

/*
 * Replies with t in format: "json" (ours), "text", "srt" or "vtt".
 * Returns TR_EFIELD for another format.
 */
enum tr_err
tr_transcript_reply(struct tr_req *r, const struct tr_transcript *t,
    const char *format)
{
	struct json_object	*o;
	struct tr_buf		 b;
	enum tr_err		 er;

	if (format == NULL || strcmp(format, "json") == 0) {
		o = tr_transcript_json(t, tr_request_id(r));
		er = tr_reply_json(r, 200, o);
		json_object_put(o);
		return er;
	}
	tr_buf_init(&b, 64 * 1024 * 1024);
	if (strcmp(format, "text") == 0)
		er = tr_buf_adds(&b, t->text != NULL ? t->text : "");
	else if (strcmp(format, "srt") == 0 || strcmp(format, "vtt") == 0)
		er = tr_transcript_subtitles(t, format[0] == 'v', &b);
	else
		return tr_fail(r, TR_EFIELD, "response_format must be json, "
		    "text, srt or vtt");
	if (er == TR_OK)
		er = tr_reply(r, 200, strcmp(format, "text") == 0 ?
		    "text/plain; charset=utf-8" : strcmp(format, "srt") == 0 ?
		    "application/x-subrip; charset=utf-8" :
		    "text/vtt; charset=utf-8", b.ptr, b.len);
	tr_buf_free(&b);
	return er;
}

/* The fields of the seed's transcription endpoints. */
const struct tr_field tr_seed_fields[TR_SEED__MAX] = {
	{ "audio", NULL, TR_FILE | TR_REQUIRED },	/* TR_SEED_AUDIO */
	{ "language", tr_valid_lang, 0 },		/* TR_SEED_LANG */
	{ "diarize", tr_valid_bool, 0 },		/* TR_SEED_DIARIZE */
	{ "provider", tr_valid_ident, 0 },		/* TR_SEED_PROVIDER */
	{ "response_format", tr_valid_ident, 0 },	/* TR_SEED_FORMAT */
	{ "model", tr_valid_ident, 0 },			/* TR_SEED_MODEL */
};

/*
 * The handler of /transcriptions/deepgram and /assemblyai: the upload
 * to the provider want (or the one named by "provider"), answered in
 * the seed's JSON or as text, srt or vtt.
 */
enum tr_err
tr_seed_transcribe(struct tr_req *r, const char *want)
{
	const struct tr_pair	*d = tr_field_get(r, TR_SEED_DIARIZE);
	const struct tr_upload	*up = tr_upload_get(r, TR_SEED_AUDIO);
	struct tr_prov_opts	 o = {
		.language = tr_str(r, TR_SEED_LANG),
		.diarize = d != NULL && d->parsed.i,
		.model = tr_str(r, TR_SEED_MODEL),
		.ctype = up->ctype, .filename = up->filename,
	};
	struct tr_transcript	 t;
	const char		*fmt = tr_str(r, TR_SEED_FORMAT);
	enum tr_err		 er;

	if (fmt != NULL && strcmp(fmt, "json") != 0 && strcmp(fmt, "text") != 0 &&
	    strcmp(fmt, "srt") != 0 && strcmp(fmt, "vtt") != 0)
		return tr_fail(r, TR_EFIELD, "response_format must be json, "
		    "text, srt or vtt");
	tr_transcript_init(&t);
	if ((er = tr_transcribe(r, up, tr_str(r, TR_SEED_PROVIDER), want, &o,
	    &t)) == TR_OK)
		er = tr_transcript_reply(r, &t, fmt);
	tr_transcript_free(&t);
	return er;
}
