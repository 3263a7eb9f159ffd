/*
 * The serve loop every program shares (kcgi's sample-fcgi.c): load the
 * configuration, then for each request check path, method and body
 * limit, parse and validate the fields, call the handler, and write the
 * JSON error the handler returned.  Plain CGI is one pass of the loop.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"

#define CHILDREN_MAX	256	/* TRAPI_FCGI_CHILDREN */

static enum tr_err	 conf_err;	/* configuration failed to load */

static enum tr_err
allow_header(struct tr_req *r)
{
	struct tr_buf	 b;
	enum tr_err	 er = TR_OK;
	size_t		 i;

	tr_buf_init(&b, 256);
	for (i = 0; i < TR_METHOD__MAX && er == TR_OK; i++) {
		if (!(r->ep->methods & (1u << i)) &&
		    !(i == TR_METHOD_HEAD && (r->ep->methods & TR_GET)) &&
		    i != TR_METHOD_OPTIONS)
			continue;
		er = tr_buf_addf(&b, "%s%s", b.len ? ", " : "",
		    tr_method_name((enum tr_method)i));
	}
	if (er == TR_OK)
		er = tr_header(r, "Allow", tr_buf_str(&b));
	tr_buf_free(&b);
	return er;
}

/*
 * A required file that did not come: say why when the client can be
 * told more than "required" (curl's -F audio=x.wav without the @ sends
 * the name as text; a JSON body carries no file).
 */
static enum tr_err
no_file(struct tr_req *r, const char *name)
{
	size_t	 j;

	if (r->json != NULL)
		return tr_fail_param(r, TR_EMEDIA, name, "this endpoint takes "
		    "the file '%s' as multipart/form-data, or the audio itself "
		    "as the body (audio/* or video/*), not JSON", name);
	for (j = 0; j < r->kvsz; j++)
		if (strcmp(r->kvs[j].key, name) == 0)
			return tr_fail_param(r, TR_EINVAL, name, "field '%s' "
			    "arrived as text, not as a file (with curl: -F "
			    "%s=@file)", name, name);
	return tr_fail_param(r, TR_EINVAL, name, "field '%s' is required",
	    name);
}

/* Runs each field's validator on the first parameter of its name. */
static enum tr_err
validate(struct tr_req *r)
{
	const struct tr_field	*f;
	const struct tr_upload	*u;
	struct tr_pair		*p;
	size_t			 i, j;
	enum tr_kind		 kind;

	for (i = 0; i < r->ep->fieldsz; i++) {
		f = &r->ep->fields[i];
		if (f->flags & TR_FILE) {
			for (u = r->uploads; u != NULL; u = u->next)
				if (strcmp(u->field, f->name) == 0)
					break;
			r->files[i] = u;
			if (u == NULL && (f->flags & TR_REQUIRED))
				return no_file(r, f->name);
			continue;
		}
		for (j = 0; j < r->kvsz; j++)
			if (strcmp(r->kvs[j].key, f->name) == 0)
				break;
		if (j == r->kvsz) {
			if (f->flags & TR_REQUIRED)
				return tr_fail_param(r, TR_EINVAL, f->name,
				    "field '%s' is required", f->name);
			continue;
		}
		/* A JSON member must be of its field's type: 12 is no
		 * service name, "12" no token count, an object nothing. */
		kind = r->kvs[j].kind;
		if (kind != TR_KIND_TEXT && kind != tr_valid_kind(f->valid))
			return tr_fail_param(r, TR_EFIELD, f->name,
			    "field '%s' must be a JSON %s", f->name,
			    tr_kind_name(tr_valid_kind(f->valid)));
		p = &r->fields[i];
		p->key = f->name;
		p->val = r->kvs[j].val;
		p->valsz = r->kvs[j].valsz;
		p->parsed.s = p->val;
		if (f->valid != NULL && !f->valid(p)) {
			p->key = NULL;
			return tr_fail_param(r, TR_EFIELD, f->name,
			    "field '%s' has an invalid value", f->name);
		}
	}
	return TR_OK;
}

