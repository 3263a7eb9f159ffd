/*
 * The one table of output formats: for each response_format a client
 * may ask for, its Content-Type, the function that renders a
 * transcript in it, and the endpoints that offer it.  Checking the
 * field, rendering and the error that lists the choices all ask this
 * table; a new format (docx, pdf) is one renderer and one row.
 *
 * "json" is two rows: our JSON on our endpoints, OpenAI's {"text"} on
 * the OpenAI-compatible ones.  Also here: OpenAI's verbose_json.
 */
#include <math.h>
#include <string.h>

#include "extern.h"

/* Appends o as compact JSON, as tr_reply_json() writes it, and frees o. */
static enum tr_err
put_json(struct json_object *o, struct tr_buf *b)
{
	const char	*s;
	size_t		 len;
	enum tr_err	 er;

	s = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	er = tr_buf_add(b, s, len);
	json_object_put(o);
	return er;
}

/* Our JSON: transcript, diarization, words, processing_info. */
static enum tr_err
ours(const struct tr_transcript *t, const struct tr_render *o,
    struct tr_buf *b)
{
	struct json_object	*j = tr_transcript_json(t, o->reqid);

	/* A document's title and metadata travel with it. */
	if (o->title != NULL)
		json_object_object_add(j, "title",
		    json_object_new_string(o->title));
	if (o->meta != NULL)
		json_object_object_add(j, "metadata", json_object_get(o->meta));
	return put_json(j, b);
}

static enum tr_err
text(const struct tr_transcript *t, const struct tr_render *o,
    struct tr_buf *b)
{
	return tr_buf_adds(b, t->text != NULL ? t->text : "");
}

/* OpenAI's json: the text alone. */
static enum tr_err
openai(const struct tr_transcript *t, const struct tr_render *o,
    struct tr_buf *b)
{
	struct json_object	*out = json_object_new_object();

	json_object_object_add(out, "text",
	    json_object_new_string(t->text != NULL ? t->text : ""));
	return put_json(out, b);
}

/* Whisper's name of the language ("english"), else our code of it. */
static const char *
language(const struct tr_transcript *t, int translate)
{
	const struct tr_lang	*l;
	const char		*code = "en";

	if (!translate && t->language[0] != '\0')
		code = t->language;
	l = tr_lang_primary(code);
	return l != NULL && l->openai != NULL ? l->openai : code;
}

/* One verbose_json segment. */
static struct json_object *
segment(const struct tr_segment *sg, size_t id)
{
	struct json_object	*s = json_object_new_object();
	struct tr_buf		 text;

	json_object_object_add(s, "id", json_object_new_int((int)id));
	json_object_object_add(s, "seek", json_object_new_int(
	    (int)lround(sg->start * 100)));
	json_object_object_add(s, "start", json_object_new_double(sg->start));
	json_object_object_add(s, "end", json_object_new_double(sg->end));
	tr_buf_init(&text, 1 << 20);
	if (tr_buf_addf(&text, " %s", sg->text) != TR_OK)
		tr_buf_init(&text, 1);
	json_object_object_add(s, "text",
	    json_object_new_string(tr_buf_str(&text)));
	tr_buf_free(&text);
	json_object_object_add(s, "tokens", json_object_new_array());
	json_object_object_add(s, "temperature", json_object_new_double(0));
	json_object_object_add(s, "avg_logprob", json_object_new_double(0));
	json_object_object_add(s, "compression_ratio",
	    json_object_new_double(1));
	json_object_object_add(s, "no_speech_prob", json_object_new_double(0));
	return s;
}

/*
 * OpenAI's verbose_json: segments unless only word timestamps were
 * asked for, words when they were.
 */
static enum tr_err
verbose(const struct tr_transcript *t, const struct tr_render *o,
    struct tr_buf *b)
{
	struct json_object	*out, *segs;
	size_t			 i;

