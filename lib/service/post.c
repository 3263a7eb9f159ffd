/*
 * What the post-processing and utility endpoints do: /sentiment (a
 * text or our transcript JSON, read by model/parse.c, scored by a
 * sentiment engine), /utilities/audio-duration (the probe of
 * transcription, media.c) and /utilities/text-file (text as a download
 * under a safe file name).  Every input is checked, and its size
 * limited, before any work; a usage row is written only for a call that
 * succeeded.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sentiment/sentiment.h"

#define SENTI_DEF_MAX	200000		/* SENTIMENT_MAX_BYTES */
#define TEXTFILE_DEF_MAX 1000000	/* TEXT_FILE_MAX_BYTES */
#define SENTI_SEGS_MAX	20000		/* as DOCUMENT_MAX_SEGMENTS */
#define SENTI_WORDS_MAX	200000		/* as DOCUMENT_MAX_WORDS */
#define TEXT_LIMIT_MAX	(64LL << 20)	/* the most either setting takes */
#define FILENAME_MAX_BYTES 200		/* of a download's name, .txt too */
#define FILENAME_DEF	"transcript.txt"

static struct json_object *
dbl(double v, double scale)
{
	return json_object_new_double(round(v * scale) / scale);
}

/* Is there anything but white space? */
static int
blank(const char *s)
{
	return s[strspn(s, " \t\r\n\f\v")] == '\0';
}

static void
put_agg(struct json_object *o, const struct tr_senti_agg *a)
{
	json_object_object_add(o, "label",
	    json_object_new_string(tr_senti_label_name(a->label)));
	json_object_object_add(o, "score", dbl(a->score, 1e4));
}

static struct json_object *
agg_json(const struct tr_senti_agg *a)
{
	struct json_object	*o = json_object_new_object();

	put_agg(o, a);
	json_object_object_add(o, "sentences",
	    json_object_new_int64((int64_t)a->sentences));
	json_object_object_add(o, "words",
	    json_object_new_int64((int64_t)a->words));
	return o;
}

/* The answer: overall, sentences, and segments and speakers if any. */
static struct json_object *
doc_json(struct tr_req *r, const char *engine, const char *lang,
    const struct tr_transcript *t, const struct tr_senti_doc *d)
{
	struct json_object	*o, *arr, *s;
	size_t			 i;

	o = json_object_new_object();
	json_object_object_add(o, "engine", json_object_new_string(engine));
	json_object_object_add(o, "language",
	    json_object_new_string(lang != NULL ? lang : "en"));
	json_object_object_add(o, "overall", agg_json(&d->overall));
	arr = json_object_new_array();
	for (i = 0; i < d->nsents; i++) {
		s = json_object_new_object();
		json_object_object_add(s, "text", json_object_new_string_len(
		    d->sents[i].text, (int)d->sents[i].len));
		json_object_object_add(s, "label", json_object_new_string(
		    tr_senti_label_name(d->sents[i].label)));
		json_object_object_add(s, "score", dbl(d->sents[i].score, 1e4));
		if (d->sents[i].seg != SIZE_MAX)
			json_object_object_add(s, "segment",
			    json_object_new_int64((int64_t)d->sents[i].seg));
		json_object_array_add(arr, s);
	}
	json_object_object_add(o, "sentences", arr);
	if (t->nsegs > 0) {
		arr = json_object_new_array();
		for (i = 0; i < t->nsegs; i++) {
			s = json_object_new_object();
			json_object_object_add(s, "index",
			    json_object_new_int64((int64_t)i));
			json_object_object_add(s, "speaker", t->segs[i].speaker >= 0 ?
			    json_object_new_int(t->segs[i].speaker) : NULL);
			json_object_object_add(s, "start", dbl(t->segs[i].start, 1e3));
			json_object_object_add(s, "end", dbl(t->segs[i].end, 1e3));
			json_object_object_add(s, "text",
			    json_object_new_string(t->segs[i].text));
			put_agg(s, &d->segs[i]);
			json_object_array_add(arr, s);
		}
		json_object_object_add(o, "segments", arr);
	}
	if (d->nspeakers > 0) {
		arr = json_object_new_array();
		for (i = 0; i < d->nspeakers; i++) {
			if (d->speakers[i].sentences == 0)
				continue;
			s = agg_json(&d->speakers[i]);
			json_object_object_add(s, "speaker",
			    json_object_new_int((int)i));
			json_object_array_add(arr, s);
		}
		json_object_object_add(o, "speakers", arr);
	}
	json_object_object_add(o, "request_id",
	    json_object_new_string(tr_request_id(r)));
	return o;
}

