/*
 * The local sentiment engine's rules (lib/sentiment/local.c) on a
 * lexicon of known valences, so that each rule's constant shows; then
 * the real lexicon of the build on a few sentences; then the sentence
 * splitter and aggregates (sentiment.c) and the transcript reader
 * (model/parse.c, the reader /sentiment shares with /documents).
 */
#include <math.h>

#include "t.h"
#include "sentiment/sentiment.h"

#define NEAR(a, b)	(fabs((a) - (b)) < 1e-9)

static double
norm(double s)
{
	return s / sqrt(s * s + 15);
}

static double
sc(const char *s, enum tr_senti_label *l)
{
	enum tr_senti_label	 lab;
	double			 v;

	tr__senti_vader(s, strlen(s), &v, l != NULL ? l : &lab);
	return v;
}

int
main(void)
{
	char			 path[] = "/tmp/lexicon.XXXXXX", why[256];
	const char		*lexicon = "good\t2.0\t0.5\t[]\nbad\t-2.0\t0.5\t[]\n"
				    "love\t3.0\t0.5\t[]\nhate\t-3.0\t0.5\t[]\n"
				    ":)\t2.0\t0.5\t[]\n";
	enum tr_senti_label	 l;
	struct tr_transcript	 t;
	struct tr_senti_doc	 d;
	struct json_object	*o;
	const struct tr_tlimits	 lim = { 100, 1000, 10000 };
	struct tr_req		*r;
	int			 fd;

	T((fd = mkstemp(path)) != -1);
	T(write(fd, lexicon, strlen(lexicon)) == (ssize_t)strlen(lexicon));
	close(fd);
	T(tr__senti_lexicon(path) == TR_OK);

	T(NEAR(sc("it is good", &l), norm(2.0)) && l == TR_SENTI_POSITIVE);
	T(NEAR(sc("it is bad", &l), norm(-2.0)) && l == TR_SENTI_NEGATIVE);
	T(sc("it is here", &l) == 0 && l == TR_SENTI_NEUTRAL);
	/* Negation, boosters (less with distance), dampeners. */
	T(NEAR(sc("it is not good", NULL), norm(2.0 * -0.74)));
	T(NEAR(sc("it isn't good", NULL), norm(2.0 * -0.74)));
	T(NEAR(sc("it is very good", NULL), norm(2.0 + 0.293)));
	T(NEAR(sc("very much good", NULL), norm(2.0 + 0.293 * 0.95)));
	T(NEAR(sc("it is very bad", NULL), norm(-2.0 - 0.293)));
	T(NEAR(sc("it is slightly good", NULL), norm(2.0 - 0.293)));
	/* Capitals among words that are not; all capitals are no emphasis. */
	T(NEAR(sc("it is GOOD", NULL), norm(2.0 + 0.733)));
	T(NEAR(sc("IT IS GOOD", NULL), norm(2.0)));
	/* Exclamation marks, at most four; question marks from two. */
	T(NEAR(sc("it is good!", NULL), norm(2.0 + 0.292)));
	T(NEAR(sc("it is good!!!!!!", NULL), norm(2.0 + 4 * 0.292)));
	T(NEAR(sc("is it good??", NULL), norm(2.0 + 2 * 0.18)));
	/* "but": half before, one and a half after. */
	T(NEAR(sc("it is good but bad", &l), norm(1.0 - 3.0)) &&
	    l == TR_SENTI_NEGATIVE);
	/* As much for as against: mixed. */
	T(sc("love it and hate it", &l) == 0 && l == TR_SENTI_MIXED);
	/* Punctuation around words goes, emoticons stay. */
	T(NEAR(sc("(good),", NULL), norm(2.0)));
	T(NEAR(sc("so :)", NULL), norm(2.0 + 0.293)));
	/* The typographic apostrophe negates as the plain one. */
	T(NEAR(sc("it isn\xe2\x80\x99t good", NULL), norm(2.0 * -0.74)));
	T(sc("", &l) == 0 && l == TR_SENTI_NEUTRAL);
	tr__senti_lexicon_free();
	unlink(path);

	/* The build's lexicon: the default places. */
	T(tr__senti_lexicon(NULL) == TR_OK);
	T(sc("The food was great!", &l) > 0.5 && l == TR_SENTI_POSITIVE);
	T(sc("The food was not great.", &l) < 0 && l == TR_SENTI_NEGATIVE);
	T(sc("What a horrible, awful day.", &l) < -0.5);
	T(tr__senti_lexicon("/nonexistent/lexicon") == TR_OK);	/* cached */

	/* Sentences of a text, aggregates, and the language. */
	T((r = tr_req_new("/sentiment")) != NULL);
	tr_transcript_init(&t);
	t.text = tr_xstrdup("I love it. Mr. Brown hates it! Is 3.5 ok?");
	T(tr_senti_doc(r, &tr_senti_local, "en-GB", &t, &d) == TR_OK);
	T(d.nsents == 3 && d.nsegs == 0 && d.nspeakers == 0);
	T(strncmp(d.sents[1].text, "Mr. Brown hates it!", d.sents[1].len) == 0);
	T(d.sents[0].label == TR_SENTI_POSITIVE &&
	    d.sents[1].label == TR_SENTI_NEGATIVE);
	T(d.overall.label == TR_SENTI_MIXED && d.overall.sentences == 3);
	tr_senti_doc_free(&d);
	T(tr_senti_doc(r, &tr_senti_local, "fr", &t, &d) == TR_EFIELD);
	tr_transcript_free(&t);

	/* The transcript reader: segments and speakers, then errors. */
	tr_transcript_init(&t);
	o = json_tokener_parse("{\"diarization\":{\"segments\":["
	    "{\"speaker\":0,\"start\":0,\"end\":1,\"text\":\"Great work.\"},"
	    "{\"speaker\":2,\"start\":1,\"end\":2,\"text\":\"Awful.\"}]}}");
	T(tr_transcript_parse(o, &lim, &t, why, sizeof(why)) == TR_OK);
	T(t.nsegs == 2 && t.speakers == 3);
	T(tr_senti_doc(r, &tr_senti_local, NULL, &t, &d) == TR_OK);
	T(d.nspeakers == 3 && d.speakers[1].sentences == 0);
	T(d.speakers[0].label == TR_SENTI_POSITIVE &&
	    d.speakers[2].label == TR_SENTI_NEGATIVE);
	tr_senti_doc_free(&d);
	tr_transcript_free(&t);
	json_object_put(o);
	tr_transcript_init(&t);
	o = json_tokener_parse("{\"words\":[{\"word\":\"hi\",\"start\":-1,"
	    "\"end\":1}]}");
	T(tr_transcript_parse(o, &lim, &t, why, sizeof(why)) == TR_EFIELD);
	T_STREQ(why, "field 'transcript.words[0].start' must be seconds from 0 "
	    "to 1e+07");
	T(t.nwords == 0 && t.text == NULL);
	json_object_put(o);
	o = json_tokener_parse("{\"words\":[{\"word\":\"hi\",\"start\":2,"
	    "\"end\":1}]}");
	T(tr_transcript_parse(o, &lim, &t, why, sizeof(why)) == TR_EFIELD);
	T_STREQ(why, "field 'transcript.words[0].end' must not be before its "
	    "start");
	tr_transcript_free(&t);
	json_object_put(o);
	tr_req_free(r);
	tr__senti_lexicon_free();
	return 0;
}
