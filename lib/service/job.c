/*
 * Async jobs: any endpoint whose tr_endpoint sets .async may be handed
 * over.  "Prefer: respond-async" (RFC 7240) or async=true makes
 * dispatch (serve.c) call tr__job_submit() once the input is valid:
 * the request's parameters and files are stored (small files inline,
 * larger ones in JOB_SPOOL_DIR, which every worker host must see), a
 * NOTIFY wakes the workers, and the caller gets 202, a Location of
 * /jobs/{id} and the job.  trapi-worker (worker/) claims it and runs
 * the endpoint's own program as its child with TRAPI_JOB_ID and
 * TRAPI_JOB_ATTEMPT set; tr__job_child() rebuilds the request, runs
 * the same validation and handler, keeps the reply, and writes the end
 * of the run: the result, and the usage row in the same transaction.
 * Every write of a run names its attempt (the fencing token): a run
 * whose lease ran out and whose job another worker took writes nothing.
 * Provider failures (429, 502, 503, 504) are retried JOB_MAX_RETRIES
 * times with exponential backoff, then the job fails with that reply.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "extern.h"

#define JOB_IDLEN		36
#define JOB_LIST_DEFAULT	20
#define JOB_LIST_MAX		100
#define JOB_PREFER_MAX		1024	/* bytes of a Prefer header we read */
#define JOB_COPY_CHUNK		(64 * 1024)
#define JOB_DEF_TTL		86400
#define JOB_DEF_INLINE		(1024 * 1024)
#define JOB_DEF_RETRIES		3
#define JOB_DEF_BACKOFF		5
#define JOB_NOTIFY_CHANNEL	"trapi_jobs"

/* Results shown inside the job's JSON; any other (a docx, a pdf) is
 * fetched as it is from /jobs/{id}/result. */
#define JOB_TEXTUAL "(result_ctype LIKE 'application/json%' OR" \
	" result_ctype LIKE 'text/%' OR result_ctype LIKE" \
	" 'application/x-subrip%')"

/* What a client sees of a job: every reader selects these columns. */
#define JOB_COLS "id::text AS id, state, stage, percent, path, attempt," \
	" failures, result_status, result_ctype," \
	" CASE WHEN " JOB_TEXTUAL " THEN convert_from(result_body, 'UTF8')" \
	" END AS result_body, error, " \
	TR_SQL_ISOTIME("created_at") ", " TR_SQL_ISOTIME("started_at") ", " \
	TR_SQL_ISOTIME("finished_at") ", " TR_SQL_ISOTIME("expires_at")

/* How a job ended, for its duration in /metrics: the columns, read by
 * ended_state(). */
#define JOB_ENDED "state AS ended, COALESCE(extract(epoch FROM" \
	" finished_at - started_at), 0)::float8 AS ended_secs"

/* Statuses of a run that a later attempt may not get: provider trouble. */
static const int retryable[] = { 429, 502, 503, 504 };

/* A call whose failure changes nothing: a column read with a default,
 * a notification, a rollback. */
static void
best(enum tr_err er)
{
	if (er != TR_OK)
		tr_debug("job: best-effort step failed (%d)", (int)er);
}

/* The state a job ended in and the seconds it ran (JOB_ENDED). */
static void
ended_state(PGresult *res, char state[16], double *secs)
{
	const char	*st;

	state[0] = '\0';
	*secs = 0;
	if (tr_db_col_str(res, 0, "ended", &st) == TR_OK && st != NULL)
		snprintf(state, 16, "%s", st);
	if (tr_db_col_double(res, 0, "ended_secs", secs) != TR_OK)
		*secs = 0;
}

static void
ended_observe(const char *state, double secs)
{
	const char	*kv[2] = { "state", state };

	if (*state != '\0')
		tr_metric_observe(TR_MET_JOB_SECONDS, secs, kv, 1);
}

static int
is_retryable(int status)
{
	size_t	 i;

	for (i = 0; i < sizeof(retryable) / sizeof(retryable[0]); i++)
		if (retryable[i] == status)
			return 1;
	return 0;
}

static int
valid_uuid(const char *s)
{
	size_t	 i;

	if (s == NULL || strlen(s) != JOB_IDLEN)
		return 0;
	for (i = 0; i < JOB_IDLEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (strchr("0123456789abcdef", s[i]) == NULL ||
		    s[i] == '\0')
			return 0;
	}
	return 1;
}

static enum tr_err
new_uuid(char out[JOB_IDLEN + 1])
{
	unsigned char	 b[16];
	char		 h[33];
	enum tr_err	 er;

	if ((er = tr_random(b, sizeof(b))) != TR_OK)
		return er;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	tr_hex(b, sizeof(b), h);
	snprintf(out, JOB_IDLEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8,
	    h + 12, h + 16, h + 20);
	return TR_OK;
}

static const char *
spool_dir(void)
{
	return tr_conf_def("JOB_SPOOL_DIR", "/var/spool/trapi/jobs");
}

/*
 * Does the request ask to be handed over?  Prefer is a list of
 * preferences (RFC 7240): respond-async takes no value; preferences we
 * do not know are ignored, as the RFC says, but a header that does not
 * parse is refused, and so is async= anything but true or false, or
 * the two disagreeing.
 */
enum tr_err
tr__job_wanted(struct tr_req *r, int *want)
{
	const char	*h = tr_header_in(r, "Prefer");
	const char	*a = tr_param(r, "async");
	char		 buf[JOB_PREFER_MAX + 1], *tok, *save, *p;
	int		 prefer = 0, async = -1;

	*want = 0;
	if (h != NULL) {
		if (strlen(h) > JOB_PREFER_MAX)
			return tr_fail_param(r, TR_EINVAL, "Prefer", "the Prefer "
			    "header is longer than %d bytes", JOB_PREFER_MAX);
		snprintf(buf, sizeof(buf), "%s", h);
		for (tok = strtok_r(buf, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			while (*tok == ' ' || *tok == '\t')
				tok++;
			p = tok + strlen(tok);
			while (p > tok && (p[-1] == ' ' || p[-1] == '\t'))
				*--p = '\0';
			if (*tok == '\0' || *tok == '=' || *tok == ';')
				return tr_fail_param(r, TR_EINVAL, "Prefer",
				    "the Prefer header has an empty preference");
			if (strncasecmp(tok, "respond-async",
			    strlen("respond-async")) != 0)
				continue;
			p = tok + strlen("respond-async");
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '=')
				return tr_fail_param(r, TR_EINVAL, "Prefer",
				    "respond-async takes no value");
			if (*p != '\0' && *p != ';')
				continue;	/* respond-asyncx: not ours */
			prefer = 1;
		}
	}
	if (a != NULL) {
		if (strcasecmp(a, "true") == 0 || strcmp(a, "1") == 0)
			async = 1;
		else if (strcasecmp(a, "false") == 0 || strcmp(a, "0") == 0)
			async = 0;
		else
			return tr_fail_param(r, TR_EFIELD, "async",
			    "async must be true or false");
		if (async == 0 && prefer)
			return tr_fail_param(r, TR_EINVAL, "async",
			    "async=false contradicts Prefer: respond-async");
	}
	*want = prefer || async == 1;
	return TR_OK;
}

