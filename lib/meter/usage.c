/*
 * Usage metering (SPEC section 5): a usage_logs row per billable call,
 * the user's monthly counters (striped, migration 0012) and the release
 * of the call's quota slot, in one statement: one transaction, one
 * durable commit.  A usage row is billing data: when PostgreSQL cannot
 * be reached the row is appended to a local spool file and fsync'd
 * before the call succeeds, and replayed when the database is back.  Every row carries an idempotency key, so
 * a replay interrupted half-way and run again writes nothing twice.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"

#define SPOOL_LINEMAX	4096

static const struct tr_db_stmt usage_row = { "usage_row",
    "WITH rel AS (UPDATE slots SET expires_at = '-infinity'"
    " WHERE id = slot_id($12::bigint) AND gen = slot_gen($12::bigint)),"
    " ins AS (INSERT INTO usage_logs (user_id, api_key_id, service,"
    " endpoint, audio_duration_seconds, tokens_used, cost_usd, status,"
    " request_id, idempotency_key, timestamp, characters) VALUES"
    " ($1::bigint, $2::bigint, $3, $4, $5::numeric, $6::integer,"
    " $7::numeric, $8, $9, $10, to_timestamp($11::double precision),"
    " $13::bigint)"
    " ON CONFLICT (idempotency_key) DO NOTHING"
    " RETURNING user_id, date_trunc('month', timestamp)::date AS m,"
    " audio_duration_seconds / 60 AS mins)"
    " INSERT INTO usage_counters AS c (user_id, month, stripe, api_calls,"
    " audio_minutes) SELECT user_id, m, pg_backend_pid() % 16, 1, mins"
    " FROM ins WHERE user_id IS NOT NULL"
    " ON CONFLICT (user_id, month, stripe) DO UPDATE SET"
    " api_calls = c.api_calls + 1,"
    " audio_minutes = c.audio_minutes + excluded.audio_minutes",
    TR_USAGE_NPARAMS };

/* usage_row's parameters as a spool line names them; the slot is not
 * spooled (its lease frees it). */
static const char *const row_names[TR_USAGE_NPARAMS] = { "user_id",
    "api_key_id", "service", "endpoint", "audio_seconds", "tokens",
    "cost_usd", "status", "request_id", "idempotency_key", "time", NULL,
    "characters" };

static unsigned int	 seq;	/* rows logged by this process */

static const char *
spool_path(char *buf, size_t sz)
{
	snprintf(buf, sz, "%s/usage.spool",
	    tr_conf_def("USAGE_SPOOL_DIR", "/var/spool/trapi"));
	return buf;
}

/* The row as a spool line (one JSON object and a newline). */
static struct json_object *
row_json(const char *const p[TR_USAGE_NPARAMS])
{
	struct json_object	*o = json_object_new_object();
	size_t			 i;

	for (i = 0; i < TR_USAGE_NPARAMS; i++)
		if (row_names[i] != NULL)
			json_object_object_add(o, row_names[i], p[i] != NULL ?
			    json_object_new_string(p[i]) : NULL);
	return o;
}

/* Appends a line to the spool and makes it durable. */
static enum tr_err
spool(const char *const p[TR_USAGE_NPARAMS])
{
	struct json_object	*o;
	const char		*line;
	char			 path[4096];
	struct stat		 st;
	struct tr_buf		 b;
	ssize_t			 w;
	int			 fd;
	enum tr_err		 er = TR_OK;

	o = row_json(p);
	line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	tr_buf_init(&b, SPOOL_LINEMAX);
	if (tr_buf_adds(&b, line) != TR_OK || tr_buf_add(&b, "\n", 1) != TR_OK) {
		json_object_put(o);
		return TR_ESYSTEM;
	}
	json_object_put(o);
	spool_path(path, sizeof(path));
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0660)) == -1) {
		tr_warn("usage spool %s", path);
		tr_buf_free(&b);
		return TR_ESYSTEM;
	}
	/*
	 * The programs and ws-bridge may run as two users of one group
	 * (INSTALL), each appending and the programs replaying: the file
	 * is group-writable whatever the umask.
	 */
	if (fstat(fd, &st) == 0 && st.st_uid == geteuid() &&
	    (st.st_mode & 0660) != 0660)
		(void)fchmod(fd, (st.st_mode & 07777) | 0660);
	if (flock(fd, LOCK_EX) == -1 ||
	    (w = write(fd, b.ptr, b.len)) != (ssize_t)b.len || fsync(fd) == -1) {
		tr_warn("usage spool %s", path);
		er = TR_ESYSTEM;
	}
	close(fd);
	tr_buf_free(&b);
	if (er == TR_OK)
		tr_warnx("database unavailable: usage row %s spooled", p[9]);
	return er;
}

/*
 * Records a usage row for the caller.  Returns TR_OK once the row is in
 * the database or durably spooled; an error only if neither could be
 * done, and then the caller must fail the call.
 */
