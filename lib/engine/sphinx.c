/*
 * The local speech engine: CMU PocketSphinx (Debian's libpocketsphinx
 * and pocketsphinx-en-us model), decoding 16 kHz mono PCM in the
 * program's own process.  The file decoder loads the model once per
 * process and keeps it (a cache safe to lose), set back before each
 * file to the state it was loaded in, so that a file's transcript
 * depends on that file alone; each decode yields words with their times
 * from the file's start (PocketSphinx counts 100 frames a second) and
 * confidences.  Live streams have a decoder each, fed in chunks, and
 * report interim and final hypotheses as they go.
 *
 * The model costs some 130 MB a process, and the web server may run
 * dozens of transcription processes: so that it does not multiply with
 * them, a process holds the file decoder only while it holds one of
 * LOCAL_ENGINE_PROCS (default 4) tokens of the host, flock(2)ed files
 * in ENGINE_LOCK_DIR.  A process waits up to LOCAL_ENGINE_WAIT seconds
 * for a token (then 503); it gives its token and its model back after a
 * decode when another process is waiting, and after LOCAL_ENGINE_IDLE
 * seconds unused.  Why tokens rather than memory the processes share:
 * PocketSphinx builds its model in malloc'd memory (the trie, the
 * dictionary's hash, the lexicon tree), which no mmap of the files can
 * share, and the web server, not we, starts the processes, so none can
 * be forked from one that loaded it.
 */
#include <sys/file.h>

#include <ctype.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pocketsphinx.h>
#include <sphinxbase/err.h>

#include "extern.h"

#define FRAME_RATE	100.0
#define SAMPLE_RATE	16000
#define MODEL_DIR	"/usr/share/pocketsphinx/model/en-us"

/*
 * A decoder, and the cepstral mean normalisation (CMN) means it was
 * made with.  CMN adapts to the speaker and channel from one utterance
 * to the next, and PocketSphinx counts frames from the start of the
 * stream: decoder_fresh() sets both back, so that what the decoder did
 * before changes neither the words nor their times.
 */
struct	decoder {
	ps_decoder_t	*ps;
	mfcc_t		*cmn;		/* the CMN means of a fresh decoder */
	int		 ncmn;
};

static struct decoder	 filedec;	/* loaded while the token is held */

#define ENGINE_PROCS_DEFAULT	4	/* processes holding the model */
#define ENGINE_WAIT_DEFAULT	60	/* seconds to wait for a token */
#define ENGINE_IDLE_DEFAULT	30	/* seconds unused before giving back */
#define ENGINE_POLL_MS		20	/* between tries for a token */
#define ENGINE_WAITERS		"engine.waiters"

/* The file decoder, its token and when it was last used; under file_mu. */
static pthread_mutex_t	 file_mu = PTHREAD_MUTEX_INITIALIZER;
static int		 token_fd = -1;
static long long	 last_use;	/* monotonic seconds */
static int		 idler;		/* the idle thread runs */

/*
 * PocketSphinx 5prealpha logs through globals of sphinxbase: ps_init()
 * opens -logfn and closes the stream it replaces, which any decoder
 * that logs on another thread at that moment may be writing to.  So
 * decoders are created (and freed) under this lock, and the log
 * callback is turned off, once, before the first one: a decoder at work
 * then never touches the log stream.  -logfn /dev/null stays, so that
 * what ps_init() prints directly to the stream goes nowhere either.
 */
static pthread_mutex_t	 ps_lock = PTHREAD_MUTEX_INITIALIZER;
static int		 ps_quiet;	/* the log callback is off */

/*
 * PocketSphinx is loaded (dlopen(3)) when a process makes its first
 * decoder, not linked into every program: libsphinxbase brings in
 * liblapack, libgfortran and libquadmath, and libquadmath registers a
 * printf type as it loads, after which glibc formats every printf of
 * the process on its slow path (a third slower: the log line, the JSON,
 * the statements' parameters of every request, local engine or not).
 * The functions used, by name: one table, looked up once.
 */