/* The caller's users row: jobs belong to accounts, not the legacy key. */
static enum tr_err
owner(struct tr_req *r, long long *uid)
{
	enum tr_err	 er;

	if ((er = tr_principal_user(r, uid)) != TR_OK)
		return er;
	if (*uid <= 0)
		return tr_fail(r, TR_EFORBIDDEN, "async jobs belong to an "
		    "account; the static API_KEY has none");
	return TR_OK;
}

/*
 * A copy of src at dst; by hard link when linkok and both are on one
 * file system.  Into the spool it is a copy: the file then takes the
 * spool's group (set-group-ID, INSTALL), which the workers' user reads.
 */
static enum tr_err
copy_file(const char *src, const char *dst, int linkok)
{
	char		 buf[JOB_COPY_CHUNK];
	ssize_t		 n;
	int		 in, out;
	enum tr_err	 er = TR_OK;

	if (linkok && link(src, dst) == 0)
		return TR_OK;
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1) {
		tr_warn("job input %s", src);
		return TR_ESYSTEM;
	}
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0640)) == -1) {
		tr_warn("job input %s", dst);
		close(in);
		return TR_ESYSTEM;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			er = TR_ESYSTEM;
			break;
		}
	if (n < 0 || fsync(out) == -1)
		er = TR_ESYSTEM;
	close(in);
	if (close(out) == -1)
		er = TR_ESYSTEM;
	if (er != TR_OK) {
		tr_warn("job input %s", dst);
		(void)unlink(dst);
	}
	return er;
}

/* The file as the hex text PostgreSQL reads as bytea. */
static enum tr_err
hex_file(const char *path, uint64_t size, struct tr_buf *b)
{
	unsigned char	 buf[4096];
	char		 h[2 * sizeof(buf) + 1];
	ssize_t		 n;
	int		 fd;
	enum tr_err	 er;

	tr_buf_init(b, 2 * size + 8);
	if ((er = tr_buf_adds(b, "\\x")) != TR_OK)
		return er;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return TR_ESYSTEM;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		tr_hex(buf, (size_t)n, h);
		if ((er = tr_buf_add(b, h, 2 * (size_t)n)) != TR_OK)
			break;
	}
	close(fd);
	if (n < 0) {
		tr_buf_free(b);
		return TR_ESYSTEM;
	}
	return er;
}

/* Removes a job's spool files, named in its files JSON. */
static void
drop_spool(const char *files)
{
	struct json_object	*arr, *f;
	const char		*name;
	char			 path[4096];
	size_t			 i, n;

	if (files == NULL || tr_json_parse(files, strlen(files), SIZE_MAX,
	    TR_JSON_DEPTH, &arr) != TR_OK)
		return;
	n = json_object_is_type(arr, json_type_array) ?
	    json_object_array_length(arr) : 0;
	for (i = 0; i < n; i++) {
		f = json_object_array_get_idx(arr, i);
		if ((name = tr_json_str(f, "spool")) == NULL ||
		    strchr(name, '/') != NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", spool_dir(), name);
		if (unlink(path) == -1 && errno != ENOENT)
			tr_warn("unlink %s", path);
	}
	json_object_put(arr);
}

static void
add_str(struct json_object *o, const char *k, const PGresult *res,
    const char *col)
{
	const char	*v = NULL;

	if (tr_db_col_str(res, 0, col, &v) != TR_OK || v == NULL)
		json_object_object_add(o, k, NULL);
	else
		json_object_object_add(o, k, json_object_new_string(v));
}

/* Row row of a JOB_COLS result as the client sees the job. */
static struct json_object *
job_json(const PGresult *res, int row)
{
	struct json_object	*o, *p, *rs, *body, *e;
	const char		*state = "", *ctype = NULL, *b = NULL, *err;
	const char		*stage = "";
	char			 url[JOB_IDLEN + 16];
	long long		 pct = 0, att = 0, st = 0;

	o = json_object_new_object();
	best(tr_db_col_str(res, row, "state", &state));
	best(tr_db_col_str(res, row, "stage", &stage));
	best(tr_db_col_ll(res, row, "percent", &pct));
	best(tr_db_col_ll(res, row, "attempt", &att));
	json_object_object_add(o, "id", json_object_new_string(
	    PQgetvalue(res, row, PQfnumber(res, "id"))));
	json_object_object_add(o, "object", json_object_new_string("job"));
	json_object_object_add(o, "status", json_object_new_string(state));
	json_object_object_add(o, "endpoint", json_object_new_string(
	    PQgetvalue(res, row, PQfnumber(res, "path"))));
	p = json_object_new_object();
	json_object_object_add(p, "stage", json_object_new_string(stage));
	json_object_object_add(p, "percent", json_object_new_int64(pct));
	json_object_object_add(o, "progress", p);
	json_object_object_add(o, "attempts", json_object_new_int64(att));
	if (row == 0) {
		add_str(o, "created_at", res, "created_at");
		add_str(o, "started_at", res, "started_at");
		add_str(o, "finished_at", res, "finished_at");
		add_str(o, "expires_at", res, "expires_at");
	}
	if (!PQgetisnull(res, row, PQfnumber(res, "result_status")) &&
	    tr_db_col_ll(res, row, "result_status", &st) == TR_OK) {
		best(tr_db_col_str(res, row, "result_ctype", &ctype));
		best(tr_db_col_str(res, row, "result_body", &b));
		rs = json_object_new_object();
		json_object_object_add(rs, "status", json_object_new_int64(st));
		json_object_object_add(rs, "content_type",
		    json_object_new_string(ctype != NULL ? ctype : ""));
		body = NULL;
		if (b == NULL && st < 400) {
			/* A file: its URL, not its bytes. */
			snprintf(url, sizeof(url), "/jobs/%s/result",
			    PQgetvalue(res, row, PQfnumber(res, "id")));
			json_object_object_add(rs, "body_url",
			    json_object_new_string(url));
		}
		if (b != NULL && ctype != NULL &&
		    strncmp(ctype, "application/json", 16) == 0 &&
		    tr_json_parse(b, strlen(b), SIZE_MAX, TR_JSON_DEPTH * 4,
		    &body) == TR_OK)
			json_object_object_add(rs, "body", body);
		else
			json_object_object_add(rs, "body", b != NULL ?
			    json_object_new_string(b) : NULL);
		json_object_object_add(o, "result", rs);
	} else
		json_object_object_add(o, "result", NULL);
	if (strcmp(state, "failed") == 0 || strcmp(state, "canceled") == 0) {
		err = NULL;
		best(tr_db_col_str(res, row, "error", &err));
		e = json_object_new_object();
		json_object_object_add(e, "code", json_object_new_string(
		    strcmp(state, "canceled") == 0 ? "canceled" :
		    st >= 400 ? tr_err_code(tr_err_from_status((int)st)) :
		    "job_failed"));
		json_object_object_add(e, "message", json_object_new_string(
		    err != NULL ? err : state));
		json_object_object_add(o, "error", e);
	} else
		json_object_object_add(o, "error", NULL);
	return o;
}

/*
 * GET /jobs/{id}/result: the answer of a job of the caller's that
 * succeeded, with its media type and name (a document's file, say).
 */
static enum tr_err
result(struct tr_req *r, const char *id, const char *suid)
{
	PGresult	*res;
	const char	*ctype = NULL, *disp = NULL;
	unsigned char	*body;
	size_t		 len;
	enum tr_err	 er;

	if ((er = tr_db_queryv(tr_db_get(), &res, "SELECT result_ctype,"
	    " result_body, result_disposition FROM jobs WHERE id = $1::uuid"
	    " AND user_id = $2::bigint AND state = 'succeeded' AND"
	    " (expires_at IS NULL OR"
	    " expires_at > now())", 2, id, suid)) != TR_OK)
		return er;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 1)) {
		PQclear(res);
		return tr_fail_param(r, TR_ENOTFOUND, "id", "job %s has no "
		    "result: it is not yours, not done, failed or expired", id);
	}
	best(tr_db_col_str(res, 0, "result_ctype", &ctype));
	best(tr_db_col_str(res, 0, "result_disposition", &disp));
	if (disp != NULL && (er = tr_header(r, "Content-Disposition", disp)) !=
	    TR_OK) {
		PQclear(res);
		return er;
	}
	if ((body = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0,
	    1), &len)) == NULL) {
		PQclear(res);
		return TR_ENOMEM;
	}
	er = tr_reply(r, 200, ctype != NULL && *ctype != '\0' ? ctype :
	    "application/octet-stream", body, len);
	PQfreemem(body);
	PQclear(res);
	return er;
}

