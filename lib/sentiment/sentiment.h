/*
 * The sentiment layer: every engine behind one table (the providers'
 * shape, prov.h), and what the callers use: a transcript (or a text
 * made into one) scored per sentence, per segment, per speaker and
 * overall.  The endpoint (service/post.c) and the reports call
 * tr_senti_doc(); only the engines' files implement struct
 * tr_senti_engine.
 */
#ifndef TR_SENTIMENT_H
#define TR_SENTIMENT_H

#include "extern.h"

enum	tr_senti_label {
	TR_SENTI_POSITIVE,
	TR_SENTI_NEGATIVE,
	TR_SENTI_NEUTRAL,
	TR_SENTI_MIXED,
	TR_SENTI__MAX
};

/* "positive", "negative", "neutral", "mixed". */
const char	*tr_senti_label_name(enum tr_senti_label);

/* One text an engine scores: text in, score and label out. */
struct	tr_senti {
	const char		*text;	/* not NUL-terminated: len bytes */
	size_t			 len;
	double			 score;	/* out: [-1, 1] */
	enum tr_senti_label	 label;	/* out */
	size_t			 seg;	/* the segment it is of (SIZE_MAX: none) */
	size_t			 words;	/* its weight in the aggregates */
};

/* What an engine used, for the usage row. */
struct	tr_senti_use {
	long long	 tokens;
	double		 cost_usd;
};

/*
 * An engine: its name, the setting that enables it (NULL: always),
 * whether it reads a language (tag as the client sent it), and a batch
 * scorer.  score() fills score and label of every item, or returns an
 * error with the request's message set; it may take a long time (a
 * cloud call) and adds what it used to *use.  An "openai" engine (chat
 * completions asked for a JSON answer) is one more file and row.
 */
struct	tr_senti_engine {
	const char	*name;
	const char	*keyvar;
	int		(*speaks)(const char *lang);
	enum tr_err	(*score)(struct tr_req *, const char *lang,
			    struct tr_senti *, size_t n, struct tr_senti_use *);
};

extern const struct tr_senti_engine tr_senti_local;
extern const struct tr_senti_engine tr_senti_openai;

/* The engine of that name, or NULL. */
const struct tr_senti_engine *tr_senti_engine(const char *name);
/* The engines' names, "local, openai", for messages. */
enum tr_err	 tr_senti_engine_names(struct tr_buf *) TR_WUR;

/* An aggregate of sentences: a segment, a speaker, the whole. */
struct	tr_senti_agg {
	double			 score;		/* word-weighted mean */
	enum tr_senti_label	 label;
	size_t			 sentences;	/* 0: nothing scored */
	size_t			 words;
};

/*
 * A transcript scored: its sentences (each segment's, or the text's
 * when it has no segments), one aggregate per segment (segs[i] is
 * t->segs[i]), one per speaker number (speakers[k].sentences == 0: no
 * such speaker) and the whole.  Freed with tr_senti_doc_free().
 */
struct	tr_senti_doc {
	struct tr_senti		*sents;
	size_t			 nsents;
	struct tr_senti_agg	*segs;
	size_t			 nsegs;
	struct tr_senti_agg	*speakers;
	size_t			 nspeakers;
	struct tr_senti_agg	 overall;
	struct tr_senti_use	 use;
};

#define TR_SENTI_MAXSENTS	100000	/* sentences in one call */

/*
 * Scores t with engine e in language lang (NULL: English).  TR_EFIELD
 * for a language the engine does not speak, TR_ETOOBIG past
 * TR_SENTI_MAXSENTS sentences; the request's message says why.  d
 * points into t: t must outlive it.
 */
enum tr_err	 tr_senti_doc(struct tr_req *, const struct tr_senti_engine *,
		    const char *lang, const struct tr_transcript *,
		    struct tr_senti_doc *) TR_WUR;
void		 tr_senti_doc_free(struct tr_senti_doc *);

/*
 * The local engine's scorer itself (local.c), for the unit test and the
 * benchmark: the lexicon at path (NULL: the setting, then the built-in
 * places) is loaded once per process.  TR_EUNAVAIL if it cannot be.
 */
enum tr_err	 tr__senti_lexicon(const char *path) TR_WUR;
void		 tr__senti_lexicon_free(void);
/* The openai engine's reading of the model's JSON answer (openai.c). */
int		 tr__senti_openai_answer(const char *, struct tr_senti *,
		    size_t n, char *why, size_t whysz);
void		 tr__senti_vader(const char *, size_t, double *score,
		    enum tr_senti_label *);

#endif /* TR_SENTIMENT_H */