#define SP_FNS(X)						\
	X(cmd_ln_free_r) X(cmd_ln_init) X(err_set_callback)	\
	X(logmath_exp) X(ps_args) X(ps_end_utt) X(ps_free)	\
	X(ps_get_feat) X(ps_get_in_speech) X(ps_get_logmath)	\
	X(ps_init) X(ps_process_raw) X(ps_seg_frames)		\
	X(ps_seg_free) X(ps_seg_iter) X(ps_seg_next)		\
	X(ps_seg_prob) X(ps_seg_word) X(ps_start_stream)	\
	X(ps_start_utt)

#define SP_MEMBER(f)	__typeof__(f) *f;
static struct {
	SP_FNS(SP_MEMBER)
} sp;

#define SP_ENTRY(f)	{ #f, offsetof(__typeof__(sp), f) },
static const struct {
	const char	*name;
	size_t		 off;
} sp_fns[] = {
	SP_FNS(SP_ENTRY)
};

static pthread_once_t	 sp_once = PTHREAD_ONCE_INIT;
static int		 sp_loaded;

static void
sp_load(void)
{
	void	*h, *fn;
	size_t	 i;

	if ((h = dlopen(SPHINX_SO, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		tr_errx("sphinx: %s", dlerror());
		return;
	}
	for (i = 0; i < sizeof(sp_fns) / sizeof(sp_fns[0]); i++) {
		/* Its dependencies' too: libsphinxbase's cmd_ln_*, err_*. */
		if ((fn = dlsym(h, sp_fns[i].name)) == NULL) {
			tr_errx("sphinx: %s", dlerror());
			return;
		}
		memcpy((char *)&sp + sp_fns[i].off, &fn, sizeof(fn));
	}
	sp_loaded = 1;
}

static void
decoder_free(struct decoder *d)
{
	if (d->ps != NULL) {
		pthread_mutex_lock(&ps_lock);
		sp.ps_free(d->ps);
		pthread_mutex_unlock(&ps_lock);
	}
	free(d->cmn);
	memset(d, 0, sizeof(*d));
}

/*
 * A decoder with the model of SPHINX_MODEL_DIR; TR_EUNAVAIL if none, or
 * if PocketSphinx cannot be loaded.
 * With vad, the front end's voice activity detector drops the frames of
 * silence, and times count from the start of the latest speech it
 * found (as the stream's frame number): right for live utterances, each
 * ended at the silence after its speech, but a whole file is decoded as
 * one utterance, whose words would all be timed from its last onset.
 * The file decoder goes without: every frame is decoded and a word's
 * time is that of the file.
 */
static enum tr_err
decoder_new(struct decoder *d, int vad)
{
	cmd_ln_t	*config;
	cmn_t		*cmn;
	const char	*dir;
	char		 hmm[1024], lm[1024], dict[1024];
	struct stat	 st;

	memset(d, 0, sizeof(*d));
	pthread_once(&sp_once, sp_load);
	if (!sp_loaded)
		return TR_EUNAVAIL;
	dir = tr_conf_def("SPHINX_MODEL_DIR", MODEL_DIR);
	snprintf(hmm, sizeof(hmm), "%s/en-us", dir);
	snprintf(lm, sizeof(lm), "%s/en-us.lm.bin", dir);
	snprintf(dict, sizeof(dict), "%s/cmudict-en-us.dict", dir);
	if (stat(hmm, &st) == -1 || stat(lm, &st) == -1 ||
	    stat(dict, &st) == -1) {
		tr_errx("sphinx: no model under %s", dir);
		return TR_EUNAVAIL;
	}
	pthread_mutex_lock(&ps_lock);
	if (!ps_quiet) {
		sp.err_set_callback(NULL, NULL);
		ps_quiet = 1;
	}
	config = sp.cmd_ln_init(NULL, sp.ps_args(), TRUE, "-hmm", hmm,
	    "-lm", lm, "-dict", dict, "-logfn", "/dev/null",
	    "-remove_silence", vad ? "yes" : "no", NULL);
	if (config != NULL) {
		/* The decoder keeps a reference of its own. */
		d->ps = sp.ps_init(config);
		sp.cmd_ln_free_r(config);
	}
	pthread_mutex_unlock(&ps_lock);
	if (d->ps == NULL) {
		tr_errx("sphinx: cannot load the model from %s", dir);
		return TR_EUNAVAIL;
	}
	/* The means of -cmninit, as cmn_init() left them. */
	cmn = sp.ps_get_feat(d->ps)->cmn_struct;
	if (cmn != NULL && cmn->veclen > 0) {
		d->ncmn = cmn->veclen;
		if ((d->cmn = calloc(d->ncmn, sizeof(*d->cmn))) == NULL) {
			decoder_free(d);
			return TR_ENOMEM;
		}
		memcpy(d->cmn, cmn->cmn_mean, d->ncmn * sizeof(*d->cmn));
	}
	return TR_OK;
}

/*
 * Sets the decoder back to how decoder_new() made it, outside an
 * utterance: the CMN of no frames seen, and a new stream, whose frames
 * count from 0.  It costs a copy of a dozen numbers.
 */
static void
decoder_fresh(struct decoder *d)
{
	cmn_t	*cmn;

	cmn = sp.ps_get_feat(d->ps)->cmn_struct;
	if (d->cmn != NULL && cmn != NULL && cmn->veclen == d->ncmn) {
		memcpy(cmn->cmn_mean, d->cmn, d->ncmn * sizeof(*d->cmn));
		memset(cmn->sum, 0, d->ncmn * sizeof(*cmn->sum));
		cmn->nframe = 0;
	}
	sp.ps_start_stream(d->ps);
}

/* A dictionary word as text: "<s>", "<sil>", "[NOISE]" are not words,
 * and "read(2)" is the second pronunciation of "read". */
static int
word_text(const char *w, char *out, size_t outsz)
{
	size_t	 n;

	if (w == NULL || *w == '<' || *w == '[' || *w == '+')
		return 0;
	n = strcspn(w, "(");
	if (n == 0 || n >= outsz)
		return 0;
	memcpy(out, w, n);
	out[n] = '\0';
	return 1;
}

static long long
mono_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

/* A lock file of the host's engine tokens, opened; -1 if it cannot. */
static int
lockfile(const char *name)
{
	char	 path[4096];

	snprintf(path, sizeof(path), "%s/%s", tr_conf_def("ENGINE_LOCK_DIR",
	    tr_conf_def("USAGE_SPOOL_DIR", "/var/spool/trapi")), name);
	return open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
}

/* Frees the model and gives the token back; file_mu held. */
static void
give_back(void)
{
	decoder_free(&filedec);
	/* What PocketSphinx freed goes back to the system, not the heap. */
	malloc_trim(0);
	if (token_fd != -1)
		close(token_fd);
	token_fd = -1;
}

/* Is another process waiting for a token? */
static int
wanted(void)
{
	int	 fd, busy;

	if ((fd = lockfile(ENGINE_WAITERS)) == -1)
		return 0;
	busy = flock(fd, LOCK_EX | LOCK_NB) == -1;
	close(fd);
	return busy;
}

/* Gives the model back once it has been unused LOCAL_ENGINE_IDLE s. */
static void *
idle_run(void *arg)
{
	long long	 idle;

	(void)arg;
	idle = tr_conf_ll("LOCAL_ENGINE_IDLE", ENGINE_IDLE_DEFAULT, 1, 86400);
	for (;;) {
		sleep(1);
		pthread_mutex_lock(&file_mu);
		if (token_fd != -1 && (mono_now() - last_use >= idle ||
		    wanted()))
			give_back();
		pthread_mutex_unlock(&file_mu);
	}
	return NULL;
}

/*
 * Takes one of the host's LOCAL_ENGINE_PROCS tokens, waiting up to
 * LOCAL_ENGINE_WAIT seconds (a shared lock on the waiters' file says a
 * process waits); file_mu held.  TR_EUNAVAIL when none came free.
 */
static enum tr_err
take_token(void)
{
	struct timespec	 pause = { 0, ENGINE_POLL_MS * 1000000L };
	long long	 n, i, until;
	char		 name[32];
	int		 fd, wfd;
	pthread_t	 th;

	if (token_fd != -1)
		return TR_OK;
	n = tr_conf_ll("LOCAL_ENGINE_PROCS", ENGINE_PROCS_DEFAULT, 1, 1024);
	until = mono_now() + tr_conf_ll("LOCAL_ENGINE_WAIT",
	    ENGINE_WAIT_DEFAULT, 0, 3600);
	if ((wfd = lockfile(ENGINE_WAITERS)) != -1 &&
	    flock(wfd, LOCK_SH) == -1) {
		close(wfd);
		wfd = -1;
	}
	for (;;) {
		for (i = 0; i < n && token_fd == -1; i++) {
			snprintf(name, sizeof(name), "engine.%lld", i);
			if ((fd = lockfile(name)) == -1) {
				/* No directory to count in: not capped. */
				tr_warn("local engine: token %s", name);
				if (wfd != -1)
					close(wfd);
				return TR_OK;
			}
			if (flock(fd, LOCK_EX | LOCK_NB) == 0)
				token_fd = fd;
			else
				close(fd);
		}
		if (token_fd != -1 || mono_now() >= until)
			break;
		nanosleep(&pause, NULL);
	}
	if (wfd != -1)
		close(wfd);
	if (token_fd == -1) {
		tr_warnx("local engine: all %lld processes busy", n);
		return TR_EUNAVAIL;
	}
	if (!idler && pthread_create(&th, NULL, idle_run, NULL) == 0) {
		pthread_detach(th);
		idler = 1;
	}
	return TR_OK;
}

/* The decode itself, with the file decoder (loaded if need be). */
static enum tr_err
decode(const char *path, struct tr_transcript *t)
{
	int16_t		 buf[8192];
	ps_seg_t	*seg;
	char		 w[256];
	ssize_t		 n;
	long long	 samples = 0;
	int		 fd, sf, ef, prob, a, l, b;
	ps_decoder_t	*ps;
	enum tr_err	 er;

	if (filedec.ps == NULL && (er = decoder_new(&filedec, 0)) != TR_OK)
		return er;
	ps = filedec.ps;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return TR_ESYSTEM;
	decoder_fresh(&filedec);
	if (sp.ps_start_utt(ps) < 0) {
		close(fd);
		return TR_ESYSTEM;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		samples += n / 2;
		if (sp.ps_process_raw(ps, buf, (size_t)n / 2, FALSE,
		    FALSE) < 0) {
			close(fd);
			sp.ps_end_utt(ps);
			return TR_ESYSTEM;
		}
	}
	close(fd);
	if (sp.ps_end_utt(ps) < 0)
		return TR_ESYSTEM;
	for (seg = sp.ps_seg_iter(ps); seg != NULL; seg = sp.ps_seg_next(seg)) {
		if (!word_text(sp.ps_seg_word(seg), w, sizeof(w)))
			continue;
		sp.ps_seg_frames(seg, &sf, &ef);
		prob = sp.ps_seg_prob(seg, &a, &l, &b);
		tr_transcript_word(t, w, sf / FRAME_RATE, (ef + 1) / FRAME_RATE,
		    sp.logmath_exp(sp.ps_get_logmath(ps), prob), -1);
	}
	t->duration = samples / 16000.0;
	snprintf(t->provider, sizeof(t->provider), "local");
	snprintf(t->model, sizeof(t->model), "pocketsphinx-en-us");
	snprintf(t->language, sizeof(t->language), "en");
	return TR_OK;
}

/*
 * Decodes the raw PCM file path (16 kHz mono s16le) into t, holding
 * one of the host's engine tokens.  Returns TR_EUNAVAIL if the model
 * cannot be loaded or every token stayed taken.
 */
enum tr_err
tr_sphinx_decode(const char *path, struct tr_transcript *t)
{
	enum tr_err	 er;

	pthread_mutex_lock(&file_mu);
	if ((er = take_token()) == TR_OK) {
		er = decode(path, t);
		last_use = mono_now();
		if (token_fd != -1 && wanted())
			give_back();
	}
	pthread_mutex_unlock(&file_mu);
	return er;
}

/*
 * Live decoding.  Audio goes to PocketSphinx in steps of STEP samples,
 * and after each the voice activity detector's state is read (a field
 * of the decoder, so it is cheap): when it falls from speech to
 * silence, the utterance ends and its final result is reported.  The
 * detector declares silence after -vad_postspeech frames (0.5 s by
 * default) without speech, so a final comes about half a second after
 * the speaker stops.  A step must be shorter than -vad_startspeech
 * frames (0.1 s), so that speech cannot end and start again within it:
 * PocketSphinx would then take both parts for one utterance, timed from
 * the start of the second.  The interim hypothesis costs a backtrace,
 * so it is looked at only every HYP_EVERY samples of speech.
 */
#define STEP		(SAMPLE_RATE / 20)		/* 50 ms */
#define HYP_EVERY	(SAMPLE_RATE * 15 / 100)	/* 150 ms */
#define TEXT_MAX	(256 * 1024)

struct	tr_sphinx_stream {
	struct decoder	 d;
	int		 inutt;		/* ps_start_utt() called */
	int		 speech;	/* the detector's state after a step */
	size_t		 sincehyp;	/* samples of speech since a check */
	uint64_t	 fed;		/* samples since the stream began */
	struct tr_buf	 text;		/* the hypothesis being looked at */
	struct tr_buf	 last;		/* the interim reported last */
};

enum tr_err
tr_sphinx_stream_new(struct tr_sphinx_stream **out)
{
	struct tr_sphinx_stream	*s;
	enum tr_err		 er;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return TR_ENOMEM;
	tr_buf_init(&s->text, TEXT_MAX);
	tr_buf_init(&s->last, TEXT_MAX);
	if ((er = decoder_new(&s->d, 1)) != TR_OK) {
		free(s);
		return er;
	}
	sp.ps_start_stream(s->d.ps);
	*out = s;
	return TR_OK;
}

/*
 * The words of the decoder's best hypothesis (a partial one while the
 * utterance goes on, the lattice's best path after ps_end_utt()) into
 * s->text, lower-case, joined by single spaces, and the stream times of
 * the first and the last.  s->text is left empty if there are none.
 */
static enum tr_err
hyp_text(struct tr_sphinx_stream *s, double *start, double *end)
{
	ps_seg_t	*seg;
	char		 w[256];
	double		 fed = s->fed / (double)SAMPLE_RATE;
	size_t		 i;
	int		 sf, ef;
	enum tr_err	 er;

	*start = *end = 0.0;
	tr_buf_reset(&s->text);
	for (seg = sp.ps_seg_iter(s->d.ps); seg != NULL;
	    seg = sp.ps_seg_next(seg)) {
		if (!word_text(sp.ps_seg_word(seg), w, sizeof(w)))
			continue;
		for (i = 0; w[i] != '\0'; i++)
			w[i] = tolower((unsigned char)w[i]);
		sp.ps_seg_frames(seg, &sf, &ef);
		if (s->text.len == 0)
			*start = sf / FRAME_RATE;
		*end = (ef + 1) / FRAME_RATE;
		if ((s->text.len > 0 &&
		    (er = tr_buf_add(&s->text, " ", 1)) != TR_OK) ||
		    (er = tr_buf_adds(&s->text, w)) != TR_OK) {
			sp.ps_seg_free(seg);
			return er;
		}
	}
	/* ps_end_utt() may make a last frame of the samples left over. */
	if (*start < 0.0)
		*start = 0.0;
	if (*end > fed)
		*end = fed;
	if (*start > *end)
		*start = *end;
	return TR_OK;
}

/*
 * Reports the partial hypothesis if it has words and they differ from
 * the interim reported last.  It has no confidence (-1): posteriors
 * exist only for a finished utterance.
 */
static enum tr_err
interim(struct tr_sphinx_stream *s, tr_sphinx_cb cb, void *arg)
{
	double		 start, end;
	enum tr_err	 er;

	if ((er = hyp_text(s, &start, &end)) != TR_OK)
		return er;
	if (s->text.len == 0 || (s->text.len == s->last.len &&
	    memcmp(s->text.ptr, s->last.ptr, s->text.len) == 0))
		return TR_OK;
	tr_buf_reset(&s->last);
	if ((er = tr_buf_add(&s->last, s->text.ptr, s->text.len)) != TR_OK)
		return er;
	if (cb != NULL)
		cb(arg, s->text.ptr, 0, -1.0, start, end);
	return TR_OK;
}

/*
 * The mean posterior probability of the words of the finished
 * utterance (each word's from the lattice, as the batch path gives its
 * words), in [0, 1]; 0 when it has none.  The utterance's own posterior
 * (ps_get_prob()) is the product of its words' and so falls towards 0
 * with every word, however sure: 4e-8 for a correct sentence.
 */
static double
mean_posterior(ps_decoder_t *ps)
{
	ps_seg_t	*seg;
	char		 w[256];
	double		 sum = 0, p;
	int32		 a, l, b;
	int		 n = 0;

	for (seg = sp.ps_seg_iter(ps); seg != NULL; seg = sp.ps_seg_next(seg)) {
		if (!word_text(sp.ps_seg_word(seg), w, sizeof(w)))
			continue;
		p = sp.logmath_exp(sp.ps_get_logmath(ps),
		    sp.ps_seg_prob(seg, &a, &l, &b));
		sum += p >= 0.0 && p <= 1.0 ? p : p > 1.0 ? 1.0 : 0.0;
		n++;
	}
	return n > 0 ? sum / n : 0.0;
}

/*
 * Ends the utterance and reports its words, if any, as final, with the
 * mean posterior of its words as its confidence.
 */
static enum tr_err
final(struct tr_sphinx_stream *s, tr_sphinx_cb cb, void *arg)
{
	double		 start, end, conf;
	enum tr_err	 er;

	s->inutt = s->speech = 0;
	s->sincehyp = 0;
	tr_buf_reset(&s->last);
	if (sp.ps_end_utt(s->d.ps) < 0)
		return TR_ESYSTEM;
	if ((er = hyp_text(s, &start, &end)) != TR_OK)
		return er;
	if (s->text.len == 0)
		return TR_OK;
	conf = mean_posterior(s->d.ps);
	if (cb != NULL)
		cb(arg, s->text.ptr, 1, conf, start, end);
	return TR_OK;
}

/*
 * Decodes nsamples more samples of the stream, calling cb (which must
 * not use the stream; NULL drops the results) for each result.  After
 * an error the stream is good only for reset or free.
 */
enum tr_err
tr_sphinx_stream_feed(struct tr_sphinx_stream *s, const int16_t *pcm,
    size_t nsamples, tr_sphinx_cb cb, void *arg)
{
	size_t		 n;
	int		 speech;
	enum tr_err	 er;

	while (nsamples > 0) {
		if (!s->inutt) {
			if (sp.ps_start_utt(s->d.ps) < 0)
				return TR_ESYSTEM;
			s->inutt = 1;
		}
		n = nsamples < STEP ? nsamples : STEP;
		if (sp.ps_process_raw(s->d.ps, pcm, n, FALSE, FALSE) < 0)
			return TR_ESYSTEM;
		pcm += n;
		nsamples -= n;
		s->fed += n;
		speech = sp.ps_get_in_speech(s->d.ps);
		if (s->speech && !speech) {
			if ((er = final(s, cb, arg)) != TR_OK)
				return er;
			continue;
		}
		s->speech = speech;
		if (!speech)
			continue;
		if ((s->sincehyp += n) >= HYP_EVERY) {
			s->sincehyp = 0;
			if ((er = interim(s, cb, arg)) != TR_OK)
				return er;
		}
	}
	return TR_OK;
}

/*
 * The end of the audio: the utterance under way, if any, ends and its
 * words are reported as final.  Feeding more continues the stream.
 */
enum tr_err
tr_sphinx_stream_finish(struct tr_sphinx_stream *s, tr_sphinx_cb cb,
    void *arg)
{
	if (!s->inutt)
		return TR_OK;
	return final(s, cb, arg);
}

void
tr_sphinx_stream_reset(struct tr_sphinx_stream *s)
{
	if (s->inutt && sp.ps_end_utt(s->d.ps) < 0)
		tr_warnx("sphinx: cannot end the utterance of a stream");
	s->inutt = s->speech = 0;
	s->sincehyp = 0;
	s->fed = 0;
	tr_buf_reset(&s->last);
	decoder_fresh(&s->d);
}

void
tr_sphinx_stream_free(struct tr_sphinx_stream *s)
{
	if (s == NULL)
		return;
	decoder_free(&s->d);
	tr_buf_free(&s->text);
	tr_buf_free(&s->last);
	free(s);
}