/* Replies with the job of a JOB_COLS result's first row. */
static enum tr_err
reply_job(struct tr_req *r, int status, const PGresult *res)
{
	struct json_object	*o = job_json(res, 0);
	enum tr_err		 er;

	er = tr_reply_json(r, status, o);
	json_object_put(o);
	return er;
}

/* Stores the request's parameters and files; one transaction. */
static enum tr_err
store(struct tr_req *r, const char *id, long long uid)
{
	struct json_object	*params, *files, *kv, *f;
	const struct tr_upload	*u;
	struct tr_buf		 hex;
	const char		*src;
	char			 suid[24], skid[24], skind[8], n[16];
	char			 name[JOB_IDLEN + 16], path[4096];
	long long		 inl;
	int			 i = 0;
	size_t			 j;
	enum tr_err		 er;
	struct tr_db		*db = tr_db_get();

	inl = tr_conf_ll("JOB_INLINE_BYTES", JOB_DEF_INLINE, 0, 64 << 20);
	params = json_object_new_array();
	for (j = 0; j < r->kvsz; j++) {
		/* The request is handed over; asking again would loop.
		 * The callback is the job's, not the program's. */
		if (strcmp(r->kvs[j].key, "async") == 0 ||
		    strcmp(r->kvs[j].key, "callback_url") == 0)
			continue;
		kv = json_object_new_array();
		json_object_array_add(kv, json_object_new_string(r->kvs[j].key));
		json_object_array_add(kv, json_object_new_string_len(
		    r->kvs[j].val, (int)r->kvs[j].valsz));
		json_object_array_add(kv, json_object_new_int(r->kvs[j].kind));
		json_object_array_add(params, kv);
	}
	files = json_object_new_array();
	if ((er = tr_db_queryv(db, NULL, "BEGIN", 0)) != TR_OK)
		goto out;
	for (u = r->uploads; u != NULL; u = u->next, i++) {
		f = json_object_new_object();
		json_object_object_add(f, "field", json_object_new_string(u->field));
		json_object_object_add(f, "filename",
		    json_object_new_string(u->filename));
		json_object_object_add(f, "ctype", json_object_new_string(u->ctype));
		json_object_object_add(f, "size", json_object_new_int64(
		    (int64_t)u->size));
		json_object_object_add(f, "n", json_object_new_int(i));
		json_object_array_add(files, f);
		if ((long long)u->size > inl) {
			snprintf(name, sizeof(name), "%s.%d", id, i);
			snprintf(path, sizeof(path), "%s/%s", spool_dir(), name);
			json_object_object_add(f, "spool",
			    json_object_new_string(name));
			if ((er = (src = tr_upload_path(u)) == NULL ?
			    TR_ESYSTEM : copy_file(src, path, 0)) != TR_OK) {
				er = tr_fail(r, TR_EUNAVAIL, "the job spool "
				    "(JOB_SPOOL_DIR) is not writable");
				goto rollback;
			}
		}
	}
	snprintf(suid, sizeof(suid), "%lld", uid);
	snprintf(skid, sizeof(skid), "%lld", r->prin.key_id);
	snprintf(skind, sizeof(skind), "%d", (int)r->prin.kind);
	if ((er = tr_db_queryv(db, NULL, "INSERT INTO jobs (id, user_id,"
	    " api_key_id, principal_kind, plan, program, path, request_id,"
	    " params, files, callback_url) VALUES ($1::uuid, $2::bigint,"
	    " NULLIF($3, '0')::bigint, $4::integer, $5, $6, $7, $8, $9::jsonb,"
	    " $10::jsonb, $11)", 11,
	    id, suid, skid, skind, r->prin.plan, program_invocation_short_name,
	    r->path, r->reqid, json_object_to_json_string_ext(params,
	    JSON_C_TO_STRING_PLAIN), json_object_to_json_string_ext(files,
	    JSON_C_TO_STRING_PLAIN), tr_param(r, "callback_url"))) != TR_OK)
		goto rollback;
	for (i = 0, u = r->uploads; u != NULL; u = u->next, i++) {
		if ((long long)u->size > inl)
			continue;
		if ((src = tr_upload_path(u)) == NULL) {
			er = tr_fail(r, TR_ESYSTEM, "the upload cannot be read");
			goto rollback;
		}
		if ((er = hex_file(src, u->size, &hex)) != TR_OK)
			goto rollback;
		snprintf(n, sizeof(n), "%d", i);
		er = tr_db_queryv(db, NULL, "INSERT INTO job_inputs (job_id, n,"
		    " data) VALUES ($1::uuid, $2::integer, $3::bytea)", 3, id, n,
		    tr_buf_str(&hex));
		tr_buf_free(&hex);
		if (er != TR_OK)
			goto rollback;
	}
	/* Delivered at commit: a worker waiting in LISTEN wakes. */
	if ((er = tr_db_queryv(db, NULL, "SELECT pg_notify($1, $2)", 2,
	    JOB_NOTIFY_CHANNEL, id)) != TR_OK ||
	    (er = tr_db_queryv(db, NULL, "COMMIT", 0)) != TR_OK)
		goto rollback;
	goto out;
rollback:
	best(tr_db_queryv(db, NULL, "ROLLBACK", 0));
	drop_spool(json_object_to_json_string_ext(files,
	    JSON_C_TO_STRING_PLAIN));
out:
	json_object_put(params);
	json_object_put(files);
	return er;
}

