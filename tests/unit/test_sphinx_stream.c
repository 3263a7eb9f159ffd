/*
 * Unit tests of the decoders of lib/engine/sphinx.c on speech made by
 * flite (run through tr_proc_run(), so that building does not need it).
 * The live decoder is fed in 100 ms chunks; the results must have
 * interims and finals with the key words and sane times, on two threads
 * decoding at once, and be the same again after a reset.  The file
 * decoder must give the same words, times and confidences for the same
 * file however many files the process decoded before, with every time
 * inside the file.  Skipped when flite, sox or the model is missing
 * (failed under CI: see T_NEED).
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "t.h"

#define RATE		16000
#define CHUNK		(RATE / 10)		/* 100 ms */
#define SENTENCE	"hello world this is a test"
#define MAXRES		256

struct	res {
	char	 text[256];
	int	 final;
	int	 atfinish;	/* reported by finish, not by the detector */
	double	 conf, start, end;
	double	 at;		/* seconds fed when it was reported */
};

struct	run {
	const int16_t	*pcm;
	size_t		 n;
	struct res	 res[MAXRES];
	size_t		 nres;
	size_t		 fed;		/* samples fed so far */
	int		 overflow;	/* too many results, or too long */
	int		 finishing;
	enum tr_err	 er;
	struct tr_sphinx_stream *s;	/* NULL: decode() makes it */
};

static char	 dir[64];
static char	 wav[128], raw[128], raw2[128];

static void
cb(void *arg, const char *text, int is_final, double conf, double start,
    double end)
{
	struct run	*r = arg;
	struct res	*x;

	if (r->nres == MAXRES) {
		r->overflow = 1;
		return;
	}
	x = &r->res[r->nres++];
	if ((size_t)snprintf(x->text, sizeof(x->text), "%s", text) >=
	    sizeof(x->text))
		r->overflow = 1;
	x->final = is_final;
	x->atfinish = r->finishing;
	x->conf = conf;
	x->start = start;
	x->end = end;
	x->at = r->fed / (double)RATE;
}

/* Decodes r->pcm in 100 ms chunks with r->s, made first if NULL. */
static void *
decode(void *arg)
{
	struct run	*r = arg;
	size_t		 off, n;

	r->nres = r->fed = 0;
	r->overflow = r->finishing = 0;
	if (r->s == NULL && (r->er = tr_sphinx_stream_new(&r->s)) != TR_OK)
		return NULL;
	for (off = 0; off < r->n; off += n) {
		n = r->n - off < CHUNK ? r->n - off : CHUNK;
		r->fed = off + n;	/* results come during the call */
		if ((r->er = tr_sphinx_stream_feed(r->s, r->pcm + off, n, cb,
		    r)) != TR_OK)
			return NULL;
	}
	r->finishing = 1;
	r->er = tr_sphinx_stream_finish(r->s, cb, r);
	return NULL;
}

/*
 * The results of one decode are sane and have the key words; returns
 * the number of finals.
 */
static size_t
check(const struct run *r)
{
	const struct res	*x, *prevfinal = NULL;
	const char		*last = NULL;
	double			 len = r->n / (double)RATE;
	size_t			 i, ninterim = 0, nfinal = 0;
	int			 words = 0;

	T(r->er == TR_OK);
	T(!r->overflow);
	for (i = 0; i < r->nres; i++) {
		x = &r->res[i];
		fprintf(stderr, "  %-7s %5.2f-%5.2f at %5.2f %.3f \"%s\"\n",
		    x->final ? "final" : "interim", x->start, x->end, x->at,
		    x->conf, x->text);
		/* Lower-case words joined by single spaces, no fillers. */
		T(x->text[0] != '\0');
		T(x->text[0] != ' ' && x->text[strlen(x->text) - 1] != ' ');
		T(strstr(x->text, "  ") == NULL);
		T(strspn(x->text, "abcdefghijklmnopqrstuvwxyz' ") ==
		    strlen(x->text));
		/* Times of the audio, never past what was fed. */
		T(x->start >= 0.0 && x->start < x->end);
		T(x->end <= x->at && x->at <= len);
		T(x->final ? x->conf >= 0.0 && x->conf <= 1.0 :
		    x->conf == -1.0);
		if (!x->final) {
			/* Reported only when it changed. */
			T(last == NULL || strcmp(last, x->text) != 0);
			last = x->text;
			ninterim++;
			continue;
		}
		last = NULL;
		if (prevfinal != NULL)
			T(x->start >= prevfinal->end);
		prevfinal = x;
		nfinal++;
		/*
		 * The silence after each sentence ends its utterance,
		 * about 0.5 s after the last word, not finish.
		 */
		T(!x->atfinish);
		T(x->at - x->end < 1.0);
		if (strstr(x->text, "hello") != NULL ||
		    strstr(x->text, "test") != NULL)
			words++;
	}
	T(ninterim >= 1);
	T(nfinal >= 1);
	T(words == (int)nfinal);
	return nfinal;
}