static enum tr_err
dispatch(struct tr_req *r)
{
	const struct tr_endpoint	*ep = r->ep;
	const char			*rs;
	long long			 st;
	int				 preflight;
	enum tr_err			 er;

	/*
	 * A web server error redirected here (lighttpd's error-handler,
	 * Apache's ErrorDocument): answer it in JSON with its status.
	 */
	rs = tr__req_env(r, "REDIRECT_STATUS");
	if (ep->catchall && rs != NULL &&
	    tr_parse_ll(rs, 100, 599, &st) == TR_OK && st >= 400) {
		er = tr_err_from_status((int)st);
		if (st == 405)
			(void)allow_header(r);
		return tr_fail(r, er, "%s", tr_err_message(er));
	}
	if (conf_err != TR_OK)
		return tr_fail(r, TR_EUNAVAIL,
		    "the service configuration is invalid; see the server log");
	if (!tr__path_match(r, ep))
		return tr_fail(r, TR_ENOTFOUND, "no endpoint at this path");
	if ((er = tr__cors(r, &preflight)) != TR_OK)
		return er;
	if (r->method == TR_METHOD_OPTIONS) {
		if ((er = allow_header(r)) != TR_OK)
			return er;
		return tr_reply(r, 204, NULL, "", 0);
	}
	if (r->method == TR_METHOD__MAX ||
	    !((ep->methods & (1u << r->method)) ||
	    (r->method == TR_METHOD_HEAD && (ep->methods & TR_GET)))) {
		if ((er = allow_header(r)) != TR_OK)
			return er;
		return tr_fail(r, TR_EMETHOD, "method %.16s not allowed",
		    r->method == TR_METHOD__MAX ? "?" : r->methodstr);
	}
	/* Who is calling is settled before a byte of the body is read. */
	if (ep->auth != TR_AUTH_NONE &&
	    ((er = tr__auth(r)) != TR_OK || (er = tr__ratelimit(r)) != TR_OK))
		return er;
	/* Open endpoints that check secrets are limited per address. */
	if (ep->auth == TR_AUTH_NONE && ep->throttle &&
	    (er = tr__throttle(r)) != TR_OK)
		return er;
	if ((er = tr__req_query(r)) != TR_OK ||
	    (er = tr__req_body(r)) != TR_OK ||
	    (er = validate(r)) != TR_OK)
		return er;
	/* Valid input may be handed over: 202 now, the handler later. */
	if (ep->async) {
		if ((er = tr__job_wanted(r, &preflight)) != TR_OK)
			return er;
		if (preflight && ep->check != NULL &&
		    (er = ep->check(r)) != TR_OK)
			return er;
		if (preflight)
			return tr__job_submit(r);
		if (tr_param(r, "callback_url") != NULL)
			return tr_fail_param(r, TR_EFIELD, "callback_url",
			    "callback_url is for an async request (Prefer: "
			    "respond-async or async=true)");
	}
	return ep->handler(r);
}

/*
 * Every answer counts, whichever program and process gave it: by the
 * endpoint's declared path (bounded; an unknown path is the catch-all's
 * "/"), method and status, and its time.
 */
static void
record(const struct tr_req *r, double secs)
{
	char		 st[8];
	const char	*kv[6];

	snprintf(st, sizeof(st), "%d", r->status);
	kv[0] = "endpoint";
	kv[1] = r->ep->path;
	kv[2] = "method";
	kv[3] = r->method == TR_METHOD__MAX ? "other" :
	    tr_method_name(r->method);
	kv[4] = "status";
	kv[5] = st;
	tr_metric_add(TR_MET_REQUESTS, 1, kv, 3);
	tr_metric_observe(TR_MET_REQUEST_SECONDS, secs, kv, 1);
}

/* A job's run: its rebuilt request checked as it was, then handled. */
static enum tr_err
run_job(struct tr_req *r)
{
	enum tr_err	 er;

	if ((er = validate(r)) != TR_OK)
		return er;
	return r->ep->handler(r);
}