/*
 * The transcript field as our transcript JSON: the JSON body's member
 * itself, or a form field's text parsed.  On error the message names
 * the member that is wrong.
 */
static enum tr_err
read_transcript(struct tr_req *r, const struct tr_pair *p, size_t max,
    struct tr_transcript *t)
{
	struct json_object	*body = tr_body_json(r), *o = NULL, *own = NULL;
	struct tr_tlimits	 lim = { SENTI_SEGS_MAX, SENTI_WORDS_MAX, max };
	char			 why[256];
	enum tr_err		 er;

	if (body != NULL && json_object_is_type(body, json_type_object))
		(void)json_object_object_get_ex(body, "transcript", &o);
	if (o == NULL) {
		er = tr_json_parse(p->val, p->valsz, max, TR_JSON_DEPTH, &own);
		if (er == TR_ETOOBIG)
			return tr_fail_param(r, er, "transcript", "field "
			    "'transcript' is over the limit of %zu bytes", max);
		if (er != TR_OK)
			return tr_fail_param(r, TR_EFIELD, "transcript", "field "
			    "'transcript' is not valid JSON");
		o = own;
	}
	er = tr_transcript_parse(o, &lim, t, why, sizeof(why));
	json_object_put(own);
	if (er != TR_OK)
		return tr_fail_param(r, er, "transcript", "%s", why);
	return TR_OK;
}

enum tr_err
tr_sentiment(struct tr_req *r, const char *engine, const char *language,
    const struct tr_pair *text, const struct tr_pair *transcript)
{
	const struct tr_senti_engine	*e;
	struct tr_transcript		 t;
	struct tr_senti_doc		 d;
	struct tr_usage			 u;
	struct json_object		*o;
	struct tr_buf			 b;
	size_t				 max, total = 0, i;
	enum tr_err			 er;

	if (engine == NULL)
		engine = tr_senti_local.name;
	if ((e = tr_senti_engine(engine)) == NULL) {
		tr_buf_init(&b, 512);
		if ((er = tr_senti_engine_names(&b)) == TR_OK)
			er = tr_fail_param(r, TR_EFIELD, "engine", "field "
			    "'engine' must be one of: %s", tr_buf_str(&b));
		tr_buf_free(&b);
		return er;
	}
	if (e->keyvar != NULL && tr_conf(e->keyvar) == NULL)
		return tr_fail(r, TR_EUNAVAIL, "sentiment engine '%s' is not "
		    "configured (%s is unset)", e->name, e->keyvar);
	if ((text == NULL) == (transcript == NULL))
		return text == NULL ? tr_fail_param(r, TR_EINVAL, "text",
		    "field 'text' or 'transcript' is required") :
		    tr_fail_param(r, TR_EFIELD, "transcript", "give field "
		    "'text' or field 'transcript', not both");
	max = (size_t)tr_conf_ll("SENTIMENT_MAX_BYTES", SENTI_DEF_MAX, 1,
	    TEXT_LIMIT_MAX);
	if (text != NULL && text->valsz > max)
		return tr_fail_param(r, TR_ETOOBIG, "text", "field 'text' of "
		    "%zu bytes is over the limit of %zu", text->valsz, max);
	if (text != NULL && blank(text->val))
		return tr_fail_param(r, TR_EFIELD, "text", "field 'text' is "
		    "empty");
	tr_transcript_init(&t);
	if (text != NULL)
		t.text = tr_xstrndup(text->val, text->valsz);
	else if ((er = read_transcript(r, transcript, 4 * max, &t)) != TR_OK)
		goto out;
	/* What is scored: the segments' text, or the text. */
	for (i = 0; i < t.nsegs; i++)
		total += strlen(t.segs[i].text);
	if (t.nsegs == 0)
		total = strlen(t.text);
	if (total > max) {
		er = tr_fail_param(r, TR_ETOOBIG, text != NULL ? "text" :
		    "transcript", "%zu bytes of text are over the limit of %zu",
		    total, max);
		goto out;
	}
	if (language == NULL && t.language[0] != '\0' &&
	    tr_lang_wellformed(t.language, strlen(t.language)))
		language = t.language;
	if ((er = tr_senti_doc(r, e, language, &t, &d)) != TR_OK)
		goto out;
	memset(&u, 0, sizeof(u));
	u.service = "sentiment";
	u.tokens = d.use.tokens;
	u.cost_usd = d.use.cost_usd;
	if ((er = tr_usage_log(r, &u)) == TR_OK) {
		o = doc_json(r, e->name, language, &t, &d);
		er = tr_reply_json(r, 200, o);
		json_object_put(o);
	}
	tr_senti_doc_free(&d);
out:
	tr_transcript_free(&t);
	return er;
}

