/*
 * trapi-worker: runs the async jobs of the queue in PostgreSQL (table
 * jobs, service/job.c).  Any number of workers on any number of hosts
 * share the queue: each claims the oldest ready job with FOR UPDATE
 * SKIP LOCKED and a lease of JOB_LEASE_SECONDS, runs the job's own
 * endpoint program as its child (TRAPI_JOB_ID, TRAPI_JOB_ATTEMPT set;
 * the child dies with the worker), and renews the lease while the child
 * runs.  A canceled job's child is killed; one whose lease was lost
 * (the database gave the job to another worker) too.  Between jobs the
 * worker waits on LISTEN trapi_jobs, woken by each submission, or
 * polls every JOB_POLL_SECONDS when the notification cannot come.
 * Between jobs it also makes the due tries of job callbacks
 * (service/callback.c), one bounded try each.
 * SIGTERM: the current job gets JOB_SHUTDOWN_GRACE seconds to finish,
 * then is handed back to the queue.  It runs in the foreground,
 * logging to stderr (systemd or tools/run.sh keep it).
 *
 * usage: trapi-worker [-n name]
 */
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tr.h"

#ifndef CGIDIR
#define CGIDIR	"/usr/local/lib/trapi/cgi-bin"
#endif
#define TICK_MS		200	/* how often a running child's lease is looked at */
#define KILL_GRACE_MS	2000	/* SIGTERM to SIGKILL of a child */

static volatile sig_atomic_t	 stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The LISTEN connection, (re)opened when it is gone; NULL while down. */
static PGconn *
listener(PGconn *c)
{
	PGresult	*res;
	char		 sql[64];

	if (c != NULL && PQstatus(c) == CONNECTION_OK)
		return c;
	PQfinish(c);
	c = PQconnectdb(tr_conf_def("DATABASE_URL", "postgresql:///trapi"));
	if (PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		return NULL;
	}
	snprintf(sql, sizeof(sql), "LISTEN %s", tr_job_channel());
	res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		PQfinish(c);
		return NULL;
	}
	PQclear(res);
	tr_info("listening for jobs");
	return c;
}