static void
serve_one(FCGX_Request *fcgi, const struct tr_endpoint *ep)
{
	struct tr_req	 r;
	struct timespec	 t0, t1;
	enum tr_err	 er;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	tr__req_init(&r, fcgi, ep);
	if (conf_err == TR_OK)
		tr_usage_replay();
	er = dispatch(&r);
	/* A slot the key's admission took for work that never began; the
	 * answer is still in libfcgi's buffer, so the caller cannot be
	 * back before the slot is. */
	if (r.slot > 0)
		tr_quota_end(&r, r.slot);
	if (er != TR_OK && !r.replied)
		(void)tr__req_error(&r, er);
	else if (er == TR_OK && !r.replied) {
		tr_errx("handler returned without a response");
		(void)tr__req_error(&r, TR_ESYSTEM);
	}
	tr__req_drain(&r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	record(&r, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	tr_info("%s %.200s %d %.1fms", r.method == TR_METHOD__MAX ? "?" :
	    r.methodstr, r.path, r.status,
	    (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	tr__req_free(&r);
}

/*
 * What the program serves, as JSON on stdout, for the build's OpenAPI
 * description (TRAPI_DESCRIBE set: a variable no request can set).
 */
static int
describe(const struct tr_endpoint *ep)
{
	static const char *const auths[TR_AUTH__MAX] = {
		"none", "api_key", "jwt", "auth0", "any" };
	const struct tr_format	*fm;
	struct json_object	*o, *arr, *f, *sch, *fam;
	unsigned int		 bit;
	size_t			 i;

	o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(ep->path));
	arr = json_object_new_array();
	for (i = 0; i < TR_METHOD__MAX; i++)
		if (ep->methods & (1u << i))
			json_object_array_add(arr, json_object_new_string(
			    tr_method_name((enum tr_method)i)));
	json_object_object_add(o, "methods", arr);
	json_object_object_add(o, "auth", json_object_new_string(
	    auths[ep->auth]));
	json_object_object_add(o, "body", json_object_new_boolean(
	    ep->body_max > 0));
	json_object_object_add(o, "throttle", json_object_new_boolean(
	    ep->throttle));
	json_object_object_add(o, "openai_errors", json_object_new_boolean(
	    ep->openai_errors));
	json_object_object_add(o, "async", json_object_new_boolean(ep->async));
	json_object_object_add(o, "family", ep->formats != 0 ?
	    json_object_new_string(tr_format_family(ep->formats)) : NULL);
	arr = json_object_new_array();
	for (i = 0; i < ep->fieldsz; i++) {
		f = json_object_new_object();
		json_object_object_add(f, "name",
		    json_object_new_string(ep->fields[i].name));
		json_object_object_add(f, "required", json_object_new_boolean(
		    ep->fields[i].flags & TR_REQUIRED));
		json_object_object_add(f, "file", json_object_new_boolean(
		    ep->fields[i].flags & TR_FILE));
		sch = json_tokener_parse(tr_valid_schema(ep->fields[i].valid));
		json_object_object_add(f, "schema", sch);
		json_object_array_add(arr, f);
	}
	json_object_object_add(o, "fields", arr);
	/* The response formats (format.c), with the families offering them. */
	arr = json_object_new_array();
	for (i = 0; (fm = tr_format_at(i)) != NULL; i++) {
		f = json_object_new_object();
		json_object_object_add(f, "name", json_object_new_string(fm->name));
		json_object_object_add(f, "ctype",
		    json_object_new_string(fm->ctype));
		fam = json_object_new_array();
		for (bit = 1; bit != 0 && tr_format_family(bit) != NULL;
		    bit <<= 1)
			if (fm->offered & bit)
				json_object_array_add(fam, json_object_new_string(
				    tr_format_family(bit)));
		json_object_object_add(f, "families", fam);
		json_object_array_add(arr, f);
	}
	json_object_object_add(o, "formats", arr);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return fflush(stdout) == 0 ? 0 : 1;
}

/*
 * TRAPI_FCGI_CHILDREN=N, in the environment the web server starts the
 * program with (lighttpd's bin-environment, max-procs 1; PHP's
 * PHP_FCGI_CHILDREN is the same): this process, its libraries loaded
 * and relocated, forks N children that accept on the socket it was
 * given, and only watches them.  Their pages of the libraries stay
 * shared: a program linked with libavformat relocates 5 MiB of its
 * dependencies' data (librsvg's, libavcodec's...), which N processes
 * the web server started would each hold privately.  A child that ends
 * is started again (after a second if it lived less); SIGTERM or
 * SIGINT stops them all.  Returns 0 in a child, 1 in the parent once
 * they have all ended.  (Apache's mod_fcgid sends a process one
 * request at a time, so it starts its processes itself and sets no
 * children.)
 */
/*
 * Has the web server's input been read to its end (its last record,
 * which a body read to its length leaves unread, read now)?  Then
 * nothing unread can reset the connection, and it is closed at once
 * (FCGX_Detach), not shut down and waited on until the server closes
 * it, which libfcgi does for any request and which put this process to
 * sleep once more a call.  A body left unread keeps libfcgi's way.
 */
static int
input_done(FCGX_Stream *in)
{
	if (in == NULL || FCGX_GetError(in) != 0)
		return 0;
	if (!in->isClosed)
		(void)FCGX_GetChar(in);
	return in->isClosed && FCGX_GetError(in) == 0;
}

static int
supervise(int n)
{
	pid_t		 kids[CHILDREN_MAX], pid, parent = getpid();
	time_t		 born[CHILDREN_MAX];
	sigset_t	 set, old;
	siginfo_t	 si;
	int		 i, live = 0, stopping = 0, st, sig;

	memset(kids, 0, sizeof(kids));
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (;;) {
		for (i = 0; i < n && !stopping; i++) {
			if (kids[i] != 0)
				continue;
			if ((pid = fork()) == -1) {
				tr_warn("fork");
				break;
			}
			if (pid == 0) {
				sigprocmask(SIG_SETMASK, &old, NULL);
				/* The children go with their parent. */
				if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 ||
				    getppid() != parent)
					_exit(1);
				return 0;
			}
			kids[i] = pid;
			born[i] = time(NULL);
			live++;
		}
		if (stopping && live == 0)
			return 1;
		sig = sigwaitinfo(&set, &si);
		if (sig == SIGTERM || sig == SIGINT) {
			if (!stopping)
				for (i = 0; i < n; i++)
					if (kids[i] != 0)
						kill(kids[i], SIGTERM);
			stopping = 1;
			continue;
		}
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			for (i = 0; i < n; i++) {
				if (kids[i] != pid)
					continue;
				if (!stopping && WIFSIGNALED(st))
					tr_warnx("child %d ended by signal %d",
					    (int)pid, WTERMSIG(st));
				kids[i] = 0;
				live--;
				/* One that dies at once is not started in a
				 * loop. */
				if (!stopping && time(NULL) - born[i] < 1)
					sleep(1);
			}
	}
}

/*
 * Serves requests until the web server closes the FastCGI socket, or
 * one request when started as plain CGI.  Returns the exit status.
 */
int
tr_serve(const struct tr_endpoint *ep)
{
	FCGX_Request	 fcgi;
	const char	*unsafe, *s;
	long long	 kids = 0;

	if (getenv("TRAPI_DESCRIBE") != NULL)
		return describe(ep);
	tr_log_init(program_invocation_short_name);
	signal(SIGPIPE, SIG_IGN);
	/* Seconds as 3.45, not 3.4500000000000002. */
	json_c_set_serialization_double_format("%.10g", JSON_C_OPTION_GLOBAL);
	if ((conf_err = tr_conf_load()) != TR_OK)
		tr_errx("configuration failed to load; answering 503");
	else if ((unsafe = tr_conf_unsafe()) != NULL) {
		tr_errx("refusing to serve in production: %s", unsafe);
		conf_err = TR_EUNAVAIL;
	}
	/* What processes killed mid-request left behind: at start-up
	 * (each request, as plain CGI), then every UPLOAD_SWEEP_SECONDS. */
	if (conf_err == TR_OK)
		tr__tmpdir_sweep(1);
	/* trapi-worker's child: one job's run, no web server. */
	if (conf_err == TR_OK && ep->async && getenv("TRAPI_JOB_ID") != NULL &&
	    getenv("TRAPI_JOB_ATTEMPT") != NULL) {
		int rc = tr__job_child(ep, getenv("TRAPI_JOB_ID"),
		    getenv("TRAPI_JOB_ATTEMPT"), run_job);
		tr_db_close();
		tr_conf_free();
		return rc;
	}
	if (FCGX_IsCGI()) {
		serve_one(NULL, ep);
		fflush(stdout);
	} else {
		/* The web server's setting, not the application's. */
		if ((s = getenv("TRAPI_FCGI_CHILDREN")) != NULL &&
		    tr_parse_ll(s, 0, CHILDREN_MAX, &kids) != TR_OK) {
			tr_warnx("TRAPI_FCGI_CHILDREN: not a number of "
			    "processes up to %d; serving alone", CHILDREN_MAX);
			kids = 0;
		}
		if (kids > 0 && supervise((int)kids) != 0) {
			tr_conf_free();
			return 0;
		}
		if (FCGX_Init() != 0 || FCGX_InitRequest(&fcgi, 0, 0) != 0) {
			tr_errx("FastCGI initialisation failed");
			return 1;
		}
		while (FCGX_Accept_r(&fcgi) >= 0) {
			serve_one(&fcgi, ep);
			if (input_done(fcgi.in))
				(void)FCGX_Detach(&fcgi);
			FCGX_Finish_r(&fcgi);
			if (conf_err == TR_OK)
				tr__tmpdir_sweep(0);
		}
		FCGX_Free(&fcgi, 1);
	}
	tr_db_close();
	tr_http_close();
	tr_conf_free();
	return 0;
}