/*
 * The finals of two decodes are the same; with prefix set, b may have
 * more after those of a.
 */
static void
same_finals(const struct run *a, const struct run *b, int prefix)
{
	size_t	 i, j;

	for (i = j = 0;; i++, j++) {
		while (i < a->nres && !a->res[i].final)
			i++;
		while (j < b->nres && !b->res[j].final)
			j++;
		if (i == a->nres) {
			T(prefix || j == b->nres);
			break;
		}
		T(j < b->nres);
		T_STREQ(a->res[i].text, b->res[j].text);
		T(a->res[i].start == b->res[j].start);
		T(a->res[i].end == b->res[j].end);
		T(a->res[i].conf == b->res[j].conf);
	}
}

static void
cleanup(void)
{
	if (*wav != '\0')
		unlink(wav);
	if (*raw != '\0')
		unlink(raw);
	if (*raw2 != '\0')
		unlink(raw2);
	if (*dir != '\0')
		rmdir(dir);
}

/*
 * The sentence with 0.3 s of silence before and 0.8 s after, *np
 * samples, then the same again: two utterances that the detector ends
 * on its own.
 */
static int16_t *
speech(size_t *np)
{
	char *const	 flite[] = { "flite", "-voice", "slt", "-t", SENTENCE,
	    "-o", wav, NULL };
	char *const	 sox[] = { "sox", wav, "-r", "16000", "-c", "1",
	    "-b", "16", "-e", "signed-integer", raw, "pad", "0.3", "0.8",
	    NULL };
	const char	*tmp = getenv("TMPDIR");
	struct stat	 st;
	int16_t		*pcm;
	ssize_t		 got;
	size_t		 n, off;
	int		 fd, status;

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	T((size_t)snprintf(dir, sizeof(dir), "%s/sphinx.XXXXXX", tmp) <
	    sizeof(dir));
	T(mkdtemp(dir) != NULL);
	atexit(cleanup);
	snprintf(wav, sizeof(wav), "%s/s.wav", dir);
	snprintf(raw, sizeof(raw), "%s/s.raw", dir);
	T(tr_proc_run(flite, 30000, NULL, &status) == TR_OK);
	T(tr_proc_run(sox, 30000, NULL, &status) == TR_OK);

	T((fd = open(raw, O_RDONLY | O_CLOEXEC)) != -1);
	T(fstat(fd, &st) == 0);
	T(st.st_size > RATE && st.st_size < 60 * 2 * RATE);
	n = (size_t)st.st_size / 2;
	T((pcm = calloc(2 * n, sizeof(*pcm))) != NULL);
	for (off = 0; off < n * 2; off += (size_t)got) {
		got = read(fd, (char *)pcm + off, n * 2 - off);
		T(got > 0);
	}
	close(fd);
	memcpy(pcm + n, pcm, n * sizeof(*pcm));
	*np = n;
	return pcm;
}

/* The file decoder's transcript of path, checked for sane times. */
static void
file_decode(const char *path, double len, struct tr_transcript *t)
{
	size_t	 i;

	tr_transcript_init(t);
	T(tr_sphinx_decode(path, t) == TR_OK);
	T(t->duration == len);
	T(t->nwords >= 3);
	for (i = 0; i < t->nwords; i++) {
		T(t->words[i].start >= 0.0);
		T(t->words[i].start < t->words[i].end);
		T(t->words[i].end <= len);
		T(i == 0 || t->words[i].start >= t->words[i - 1].end);
	}
}

