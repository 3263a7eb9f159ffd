/*
 * The request layer and the serve loop (lib/cgi/req.c, lib/service/serve.c), driven
 * as plain CGI: each case sets the CGI environment, puts the body on
 * standard input and runs tr_serve() in a child, then checks the status
 * line, headers and body it wrote.  Table-driven, valid and invalid.
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tr.h"
#include "t.h"

enum	key { KEY_NAME, KEY_N, KEY_FLAG, KEY_AUDIO, KEY__MAX };

static const struct tr_field keys[KEY__MAX] = {
	{ "name", tr_valid_string, TR_REQUIRED },	/* KEY_NAME */
	{ "n", tr_valid_int, 0 },			/* KEY_N */
	{ "flag", tr_valid_bool, 0 },			/* KEY_FLAG */
	{ "audio", NULL, TR_FILE },			/* KEY_AUDIO */
};

/* Echoes what it was given as "name=..;n=..;flag=..;audio=size". */
static enum tr_err
echo(struct tr_req *r)
{
	char			 out[512];
	const struct tr_pair	*n = tr_field_get(r, KEY_N);
	const struct tr_pair	*f = tr_field_get(r, KEY_FLAG);
	const struct tr_upload	*u = tr_upload_get(r, KEY_AUDIO);
	int			 len;

	len = snprintf(out, sizeof(out), "name=%s;n=%lld;flag=%lld;audio=%lld;"
	    "arg=%s", tr_str(r, KEY_NAME), n != NULL ? n->parsed.i : -1,
	    f != NULL ? f->parsed.i : -1,
	    u != NULL ? (long long)u->size : -1LL,
	    tr_patharg(r) != NULL ? tr_patharg(r) : "");
	return tr_reply(r, 200, "text/plain", out, (size_t)len);
}

static const struct tr_endpoint form_ep = {
	.path = "/things", .methods = TR_POST | TR_GET, .body_max = 4096,
	.fields = keys, .fieldsz = KEY__MAX, .handler = echo,
};

static const struct tr_endpoint item_ep = {
	.path = "/items/*", .methods = TR_DELETE, .handler = echo,
};

static enum tr_err
fail_handler(struct tr_req *r)
{
	return tr_fail(r, TR_ECONFLICT, "that one exists");
}

static const struct tr_endpoint fail_ep = {
	.path = "/fail", .methods = TR_GET, .handler = fail_handler,
};

static const struct tr_endpoint catch_ep = {
	.path = "/", .methods = TR_GET, .handler = echo, .catchall = 1,
};

#define MP	"multipart/form-data; boundary=B"
#define MPBODY	"--B\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n" \
		"bob\r\n--B\r\nContent-Disposition: form-data; name=\"audio\"; " \
		"filename=\"a.wav\"\r\n\r\nRIFFdata\r\n--B--\r\n"

