/*
 * Threads for work that must not run on the event loop: database
 * calls (WS_DB_THREADS threads, a connection each, so that a slow token
 * check, an Auth0 key fetch say, does not hold up the others) and local
 * decoding (a thread per core).  A stream has one job at a time, so its
 * own jobs keep their order.
 * A finished job is handed back to the loop, woken with
 * lws_cancel_service(), where its done() runs.
 */
#include <pthread.h>
#include <stdlib.h>

#include "bridge.h"

#define NTHREADS_MAX	16

struct	wqueue {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct work_job	*head;
	struct work_job	**tail;
	pthread_t	 threads[NTHREADS_MAX];
	int		 nthreads;
	int		 stopping;	/* under mu */
};

static struct wqueue	 queues[2];
static pthread_mutex_t	 donemu = PTHREAD_MUTEX_INITIALIZER;
static struct work_job	*donehead;
static struct work_job	**donetail = &donehead;

static void *
worker(void *arg)
{
	struct wqueue	*q = arg;
	struct work_job	*j;

	for (;;) {
		pthread_mutex_lock(&q->mu);
		while (q->head == NULL && !q->stopping)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->head == NULL) {
			pthread_mutex_unlock(&q->mu);
			tr_db_close();		/* this thread's, if any */
			tr_http_close();	/* and its kept connections */
			return NULL;
		}
		j = q->head;
		if ((q->head = j->next) == NULL)
			q->tail = &q->head;
		pthread_mutex_unlock(&q->mu);
		j->run(j);
		j->next = NULL;
		pthread_mutex_lock(&donemu);
		*donetail = j;
		donetail = &j->next;
		pthread_mutex_unlock(&donemu);
		lws_cancel_service(bctx);
	}
}

int
work_init(int ncpu)
{
	struct wqueue	*q;
	int		 i, n;

	if (ncpu < 1)
		ncpu = 1;
	if (ncpu > NTHREADS_MAX)
		ncpu = NTHREADS_MAX;
	for (i = 0; i < 2; i++) {
		q = &queues[i];
		pthread_mutex_init(&q->mu, NULL);
		pthread_cond_init(&q->cv, NULL);
		q->tail = &q->head;
		n = i == WORK_DB ? (int)tr_conf_ll("WS_DB_THREADS", 4, 1,
		    NTHREADS_MAX) : ncpu;
		for (q->nthreads = 0; q->nthreads < n; q->nthreads++)
			if (pthread_create(&q->threads[q->nthreads], NULL,
			    worker, q) != 0) {
				tr_errx("cannot start a worker thread");
				return -1;
			}
	}
	return 0;
}

void
work_submit(enum work_queue which, struct work_job *j)
{
	struct wqueue	*q = &queues[which];

	j->next = NULL;
	pthread_mutex_lock(&q->mu);
	*q->tail = j;
	q->tail = &j->next;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void
work_finish(void)
{
	struct work_job	*j, *next;

	pthread_mutex_lock(&donemu);
	j = donehead;
	donehead = NULL;
	donetail = &donehead;
	pthread_mutex_unlock(&donemu);
	for (; j != NULL; j = next) {
		next = j->next;
		j->done(j);
	}
}

/* Lets the queued jobs run, then joins the threads. */
void
work_stop(void)
{
	struct wqueue	*q;
	int		 i, k;

	for (i = 0; i < 2; i++) {
		q = &queues[i];
		pthread_mutex_lock(&q->mu);
		q->stopping = 1;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
	}
	for (i = 0; i < 2; i++)
		for (k = 0, q = &queues[i]; k < q->nthreads; k++)
			pthread_join(q->threads[k], NULL);
	work_finish();
}