/* A callback_url, if given: a user URL (422 naming it) and signable. */
static enum tr_err
callback_check(struct tr_req *r, long long uid)
{
	const char	*u = tr_param(r, "callback_url");
	char		 why[256];

	if (u == NULL)
		return TR_OK;
	if (tr_url_check(u, why, sizeof(why)) != TR_OK)
		return tr_fail_param(r, TR_EFIELD, "callback_url",
		    "callback_url: %s", why);
	return tr__callback_ready(r, uid);
}

/*
 * Queues the callback of job id if it has one: the job as its owner
 * sees it now (it has just ended), under a webhook-id of its own, due
 * at once, given up WEBHOOK_RETRY_HOURS later; the workers woken.
 */
static enum tr_err
queue_callback(const char *id)
{
	struct tr_db		*db = tr_db_get();
	struct json_object	*o;
	PGresult		*res;
	char			 hours[16];
	enum tr_err		 er;

	if ((er = tr_db_queryv(db, &res, "SELECT " JOB_COLS ", callback_url,"
	    " user_id::text AS uid FROM jobs WHERE id = $1::uuid AND"
	    " callback_url IS NOT NULL", 1, id)) != TR_OK)
		return er;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return TR_OK;
	}
	snprintf(hours, sizeof(hours), "%lld",
	    tr_conf_ll("WEBHOOK_RETRY_HOURS", 24, 0, 24 * 30));
	o = job_json(res, 0);
	er = tr_db_queryv(db, NULL, "INSERT INTO webhook_deliveries (job_id,"
	    " user_id, url, msg_id, body, give_up_at) VALUES ($1::text::uuid,"
	    " $2::bigint, $3, 'msg_' || replace($1::text, '-', ''), $4, now() +"
	    " make_interval(hours => $5::integer))", 5, id,
	    PQgetvalue(res, 0, PQfnumber(res, "uid")),
	    PQgetvalue(res, 0, PQfnumber(res, "callback_url")),
	    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), hours);
	json_object_put(o);
	PQclear(res);
	if (er == TR_OK)
		best(tr_db_queryv(db, NULL, "SELECT pg_notify($1, $2)", 2,
		    JOB_NOTIFY_CHANNEL, "callback"));
	return er;
}

enum tr_err
tr__job_submit(struct tr_req *r)
{
	char		 id[JOB_IDLEN + 1], loc[64];
	long long	 uid;
	PGresult	*res;
	enum tr_err	 er;

	if ((er = owner(r, &uid)) != TR_OK)
		return er;
	if ((er = callback_check(r, uid)) != TR_OK)
		return er;
	if ((er = new_uuid(id)) != TR_OK)
		return er;
	if ((er = store(r, id, uid)) != TR_OK)
		return er;
	if ((er = tr_db_queryv(tr_db_get(), &res, "SELECT " JOB_COLS
	    " FROM jobs WHERE id = $1::uuid", 1, id)) != TR_OK)
		return er;
	snprintf(loc, sizeof(loc), "/jobs/%s", id);
	if (PQntuples(res) != 1 || (er = tr_header(r, "Location", loc)) != TR_OK)
		er = TR_EDB;
	else
		er = reply_job(r, 202, res);
	PQclear(res);
	return er;
}

/* The fields of GET /jobs. */
const struct tr_field tr_jobs_fields[TR_JOBS__MAX] = {
	{ "limit", tr_valid_uint, 0 },		/* TR_JOBS_LIMIT */
	{ "cursor", tr_valid_string, 0 },	/* TR_JOBS_CURSOR */
};

/* GET /jobs: the caller's jobs, newest first, limit a page. */
enum tr_err
tr_jobs_list(struct tr_req *r)
{
	const struct tr_pair	*lp = tr_field_get(r, TR_JOBS_LIMIT);
	const char		*cur = tr_str(r, TR_JOBS_CURSOR);
	struct json_object	*o, *arr;
	char			 suid[24], slim[16];
	long long		 uid, lim = JOB_LIST_DEFAULT;
	PGresult		*res;
	enum tr_err		 er;
	int			 i, n;

	if (lp != NULL) {
		lim = lp->parsed.i;
		if (lim < 1 || lim > JOB_LIST_MAX)
			return tr_fail_param(r, TR_EFIELD, "limit", "limit must "
			    "be from 1 to %d", JOB_LIST_MAX);
	}
	if (cur != NULL && !valid_uuid(cur))
		return tr_fail_param(r, TR_EINVAL, "cursor", "cursor must be "
		    "the next_cursor of the previous page");
	if ((er = owner(r, &uid)) != TR_OK)
		return er;
	snprintf(suid, sizeof(suid), "%lld", uid);
	snprintf(slim, sizeof(slim), "%lld", lim + 1);
	if ((er = tr_db_queryv(tr_db_get(), &res, "SELECT " JOB_COLS
	    " FROM jobs WHERE user_id = $1::bigint AND (expires_at IS NULL OR"
	    " expires_at > now()) AND ($2::uuid IS NULL OR (created_at, id) <"
	    " (SELECT created_at, id FROM jobs WHERE id = $2::uuid AND"
	    " user_id = $1::bigint)) ORDER BY created_at DESC, id DESC"
	    " LIMIT $3::integer", 3, suid, cur, slim)) != TR_OK)
		return er;
	n = PQntuples(res);
	arr = json_object_new_array();
	for (i = 0; i < n && i < lim; i++)
		json_object_array_add(arr, job_json(res, i));
	o = json_object_new_object();
	json_object_object_add(o, "object", json_object_new_string("list"));
	json_object_object_add(o, "data", arr);
	json_object_object_add(o, "next_cursor", n > lim ?
	    json_object_new_string(PQgetvalue(res, (int)lim - 1,
	    PQfnumber(res, "id"))) : NULL);
	PQclear(res);
	er = tr_reply_json(r, 200, o);
	json_object_put(o);
	return er;
}

