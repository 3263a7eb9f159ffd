/*
 * Unit tests of the output formats (lib/model/format.c and subtitle.c):
 * which endpoints offer which name, unknown names, the content types,
 * the list an error message gives, and what each renderer writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "t.h"

#define ALL	(TR_FMT_SEED | TR_FMT_WHISPER | TR_FMT_OPENAI)

/* What each endpoint family offered before the table. */
static const struct {
	const char	*name;
	unsigned int	 offered;
	const char	*ctype;
} formats[] = {
	{ "json", ALL, "application/json" },
	{ "text", ALL, "text/plain; charset=utf-8" },
	{ "srt", ALL, "application/x-subrip; charset=utf-8" },
	{ "vtt", ALL, "text/vtt; charset=utf-8" },
	{ "verbose_json", TR_FMT_WHISPER | TR_FMT_OPENAI, "application/json" },
};

static const char *const unknown[] = {
	"", "JSON", "docx", "pdf", "xlsx", "x", "json ", "verbose", "txt",
};

static void
test_lookup(void)
{
	const struct tr_format	*f;
	unsigned int		 fam;
	size_t			 i;

	for (i = 0; i < T_NELEM(formats); i++)
		for (fam = TR_FMT_SEED; fam <= TR_FMT_OPENAI; fam <<= 1) {
			f = tr_format(formats[i].name, fam);
			if ((formats[i].offered & fam) == 0) {
				T(f == NULL);
				continue;
			}
			T(f != NULL);
			T_STREQ(f->name, formats[i].name);
			T_STREQ(f->ctype, formats[i].ctype);
			T(f->render != NULL);
		}
	for (i = 0; i < T_NELEM(unknown); i++)
		T(tr_format(unknown[i], ALL) == NULL);
	T(tr_format(NULL, ALL) == NULL);
	T(tr_format("json", 0) == NULL);
	/* Our JSON on ours, OpenAI's on the OpenAI endpoints. */
	T(tr_format("json", TR_FMT_SEED) == tr_format("json", TR_FMT_WHISPER));
	T(tr_format("json", TR_FMT_SEED) != tr_format("json", TR_FMT_OPENAI));
	T(tr_format("srt", TR_FMT_SEED) == tr_format("srt", TR_FMT_OPENAI));
}

static void
names(unsigned int fam, const char *want)
{
	struct tr_buf	 b;

	tr_buf_init(&b, 1024);
	T(tr_format_names(fam, &b) == TR_OK);
	T_STREQ(tr_buf_str(&b), want);
	tr_buf_free(&b);
}

static void
test_names(void)
{
	names(TR_FMT_SEED, "json, text, srt or vtt");
	names(TR_FMT_WHISPER, "json, text, srt, vtt or verbose_json");
	names(TR_FMT_OPENAI, "json, text, srt, vtt or verbose_json");
	names(0, "");
	names(TR_FMT_DOC, "json, txt, srt, vtt, docx, pdf or xlsx");
	names(TR_FMT_REPORT, "pdf, docx, xlsx or json");
}

/* Documents and reports: a renderer or a file writer, and a file name. */
static void
test_files(void)
{
	static const struct {
		const char	*name;
		unsigned int	 fam;
		int		 file;
		const char	*ext;
	} rows[] = {
		{ "docx", TR_FMT_DOC, 1, "docx" }, { "pdf", TR_FMT_DOC, 1, "pdf" },
		{ "xlsx", TR_FMT_DOC, 1, "xlsx" }, { "txt", TR_FMT_DOC, 0, "txt" },
		{ "srt", TR_FMT_DOC, 0, "srt" }, { "vtt", TR_FMT_DOC, 0, "vtt" },
		{ "json", TR_FMT_DOC, 0, "json" },
		{ "pdf", TR_FMT_REPORT, 1, "pdf" },
		{ "docx", TR_FMT_REPORT, 1, "docx" },
		{ "xlsx", TR_FMT_REPORT, 1, "xlsx" },
		{ "json", TR_FMT_REPORT, 0, "json" },
	};
	const struct tr_format	*f;
	size_t			 i;

	for (i = 0; i < T_NELEM(rows); i++) {
		T((f = tr_format(rows[i].name, rows[i].fam)) != NULL);
		T((f->write != NULL) == rows[i].file);
		T((f->render != NULL) == !rows[i].file);
		T_STREQ(f->ext, rows[i].ext);
	}
	/* A report is not the document of the same name. */
	T(tr_format("pdf", TR_FMT_DOC) != tr_format("pdf", TR_FMT_REPORT));
	T(tr_format("text", TR_FMT_DOC) == NULL);
	T(tr_format("srt", TR_FMT_REPORT) == NULL);
	T(tr_format("docx", TR_FMT_SEED) == NULL);
}

/* Two speakers, two words each, one pause: two segments. */
static void
sample(struct tr_transcript *t)
{
	tr_transcript_init(t);
	tr_transcript_word(t, "Hello", 0.0, 0.5, 0.9, 0);
	tr_transcript_word(t, "there", 0.5, 1.0, 0.8, 0);
	tr_transcript_word(t, "General", 3.0, 3.5, 0.7, 1);
	tr_transcript_word(t, "-->Kenobi", 3.5, 4.25, 0.6, 1);
	snprintf(t->language, sizeof(t->language), "pt-BR");
	snprintf(t->provider, sizeof(t->provider), "local");
	tr_transcript_finish(t);
}

