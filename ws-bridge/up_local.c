/*
 * The local streaming engine: PocketSphinx decoders (engine/sphinx.c)
 * fed from the decoding threads, never on the event loop, so a busy
 * decoder does not stall other connections.  Each stream holds one
 * decoder from a pool of LOCAL_STREAM_MAX (a decoder costs about a
 * second to load and ~100 MB, so they are kept and reused).  Audio that
 * arrives while a decode runs waits in the stream's buffer and goes in
 * the next job; one job per stream at a time keeps the order.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge.h"

#define BACKLOG_MAX	(16000 * 2 * 30)	/* 30 s of audio waiting */

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
	enum tr_err	 er;
	struct result	*head;
	struct result	**tail;
};

struct	upstream {
	const struct up_events	*ev;
	void			*arg;
	struct slot		*slot;
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

/* On a decoding thread. */
static void
run(struct work_job *wj)
{
	struct ljob	*j = lws_container_of(wj, struct ljob, wj);
	struct slot	*s = j->u->slot;
	int16_t		*pcm;
	size_t		 i, n = j->len / 2;

	j->er = TR_OK;
	if (s->dec == NULL && (j->er = tr_sphinx_stream_new(&s->dec)) !=
	    TR_OK) {
		s->dec = NULL;
		return;
	}
	if (j->fresh)
		tr_sphinx_stream_reset(s->dec);
	if (n > 0) {
		pcm = tr_xmalloc(n * sizeof(*pcm));
		for (i = 0; i < n; i++)
			pcm[i] = (int16_t)(j->audio[2 * i] |
			    j->audio[2 * i + 1] << 8);
		j->er = tr_sphinx_stream_feed(s->dec, pcm, n, collect, j);
		free(pcm);
	}
	if (j->er == TR_OK && j->finish)
		j->er = tr_sphinx_stream_finish(s->dec, collect, j);
}

static void
release(struct upstream *u)
{
	if (u->slot != NULL)
		u->slot->busy = 0;
	u->slot = NULL;
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
	if (u->aborted) {
		release(u);
		return;
	}
	if (j->er != TR_OK) {
		u->aborted = 1;
		u->ev->error(u->arg, "the local engine failed");
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

	if (u->busy || (u->backlog.len < 2 && !u->finishing))
		return;
	memset(j, 0, sizeof(*j));
	j->wj.run = run;
	j->wj.done = done;
	j->u = u;
	j->tail = &j->head;
	j->fresh = u->fresh;
	u->fresh = 0;
	even = u->backlog.len & ~(size_t)1;
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

int
up_local_init(void)
{
	nslots = tr_conf_ll("LOCAL_STREAM_MAX", 2, 1, 64);
	slots = tr_xcalloc((size_t)nslots, sizeof(*slots));
	slots[0].busy = 1;
	warm_job.run = warm_run;
	warm_job.done = warm_done;
	work_submit(WORK_CPU, &warm_job);
	return 0;
}

void
up_local_free(void)
{
	long long	 i;

	for (i = 0; i < nslots; i++)
		if (slots[i].dec != NULL)
			tr_sphinx_stream_free(slots[i].dec);
	TR_FREE(slots);
	nslots = 0;
}

const struct up_ops up_local = {
	"local", 0, loc_open, loc_send, loc_finish, loc_abort
};