enum tr_err
tr_usage_log(struct tr_req *r, const struct tr_usage *u)
{
	const char	*p[TR_USAGE_NPARAMS], *kv[2];
	char		 uid[24], kid[24], secs[32], toks[24], cost[32], chars[24];
	char		 idem[64], now[32], slot[24];
	struct timespec	 ts;
	long long	 user = 0;
	enum tr_err	 er;

	/* An Auth0 caller gets its users row now; without the database
	 * the row is spooled without a user. */
	if (r->prin.kind == TR_PRIN_AUTH0 && tr_principal_user(r, &user) != TR_OK)
		tr_warnx("usage: no user row for this Auth0 subject yet");
	user = r->prin.user_id;
	snprintf(uid, sizeof(uid), "%lld", user);
	snprintf(kid, sizeof(kid), "%lld", r->prin.key_id);
	snprintf(secs, sizeof(secs), "%.3f", u->audio_seconds);
	snprintf(toks, sizeof(toks), "%lld", u->tokens);
	snprintf(cost, sizeof(cost), "%.6f", u->cost_usd);
	snprintf(idem, sizeof(idem), "%s:%u", r->reqid,
	    __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(now, sizeof(now), "%lld.%06ld", (long long)ts.tv_sec,
	    ts.tv_nsec / 1000);
	p[0] = user > 0 ? uid : NULL;
	p[1] = r->prin.key_id > 0 ? kid : NULL;
	p[2] = u->service;
	p[3] = u->endpoint != NULL ? u->endpoint : r->path;
	p[4] = secs;
	p[5] = toks;
	p[6] = cost;
	p[7] = u->status != NULL ? u->status : "success";
	p[8] = r->reqid;
	p[9] = idem;
	p[10] = now;
	kv[0] = "service";
	kv[1] = u->service;
	tr_metric_add(TR_MET_USAGE_ROWS, 1, kv, 1);
	tr_metric_add(TR_MET_USAGE_SECONDS, u->audio_seconds, kv, 1);
	/* The slot is not spooled: its lease frees it. */
	snprintf(slot, sizeof(slot), "%lld", u->slot);
	p[11] = u->slot > 0 ? slot : NULL;
	snprintf(chars, sizeof(chars), "%lld", u->characters);
	p[12] = u->characters > 0 ? chars : NULL;
	/* A job's run bills only when it ends, in the same transaction. */
	if (r->job != NULL) {
		tr__usage_defer(r, p);
		return TR_OK;
	}
	er = tr_db_exec(tr_db_get(), NULL, &usage_row, p);
	if (er == TR_EDBDOWN)
		return spool(p);
	if (er == TR_OK && u->slot > 0 && u->slot == r->slot)
		r->slot = 0;
	return er;
}

/* Inserts one spooled line.  Malformed lines are logged and skipped. */
static enum tr_err
replay_line(const char *line, size_t len)
{
	struct json_object	*o = NULL, *v;
	const char		*p[TR_USAGE_NPARAMS];
	size_t			 i;
	enum tr_err		 er;

	if (tr_json_parse(line, len, SPOOL_LINEMAX, 4, &o) != TR_OK ||
	    !json_object_is_type(o, json_type_object)) {
		tr_errx("usage spool: malformed line skipped");
		json_object_put(o);
		return TR_OK;
	}
	for (i = 0; i < TR_USAGE_NPARAMS; i++)
		p[i] = row_names[i] != NULL && json_object_object_get_ex(o,
		    row_names[i], &v) && v != NULL ? json_object_get_string(v) :
		    NULL;
	if (p[2] == NULL || p[3] == NULL || p[9] == NULL || p[10] == NULL) {
		tr_errx("usage spool: incomplete line skipped");
		json_object_put(o);
		return TR_OK;
	}
	er = tr_db_exec(tr_db_get(), NULL, &usage_row, p);
	json_object_put(o);
	return er;
}

/*
 * Replays the spool if there is one and the database answers.  One
 * process at a time (flock); the file is emptied only after every line
 * went in.  Cheap when there is nothing to do: one stat(2).
 */
void
tr_usage_replay(void)
{
	char		 path[4096], *line = NULL;
	struct stat	 st;
	size_t		 cap = 0, n = 0;
	ssize_t		 len;
	FILE		*f;
	int		 fd;
	enum tr_err	 er = TR_OK;

	if (stat(spool_path(path, sizeof(path)), &st) == -1 || st.st_size == 0)
		return;
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		return;
	}
	if ((f = fdopen(dup(fd), "r")) == NULL) {
		close(fd);
		return;
	}
	while (er == TR_OK && (len = getline(&line, &cap, f)) > 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if ((er = replay_line(line, (size_t)len)) == TR_OK)
			n++;
	}
	free(line);
	fclose(f);
	if (er == TR_OK) {
		if (ftruncate(fd, 0) == -1 || fsync(fd) == -1)
			tr_warn("usage spool %s", path);
		else
			tr_info("usage spool: %zu rows replayed", n);
	} else
		tr_warnx("usage spool: replay stopped after %zu rows; kept", n);
	close(fd);
}

/*
 * A job's run keeps its usage row until its final write: only the run
 * that succeeds (or fails for good) bills, once, keyed by the job.
 */
void
tr__usage_defer(struct tr_req *r, const char *const *p)
{
	size_t	 i;
	char	 idem[64];

	for (i = 0; i < TR_USAGE_NPARAMS; i++) {
		free(r->job->usage[i]);
		r->job->usage[i] = p[i] != NULL ? tr_xstrdup(p[i]) : NULL;
	}
	snprintf(idem, sizeof(idem), "job:%s", r->job->id);
	free(r->job->usage[9]);
	r->job->usage[9] = tr_xstrdup(idem);
}

enum tr_err
tr__usage_flush(struct tr_req *r)
{
	if (r->job == NULL || r->job->usage[2] == NULL)
		return TR_OK;
	return tr_db_exec(tr_db_get(), NULL, &usage_row,
	    (const char *const *)r->job->usage);
}
