/*
 * Unit tests of the cloud providers' answer parsers (lib/prov/deepgram.c,
 * openai.c, assemblyai.c) on recorded answers in tests/data/ (or the
 * directory TESTDATA names): text, language, duration, request id, and
 * every word and segment with its times and speaker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov/prov.h"
#include "t.h"

static struct json_object *
load(const char *name)
{
	const char		*dir = getenv("TESTDATA");
	struct json_object	*doc = NULL;
	struct tr_buf		 b;
	char			 path[512], chunk[4096];
	FILE			*f;
	size_t			 n;

	snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir :
	    "tests/data", name);
	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: cannot open (run from the top)\n", path);
		exit(1);
	}
	tr_buf_init(&b, TR_PROV_MAXBODY);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		T(tr_buf_add(&b, chunk, n) == TR_OK);
	fclose(f);
	T(tr_json_parse(tr_buf_str(&b), b.len, TR_PROV_MAXBODY,
	    TR_PROV_JSONDEPTH, &doc) == TR_OK && doc != NULL);
	tr_buf_free(&b);
	return doc;
}

struct	want {
	const char	*text;
	double		 start, end;
	int		 speaker;
};

#define NEAR(a, b)	((a) - (b) < 1e-6 && (b) - (a) < 1e-6)

static void
words(const struct tr_transcript *t, const struct want *w, size_t n)
{
	size_t	 i;

	T(t->nwords == n);
	for (i = 0; i < n; i++) {
		T_STREQ(t->words[i].text, w[i].text);
		T(NEAR(t->words[i].start, w[i].start));
		T(NEAR(t->words[i].end, w[i].end));
		T(t->words[i].speaker == w[i].speaker);
	}
}

static void
segs(const struct tr_transcript *t, const struct want *w, size_t n)
{
	size_t	 i;

	T(t->nsegs == n);
	for (i = 0; i < n; i++) {
		T_STREQ(t->segs[i].text, w[i].text);
		T(NEAR(t->segs[i].start, w[i].start));
		T(NEAR(t->segs[i].end, w[i].end));
		T(t->segs[i].speaker == w[i].speaker);
	}
}

static void
deepgram(void)
{
	static const struct want dw[] = {
		{ "Hello", 0.32, 0.79999995, 0 }, { "there.", 0.79999995, 1.28, 0 },
		{ "Hi,", 2.1, 2.4, 1 }, { "how", 2.4, 2.6, 1 },
		{ "are", 2.6, 2.76, 1 }, { "you?", 2.76, 3.1, 1 },
	}, ds[] = {
		{ "Hello there.", 0.32, 1.28, 0 },
		{ "Hi, how are you?", 2.1, 3.1, 1 },
	}, pw[] = {
		{ "ciao", 0.1, 0.5, -1 }, { "a", 0.5, 0.6, -1 },
		{ "tutti", 0.6, 1.2, -1 },
	};
	struct tr_transcript	 t;
	struct json_object	*doc;
	size_t			 i;

	doc = load("deepgram_diarized.json");
	tr_transcript_init(&t);
	T(tr__deepgram_parse(doc, 1, &t) == TR_OK);
	T_STREQ(t.text, "Hello there. Hi, how are you?");
	T_STREQ(t.language, "en");
	T(NEAR(t.duration, 4.2));
	T_STREQ(t.request_id, "770e7ea1-1ca5-4ec5-9d04-889b77de2f61");
	T(t.speakers == 2);
	words(&t, dw, T_NELEM(dw));
	T(NEAR(t.words[0].confidence, 0.9951172));
	segs(&t, ds, T_NELEM(ds));
	tr_transcript_free(&t);
	/* Without diarization the speakers it sent are dropped. */
	tr_transcript_init(&t);
	T(tr__deepgram_parse(doc, 0, &t) == TR_OK);
	T(t.speakers == 0 && t.nwords == T_NELEM(dw));
	for (i = 0; i < t.nwords; i++)
		T(t.words[i].speaker == -1);
	for (i = 0; i < t.nsegs; i++)
		T(t.segs[i].speaker == -1);
	tr_transcript_free(&t);
	json_object_put(doc);

	/* No punctuated_word, no detected language, no utterances. */
	doc = load("deepgram_plain.json");
	tr_transcript_init(&t);
	T(tr__deepgram_parse(doc, 0, &t) == TR_OK);
	T_STREQ(t.text, "ciao a tutti");
	T_STREQ(t.language, "");
	words(&t, pw, T_NELEM(pw));
	T(t.nsegs == 0);
	tr_transcript_free(&t);
	json_object_put(doc);

	doc = load("deepgram_error.json");
	tr_transcript_init(&t);
	T(tr__deepgram_parse(doc, 1, &t) == TR_EPROVIDER);
	tr_transcript_free(&t);
	json_object_put(doc);
}