	out = json_object_new_object();
	json_object_object_add(out, "task", json_object_new_string(
	    o->translate ? "translate" : "transcribe"));
	json_object_object_add(out, "language",
	    json_object_new_string(language(t, o->translate)));
	json_object_object_add(out, "duration",
	    json_object_new_double(t->duration));
	json_object_object_add(out, "text",
	    json_object_new_string(t->text != NULL ? t->text : ""));
	if (o->segments || !o->words) {
		segs = json_object_new_array();
		for (i = 0; i < t->nsegs; i++)
			json_object_array_add(segs, segment(&t->segs[i], i));
		json_object_object_add(out, "segments", segs);
	}
	if (o->words)
		json_object_object_add(out, "words",
		    tr_transcript_words_json(t, 1));
	return put_json(out, b);
}

#define OURS	(TR_FMT_SEED | TR_FMT_WHISPER)
#define ALL	(TR_FMT_SEED | TR_FMT_WHISPER | TR_FMT_OPENAI)

#define DOC	TR_FMT_DOC
#define REPORT	TR_FMT_REPORT

/* In the order the error message lists them. */
static const struct tr_format formats[] = {
	{ "json", "application/json", OURS | DOC, ours, NULL, "json" },
	{ "json", "application/json", TR_FMT_OPENAI, openai, NULL, "json" },
	{ "text", "text/plain; charset=utf-8", ALL, text, NULL, "txt" },
	{ "txt", "text/plain; charset=utf-8", DOC, tr_doc_txt, NULL, "txt" },
	{ "srt", "application/x-subrip; charset=utf-8", ALL | DOC,
	    tr_subtitle_srt, NULL, "srt" },
	{ "vtt", "text/vtt; charset=utf-8", ALL | DOC, tr_subtitle_vtt, NULL,
	    "vtt" },
	{ "verbose_json", "application/json", TR_FMT_WHISPER | TR_FMT_OPENAI,
	    verbose, NULL, "json" },
	{ "docx", "application/vnd.openxmlformats-officedocument."
	    "wordprocessingml.document", DOC, NULL, tr_doc_docx, "docx" },
	{ "pdf", "application/pdf", DOC, NULL, tr_doc_pdf, "pdf" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument."
	    "spreadsheetml.sheet", DOC, NULL, tr_doc_xlsx, "xlsx" },
	/* Reports: an analysis of the transcript, not the transcript. */
	{ "pdf", "application/pdf", REPORT, NULL, tr_report_pdf, "pdf" },
	{ "docx", "application/vnd.openxmlformats-officedocument."
	    "wordprocessingml.document", REPORT, NULL, tr_report_docx, "docx" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument."
	    "spreadsheetml.sheet", REPORT, NULL, tr_report_xlsx, "xlsx" },
	{ "json", "application/json", REPORT, tr_report_json, NULL, "json" },
};

#define NFORMATS	(sizeof(formats) / sizeof(formats[0]))

/* The format called name among those offered to family, or NULL. */
const struct tr_format *
tr_format(const char *name, unsigned int family)
{
	size_t	 i;

	for (i = 0; name != NULL && i < NFORMATS; i++)
		if ((formats[i].offered & family) != 0 &&
		    strcmp(formats[i].name, name) == 0)
			return &formats[i];
	return NULL;
}

/* The i-th format of the table, or NULL past its end. */
const struct tr_format *
tr_format_at(size_t i)
{
	return i < NFORMATS ? &formats[i] : NULL;
}

/* The families' names, by bit (TR_FMT_*), for the API description. */
static const char *const families[] = {
	"seed", "whisper", "openai", "document", "report",
};

/* The name of the family bit (one TR_FMT_* value), or NULL. */
const char *
tr_format_family(unsigned int bit)
{
	size_t	 i;

	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (bit == 1u << i)
			return families[i];
	return NULL;
}

/* Appends the names offered to family: "json, text, srt or vtt". */
enum tr_err
tr_format_names(unsigned int family, struct tr_buf *b)
{
	size_t		 i, n = 0, seen = 0;
	enum tr_err	 er;

	for (i = 0; i < NFORMATS; i++)
		if ((formats[i].offered & family) != 0)
			n++;
	for (i = 0; i < NFORMATS; i++) {
		if ((formats[i].offered & family) == 0)
			continue;
		if (seen++ > 0 &&
		    (er = tr_buf_adds(b, seen == n ? " or " : ", ")) != TR_OK)
			return er;
		if ((er = tr_buf_adds(b, formats[i].name)) != TR_OK)
			return er;
	}
	return TR_OK;
}
