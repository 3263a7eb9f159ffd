/*
 * The local streaming engine: PocketSphinx decoders (engine/sphinx.c)
 * fed from the decoding threads, never on the event loop, so a busy
 * decoder does not stall other connections.  Each stream holds one
 * decoder from a pool of LOCAL_STREAM_MAX (a decoder costs about a
 * second to load and ~100 MB, so they are kept and reused).  Audio that
 * arrives while a decode runs waits in the stream's buffer and goes in
 * the next job; one job per stream at a time keeps the order.
 *
 * A stream without an encoding is container audio (what MediaRecorder
 * sends: webm or ogg with opus, or mp3, wav...): its bytes go through an
 * ffmpeg child (tr_media_pcm16k_pipe), fed and drained by the same jobs
 * with non-blocking pipes, and what comes out is decoded as above.
 */
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge.h"

#define BACKLOG_MAX	(16000 * 2 * 30)	/* 30 s of audio waiting */
#define TC_WAIT_MS	20	/* for ffmpeg's output after a chunk */
#define TC_FINISH_MS	10000	/* for the rest of it at the end */

/* An ffmpeg child decoding container audio to 16 kHz s16le. */
struct	tc {
	int		 pid;
	int		 wfd;		/* its stdin, -1 once closed */
	int		 rfd;		/* its stdout, -1 at EOF */
	struct tr_buf	 pending;	/* bytes it has not taken yet */
	struct tr_buf	 out;		/* PCM it gave, not yet decoded */
	size_t		 total;		/* PCM bytes it gave in all */
};

struct	slot {
	struct tr_sphinx_stream	*dec;	/* NULL until first used */
	int			 busy;
};

struct	result {
	struct result	*next;
	int		 is_final;
	double		 conf;
	char		 text[];
};

struct	ljob {
	struct work_job	 wj;
	struct upstream	*u;
	unsigned char	*audio;
	size_t		 len;
	int		 finish;	/* flush the last utterance */
	int		 fresh;		/* first job of the stream */
	size_t		 decoded;	/* PCM bytes out of container audio */
	enum tr_err	 er;
	struct result	*head;
	struct result	**tail;
};

struct	upstream {
	const struct up_events	*ev;
	void			*arg;
	struct slot		*slot;
	struct tc		*tc;		/* container audio, or NULL */
	struct tr_buf		 backlog;
	int			 busy;		/* a job runs */
	int			 fresh;
	int			 finishing;
	int			 aborted;
	struct ljob		 job;
};

static struct slot	*slots;
static long long	 nslots;

static void
collect(void *arg, const char *text, int is_final, double conf,
    double start, double end)
{
	struct ljob	*j = arg;
	struct result	*r;
	size_t		 n = strlen(text);

	r = tr_xmalloc(sizeof(*r) + n + 1);
	r->next = NULL;
	r->is_final = is_final;
	r->conf = conf;
	memcpy(r->text, text, n + 1);
	*j->tail = r;
	j->tail = &r->next;
}

static void
tc_free(struct tc *tc)
{
	if (tc == NULL)
		return;
	if (tc->wfd != -1)
		close(tc->wfd);
	if (tc->rfd != -1)
		close(tc->rfd);
	if (tc->pid > 0) {
		kill(tc->pid, SIGKILL);
		while (waitpid(tc->pid, NULL, 0) == -1 && errno == EINTR)
			continue;
	}
	tr_buf_free(&tc->pending);
	tr_buf_free(&tc->out);
	free(tc);
}

/*
 * Moves bytes both ways without blocking: what ffmpeg takes of pending,
 * what it gives into out.  Waits up to ms for something to happen
 * (0: none).  Returns -1 if ffmpeg failed or gave too much.
 */
static int
tc_pump(struct tc *tc, int ms)
{
	struct pollfd	 pfd[2];
	char		 chunk[16384];
	ssize_t		 n;
	int		 nfd;

	for (;;) {
		while (tc->wfd != -1 && tc->pending.len > 0) {
			n = write(tc->wfd, tc->pending.ptr, tc->pending.len);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				return -1;	/* EPIPE: it gave up */
			}
			memmove(tc->pending.ptr, tc->pending.ptr + n,
			    tc->pending.len - (size_t)n);
			tc->pending.len -= (size_t)n;
		}
		while (tc->rfd != -1) {
			n = read(tc->rfd, chunk, sizeof(chunk));
			if (n == 0) {
				close(tc->rfd);
				tc->rfd = -1;
			} else if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				return -1;
			} else if (tr_buf_add(&tc->out, chunk, (size_t)n) !=
			    TR_OK)
				return -1;
			else
				tc->total += (size_t)n;
		}
		if (ms <= 0 || tc->rfd == -1)
			return 0;
		nfd = 0;
		pfd[nfd].fd = tc->rfd;
		pfd[nfd++].events = POLLIN;
		if (tc->wfd != -1 && tc->pending.len > 0) {
			pfd[nfd].fd = tc->wfd;
			pfd[nfd++].events = POLLOUT;
		}
		if (poll(pfd, (nfds_t)nfd, ms) <= 0)
			return 0;
		ms = 0;		/* one more round for what woke us */
	}
}