/*
 * The container's name as the upload calls it: libavformat names a
 * family ("mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"); the file's
 * extension picks one of them, else the first.
 */
static void
container(const char *format, const char *filename, char *out, size_t sz)
{
	const char	*ext, *p, *c;
	size_t		 n;

	ext = filename != NULL ? strrchr(filename, '.') : NULL;
	for (p = format; ext != NULL && ext[1] != '\0' && *p != '\0'; p = c) {
		c = strchr(p, ',');
		n = c != NULL ? (size_t)(c - p) : strlen(p);
		if (strlen(ext + 1) == n && strncasecmp(ext + 1, p, n) == 0) {
			snprintf(out, sz, "%.*s", (int)n, p);
			return;
		}
		c = c != NULL ? c + 1 : p + n;
	}
	n = strcspn(format, ",");
	snprintf(out, sz, "%.*s", (int)n, format);
}

enum tr_err
tr_audio_duration(struct tr_req *r, const struct tr_upload *up)
{
	struct tr_media		 m;
	struct tr_usage		 u;
	struct json_object	*o;
	char			 cont[64];
	enum tr_err		 er;

	if (up->size == 0)
		return tr_fail_param(r, TR_EINVAL, up->field, "the uploaded "
		    "file is empty");
	if ((er = tr_upload_probe(up, &m)) != TR_OK)
		return tr_fail_param(r, er, up->field, "the upload is not "
		    "audio or video with an audio track");
	/* A probe transcribes nothing: no audio minutes on the row. */
	memset(&u, 0, sizeof(u));
	u.service = "utility";
	if ((er = tr_usage_log(r, &u)) != TR_OK)
		return er;
	container(m.format, up->filename, cont, sizeof(cont));
	o = json_object_new_object();
	json_object_object_add(o, "duration_seconds", dbl(m.duration, 1e3));
	json_object_object_add(o, "container", json_object_new_string(cont));
	json_object_object_add(o, "codec", json_object_new_string(m.codec));
	json_object_object_add(o, "sample_rate", json_object_new_int(m.rate));
	json_object_object_add(o, "channels", json_object_new_int(m.channels));
	json_object_object_add(o, "bit_rate", m.bit_rate > 0 ?
	    json_object_new_int64(m.bit_rate) : NULL);
	json_object_object_add(o, "size_bytes",
	    json_object_new_int64((int64_t)up->size));
	json_object_object_add(o, "request_id",
	    json_object_new_string(tr_request_id(r)));
	er = tr_reply_json(r, 200, o);
	json_object_put(o);
	return er;
}