/*
 * GET /jobs/{id}: the caller's job (another's is as unknown as none).
 * DELETE cancels it: a queued job at once, a running one at its
 * worker's next check; a finished one is a 409.
 */
enum tr_err
tr_job_one(struct tr_req *r)
{
	const char	*arg = tr_patharg(r), *slash;
	const char	*files;
	char		 id[JOB_IDLEN + 1], suid[24], ttl[24];
	size_t		 n;
	long long	 uid;
	PGresult	*res;
	enum tr_err	 er;
	int		 changed = 0;

	/* {id}, or {id}/result: a finished job's answer as it is. */
	if ((slash = strchr(arg, '/')) != NULL &&
	    (strcmp(slash, "/result") != 0 || tr_method(r) != TR_METHOD_GET))
		return tr_fail(r, TR_ENOTFOUND, "no such job resource");
	n = slash != NULL ? (size_t)(slash - arg) : strlen(arg);
	snprintf(id, sizeof(id), "%.*s", (int)(n < JOB_IDLEN ? n : JOB_IDLEN),
	    arg);
	if (n != JOB_IDLEN || !valid_uuid(id))
		return tr_fail_param(r, TR_EINVAL, "id", "a job id is a "
		    "lowercase UUID, as the Location of its 202 says");
	if ((er = owner(r, &uid)) != TR_OK)
		return er;
	snprintf(suid, sizeof(suid), "%lld", uid);
	if (slash != NULL)
		return result(r, id, suid);
	snprintf(ttl, sizeof(ttl), "%lld",
	    tr_conf_ll("JOB_RESULT_TTL", JOB_DEF_TTL, 1, 1LL << 31));
	if (tr_method(r) == TR_METHOD_DELETE) {
		/* Queued: canceled now, its inputs dropped.  Running: the
		 * worker sees the flag when it next renews its lease. */
		if ((er = tr_db_queryv(tr_db_get(), &res, "UPDATE jobs"
		    " SET state = CASE WHEN state = 'queued' THEN 'canceled'"
		    " ELSE state END, cancel_requested = true,"
		    " finished_at = CASE WHEN state = 'queued' THEN now() END,"
		    " stage = CASE WHEN state = 'queued' THEN 'canceled' ELSE"
		    " stage END, error = CASE WHEN state = 'queued' THEN"
		    " 'canceled by its owner' END, expires_at = CASE WHEN"
		    " state = 'queued' THEN now() + make_interval(secs =>"
		    " $3::bigint) END WHERE id = $1::uuid AND user_id ="
		    " $2::bigint AND state IN ('queued', 'running') AND NOT"
		    " cancel_requested RETURNING state, files::text AS files", 3,
		    id, suid, ttl)) != TR_OK)
			return er;
		changed = PQntuples(res) == 1;
		if (changed && strcmp(PQgetvalue(res, 0, 0), "canceled") == 0 &&
		    tr_db_col_str(res, 0, "files", &files) == TR_OK) {
			drop_spool(files);
			best(tr_db_queryv(tr_db_get(), NULL, "DELETE FROM"
			    " job_inputs WHERE job_id = $1::uuid", 1, id));
		}
		PQclear(res);
	}
	if ((er = tr_db_queryv(tr_db_get(), &res, "SELECT " JOB_COLS ","
	    " cancel_requested FROM jobs WHERE id = $1::uuid AND user_id ="
	    " $2::bigint AND (expires_at IS NULL OR expires_at > now())", 2,
	    id, suid)) != TR_OK)
		return er;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return tr_fail_param(r, TR_ENOTFOUND, "id", "no job %s", id);
	}
	if (tr_method(r) == TR_METHOD_DELETE && !changed) {
		PQclear(res);
		return tr_fail_param(r, TR_ECONFLICT, "id", "job %s has "
		    "already finished or is being canceled", id);
	}
	er = reply_job(r, tr_method(r) == TR_METHOD_DELETE ? 202 : 200, res);
	PQclear(res);
	return er;
}

/* Records the run's stage; stops it when canceled or no longer ours. */
enum tr_err
tr_job_progress(struct tr_req *r, const char *stage, int percent)
{
	char		 pct[16];
	PGresult	*res;
	enum tr_err	 er;
	int		 gone, cancel;

	if (r->job == NULL)
		return TR_OK;
	snprintf(pct, sizeof(pct), "%d", percent < 0 ? 0 : percent > 100 ?
	    100 : percent);
	if ((er = tr_db_queryv(tr_db_get(), &res, "UPDATE jobs SET stage = $3,"
	    " percent = $4::integer WHERE id = $1::uuid AND attempt ="
	    " $2::integer AND state = 'running' RETURNING cancel_requested",
	    4, r->job->id, r->job->attempt, stage, pct)) != TR_OK)
		return TR_OK;	/* no database: the worker's lease decides */
	gone = PQntuples(res) != 1;
	cancel = !gone && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (gone || cancel) {
		r->job->canceled = 1;
		return tr_fail(r, TR_EUNAVAIL, "the job was %s", cancel ?
		    "canceled" : "taken over after its lease ran out");
	}
	return TR_OK;
}