static const struct test {
	const struct tr_endpoint *ep;
	const char	*method;
	const char	*uri;
	const char	*ctype;
	const char	*clen;	/* NULL: strlen(body) if body, else unset */
	const char	*body;
	const char	*redirect;
	int		 status;
	const char	*want;	/* substring of the output */
} tests[] = {
	{ &form_ep, "POST", "/things", "application/json", NULL,
	    "{\"name\":\"x\",\"n\":5,\"flag\":true}", NULL, 200,
	    "name=x;n=5;flag=1;audio=-1" },
	{ &form_ep, "POST", "/things", "application/x-www-form-urlencoded",
	    NULL, "name=a%20b+c&n=-3&flag=off", NULL, 200,
	    "name=a b c;n=-3;flag=0" },
	{ &form_ep, "GET", "/things?name=q&n=7", NULL, NULL, NULL, NULL, 200,
	    "name=q;n=7" },
	{ &form_ep, "POST", "/things", MP, NULL, MPBODY, NULL, 200,
	    "name=bob;n=-1;flag=-1;audio=8" },
	{ &form_ep, "HEAD", "/things?name=q", NULL, NULL, NULL, NULL, 200,
	    "Content-Length: " },
	{ &form_ep, "OPTIONS", "/things", NULL, NULL, NULL, NULL, 204,
	    "Allow: GET, POST, HEAD, OPTIONS" },
	/* Invalid input. */
	{ &form_ep, "POST", "/things", "application/json", NULL,
	    "{\"n\":5}", NULL, 400, "field 'name' is required" },
	{ &form_ep, "POST", "/things", "application/json", NULL,
	    "{\"name\":\"x\",\"n\":\"five\"}", NULL, 422,
	    "field 'n' must be a JSON number" },
	/* JSON types are not coerced. */
	{ &form_ep, "POST", "/things", "application/json", NULL,
	    "{\"name\":\"x\",\"n\":\"5\"}", NULL, 422,
	    "field 'n' must be a JSON number" },
	{ &form_ep, "POST", "/things", "application/json", NULL,
	    "{\"name\":\"x\",\"n\":true}", NULL, 422,
	    "field 'n' must be a JSON number" },
	{ &form_ep, "POST", "/things", "application/json", NULL,
	    "{\"name\":12}", NULL, 422, "field 'name' must be a JSON string" },
	{ &form_ep, "POST", "/things", "application/json", NULL,
	    "{\"name\":\"x\",\"flag\":\"true\"}", NULL, 422,
	    "field 'flag' must be a JSON boolean" },
	{ &form_ep, "POST", "/things", "application/json", NULL,
	    "{\"name\":\"x\",\"n\":5.5}", NULL, 422,
	    "field 'n' has an invalid value" },
	{ &form_ep, "POST", "/things", "application/json", NULL,
	    "{\"name\":\"x\",\"flag\":\"maybe\"}", NULL, 422, "'flag'" },
	{ &form_ep, "POST", "/things", "application/json", NULL,
	    "{\"name\":\"\\u0000x\"}", NULL, 422, "'name'" },
	{ &form_ep, "POST", "/things", "application/json", NULL,
	    "{\"name\":", NULL, 400, "\"code\":\"invalid_json\"" },
	{ &form_ep, "POST", "/things", "application/json", NULL,
	    "[1,2]", NULL, 422, "must be an object" },
	{ &form_ep, "POST", "/things", "application/json", "5000",
	    "{}", NULL, 413, "exceeds the limit of 4096" },
	{ &form_ep, "POST", "/things", "application/json", "", "", NULL, 400,
	    "field 'name' is required" },
	{ &form_ep, "POST", "/things", "text/plain", NULL, "hello", NULL, 415,
	    "unsupported_media_type" },
	{ &form_ep, "POST", "/things", "application/x-www-form-urlencoded",
	    NULL, "name=%zz", NULL, 400, "malformed form body" },
	{ &form_ep, "GET", "/things?name=%4", NULL, NULL, NULL, NULL, 400,
	    "malformed query string" },
	{ &form_ep, "POST", "/things", "application/json", "40", "{}", NULL,
	    400, "shorter than Content-Length" },
	{ &form_ep, "POST", "/things", "application/json", "-1", "{}", NULL,
	    411, "length_required" },
	/* No Content-Length: no body, so the required field is missing. */
	{ &form_ep, "POST", "/things", "application/json", NULL, NULL, NULL,
	    400, "field 'name' is required" },
	{ &form_ep, "POST", "/things", MP, NULL,
	    "--B\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx",
	    NULL, 400, "truncated multipart body" },
	{ &form_ep, "POST", "/things", "multipart/form-data", NULL, MPBODY,
	    NULL, 400, "without a valid boundary" },
	{ &form_ep, "PUT", "/things", NULL, NULL, NULL, NULL, 405,
	    "Allow: GET, POST, HEAD, OPTIONS" },
	{ &form_ep, "BREW", "/things", NULL, NULL, NULL, NULL, 405,
	    "method_not_allowed" },
	{ &form_ep, "GET", "/things/more", NULL, NULL, NULL, NULL, 404,
	    "\"code\":\"not_found\"" },
	{ &form_ep, "GET", "/thing", NULL, NULL, NULL, NULL, 404, "not_found" },
	/* Path arguments. */
	{ &item_ep, "DELETE", "/items/42", NULL, NULL, NULL, NULL, 200,
	    "arg=42" },
	{ &item_ep, "DELETE", "/items/", NULL, NULL, NULL, NULL, 404,
	    "not_found" },
	{ &item_ep, "DELETE", "/items/1/2", NULL, NULL, NULL, NULL, 404,
	    "not_found" },
	/* A handler's error and message. */
	{ &fail_ep, "GET", "/fail", NULL, NULL, NULL, NULL, 409,
	    "\"message\":\"that one exists\"" },
	/* Web server errors redirected to the catch-all. */
	{ &catch_ep, "GET", "/__error", NULL, NULL, NULL, "413", 413,
	    "payload_too_large" },
	{ &catch_ep, "POST", "/x", NULL, NULL, NULL, "503", 503,
	    "service_unavailable" },
	{ &catch_ep, "GET", "/__error", NULL, NULL, NULL, "200", 404,
	    "not_found" },
	{ &catch_ep, "GET", "/elsewhere", NULL, NULL, NULL, NULL, 404,
	    "no endpoint at this path" },
};