/* The end: everything in, stdin closed, the rest read, the child gone. */
static int
tc_end(struct tc *tc)
{
	int64_t	 deadline = bridge_now_ms() + TC_FINISH_MS;
	int	 st = -1;
	pid_t	 r;

	while (tc->rfd != -1 && bridge_now_ms() < deadline) {
		if (tc->wfd != -1 && tc->pending.len == 0) {
			close(tc->wfd);
			tc->wfd = -1;
		}
		if (tc_pump(tc, 100) == -1)
			return -1;
	}
	if (tc->rfd != -1)
		return -1;		/* still talking: killed by tc_free */
	while ((r = waitpid(tc->pid, &st, 0)) == -1 && errno == EINTR)
		continue;
	if (r == tc->pid) {
		tc->pid = -1;
		/* A cut-off last chunk may make it complain: fine if it
		 * decoded something. */
		return (WIFEXITED(st) && WEXITSTATUS(st) == 0) ||
		    tc->total > 0 ? 0 : -1;
	}
	return -1;
}

/* Container audio in, its PCM (whole samples) out; on a decoding thread. */
static enum tr_err
transcode(struct tc *tc, const unsigned char *in, size_t len, int finish,
    unsigned char **pcm, size_t *n)
{
	if (tr_buf_add(&tc->pending, in, len) != TR_OK ||
	    tc_pump(tc, finish ? 0 : TC_WAIT_MS) == -1 ||
	    (finish && tc_end(tc) == -1))
		return TR_EMEDIA;
	*n = tc->out.len & ~(size_t)1;
	*pcm = NULL;
	if (*n > 0) {
		*pcm = tr_xmalloc(*n);
		memcpy(*pcm, tc->out.ptr, *n);
		memmove(tc->out.ptr, tc->out.ptr + *n, tc->out.len - *n);
		tc->out.len -= *n;
	}
	return TR_OK;
}

/* On a decoding thread. */
static void
run(struct work_job *wj)
{
	struct ljob	*j = lws_container_of(wj, struct ljob, wj);
	struct slot	*s = j->u->slot;
	unsigned char	*bytes = j->audio, *conv = NULL;
	int16_t		*pcm;
	size_t		 i, len = j->len, n;

	j->er = TR_OK;
	if (s->dec == NULL && (j->er = tr_sphinx_stream_new(&s->dec)) !=
	    TR_OK) {
		s->dec = NULL;
		return;
	}
	if (j->fresh)
		tr_sphinx_stream_reset(s->dec);
	if (j->u->tc != NULL) {
		if ((j->er = transcode(j->u->tc, j->audio, j->len, j->finish,
		    &conv, &len)) != TR_OK)
			return;
		bytes = conv;
		j->decoded = len;
	}
	n = len / 2;
	if (n > 0) {
		pcm = tr_xmalloc(n * sizeof(*pcm));
		for (i = 0; i < n; i++)
			pcm[i] = (int16_t)(bytes[2 * i] | bytes[2 * i + 1] << 8);
		j->er = tr_sphinx_stream_feed(s->dec, pcm, n, collect, j);
		free(pcm);
	}
	free(conv);
	if (j->er == TR_OK && j->finish)
		j->er = tr_sphinx_stream_finish(s->dec, collect, j);
}

static void
release(struct upstream *u)
{
	if (u->slot != NULL)
		u->slot->busy = 0;
	u->slot = NULL;
	tc_free(u->tc);
	tr_buf_free(&u->backlog);
	free(u);
}

static void kick(struct upstream *);

/* On the event loop. */
static void
done(struct work_job *wj)
{
	struct ljob	*j = lws_container_of(wj, struct ljob, wj);
	struct upstream	*u = j->u;
	struct result	*r, *next;
	int		 finish = j->finish;

	TR_FREE(j->audio);
	u->busy = 0;
	for (r = j->head; r != NULL; r = next) {
		next = r->next;
		if (!u->aborted && j->er == TR_OK)
			u->ev->result(u->arg, r->text, r->is_final, r->conf);
		free(r);
	}
	j->head = NULL;
	if (!u->aborted && j->decoded > 0)
		u->ev->audio(u->arg, (double)j->decoded / (16000 * 2));
	if (u->aborted) {
		release(u);
		return;
	}
	if (j->er != TR_OK) {
		u->aborted = 1;
		u->ev->error(u->arg, j->er == TR_EMEDIA ?
		    "the audio could not be decoded" :
		    "the local engine failed");
		u->ev->closed(u->arg);
		release(u);
		return;
	}
	if (finish) {
		u->aborted = 1;
		u->ev->closed(u->arg);
		release(u);
		return;
	}
	kick(u);
}