/* The job's files into the request's temp dir, as uploads. */
static enum tr_err
load_files(struct tr_req *r, const char *id, const char *files)
{
	struct json_object	*arr, *f, *v;
	const char		*name;
	char			*path, src[4096], n[24], tmp[32];
	unsigned char		*data;
	size_t			 i, cnt, len;
	PGresult		*res;
	FILE			*fp;
	enum tr_err		 er = TR_OK;

	if (tr_json_parse(files, strlen(files), SIZE_MAX, TR_JSON_DEPTH,
	    &arr) != TR_OK || !json_object_is_type(arr, json_type_array))
		return TR_EDB;
	cnt = json_object_array_length(arr);
	for (i = 0; i < cnt && er == TR_OK; i++) {
		f = json_object_array_get_idx(arr, i);
		snprintf(tmp, sizeof(tmp), "input.%zu", i);
		if ((er = tr__req_tmpfile(r, tmp, &path)) != TR_OK)
			break;
		if ((name = tr_json_str(f, "spool")) != NULL) {
			snprintf(src, sizeof(src), "%s/%s", spool_dir(), name);
			er = strchr(name, '/') == NULL ? copy_file(src, path, 1) :
			    TR_EDB;
		} else {
			snprintf(n, sizeof(n), "%zu", i);
			if ((er = tr_db_queryv(tr_db_get(), &res, "SELECT data FROM"
			    " job_inputs WHERE job_id = $1::uuid AND n ="
			    " $2::integer", 2, id, n)) != TR_OK) {
				free(path);
				break;
			}
			data = PQntuples(res) == 1 ? PQunescapeBytea(
			    (unsigned char *)PQgetvalue(res, 0, 0), &len) : NULL;
			PQclear(res);
			if (data == NULL || (fp = fopen(path, "wxe")) == NULL) {
				PQfreemem(data);
				free(path);
				er = TR_ESYSTEM;
				break;
			}
			if (fwrite(data, 1, len, fp) != len)
				er = TR_ESYSTEM;
			if (fclose(fp) != 0)
				er = TR_ESYSTEM;
			PQfreemem(data);
		}
		json_object_object_get_ex(f, "size", &v);
		tr__req_addupload(r, tr_json_str(f, "field") ?: "",
		    tr_json_str(f, "filename") ?: "", tr_json_str(f, "ctype") ?: "",
		    path, (uint64_t)json_object_get_int64(v));
	}
	json_object_put(arr);
	return er;
}

/* The job's parameters into the request, with the kinds they came as. */
static enum tr_err
load_params(struct tr_req *r, const char *params)
{
	struct json_object	*arr, *kv;
	const char		*k, *v;
	size_t			 i, n;
	int			 kind;
	enum tr_err		 er = TR_OK;

	if (tr_json_parse(params, strlen(params), SIZE_MAX, TR_JSON_DEPTH,
	    &arr) != TR_OK || !json_object_is_type(arr, json_type_array))
		return TR_EDB;
	n = json_object_array_length(arr);
	for (i = 0; i < n && er == TR_OK; i++) {
		kv = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(kv, json_type_array) ||
		    json_object_array_length(kv) != 3) {
			er = TR_EDB;
			break;
		}
		k = json_object_get_string(json_object_array_get_idx(kv, 0));
		v = json_object_get_string(json_object_array_get_idx(kv, 1));
		kind = json_object_get_int(json_object_array_get_idx(kv, 2));
		if (kind < 0 || kind >= TR_KIND__MAX)
			kind = TR_KIND_TEXT;
		er = tr__req_addkv(r, k, v, (size_t)json_object_get_string_len(
		    json_object_array_get_idx(kv, 1)), (enum tr_kind)kind);
	}
	json_object_put(arr);
	return er;
}

/*
 * The end of a run: a retry later for provider trouble while retries
 * remain, else the job's result, with its usage row, in one
 * transaction that only the run holding the attempt can commit.
 */
static enum tr_err
finish(struct tr_req *r, const char *files)
{
	struct tr_jobrun *j = r->job;
	struct tr_db	*db = tr_db_get();
	struct tr_buf	 hex;
	char		 st[16], ttl[24], back[24], max[16], ended[16] = "";
	PGresult	*res;
	double		 ended_secs = 0;
	enum tr_err	 er;
	int		 ok;

	snprintf(st, sizeof(st), "%d", j->status);
	snprintf(max, sizeof(max), "%lld",
	    tr_conf_ll("JOB_MAX_RETRIES", JOB_DEF_RETRIES, 0, 100));
	snprintf(back, sizeof(back), "%lld",
	    tr_conf_ll("JOB_RETRY_SECONDS", JOB_DEF_BACKOFF, 0, 86400));
	snprintf(ttl, sizeof(ttl), "%lld",
	    tr_conf_ll("JOB_RESULT_TTL", JOB_DEF_TTL, 1, 1LL << 31));
	if (is_retryable(j->status)) {
		if ((er = tr_db_queryv(db, &res, "UPDATE jobs SET state ="
		    " 'queued', failures = failures + 1, lease_until = NULL,"
		    " stage = 'waiting to retry', percent = 0, error = $3,"
		    " run_after = now() + make_interval(secs => $4::double"
		    " precision * power(2, failures)) WHERE id = $1::uuid AND"
		    " attempt = $2::integer AND state = 'running' AND failures <"
		    " $5::integer RETURNING id", 5, j->id, j->attempt,
		    tr_req_message(r), back, max)) != TR_OK)
			return er;
		ok = PQntuples(res) == 1;
		PQclear(res);
		if (ok) {
			tr_info("job %s: %d, retried later", j->id, j->status);
			best(tr_db_queryv(db, NULL, "SELECT pg_notify($1, $2)", 2,
			    JOB_NOTIFY_CHANNEL, j->id));
			return TR_OK;
		}
	}
	tr_buf_init(&hex, 2 * j->body.len + 8);
	if ((er = tr_buf_adds(&hex, "\\x")) != TR_OK)
		return er;
	while (hex.len < 2 * j->body.len + 2) {
		char	 h[2 * 4096 + 1];
		size_t	 off = (hex.len - 2) / 2;
		size_t	 n = j->body.len - off < 4096 ? j->body.len - off : 4096;

		tr_hex((const unsigned char *)j->body.ptr + off, n, h);
		if ((er = tr_buf_add(&hex, h, 2 * n)) != TR_OK)
			return er;
	}
	if ((er = tr_db_queryv(db, NULL, "BEGIN", 0)) != TR_OK) {
		tr_buf_free(&hex);
		return er;
	}
	er = tr_db_queryv(db, &res, "UPDATE jobs SET state = CASE WHEN"
	    " $3::integer < 400 THEN 'succeeded' ELSE 'failed' END,"
	    " result_status = $3::integer, result_ctype = $4, result_body ="
	    " $5::bytea, result_disposition = $8,"
	    " error = CASE WHEN $3::integer >= 400 THEN $6 END,"
	    " stage = 'done', percent = 100, lease_until = NULL, finished_at ="
	    " now(), expires_at = now() + make_interval(secs => $7::bigint)"
	    " WHERE id = $1::uuid AND attempt = $2::integer AND state ="
	    " 'running' RETURNING id, " JOB_ENDED, 8, j->id, j->attempt, st,
	    j->ctype != NULL ? j->ctype : "", tr_buf_str(&hex),
	    *tr_req_message(r) != '\0' ? tr_req_message(r) :
	    tr_err_message(tr_err_from_status(j->status)), ttl,
	    j->disposition);
	tr_buf_free(&hex);
	if (er == TR_OK) {
		ok = PQntuples(res) == 1;
		if (ok)
			ended_state(res, ended, &ended_secs);
		PQclear(res);
		if (!ok)
			er = TR_ECONFLICT;	/* not ours any more */
	}
	if (er == TR_OK)
		er = tr_db_queryv(db, NULL, "DELETE FROM job_inputs WHERE"
		    " job_id = $1::uuid", 1, j->id);
	if (er == TR_OK)
		er = tr__usage_flush(r);
	/* The callback, if any, is queued with the end it reports. */
	if (er == TR_OK)
		er = queue_callback(j->id);
	if (er == TR_OK)
		er = tr_db_queryv(db, NULL, "COMMIT", 0);
	if (er != TR_OK) {
		best(tr_db_queryv(db, NULL, "ROLLBACK", 0));
		return er;
	}
	drop_spool(files);
	ended_observe(ended, ended_secs);
	tr_info("job %s: %d", j->id, j->status);
	return TR_OK;
}