static void
same_words(const struct tr_transcript *a, const struct tr_transcript *b)
{
	size_t	 i;

	T(a->nwords == b->nwords);
	for (i = 0; i < a->nwords; i++) {
		T_STREQ(a->words[i].text, b->words[i].text);
		T(a->words[i].start == b->words[i].start);
		T(a->words[i].end == b->words[i].end);
		T(a->words[i].confidence == b->words[i].confidence);
	}
}

/*
 * The sentence, then the sentence twice (another file), then the
 * sentence again and again: each decode depends on its file alone.
 */
static void
file_decodes(const int16_t *pcm, size_t n)
{
	struct tr_transcript	 first, t;
	double			 len = n / (double)RATE;
	size_t			 i;
	int			 fd;

	snprintf(raw2, sizeof(raw2), "%s/s2.raw", dir);
	T((fd = open(raw2, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) != -1);
	T(write(fd, pcm, 2 * n * sizeof(*pcm)) ==
	    (ssize_t)(2 * n * sizeof(*pcm)));
	T(close(fd) == 0);
	file_decode(raw, len, &first);
	fprintf(stderr, "file:");
	for (i = 0; i < first.nwords; i++)
		fprintf(stderr, " %s %.2f-%.2f", first.words[i].text,
		    first.words[i].start, first.words[i].end);
	fprintf(stderr, "\n");
	file_decode(raw2, 2 * len, &t);
	/*
	 * Both sentences are timed from the file's start, the silence
	 * between them included.
	 */
	T(t.nwords == 2 * first.nwords);
	T(t.words[0].start == first.words[0].start);
	T(t.words[first.nwords].start > len);
	tr_transcript_free(&t);
	for (i = 0; i < 3; i++) {
		file_decode(raw, len, &t);
		same_words(&first, &t);
		tr_transcript_free(&t);
	}
	tr_transcript_free(&first);
}

int
main(void)
{
	static struct run	 th[2], again;
	pthread_t		 tid[2];
	const char		*model;
	int16_t			*pcm;
	size_t			 n, i;

	T_NEED("flite", "the test makes its speech with it");
	T_NEED("sox", "the test resamples the speech with it");
	model = getenv("SPHINX_MODEL_DIR");
	if (model == NULL || *model == '\0')
		model = "/usr/share/pocketsphinx/model/en-us";
	T_NEED(model, "the PocketSphinx model, or SPHINX_MODEL_DIR");
	pcm = speech(&n);
	file_decodes(pcm, n);

	/* Two threads at once, each making its decoder. */
	for (i = 0; i < 2; i++) {
		th[i].pcm = pcm;
		th[i].n = n;
		T(pthread_create(&tid[i], NULL, decode, &th[i]) == 0);
	}
	for (i = 0; i < 2; i++)
		T(pthread_join(tid[i], NULL) == 0);
	for (i = 0; i < 2; i++) {
		fprintf(stderr, "thread %zu:\n", i);
		T(check(&th[i]) == 1);
	}
	same_finals(&th[0], &th[1], 0);
	tr_sphinx_stream_free(th[1].s);

	/*
	 * A decoder reset is as good as new: the first sentence again,
	 * then the second, whose times follow on.
	 */
	tr_sphinx_stream_reset(th[0].s);
	again.s = th[0].s;
	again.pcm = pcm;
	again.n = 2 * n;
	decode(&again);
	fprintf(stderr, "after a reset, twice:\n");
	T(check(&again) == 2);
	same_finals(&th[0], &again, 1);

	/* Nothing fed: finish reports nothing; an empty feed is fine. */
	tr_sphinx_stream_reset(again.s);
	again.nres = 0;
	T(tr_sphinx_stream_feed(again.s, pcm, 0, cb, &again) == TR_OK);
	T(tr_sphinx_stream_finish(again.s, cb, &again) == TR_OK);
	T(again.nres == 0);
	tr_sphinx_stream_free(again.s);
	tr_sphinx_stream_free(NULL);
	free(pcm);
	return 0;
}