/* Waits for a notification or the poll interval. */
static PGconn *
wait_work(PGconn *c, long long poll_s)
{
	struct pollfd	 p;
	PGnotify	*n;

	if ((c = listener(c)) == NULL) {
		sleep((unsigned int)(poll_s < 1 ? 1 : poll_s));
		return NULL;
	}
	p.fd = PQsocket(c);
	p.events = POLLIN;
	if (poll(&p, 1, (int)(poll_s * 1000)) > 0 && PQconsumeInput(c) == 0) {
		tr_warnx("listener: %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	while ((n = PQnotifies(c)) != NULL)
		PQfreemem(n);
	return c;
}

static void
close_fd(int fd)
{
	if (fd != -1)
		close(fd);
}

/* Stops a child: SIGTERM, then SIGKILL after a grace; reaps it. */
static void
kill_child(pid_t pid)
{
	double	 t0 = now_s();
	int	 st;

	kill(pid, SIGTERM);
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if ((now_s() - t0) * 1000 > KILL_GRACE_MS) {
			kill(pid, SIGKILL);
			(void)waitpid(pid, &st, 0);
			return;
		}
		usleep(TICK_MS * 1000);
	}
}

/* Runs one claimed job's child to its end, renewing the lease. */
static void
run(const char *id, const char *attempt, const char *program,
    long long lease)
{
	char		 path[PATH_MAX];
	const char	*dir = tr_conf_def("JOB_PROGRAM_DIR", CGIDIR);
	double		 last, stop_at = 0;
	long long	 grace;
	struct pollfd	 pfd;
	pid_t		 pid;
	int		 st, rc;
	size_t		 i;

	/* The name is the database's: a program of the directory, no path. */
	for (i = 0; program[i] != '\0'; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789_",
		    program[i]) == NULL) {
			tr_job_abandon(id, attempt, "no such program", 0);
			return;
		}
	snprintf(path, sizeof(path), "%s/%s", dir, program);
	tr_info("job %s attempt %s: %s", id, attempt, program);
	if ((pid = fork()) == -1) {
		tr_warn("fork");
		tr_job_abandon(id, attempt, "the worker could not start it", 2);
		return;
	}
	if (pid == 0) {
		/* The child dies with its worker: a kill -9 of the worker
		 * leaves nothing running for the lease to outlive. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		signal(SIGTERM, SIG_DFL);
		setenv("TRAPI_JOB_ID", id, 1);
		setenv("TRAPI_JOB_ATTEMPT", attempt, 1);
		setenv("REQUEST_METHOD", "POST", 1);
		unsetenv("QUERY_STRING");
		execl(path, program, (char *)NULL);
		fprintf(stderr, "trapi-worker: %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	grace = tr_conf_ll("JOB_SHUTDOWN_GRACE", 30, 0, 86400);
	/* Its exit wakes us at once (a pidfd is readable then); the tick
	 * only paces the lease and shutdown checks. */
	pfd.fd = pidfd_open(pid, 0);
	pfd.events = POLLIN;
	last = now_s();
	for (;;) {
		if ((rc = waitpid(pid, &st, WNOHANG)) == pid)
			break;
		if (rc == -1 && errno != EINTR) {
			st = -1;
			break;
		}
		if (stopping && stop_at == 0)
			stop_at = now_s() + grace;
		if (stop_at != 0 && now_s() > stop_at) {
			tr_info("job %s: handed back at shutdown", id);
			kill_child(pid);
			tr_job_abandon(id, attempt, "its worker stopped", 2);
			close_fd(pfd.fd);
			return;
		}
		if (now_s() - last >= lease / 3.0) {
			last = now_s();
			switch (tr_job_renew(id, attempt, lease)) {
			case 0:
				tr_warnx("job %s: lease lost; stopping it", id);
				kill_child(pid);
				close_fd(pfd.fd);
				return;
			case 2:
				tr_info("job %s: canceled", id);
				kill_child(pid);
				tr_job_cancel_done(id, attempt);
				close_fd(pfd.fd);
				return;
			}
		}
		if (pfd.fd == -1)
			usleep(TICK_MS * 1000);
		else
			(void)poll(&pfd, 1, TICK_MS);
	}
	close_fd(pfd.fd);
	/* A run that ended without its end written (a crash, a database
	 * gone): retried, a failure counted; a written one is untouched. */
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		tr_warnx("job %s: its program ended without a result (%s %d)", id,
		    st != -1 && WIFSIGNALED(st) ? "signal" : "status",
		    st == -1 ? -1 : WIFSIGNALED(st) ? WTERMSIG(st) :
		    WEXITSTATUS(st));
		tr_job_abandon(id, attempt, "the run ended without a result", 1);
	} else if (tr_job_renew(id, attempt, lease) == 2) {
		tr_job_cancel_done(id, attempt);
	}
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	char		 name[128], host[64], id[37], attempt[16], prog[65];
	PGconn		*lc = NULL;
	long long	 lease, poll_s;
	double		 swept = 0;
	int		 ch, got;

	tr_log_init("trapi-worker");
	snprintf(host, sizeof(host), "host");
	(void)gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	snprintf(name, sizeof(name), "%s:%d", host, (int)getpid());
	while ((ch = getopt(argc, argv, "n:")) != -1)
		switch (ch) {
		case 'n':
			snprintf(name, sizeof(name), "%s", optarg);
			break;
		default:
			fprintf(stderr, "usage: trapi-worker [-n name]\n");
			return 2;
		}
	if (tr_conf_load() != TR_OK) {
		tr_errx("configuration failed to load");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	lease = tr_conf_ll("JOB_LEASE_SECONDS", 60, 1, 86400);
	poll_s = tr_conf_ll("JOB_POLL_SECONDS", 5, 1, 3600);
	tr_info("worker %s: lease %llds, poll %llds", name, lease, poll_s);
	while (!stopping) {
		if (now_s() - swept > 60) {
			tr_job_sweep();
			swept = now_s();
		}
		/* Due callbacks first: each is one short, bounded try. */
		while (!stopping && tr_callback_deliver() == 1)
			continue;
		got = tr_job_claim(name, lease, id, attempt, prog);
		if (got == 1) {
			run(id, attempt, prog, lease);
			continue;
		}
		if (got == 2)
			continue;
		if (got < 0)
			tr_db_close();	/* reconnect on the next claim */
		lc = wait_work(lc, poll_s);
	}
	tr_info("worker %s: stopped", name);
	PQfinish(lc);
	tr_db_close();
	tr_conf_free();
	return 0;
}