static void
openai(void)
{
	static const struct want ow[] = {
		{ "Buongiorno", 0.0, 0.7400000095367432, -1 },
		{ "e", 0.7400000095367432, 0.8799999952316284, -1 },
		{ "benvenuti", 0.8799999952316284, 1.6200000047683716, -1 },
		{ "alla", 1.6200000047683716, 2.0, -1 },
		{ "riunione", 2.0, 3.5999999046325684, -1 },
	}, os[] = {
		{ "Buongiorno e benvenuti", 0.0, 1.6200000047683716, -1 },
		{ "alla riunione.", 1.6200000047683716, 3.5999999046325684, -1 },
	}, ts[] = {
		{ "Good morning, everyone.", 0.0, 2.2, -1 },
	};
	struct tr_transcript	 t;
	struct json_object	*doc;

	doc = load("openai_verbose.json");
	tr_transcript_init(&t);
	T(tr__openai_parse(doc, &t) == TR_OK);
	T_STREQ(t.text, "Buongiorno e benvenuti alla riunione.");
	T_STREQ(t.language, "it");		/* from its English name */
	T(NEAR(t.duration, 4.820000171661377));
	T(t.speakers == 0);
	words(&t, ow, T_NELEM(ow));
	segs(&t, os, T_NELEM(os));
	tr_transcript_free(&t);
	json_object_put(doc);

	doc = load("openai_translate.json");
	tr_transcript_init(&t);
	T(tr__openai_parse(doc, &t) == TR_OK);
	T_STREQ(t.language, "en");
	T(t.nwords == 0);
	segs(&t, ts, T_NELEM(ts));
	tr_transcript_free(&t);
	json_object_put(doc);

	doc = load("openai_error.json");
	tr_transcript_init(&t);
	T(tr__openai_parse(doc, &t) == TR_EPROVIDER);
	tr_transcript_free(&t);
	json_object_put(doc);
}

static void
assemblyai(void)
{
	static const struct want aw[] = {
		{ "Smoke", 0.25, 0.65, 0 }, { "from", 0.73, 1.022, 0 },
		{ "wildfires.", 1.1, 1.8, 0 }, { "It", 2.5, 2.62, 1 },
		{ "is", 2.62, 2.75, 1 }, { "spreading.", 2.75, 3.4, 1 },
	}, as[] = {
		{ "Smoke from wildfires.", 0.25, 1.8, 0 },
		{ "It is spreading.", 2.5, 3.4, 1 },
	}, nw[] = {
		{ "Buongiorno", 0.12, 0.84, -1 }, { "a", 0.84, 0.91, -1 },
		{ "tutti.", 0.91, 1.5, -1 },
	};
	struct tr_transcript	 t;
	struct json_object	*doc;

	doc = load("assemblyai_completed.json");
	tr_transcript_init(&t);
	tr__assemblyai_parse(doc, &t);
	T_STREQ(t.text, "Smoke from wildfires. It is spreading.");
	T_STREQ(t.language, "en");		/* "en_us" */
	T(NEAR(t.duration, 4));
	T(t.speakers == 2);
	words(&t, aw, T_NELEM(aw));
	T(NEAR(t.words[0].confidence, 0.97465));
	segs(&t, as, T_NELEM(as));
	tr_transcript_free(&t);
	json_object_put(doc);

	/* No speaker labels: null speakers, null utterances. */
	doc = load("assemblyai_nolabels.json");
	tr_transcript_init(&t);
	tr__assemblyai_parse(doc, &t);
	T_STREQ(t.language, "it");
	T(t.speakers == 0);
	words(&t, nw, T_NELEM(nw));
	T(t.nsegs == 0);
	tr_transcript_free(&t);
	json_object_put(doc);

	/* A failed job (the caller reports its error) has nothing. */
	doc = load("assemblyai_error.json");
	tr_transcript_init(&t);
	tr__assemblyai_parse(doc, &t);
	T_STREQ(t.text, "");
	T(t.nwords == 0 && t.nsegs == 0);
	tr_transcript_free(&t);
	json_object_put(doc);
}

int
main(void)
{
	deepgram();
	openai();
	assemblyai();
	return 0;
}