/*
 * The worker's child: rebuilds the job's request (the submitter's
 * request id, caller, parameters and files), runs it as the endpoint
 * would have, and writes its end.  Exit status 0 when the end is
 * written (or the job is no longer this run's), 1 when it could not be.
 */
int
tr__job_child(const struct tr_endpoint *ep, const char *id,
    const char *attempt, enum tr_err (*run)(struct tr_req *))
{
	struct tr_req	 r;
	struct tr_jobrun j;
	const char	*s, *params = NULL, *files = NULL;
	char		*pcopy = NULL, *fcopy = NULL;
	long long	 n;
	PGresult	*res;
	enum tr_err	 er;
	int		 rc = 1;
	size_t		 i;

	tr_log_init(program_invocation_short_name);
	if (!valid_uuid(id) || tr_parse_ll(attempt, 1, INT32_MAX, &n) != TR_OK) {
		tr_errx("job: bad TRAPI_JOB_ID or TRAPI_JOB_ATTEMPT");
		return 1;
	}
	if (tr_db_queryv(tr_db_get(), &res, "SELECT principal_kind, user_id,"
	    " COALESCE(api_key_id, 0) AS api_key_id, plan, path, request_id,"
	    " params::text AS params, files::text AS files FROM jobs WHERE"
	    " id = $1::uuid AND attempt = $2::integer AND state = 'running'",
	    2, id, attempt) != TR_OK)
		return 1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		tr_warnx("job %s attempt %s is not running", id, attempt);
		return 0;
	}
	memset(&j, 0, sizeof(j));
	snprintf(j.id, sizeof(j.id), "%s", id);
	snprintf(j.attempt, sizeof(j.attempt), "%s", attempt);
	tr_buf_init(&j.body, TR_RENDER_MAX);
	tr__req_init(&r, NULL, ep);
	if (tr_db_col_str(res, 0, "request_id", &s) == TR_OK && s != NULL)
		snprintf(r.reqid, sizeof(r.reqid), "%s", s);
	tr_log_context("job", r.reqid);
	if (tr_db_col_ll(res, 0, "principal_kind", &n) == TR_OK &&
	    n > 0 && n < TR_PRIN__MAX)
		r.prin.kind = (enum tr_prinkind)n;
	best(tr_db_col_ll(res, 0, "user_id", &r.prin.user_id));
	best(tr_db_col_ll(res, 0, "api_key_id", &r.prin.key_id));
	if (tr_db_col_str(res, 0, "plan", &s) == TR_OK && s != NULL)
		snprintf(r.prin.plan, sizeof(r.prin.plan), "%s", s);
	snprintf(r.prin.bucket, sizeof(r.prin.bucket), "user:%lld",
	    r.prin.user_id);
	if (tr_db_col_str(res, 0, "path", &s) == TR_OK && s != NULL) {
		free(r.path);
		r.path = tr_xstrdup(s);
	}
	(void)tr__path_match(&r, ep);	/* its argument: /documents/{fmt} */
	best(tr_db_col_str(res, 0, "params", &params));
	best(tr_db_col_str(res, 0, "files", &files));
	pcopy = tr_xstrdup(params != NULL ? params : "[]");
	fcopy = tr_xstrdup(files != NULL ? files : "[]");
	PQclear(res);
	r.method = TR_METHOD_POST;
	/* tr__req_init() made them for a request; these hold one more. */
	free(r.fields);
	free(r.files);
	r.fields = tr_xcalloc(ep->fieldsz + 1, sizeof(*r.fields));
	r.files = tr_xcalloc(ep->fieldsz + 1, sizeof(*r.files));
	if ((er = load_params(&r, pcopy)) != TR_OK ||
	    (er = load_files(&r, id, fcopy)) != TR_OK) {
		tr_errx("job %s: its inputs could not be read", id);
		goto out;
	}
	r.job = &j;
	if ((er = tr_job_progress(&r, "starting", 0)) == TR_OK)
		er = run(&r);
	if (j.canceled) {
		rc = 0;		/* the worker writes the cancel */
		goto out;
	}
	if (er != TR_OK && !r.replied)
		(void)tr__req_error(&r, er);
	if (!r.replied) {
		tr_errx("job %s: the handler returned without a reply", id);
		(void)tr__req_error(&r, TR_ESYSTEM);
	}
	er = finish(&r, fcopy);
	rc = er == TR_OK || er == TR_ECONFLICT ? 0 : 1;
out:
	r.job = NULL;
	tr__req_free(&r);
	tr_buf_free(&j.body);
	free(j.ctype);
	free(j.disposition);
	for (i = 0; i < TR_USAGE_NPARAMS; i++)
		free(j.usage[i]);
	free(pcopy);
	free(fcopy);
	return rc;
}