/*
 * A download's file name from the client's: its last path component
 * (after '/' or '\'), without leading dots and spaces, characters that
 * some file systems refuse ("<>:\"|?*") as '_', cut to
 * FILENAME_MAX_BYTES at a character boundary, ending in ".txt".
 * Control characters are refused before this (the caller's 422).
 */
static void
safe_name(const char *in, char *out, size_t sz)
{
	const char	*p;
	size_t		 n = 0, max = sz - 5;

	if (in != NULL) {
		if ((p = strrchr(in, '/')) != NULL)
			in = p + 1;
		if ((p = strrchr(in, '\\')) != NULL)
			in = p + 1;
		in += strspn(in, ". ");
	}
	for (; in != NULL && *in != '\0' && n < max; in++)
		out[n++] = strchr("<>:\"|?*", *in) != NULL ? '_' : *in;
	/* A cut through a UTF-8 sequence: back to its first byte. */
	if (in != NULL && *in != '\0')
		while (n > 0 && ((unsigned char)out[n] & 0xc0) == 0x80 &&
		    ((unsigned char)out[n - 1] & 0x80))
			n--;
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '.'))
		n--;
	out[n] = '\0';
	if (n == 0)
		snprintf(out, sz, "%s", FILENAME_DEF);
	else if (n < 4 || strcasecmp(out + n - 4, ".txt") != 0)
		snprintf(out + n, sz - n, ".txt");
}

/*
 * Content-Disposition for name (RFC 6266): an ASCII fallback in
 * filename="..." (other bytes as '_') and the UTF-8 name in filename*
 * (RFC 8187), percent-encoded but for its attr-chars.
 */
static enum tr_err
disposition(struct tr_buf *b, const char *name)
{
	const unsigned char	*p;
	enum tr_err		 er;

	if ((er = tr_buf_adds(b, "attachment; filename=\"")) != TR_OK)
		return er;
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if ((er = tr_buf_add(b, *p < 0x80 && *p != '"' && *p != '\\' &&
		    *p != '%' ? (const char *)p : "_", 1)) != TR_OK)
			return er;
	if ((er = tr_buf_adds(b, "\"; filename*=UTF-8''")) != TR_OK)
		return er;
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if ((er = isalnum(*p) || strchr("!#$&+-.^_`|~", *p) != NULL ?
		    tr_buf_add(b, p, 1) : tr_buf_addf(b, "%%%02X", *p)) != TR_OK)
			return er;
	return TR_OK;
}

enum tr_err
tr_text_file(struct tr_req *r, const struct tr_pair *text,
    const char *filename)
{
	struct tr_usage	 u;
	struct tr_buf	 cd;
	char		 name[FILENAME_MAX_BYTES + 8];
	const char	*p;
	size_t		 max;
	enum tr_err	 er;

	max = (size_t)tr_conf_ll("TEXT_FILE_MAX_BYTES", TEXTFILE_DEF_MAX, 1,
	    TEXT_LIMIT_MAX);
	if (text->valsz > max)
		return tr_fail_param(r, TR_ETOOBIG, "text", "field 'text' of "
		    "%zu bytes is over the limit of %zu", text->valsz, max);
	if (text->valsz == 0)
		return tr_fail_param(r, TR_EFIELD, "text", "field 'text' is "
		    "empty");
	for (p = filename; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return tr_fail_param(r, TR_EFIELD, "filename", "field "
			    "'filename' may not hold control characters");
	safe_name(filename, name, sizeof(name));
	tr_buf_init(&cd, 4 * sizeof(name) + 64);
	if ((er = disposition(&cd, name)) != TR_OK ||
	    (er = tr_header(r, "Content-Disposition", tr_buf_str(&cd))) != TR_OK)
		goto out;
	memset(&u, 0, sizeof(u));
	u.service = "utility";
	if ((er = tr_usage_log(r, &u)) == TR_OK)
		er = tr_reply(r, 200, "text/plain; charset=utf-8", text->val,
		    text->valsz);
out:
	tr_buf_free(&cd);
	return er;
}