static void
setenv_or_unset(const char *k, const char *v)
{
	if (v != NULL)
		T(setenv(k, v, 1) == 0);
	else
		T(unsetenv(k) == 0);
}

/* Runs one request in a child; returns its output (caller frees). */
static char *
run(const struct test *t, char *tmpl_in, char *tmpl_out)
{
	char		 clen[32], *out;
	const char	*q;
	int		 in, outfd, status;
	pid_t		 pid;
	off_t		 sz;

	T((in = mkstemp(tmpl_in)) != -1);
	T((outfd = mkstemp(tmpl_out)) != -1);
	if (t->body != NULL)
		T(write(in, t->body, strlen(t->body)) ==
		    (ssize_t)strlen(t->body));
	T(lseek(in, 0, SEEK_SET) == 0);
	if ((pid = fork()) == 0) {
		setenv_or_unset("REQUEST_METHOD", t->method);
		setenv_or_unset("REQUEST_URI", t->uri);
		q = strchr(t->uri, '?');
		setenv_or_unset("QUERY_STRING", q != NULL ? q + 1 : NULL);
		setenv_or_unset("CONTENT_TYPE", t->ctype);
		snprintf(clen, sizeof(clen), "%zu",
		    t->body != NULL ? strlen(t->body) : 0);
		setenv_or_unset("CONTENT_LENGTH", t->clen != NULL ? t->clen :
		    t->body != NULL ? clen : NULL);
		setenv_or_unset("REDIRECT_STATUS", t->redirect);
		T(dup2(in, 0) == 0);
		T(dup2(outfd, 1) == 1);
		_exit(tr_serve(t->ep));
	}
	T(pid > 0);
	T(waitpid(pid, &status, 0) == pid);
	T(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	T((sz = lseek(outfd, 0, SEEK_END)) >= 0);
	out = tr_xcalloc(1, (size_t)sz + 1);
	T(pread(outfd, out, (size_t)sz, 0) == sz);
	close(in);
	close(outfd);
	unlink(tmpl_in);
	unlink(tmpl_out);
	return out;
}

int
main(void)
{
	char		 in[64], out[64], want[64], conf[64], *o;
	const char	*body;
	size_t		 i;
	int		 fd;

	/* The children's request log lines would clutter the output. */
	T((fd = open("/dev/null", O_WRONLY)) != -1);
	T(dup2(fd, 2) == 2);
	close(fd);
	/* An empty config file: the defaults. */
	snprintf(conf, sizeof(conf), "/tmp/test_serve-conf-XXXXXX");
	T((fd = mkstemp(conf)) != -1);
	close(fd);
	T(setenv("APP_CONFIG", conf, 1) == 0);
	for (i = 0; i < T_NELEM(tests); i++) {
		snprintf(in, sizeof(in), "/tmp/test_serve-in-XXXXXX");
		snprintf(out, sizeof(out), "/tmp/test_serve-out-XXXXXX");
		o = run(&tests[i], in, out);
		snprintf(want, sizeof(want), "Status: %d ", tests[i].status);
		if (strncmp(o, want, strlen(want)) != 0 ||
		    strstr(o, tests[i].want) == NULL) {
			printf("case %zu (%s %s): want %d and \"%s\", got:\n%s\n",
			    i, tests[i].method, tests[i].uri, tests[i].status,
			    tests[i].want, o);
			T(0);
		}
		/* Errors are JSON with the request id of the header. */
		if (tests[i].status >= 400 &&
		    strcmp(tests[i].method, "HEAD") != 0) {
			T(strstr(o, "Content-Type: application/json\r\n") != NULL);
			T((body = strstr(o, "\r\n\r\n")) != NULL);
			T(strncmp(body + 4, "{\"error\":{\"code\":", 17) == 0);
		}
		if (strcmp(tests[i].method, "HEAD") == 0) {
			T((body = strstr(o, "\r\n\r\n")) != NULL);
			T(body[4] == '\0');
		}
		free(o);
	}
	unlink(conf);
	return 0;
}