static char *
render(const char *name, unsigned int fam, const struct tr_transcript *t,
    const struct tr_render *o)
{
	const struct tr_format	*f = tr_format(name, fam);
	struct tr_buf		 b;

	T(f != NULL);
	tr_buf_init(&b, TR_RENDER_MAX);
	T(f->render(t, o, &b) == TR_OK);
	return tr_buf_take(&b, NULL);
}

static struct json_object *
parse(char *s)
{
	struct json_object	*o;

	T(tr_json_parse(s, strlen(s), 1 << 20, TR_JSON_DEPTH, &o) == TR_OK);
	free(s);
	return o;
}

static void
test_render(void)
{
	struct tr_transcript	 t;
	struct tr_render	 o = { .reqid = "rid-1" };
	struct json_object	*j, *v, *s;
	char			*out;

	sample(&t);
	T(t.nsegs == 2 && t.speakers == 2);

	out = render("text", TR_FMT_SEED, &t, &o);
	T_STREQ(out, "Hello there General -->Kenobi");
	free(out);

	out = render("srt", TR_FMT_SEED, &t, &o);
	T_STREQ(out, "1\n00:00:00,000 --> 00:00:01,000\nSpeaker 0: Hello "
	    "there\n\n2\n00:00:03,000 --> 00:00:04,250\nSpeaker 1: General "
	    "->Kenobi\n\n");
	free(out);

	out = render("vtt", TR_FMT_OPENAI, &t, &o);
	T_STREQ(out, "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n<v Speaker 0>"
	    "Hello there\n\n00:00:03.000 --> 00:00:04.250\n<v Speaker 1>"
	    "General ->Kenobi\n\n");
	free(out);

	/* Ours: the seed's shape with our request id. */
	j = parse(render("json", TR_FMT_SEED, &t, &o));
	T_STREQ(tr_json_str(j, "transcript"), "Hello there General -->Kenobi");
	T(json_object_object_get_ex(j, "processing_info", &v));
	T_STREQ(tr_json_str(v, "request_id"), "rid-1");
	T_STREQ(tr_json_str(v, "language"), "pt-BR");
	json_object_put(j);

	/* OpenAI's json: the text and nothing else. */
	out = render("json", TR_FMT_OPENAI, &t, &o);
	T_STREQ(out, "{\"text\":\"Hello there General -->Kenobi\"}");
	free(out);

	/* verbose_json: segments by default, Whisper's language name. */
	j = parse(render("verbose_json", TR_FMT_OPENAI, &t, &o));
	T_STREQ(tr_json_str(j, "task"), "transcribe");
	T_STREQ(tr_json_str(j, "language"), "portuguese");
	T(json_object_object_get_ex(j, "segments", &v));
	T(json_object_array_length(v) == 2);
	s = json_object_array_get_idx(v, 1);
	T_STREQ(tr_json_str(s, "text"), " General -->Kenobi");
	T(json_object_get_int(json_object_object_get(s, "seek")) == 300);
	T(!json_object_object_get_ex(j, "words", NULL));
	json_object_put(j);

	/* Words only when asked; both when both are. */
	o.words = 1;
	o.translate = 1;
	j = parse(render("verbose_json", TR_FMT_WHISPER, &t, &o));
	T_STREQ(tr_json_str(j, "task"), "translate");
	T_STREQ(tr_json_str(j, "language"), "english");
	T(!json_object_object_get_ex(j, "segments", NULL));
	T(json_object_object_get_ex(j, "words", &v));
	T(json_object_array_length(v) == 4);
	json_object_put(j);
	o.segments = 1;
	j = parse(render("verbose_json", TR_FMT_OPENAI, &t, &o));
	T(json_object_object_get_ex(j, "segments", NULL));
	T(json_object_object_get_ex(j, "words", NULL));
	json_object_put(j);

	/* A language Whisper has no name for in the table stays a code. */
	o.translate = 0;
	snprintf(t.language, sizeof(t.language), "ko");
	j = parse(render("verbose_json", TR_FMT_OPENAI, &t, &o));
	T_STREQ(tr_json_str(j, "language"), "ko");
	json_object_put(j);
	t.language[0] = '\0';
	j = parse(render("verbose_json", TR_FMT_OPENAI, &t, &o));
	T_STREQ(tr_json_str(j, "language"), "english");
	json_object_put(j);
	tr_transcript_free(&t);
}

/* An empty transcript renders in every format. */
static void
test_empty(void)
{
	struct tr_transcript	 t;
	struct tr_render	 o = { .reqid = "" };
	char			*out;
	size_t			 i;

	tr_transcript_init(&t);
	tr_transcript_finish(&t);
	for (i = 0; i < T_NELEM(formats); i++) {
		out = render(formats[i].name, TR_FMT_WHISPER, &t, &o);
		free(out);
	}
	out = render("vtt", TR_FMT_SEED, &t, &o);
	T_STREQ(out, "WEBVTT\n\n");
	free(out);
	out = render("json", TR_FMT_OPENAI, &t, &o);
	T_STREQ(out, "{\"text\":\"\"}");
	free(out);
	tr_transcript_free(&t);
}

int
main(void)
{
	test_lookup();
	test_names();
	test_files();
	test_render();
	test_empty();
	return 0;
}
