/*
 * POST /documents/{fmt} and /reports/{fmt}: a transcript (our JSON, as the transcription
 * endpoints answer it) or a plain text, with an optional title and
 * metadata, as a file for download in one of the formats of format.c's
 * table offered to documents (or the analysis of it, for reports).  Limits are checked before any work; the
 * file is made in the request's temp dir (removed with it) and streamed
 * out; a usage row (service "document") is written only for a document
 * that was made (service "report" for a report).
 */
#include <stdio.h>
#include <string.h>

#include "extern.h"
#include "sentiment/sentiment.h"

#define DOC_TEXT_MAX	(1024 * 1024)	/* DOCUMENT_MAX_TEXT_BYTES */
#define DOC_SEGS_MAX	20000		/* DOCUMENT_MAX_SEGMENTS */
#define DOC_WORDS_MAX	200000		/* DOCUMENT_MAX_WORDS */
#define DOC_TITLE_MAX	500		/* bytes of a title */
#define DOC_META_MAX	50		/* metadata members */
#define DOC_META_VALMAX	1000		/* bytes of a metadata key or value */
#define DOC_NAME_MAX	100		/* bytes of a download's name */

/* A title or file name: UTF-8 (NULs and control bytes are made safe). */
static int
valid_title(struct tr_pair *p)
{
	if (p->valsz > DOC_TITLE_MAX || !tr_valid_utf8(p->val, p->valsz))
		return 0;
	p->parsed.s = p->val;
	return 1;
}

const struct tr_field tr_doc_fields[TR_DOC__MAX] = {
	{ "text", tr_valid_string, 0 },			/* TR_DOC_TEXT */
	{ "transcript", tr_valid_struct, 0 },		/* TR_DOC_TRANSCRIPT */
	{ "title", valid_title, 0 },			/* TR_DOC_TITLE */
	{ "metadata", tr_valid_struct, 0 },		/* TR_DOC_META */
	{ "filename", valid_title, 0 },			/* TR_DOC_FILENAME */
};

/*
 * A copy of n bytes of s with control bytes (NUL, CR, LF...) as
 * spaces, runs of them as one, and the ends trimmed; malloced.
 */
static char *
clean(const char *s, size_t n)
{
	char	*out = tr_xmalloc(n + 1);
	size_t	 i, k = 0;

	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			if (k > 0 && out[k - 1] != ' ')
				out[k++] = ' ';
		} else
			out[k++] = s[i];
	}
	while (k > 0 && out[k - 1] == ' ')
		k--;
	out[k] = '\0';
	return out;
}

/*
 * The download's name: letters, digits, '-', '_' and '.' of the
 * client's name (other bytes, path separators and "..", as '_'; no
 * leading dot), cut to DOC_NAME_MAX, then ".ext".  ASCII only, so the
 * header needs no encoding; "transcript" when nothing is left.
 */