/* The worker's side of the queue. */
int
tr_job_claim(const char *worker, long long lease, char id[37],
    char attempt[16], char program[65])
{
	char		 ls[24];
	PGresult	*res;
	int		 got;

	snprintf(ls, sizeof(ls), "%lld", lease);
	/* A running row whose lease ran out lost its worker: taken again,
	 * as a failure, so that a job that kills workers ends. */
	if (tr_db_queryv(tr_db_get(), &res, "UPDATE jobs j SET state ="
	    " 'running', attempt = j.attempt + 1, failures = j.failures +"
	    " (j.state = 'running')::integer, worker = $1, lease_until ="
	    " now() + make_interval(secs => $2::bigint), started_at ="
	    " COALESCE(j.started_at, now()), stage = 'claimed', percent = 0"
	    " FROM (SELECT id FROM jobs WHERE (state = 'queued' AND"
	    " run_after <= now()) OR (state = 'running' AND lease_until <"
	    " now()) ORDER BY run_after, created_at LIMIT 1 FOR UPDATE SKIP"
	    " LOCKED) n WHERE j.id = n.id RETURNING j.id::text AS id,"
	    " j.attempt, j.program, j.failures", 2, worker, ls) != TR_OK)
		return -1;
	got = PQntuples(res) == 1;
	if (got) {
		snprintf(id, 37, "%s", PQgetvalue(res, 0, 0));
		snprintf(attempt, 16, "%s", PQgetvalue(res, 0, 1));
		snprintf(program, 65, "%s", PQgetvalue(res, 0, 2));
		if (atoll(PQgetvalue(res, 0, 3)) >
		    tr_conf_ll("JOB_MAX_RETRIES", JOB_DEF_RETRIES, 0, 100)) {
			tr_job_abandon(id, attempt, "its workers were lost", 0);
			got = 2;
		}
	}
	PQclear(res);
	return got;
}

int
tr_job_renew(const char *id, const char *attempt, long long lease)
{
	char		 ls[24];
	PGresult	*res;
	int		 rc;

	snprintf(ls, sizeof(ls), "%lld", lease);
	if (tr_db_queryv(tr_db_get(), &res, "UPDATE jobs SET lease_until ="
	    " now() + make_interval(secs => $3::bigint) WHERE id = $1::uuid"
	    " AND attempt = $2::integer AND state = 'running' RETURNING"
	    " cancel_requested", 3, id, attempt, ls) != TR_OK)
		return 1;	/* cannot tell: the fencing token still holds */
	rc = PQntuples(res) != 1 ? 0 : strcmp(PQgetvalue(res, 0, 0), "t") == 0 ?
	    2 : 1;
	PQclear(res);
	return rc;
}

/*
 * A run that ended without writing its end: retry (counting a failure
 * when retry is 1, not when 2, a hand-back at shutdown) or fail.
 */
void
tr_job_abandon(const char *id, const char *attempt, const char *why,
    int retry)
{
	char		 r[8], ttl[24], back[24], max[16], ended[16];
	PGresult	*res;
	double		 secs;

	snprintf(r, sizeof(r), "%d", retry);
	snprintf(max, sizeof(max), "%lld",
	    tr_conf_ll("JOB_MAX_RETRIES", JOB_DEF_RETRIES, 0, 100));
	snprintf(back, sizeof(back), "%lld",
	    tr_conf_ll("JOB_RETRY_SECONDS", JOB_DEF_BACKOFF, 0, 86400));
	snprintf(ttl, sizeof(ttl), "%lld",
	    tr_conf_ll("JOB_RESULT_TTL", JOB_DEF_TTL, 1, 1LL << 31));
	if (tr_db_queryv(tr_db_get(), &res, "UPDATE jobs SET state = CASE"
	    " WHEN $3::integer = 2 OR ($3::integer = 1 AND failures <"
	    " $4::integer) THEN 'queued' ELSE 'failed' END, failures ="
	    " failures + ($3::integer <> 2)::integer, lease_until = NULL,"
	    " error = $5, run_after = now() + CASE WHEN $3::integer = 2 THEN"
	    " interval '0' ELSE make_interval(secs => $6::double precision *"
	    " power(2, failures)) END, stage = CASE WHEN $3::integer = 2"
	    " THEN 'queued' ELSE stage END WHERE id = $1::uuid AND attempt ="
	    " $2::integer AND state = 'running' RETURNING state", 6, id,
	    attempt, r, max, why, back) != TR_OK)
		return;
	if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "failed") == 0) {
		PQclear(res);
		if (tr_db_queryv(tr_db_get(), &res, "UPDATE jobs SET"
		    " finished_at = now(), stage = 'done', expires_at = now() +"
		    " make_interval(secs => $2::bigint) WHERE id = $1::uuid"
		    " RETURNING " JOB_ENDED, 2, id, ttl) != TR_OK)
			return;
		if (PQntuples(res) == 1) {
			ended_state(res, ended, &secs);
			ended_observe(ended, secs);
		}
		best(queue_callback(id));
	} else if (PQntuples(res) == 1)
		best(tr_db_queryv(tr_db_get(), NULL, "SELECT pg_notify($1, $2)",
		    2, JOB_NOTIFY_CHANNEL, id));
	PQclear(res);
}

void
tr_job_cancel_done(const char *id, const char *attempt)
{
	char		 ttl[24], ended[16];
	PGresult	*res;
	double		 secs;
	const char	*files;

	snprintf(ttl, sizeof(ttl), "%lld",
	    tr_conf_ll("JOB_RESULT_TTL", JOB_DEF_TTL, 1, 1LL << 31));
	if (tr_db_queryv(tr_db_get(), &res, "UPDATE jobs SET state ="
	    " 'canceled', stage = 'canceled', lease_until = NULL, finished_at ="
	    " now(), error = 'canceled by its owner', expires_at = now() +"
	    " make_interval(secs => $3::bigint) WHERE id = $1::uuid AND"
	    " attempt = $2::integer AND state = 'running' RETURNING"
	    " files::text AS files, " JOB_ENDED, 3, id, attempt, ttl) != TR_OK)
		return;
	if (PQntuples(res) == 1) {
		ended_state(res, ended, &secs);
		ended_observe(ended, secs);
	}
	if (PQntuples(res) == 1 && tr_db_col_str(res, 0, "files", &files) ==
	    TR_OK) {
		drop_spool(files);
		best(tr_db_queryv(tr_db_get(), NULL, "DELETE FROM job_inputs"
		    " WHERE job_id = $1::uuid", 1, id));
	}
	PQclear(res);
}

/* Jobs past JOB_RESULT_TTL go, with what they spooled. */
void
tr_job_sweep(void)
{
	PGresult	*res;
	const char	*files;
	int		 i;

	if (tr_db_queryv(tr_db_get(), &res, "DELETE FROM jobs WHERE"
	    " expires_at < now() RETURNING files::text AS files", 0) != TR_OK)
		return;
	for (i = 0; i < PQntuples(res); i++)
		if (tr_db_col_str(res, i, "files", &files) == TR_OK)
			drop_spool(files);
	PQclear(res);
}

/* The channel workers LISTEN on. */
const char *
tr_job_channel(void)
{
	return JOB_NOTIFY_CHANNEL;
}
