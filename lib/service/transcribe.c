/*
 * What every transcription endpoint does around its provider: probe the
 * upload (415 if it is not audio, and the real duration for billing),
 * choose the provider (the local engine when the asked-for provider has
 * no key), take a quota slot, transcribe, write the usage row, and
 * render the transcript in the format asked for (format.c).
 */
#include <stdio.h>
#include <string.h>

#include "prov/prov.h"

/*
 * Probes an upload: a WAV in memory by its header, anything else (or a
 * part on disk) from its file.
 */
enum tr_err
tr_upload_probe(const struct tr_upload *up, struct tr_media *m)
{
	const char	*path;

	if (up->mem.ptr != NULL && tr_media_wav((const unsigned char *)
	    up->mem.ptr, up->mem.len, up->size, m) == TR_OK)
		return TR_OK;
	if ((path = tr_upload_path(up)) == NULL)
		return TR_ESYSTEM;
	return tr_media_probe(path, m);
}

/*
 * Transcribes the upload with the named provider (NULL: the endpoint's
 * default, want; with want NULL any provider may be named, and the
 * default is the local engine).  Fills t; on error the request's message is set.
 */
enum tr_err
tr_transcribe(struct tr_req *r, const struct tr_upload *up, const char *name,
    const char *want, const struct tr_prov_opts *o, struct tr_transcript *t)
{
	return tr_transcribe_held(r, up, name, want, o, t, NULL);
}

/*
 * tr_transcribe(); with held, a success's usage row is not written but
 * left there, its quota slot still taken: the caller adds what else it
 * did and writes the one row (a failure's row is written at once).
 */
enum tr_err
tr_transcribe_held(struct tr_req *r, const struct tr_upload *up,
    const char *name, const char *want, const struct tr_prov_opts *o,
    struct tr_transcript *t, struct tr_usage *held)
{
	const struct tr_provider	*p;
	struct tr_media			 m;
	struct tr_usage			 u;
	const char			*c;
	double				 per;
	long long			 slot;
	enum tr_err			 er, ul;

	if (name != NULL) {
		/* An endpoint is its provider's, or the local engine's. */
		if (want != NULL && strcmp(name, want) != 0 &&
		    strcmp(name, tr_prov_local.name) != 0)
			return tr_fail_param(r, TR_EFIELD, "provider", "provider "
			    "must be %s or %s on this endpoint", want,
			    tr_prov_local.name);
		if ((p = tr_provider(name)) == NULL)
			return tr_fail(r, TR_EFIELD, "unknown provider '%.32s'",
			    name);
		if (!tr_provider_ready(p))
			return tr_fail(r, TR_EUNAVAIL, "provider '%s' is not "
			    "configured (%s is unset)", p->name, p->keyvar);
	} else {
		p = want != NULL ? tr_provider(want) : NULL;
		if (p == NULL || !tr_provider_ready(p))
			p = &tr_prov_local;
	}
	if (up->size == 0)
		return tr_fail_param(r, TR_EINVAL, up->field, "the uploaded "
		    "file is empty");
	if ((er = tr_job_progress(r, "probing", 10)) != TR_OK)
		return er;
	if ((er = tr_upload_probe(up, &m)) != TR_OK)
		return tr_fail_param(r, er, up->field, "the upload is not "
		    "audio or video with an audio track");
	if ((er = tr_quota_begin(r, m.duration, &slot)) != TR_OK)
		return er;
	if ((er = tr_job_progress(r, "transcribing", 30)) != TR_OK) {
		tr_quota_end(r, slot);
		return er;
	}
	er = p->transcribe(r, up, &m, o, t);
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
	/* One commit: the row, the month's counters and the slot back. */
	u.slot = slot;
	if (er == TR_OK && held != NULL) {
		*held = u;
		return TR_OK;
	}
	ul = tr_usage_log(r, &u);
	if (r->slot == slot)
		tr_quota_end(r, slot);
	if (er != TR_OK)
		return er;
	return ul;
}

/*
 * The format that name (NULL: json) asks for among those offered to
 * family; else er, with a message that lists them.
 */
enum tr_err
tr_transcript_format(struct tr_req *r, const char *name, unsigned int family,
    enum tr_err er, const struct tr_format **fp)
{
	struct tr_buf	 b;
	enum tr_err	 ner;

	if ((*fp = tr_format(name != NULL ? name : "json", family)) != NULL)
		return TR_OK;
	tr_buf_init(&b, 1024);
	if ((ner = tr_format_names(family, &b)) != TR_OK)
		return ner;
	er = tr_fail_param(r, er, "response_format", "response_format must "
	    "be %s", tr_buf_str(&b));
	tr_buf_free(&b);
	return er;
}

/* Was timestamp_granularities[] val asked for (it may be repeated)? */
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

/* Replies with t rendered in f; translate: OpenAI's task. */
enum tr_err
tr_transcript_reply(struct tr_req *r, const struct tr_transcript *t,
    const struct tr_format *f, int translate)
{
	struct tr_render	 o = {
		.reqid = tr_request_id(r), .translate = translate,
		.words = wants(r, "word"), .segments = wants(r, "segment"),
	};
	struct tr_buf		 b;
	enum tr_err		 er;

	tr_buf_init(&b, TR_RENDER_MAX);
	if ((er = f->render(t, &o, &b)) == TR_OK)
		er = tr_reply(r, 200, f->ctype, b.ptr, b.len);
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

/* The response format asked of a seed endpoint, or its 422. */
static enum tr_err
seed_format(struct tr_req *r, const struct tr_format **f)
{
	return tr_transcript_format(r, tr_str(r, TR_SEED_FORMAT), r->ep->formats,
	    TR_EFIELD, f);
}

/* The checks of tr_seed_transcribe(), for its endpoints' .check. */
enum tr_err
tr_seed_check(struct tr_req *r)
{
	const struct tr_format	*f;

	return seed_format(r, &f);
}

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
	const struct tr_format	*f;
	enum tr_err		 er;

	if ((er = seed_format(r, &f)) != TR_OK)
		return er;
	tr_transcript_init(&t);
	if ((er = tr_transcribe(r, up, tr_str(r, TR_SEED_PROVIDER), want, &o,
	    &t)) == TR_OK)
		er = tr_transcript_reply(r, &t, f, 0);
	tr_transcript_free(&t);
	return er;
}