/* Hands the waiting audio (and the finish) to a decoding thread. */
static void
kick(struct upstream *u)
{
	struct ljob	*j = &u->job;
	size_t		 even;

	if (u->busy || (u->backlog.len < (u->tc != NULL ? 1 : 2) &&
	    !u->finishing))
		return;
	memset(j, 0, sizeof(*j));
	j->wj.run = run;
	j->wj.done = done;
	j->u = u;
	j->tail = &j->head;
	j->fresh = u->fresh;
	u->fresh = 0;
	/* Whole samples of PCM; container bytes as they come. */
	even = u->tc != NULL ? u->backlog.len : u->backlog.len & ~(size_t)1;
	if (even > 0) {
		j->audio = tr_xmalloc(even);
		memcpy(j->audio, u->backlog.ptr, even);
		j->len = even;
		memmove(u->backlog.ptr, u->backlog.ptr + even,
		    u->backlog.len - even);
		u->backlog.len -= even;
	}
	j->finish = u->finishing;
	u->busy = 1;
	work_submit(WORK_CPU, &j->wj);
}

static struct upstream *
loc_open(const struct up_params *pr, const struct up_events *ev, void *arg,
    const char **why)
{
	struct upstream	*u;
	long long	 i;

	for (i = 0; i < nslots; i++)
		if (!slots[i].busy)
			break;
	if (i == nslots) {
		*why = "the local engine is busy: try again later";
		return NULL;
	}
	u = tr_xcalloc(1, sizeof(*u));
	if (pr->encoding == NULL) {
		u->tc = tr_xcalloc(1, sizeof(*u->tc));
		tr_buf_init(&u->tc->pending, BACKLOG_MAX);
		tr_buf_init(&u->tc->out, BACKLOG_MAX);
		if (tr_media_pcm16k_pipe(&u->tc->pid, &u->tc->wfd,
		    &u->tc->rfd) != TR_OK) {
			tr_warn("local engine: cannot start ffmpeg");
			free(u->tc);
			free(u);
			*why = "the local engine cannot decode this audio now";
			return NULL;
		}
	}
	u->ev = ev;
	u->arg = arg;
	u->slot = &slots[i];
	u->slot->busy = 1;
	u->fresh = 1;
	tr_buf_init(&u->backlog, BACKLOG_MAX);
	return u;
}

static int
loc_send(struct upstream *u, const void *p, size_t len)
{
	if (u->aborted || u->finishing)
		return -1;
	if (tr_buf_add(&u->backlog, p, len) != TR_OK) {
		tr_buf_init(&u->backlog, BACKLOG_MAX);
		u->ev->error(u->arg, "the local engine is falling behind");
		u->finishing = 1;
		kick(u);
		return -1;
	}
	kick(u);
	return 0;
}

/* English, from container audio (ffmpeg reads it) or 16 kHz mono PCM. */
static const char *
loc_check(const struct up_params *p)
{
	if (!tr_lang_has(p->lang, TR_LANG_LOCAL))
		return "The local engine transcribes English only";
	if (p->encoding != NULL && (strcmp(p->encoding, "linear16") != 0 ||
	    p->sample_rate != 16000 || p->channels != 1))
		return "The local engine takes container audio (webm, ogg,"
		    " mp3, wav...) or linear16 mono at 16000 Hz";
	return NULL;
}

static void
loc_finish(struct upstream *u)
{
	if (u->aborted || u->finishing)
		return;
	u->finishing = 1;
	kick(u);
}

static void
loc_abort(struct upstream *u)
{
	u->aborted = 1;
	if (!u->busy)
		release(u);
	/* else done() releases it */
}

/* Loads the first decoder in the background, so the first stream does
 * not wait for it. */
static struct work_job	 warm_job;

static void
warm_run(struct work_job *wj)
{
	if (slots[0].dec == NULL &&
	    tr_sphinx_stream_new(&slots[0].dec) != TR_OK)
		slots[0].dec = NULL;
}

static void
warm_done(struct work_job *wj)
{
	slots[0].busy = 0;
	if (slots[0].dec == NULL)
		tr_errx("local engine: no model; local streams will fail");
}

static int
loc_init(void)
{
	nslots = tr_conf_ll("LOCAL_STREAM_MAX", 2, 1, 64);
	slots = tr_xcalloc((size_t)nslots, sizeof(*slots));
	slots[0].busy = 1;
	warm_job.run = warm_run;
	warm_job.done = warm_done;
	work_submit(WORK_CPU, &warm_job);
	return 0;
}

static void
loc_free(void)
{
	long long	 i;

	for (i = 0; i < nslots; i++)
		if (slots[i].dec != NULL)
			tr_sphinx_stream_free(slots[i].dec);
	TR_FREE(slots);
	nslots = 0;
}

const struct up_ops up_local = {
	.name = "local", .langs = TR_LANG_LOCAL, .init = loc_init,
	.free = loc_free, .check = loc_check, .open = loc_open,
	.send = loc_send, .finish = loc_finish, .abort = loc_abort
};