static void
filename(const char *want, const char *ext, char *out, size_t sz)
{
	size_t	 i, k = 0;
	char	 c;

	for (i = 0; want != NULL && want[i] != '\0' && k < DOC_NAME_MAX; i++) {
		c = want[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.'))
			c = '_';
		if (c == '.' && (k == 0 || out[k - 1] == '.' ||
		    out[k - 1] == '_'))
			c = '_';
		if (c == '_' && (k == 0 || out[k - 1] == '_'))
			continue;
		out[k++] = c;
	}
	while (k > 0 && (out[k - 1] == '_' || out[k - 1] == '.'))
		k--;
	out[k] = '\0';
	snprintf(out + k, sz - k, "%s.%s", k == 0 ? "transcript" : "", ext);
}

/* The metadata as an object of cleaned strings, or 422. */
static enum tr_err
metadata(struct tr_req *r, struct json_object *in, struct json_object **out)
{
	struct json_object	*o;
	const char		*s;
	char			*k, *v;
	size_t			 n = 0;

	*out = NULL;
	if (in == NULL)
		return TR_OK;
	/* The field's validator takes arrays too (other fields' are). */
	if (!json_object_is_type(in, json_type_object))
		return tr_fail(r, TR_EFIELD, "field 'metadata' must be an "
		    "object of strings and numbers");
	o = json_object_new_object();
	json_object_object_foreach(in, key, val) {
		if (++n > DOC_META_MAX) {
			json_object_put(o);
			return tr_fail(r, TR_EFIELD, "field 'metadata' has more "
			    "than %d members", DOC_META_MAX);
		}
		if (val != NULL && (json_object_is_type(val, json_type_object) ||
		    json_object_is_type(val, json_type_array))) {
			json_object_put(o);
			return tr_fail(r, TR_EFIELD, "field 'metadata.%.64s' must "
			    "be a string, number or boolean", key);
		}
		s = val != NULL ? json_object_get_string(val) : "";
		if (strlen(key) > DOC_META_VALMAX || strlen(s) > DOC_META_VALMAX) {
			json_object_put(o);
			return tr_fail(r, TR_EFIELD, "field 'metadata.%.64s' is "
			    "longer than %d bytes", key, DOC_META_VALMAX);
		}
		k = clean(key, strlen(key));
		v = clean(s, strlen(s));
		json_object_object_add(o, k, json_object_new_string(v));
		free(k);
		free(v);
	}
	*out = o;
	return TR_OK;
}

/* The transcript from the text or the transcript field. */
static enum tr_err
input(struct tr_req *r, struct tr_transcript *t, int *timed)
{
	const struct tr_pair	*text = tr_field_get(r, TR_DOC_TEXT);
	struct json_object	*body = tr_body_json(r), *tj = NULL;
	struct tr_tlimits	 lim;
	char			 why[256];
	size_t			 i;
	enum tr_err		 er;

	lim.text = (size_t)tr_conf_ll("DOCUMENT_MAX_TEXT_BYTES", DOC_TEXT_MAX,
	    1, 1LL << 30);
	lim.segs = (size_t)tr_conf_ll("DOCUMENT_MAX_SEGMENTS", DOC_SEGS_MAX,
	    1, 10000000);
	lim.words = (size_t)tr_conf_ll("DOCUMENT_MAX_WORDS", DOC_WORDS_MAX,
	    1, 100000000);
	if (body != NULL)
		(void)json_object_object_get_ex(body, "transcript", &tj);
	if (text != NULL && tj != NULL)
		return tr_fail_param(r, TR_EFIELD, "text", "send either 'text' "
		    "or 'transcript', not both");
	if (text == NULL && tj == NULL)
		return tr_fail_param(r, TR_EINVAL, "text", "field 'text' or "
		    "'transcript' is required");
	*timed = 0;
	if (text != NULL) {
		if (text->valsz > lim.text)
			return tr_fail_param(r, TR_ETOOBIG, "text", "field 'text' "
			    "is over the limit of %zu bytes", lim.text);
		if (text->val[strspn(text->val, " \t\r\n")] == '\0')
			return tr_fail_param(r, TR_EFIELD, "text",
			    "field 'text' is empty");
		tr_transcript_init(t);
		t->text = tr_xstrdup(text->val);
		tr_transcript_paragraphs(t);
		return TR_OK;
	}
	if ((er = tr_transcript_parse(tj, &lim, t, why, sizeof(why))) != TR_OK)
		return tr_fail_param(r, er, "transcript", "%s", why);
	for (i = 0; i < t->nsegs; i++)
		if (t->segs[i].end > 0)
			*timed = 1;
	return TR_OK;
}

/* The rendering (text formats) or the file (the others) as the reply. */
static enum tr_err
reply(struct tr_req *r, const struct tr_format *f,
    const struct tr_transcript *t, struct tr_render *o, const char *service)
{
	struct tr_usage	 u = { .service = service };
	struct tr_buf	 b;
	char		*path = NULL, name[16];
	enum tr_err	 er;

	tr_buf_init(&b, TR_RENDER_MAX);
	if (f->write != NULL) {
		snprintf(name, sizeof(name), "document.%s", f->ext);
		if ((er = tr__req_tmpfile(r, name, &path)) != TR_OK)
			goto out;
		o->tmpdir = r->tmpdir;
		er = f->write(t, o, path);
	} else
		er = f->render(t, o, &b);
	if (er != TR_OK)
		goto out;
	if ((er = tr_usage_log(r, &u)) != TR_OK)
		goto out;
	er = path != NULL ? tr_reply_file(r, 200, f->ctype, path) :
	    tr_reply(r, 200, f->ctype, b.ptr, b.len);
out:
	TR_FREE(path);
	tr_buf_free(&b);
	return er;
}

/*
 * A report's sentiment: the local engine on the segments, in the
 * transcript's language when it is one the engine speaks; none (o->senti
 * NULL) when it is not.  Nothing is billed for it but the report.
 */
static enum tr_err
sentiment(struct tr_req *r, const struct tr_transcript *t,
    struct tr_senti_doc *d, struct tr_render *o)
{
	const char	*lang = t->language[0] != '\0' &&
			    tr_lang_wellformed(t->language, strlen(t->language)) ?
			    t->language : NULL;
	enum tr_err	 er;

	if (lang != NULL && !tr_senti_local.speaks(lang))
		return TR_OK;
	if ((er = tr_senti_doc(r, &tr_senti_local, lang, t, d)) == TR_OK)
		o->senti = d;
	return er;
}

/*
 * Both endpoints' input: the format among the endpoint's (what "no
 * format" says names what), the transcript (t, *timed), one with times
 * for the subtitle formats, the metadata (*meta).  Nothing to free on
 * error.
 */
static enum tr_err
prepare(struct tr_req *r, const char *what, const struct tr_format **fp,
    struct tr_transcript *t, int *timed, struct json_object **meta)
{
	unsigned int		 family = r->ep->formats;
	const struct tr_format	*f;
	struct json_object	*min = NULL;
	struct tr_buf		 names;
	const char		*fmt = tr_patharg(r);
	enum tr_err		 er;

	if ((*fp = f = tr_format(fmt, family)) == NULL) {
		tr_buf_init(&names, 256);
		er = tr_format_names(family, &names);
		er = tr_fail(r, TR_ENOTFOUND, "no %s format '%.16s'; "
		    "use %s", what, tr_valid_ident(&(struct tr_pair){ .val =
		    (char *)fmt, .valsz = strlen(fmt) }) ? fmt : "?",
		    tr_buf_str(&names));
		tr_buf_free(&names);
		return er;
	}
	if (tr_body_json(r) != NULL)
		(void)json_object_object_get_ex(tr_body_json(r), "metadata", &min);
	if ((er = input(r, t, timed)) != TR_OK)
		return er;
	if ((f->render == tr_subtitle_srt || f->render == tr_subtitle_vtt) &&
	    !*timed)
		er = tr_fail_param(r, TR_EFIELD, "transcript", "%s needs a "
		    "transcript with timed segments", f->name);
	else
		er = metadata(r, min, meta);
	if (er != TR_OK)
		tr_transcript_free(t);
	return er;
}

/* The endpoints' .check: prepare()'s, its input let go. */
static enum tr_err
check(struct tr_req *r, const char *what)
{
	const struct tr_format	*f;
	struct json_object	*meta = NULL;
	struct tr_transcript	 t;
	int			 timed;
	enum tr_err		 er;

	if ((er = prepare(r, what, &f, &t, &timed, &meta)) == TR_OK) {
		json_object_put(meta);
		tr_transcript_free(&t);
	}
	return er;
}

/*
 * Both endpoints: the input, the file, the usage row of service.
 */
static enum tr_err
serve(struct tr_req *r, const char *service, const char *what)
{
	const struct tr_format	*f;
	const struct tr_pair	*tp = tr_field_get(r, TR_DOC_TITLE);
	const struct tr_pair	*fp = tr_field_get(r, TR_DOC_FILENAME);
	struct json_object	*meta = NULL;
	struct tr_transcript	 t;
	struct tr_render	 o;
	struct tr_senti_doc	 sd;
	struct tr_buf		 cd;
	char			*title = NULL, *want = NULL, fname[160];
	enum tr_err		 er;

	memset(&o, 0, sizeof(o));
	if ((er = prepare(r, what, &f, &t, &o.timed, &meta)) != TR_OK)
		return er;
	if (tp != NULL && (title = clean(tp->val, tp->valsz))[0] == '\0')
		TR_FREE(title);
	if (fp != NULL)
		want = clean(fp->val, fp->valsz);
	filename(want != NULL ? want : title, f->ext, fname, sizeof(fname));
	o.reqid = tr_request_id(r);
	o.title = title;
	o.meta = meta;
	tr_buf_init(&cd, 512);
	if ((er = r->ep->formats == TR_FMT_REPORT ? sentiment(r, &t, &sd, &o) :
	    TR_OK) == TR_OK &&
	    (er = tr_buf_addf(&cd, "attachment; filename=\"%s\"", fname)) ==
	    TR_OK && (er = tr_header(r, "Content-Disposition",
	    tr_buf_str(&cd))) == TR_OK)
		er = reply(r, f, &t, &o, service);
	tr_buf_free(&cd);
	if (o.senti != NULL)
		tr_senti_doc_free(&sd);
	free(title);
	free(want);
	json_object_put(meta);
	tr_transcript_free(&t);
	return er;
}

enum tr_err
tr_document(struct tr_req *r)
{
	return serve(r, "document", "document");
}

enum tr_err
tr_document_check(struct tr_req *r)
{
	return check(r, "document");
}

/* POST /reports/{fmt}: the analysis of report.c, not the transcript. */
enum tr_err
tr_report(struct tr_req *r)
{
	return serve(r, "report", "report");
}

enum tr_err
tr_report_check(struct tr_req *r)
{
	return check(r, "report");
}
