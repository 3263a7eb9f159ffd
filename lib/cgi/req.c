/*
 * The request layer over libfcgi: the same code reads a FastCGI request
 * or a plain CGI one (environment, stdin, stdout).  It parses the query
 * string and the body (JSON, urlencoded, or multipart streamed to a
 * per-request temp dir), checks Content-Length against the endpoint's
 * limit before reading, and writes responses with their headers.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "extern.h"

#define REQ_CHUNK	(64 * 1024)
#define DRAIN_MAX	(16 * 1024 * 1024)	/* read past a refusal, at most */
#define REQ_MAXPAIRS	1000
#define REQ_DEF_FIELDMAX (1024 * 1024)
#define REQ_DEF_PARTS	1000
#define REQ_DEF_PARTHDR	(8 * 1024)
#define REQ_DEF_TEXTBODY (1024 * 1024)
#define REQ_DEF_UPLOAD	(512LL * 1024 * 1024)
#define REQ_DEF_MEMPART	(2 * 1024 * 1024)	/* UPLOAD_MEMORY_BYTES */

extern char	**environ;

static const char *const methods[TR_METHOD__MAX] = {
	"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS",
};

const char *
tr_method_name(enum tr_method m)
{
	return m < TR_METHOD__MAX ? methods[m] : "?";
}

/* A CGI/FastCGI parameter; NULL if absent (always, on a bare request). */
const char *
tr__req_env(const struct tr_req *r, const char *name)
{
	if (r->bare)
		return NULL;
	if (r->fcgi != NULL)
		return FCGX_GetParam(name, r->fcgi->envp);
	return getenv(name);
}

void
tr__req_init(struct tr_req *r, FCGX_Request *fcgi,
    const struct tr_endpoint *ep)
{
	const char	*s, *q;
	unsigned char	 id[16];
	long long	 n;
	size_t		 i;

	memset(r, 0, sizeof(*r));
	r->fcgi = fcgi;
	r->ep = ep;
	r->curfd = -1;
	r->tmpfd = -1;
	r->uptail = &r->uploads;
	tr_buf_init(&r->hdrs, 16 * 1024);
	tr_buf_init(&r->msg, 1024);
	tr_buf_init(&r->curval, 1);
	if (tr_random(id, sizeof(id)) != TR_OK)
		memset(id, 0, sizeof(id));
	tr_hex(id, sizeof(id), r->reqid);
	if ((r->remote = tr__req_env(r, "REMOTE_ADDR")) == NULL)
		r->remote = "-";
	tr_log_context(r->remote, r->reqid);

	r->methodstr = tr__req_env(r, "REQUEST_METHOD");
	if (r->methodstr == NULL)
		r->methodstr = "GET";
	r->method = TR_METHOD__MAX;
	for (i = 0; i < TR_METHOD__MAX; i++)
		if (strcmp(r->methodstr, methods[i]) == 0)
			r->method = (enum tr_method)i;

	/*
	 * REQUEST_URI is what the client asked for under every server
	 * (SCRIPT_NAME differs between lighttpd prefixes and Apache
	 * ScriptAlias); fall back on SCRIPT_NAME + PATH_INFO.
	 */
	if ((s = tr__req_env(r, "REQUEST_URI")) != NULL && *s != '\0') {
		q = strchr(s, '?');
		r->path = tr_xstrndup(s, q != NULL ? (size_t)(q - s) : strlen(s));
	} else {
		s = tr__req_env(r, "SCRIPT_NAME");
		q = tr__req_env(r, "PATH_INFO");
		r->path = tr_xmalloc(strlen(s != NULL ? s : "") +
		    strlen(q != NULL ? q : "") + 2);
		snprintf(r->path, strlen(s != NULL ? s : "") +
		    strlen(q != NULL ? q : "") + 2, "%s%s",
		    s != NULL ? s : "", q != NULL ? q : "");
		if (r->path[0] == '\0') {
			free(r->path);
			r->path = tr_xstrdup("/");
		}
	}
	if ((r->query = tr__req_env(r, "QUERY_STRING")) == NULL)
		r->query = "";
	if ((r->ctype = tr__req_env(r, "CONTENT_TYPE")) == NULL)
		r->ctype = "";
	s = tr__req_env(r, "CONTENT_LENGTH");
	if (s != NULL && *s != '\0') {
		/* A malformed length is treated as missing: the body is
		 * then refused with 411 rather than guessed at. */
		if (tr_parse_ll(s, 0, INT64_MAX, &n) == TR_OK) {
			r->clen = (unsigned long long)n;
			r->hasclen = 1;
		}
	} else if (s != NULL ||
	    tr__req_env(r, "HTTP_TRANSFER_ENCODING") == NULL) {
		/* No length and no chunked body: there is no body (RFC
		 * 9112 section 6.3), as curl -X POST sends. */
		r->hasclen = 1;
	}
	if (ep->fieldsz > 0) {
		r->fields = tr_xcalloc(ep->fieldsz, sizeof(*r->fields));
		r->files = tr_xcalloc(ep->fieldsz, sizeof(*r->files));
	}
}

/* Removes the spool files and the request's temp dir. */
static void
rmtmp(struct tr_req *r)
{
	struct tr_upload	*u, *next;

	for (u = r->uploads; u != NULL; u = next) {
		next = u->next;
		if (u->memfd != -1)
			close(u->memfd);
		else if (u->mem.ptr == NULL && u->path != NULL &&
		    unlink(u->path) == -1 && errno != ENOENT)
			tr_warn("unlink %s", u->path);
		tr_buf_free(&u->mem);
		free(u->field);
		free(u->filename);
		free(u->ctype);
		free(u->path);
		free(u);
	}
	r->uploads = NULL;
	r->uptail = &r->uploads;
	if (r->tmpdir == NULL)
		return;
	/* A handler may have left files of its own (ffmpeg output...). */
	tr__tmpdir_remove(r->tmpdir, r->tmpfd);
	r->tmpfd = -1;
	TR_FREE(r->tmpdir);
}

void
tr__req_free(struct tr_req *r)
{
	size_t	 i;

	if (r->curfd != -1)
		close(r->curfd);
	rmtmp(r);
	for (i = 0; i < r->kvsz; i++) {
		free(r->kvs[i].key);
		free(r->kvs[i].val);
	}
	free(r->kvs);
	free(r->fields);
	free(r->files);
	free(r->path);
	free(r->curname);
	json_object_put(r->json);
	tr_buf_free(&r->hdrs);
	tr_buf_free(&r->msg);
	tr_buf_free(&r->curval);
	tr__principal_free(&r->prin);
	/* A bare request never set the log context: leave the caller's. */
	if (!r->bare)
		tr_log_context(NULL, NULL);
	memset(r, 0, sizeof(*r));
	r->curfd = -1;
	r->tmpfd = -1;
}

/* What a bare request stands for: no body, no fields, no methods. */
static const struct tr_endpoint bare_ep = {
	.path = "", .auth = TR_AUTH_ANY,
};

/*
 * A request that did not come through the web server (ws-bridge): no
 * environment, no body, no response; it carries a request id, a path
 * and, once authenticated, a principal.  Everything it holds is
 * released by tr_req_free() (or tr__req_free() and free()).  NULL
 * when the kernel gives no random bytes for its id.
 */
struct tr_req *
tr_req_new(const char *path)
{
	struct tr_req		*r;
	unsigned char		 id[16];

	/* The id keys usage rows: never a constant one. */
	if (tr_random(id, sizeof(id)) != TR_OK)
		return NULL;
	r = tr_xcalloc(1, sizeof(*r));
	r->bare = 1;
	r->ep = &bare_ep;
	r->curfd = -1;
	r->uptail = &r->uploads;
	tr_buf_init(&r->hdrs, 16 * 1024);
	tr_buf_init(&r->msg, 1024);
	tr_buf_init(&r->curval, 1);
	tr_hex(id, sizeof(id), r->reqid);
	r->remote = "-";
	r->methodstr = "-";
	r->method = TR_METHOD__MAX;
	r->path = tr_xstrdup(path != NULL && *path != '\0' ? path : "/");
	r->query = "";
	r->ctype = "";
	return r;
}

void
tr_req_free(struct tr_req *r)
{
	if (r == NULL)
		return;
	tr__req_free(r);
	free(r);
}

const char *
tr_req_message(const struct tr_req *r)
{
	return tr_buf_str(&r->msg);
}

/* Adds a parameter; takes ownership of key and val. */
static enum tr_err
addkv(void *arg, char *key, size_t keysz, char *val, size_t valsz)
{
	struct tr_req	*r = arg;
	struct tr_kv	*nkv;

	(void)keysz;
	if (r->kvsz >= REQ_MAXPAIRS) {
		free(key);
		free(val);
		return TR_ETOOBIG;
	}
	if (r->kvsz == r->kvcap) {
		r->kvcap = r->kvcap ? r->kvcap * 2 : 16;
		nkv = realloc(r->kvs, r->kvcap * sizeof(*r->kvs));
		if (nkv == NULL) {
			free(key);
			free(val);
			return TR_ENOMEM;
		}
		r->kvs = nkv;
	}
	r->kvs[r->kvsz].key = key;
	r->kvs[r->kvsz].val = val;
	r->kvs[r->kvsz].valsz = valsz;
	r->kvs[r->kvsz].kind = TR_KIND_TEXT;
	r->kvsz++;
	return TR_OK;
}

enum tr_err
tr__req_query(struct tr_req *r)
{
	enum tr_err	 er;

	er = tr_form_parse(r->query, strlen(r->query), REQ_MAXPAIRS, addkv, r);
	if (er == TR_EINVAL)
		return tr_fail(r, er, "malformed query string");
	if (er == TR_ETOOBIG)
		return tr_fail(r, TR_EINVAL, "too many query parameters");
	return er;
}

enum tr_err
tr__req_addkv(struct tr_req *r, const char *key, const char *val,
    size_t valsz, enum tr_kind kind)
{
	char		*v;
	enum tr_err	 er;

	v = tr_xmalloc(valsz + 1);
	memcpy(v, val, valsz);
	v[valsz] = '\0';
	if ((er = addkv(r, tr_xstrdup(key), strlen(key), v, valsz)) == TR_OK)
		r->kvs[r->kvsz - 1].kind = kind;
	return er;
}

/* A file part that came another way (a job's input); path is taken. */
void
tr__req_addupload(struct tr_req *r, const char *field, const char *filename,
    const char *ctype, char *path, uint64_t size)
{
	struct tr_upload	*u;

	u = tr_xcalloc(1, sizeof(*u));
	u->field = tr_xstrdup(field);
	u->filename = tr_xstrdup(filename);
	u->ctype = tr_xstrdup(ctype);
	u->path = path;
	u->memfd = -1;
	u->size = size;
	*r->uptail = u;
	r->uptail = &u->next;
}

/*
 * Reads up to sz body bytes.  Returns the count, 0 at end of input, -1
 * on error.
 */
static ssize_t
body_read(struct tr_req *r, char *buf, size_t sz)
{
	size_t	 n;
	int	 rc;

	if (r->bare)
		return 0;
	if (r->fcgi != NULL) {
		if (sz > INT32_MAX)
			sz = INT32_MAX;
		rc = FCGX_GetStr(buf, (int)sz, r->fcgi->in);
		if (rc > 0)
			r->consumed += (unsigned long long)rc;
		return rc;
	}
	n = fread(buf, 1, sz, stdin);
	r->consumed += n;
	if (n == 0 && ferror(stdin))
		return -1;
	return (ssize_t)n;
}

/*
 * As plain CGI, reads and drops what is left of the body after the
 * response: a CGI server still writing the body to a program that has
 * exited breaks the response it relays (Apache's mod_cgid does).  The
 * server has already applied its own size limit.  FastCGI needs none of
 * this: libfcgi discards unread input itself.
 */
void
tr__req_drain(struct tr_req *r)
{
	char	 buf[REQ_CHUNK];
	ssize_t	 n;

	if (r->fcgi != NULL)
		return;
	/* A body of unknown length (chunked, refused with 411): to its end,
	 * or DRAIN_MAX, whichever comes first. */
	if (!r->hasclen) {
		while (r->consumed < DRAIN_MAX &&
		    body_read(r, buf, sizeof(buf)) > 0)
			continue;
		return;
	}
	while (r->consumed < r->clen) {
		n = body_read(r, buf, r->clen - r->consumed < sizeof(buf) ?
		    (size_t)(r->clen - r->consumed) : sizeof(buf));
		if (n <= 0)
			break;
	}
}

/*
 * Reads exactly Content-Length bytes, passing each chunk to fn.  A body
 * that ends early is TR_EINVAL.
 */
static enum tr_err
body_each(struct tr_req *r, enum tr_err (*fn)(void *, const char *, size_t),
    void *arg)
{
	char			*buf;
	unsigned long long	 left = r->clen;
	ssize_t			 n;
	enum tr_err		 er = TR_OK;

	buf = tr_xmalloc(REQ_CHUNK);
	while (left > 0) {
		n = body_read(r, buf, left < REQ_CHUNK ? (size_t)left : REQ_CHUNK);
		if (n <= 0) {
			er = tr_fail(r, TR_EINVAL,
			    "request body is shorter than Content-Length");
			break;
		}
		left -= (unsigned long long)n;
		if ((er = fn(arg, buf, (size_t)n)) != TR_OK)
			break;
	}
	free(buf);
	return er;
}

static enum tr_err
collect(void *arg, const char *p, size_t n)
{
	return tr_buf_add(arg, p, n);
}

/* Makes the request's private temp dir (mode 0700) if not yet made. */
static enum tr_err
mktmp(struct tr_req *r)
{
	if (r->tmpdir != NULL)
		return TR_OK;
	return tr__tmpdir_new(&r->tmpdir, &r->tmpfd);
}

/*
 * A path for a file of the handler's own in the request's temp dir,
 * removed with it after the request.  *out is malloced.
 */
enum tr_err
tr__req_tmpfile(struct tr_req *r, const char *name, char **out)
{
	size_t		 n;
	enum tr_err	 er;

	if ((er = mktmp(r)) != TR_OK)
		return er;
	n = strlen(r->tmpdir) + strlen(name) + 2;
	*out = tr_xmalloc(n);
	snprintf(*out, n, "%s/%s", r->tmpdir, name);
	return TR_OK;
}

static enum tr_err
write_all(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return TR_ESYSTEM;
		}
		p += w;
		n -= (size_t)w;
	}
	return TR_OK;
}

/*
 * A new spool file in the request's temp dir, open for writing as
 * r->curfd; its path (malloced) in *path.
 */
static enum tr_err
disk_part(struct tr_req *r, char **path)
{
	char		 buf[4200];
	enum tr_err	 er;

	if ((er = mktmp(r)) != TR_OK)
		return er;
	snprintf(buf, sizeof(buf), "%s/part-XXXXXX", r->tmpdir);
	if ((r->curfd = mkostemp(buf, O_CLOEXEC)) == -1) {
		tr_warn("mkstemp %s", buf);
		return TR_ESYSTEM;
	}
	*path = tr_xstrdup(buf);
	return TR_OK;
}

/* The largest part kept in memory (0: none, or no /proc/self/fd). */
static long long
mem_max(void)
{
	static int	 proc = -1;

	if (proc == -1)
		proc = access("/proc/self/fd", X_OK) == 0;
	return proc ? tr_conf_ll("UPLOAD_MEMORY_BYTES", REQ_DEF_MEMPART, 0,
	    1LL << 30) : 0;
}

/*
 * Starts a part in memory: the heap, no file.  A small upload then
 * costs no directory, file and unlink on disk (a sixth of a call's own
 * CPU time), nor a memfd written and opened again by name for the probe
 * and the provider (shmem pages, a dentry made and killed: 5 % of the
 * machine's time in a transcription benchmark).
 */
static enum tr_err
mem_part(struct tr_upload *u)
{
	tr_buf_init(&u->mem, (size_t)mem_max());
	/* An empty part is still in memory. */
	return tr_buf_add(&u->mem, "", 0);
}

/* Moves a part in memory that outgrew it to the request's temp dir. */
static enum tr_err
spill(struct tr_req *r, struct tr_upload *u)
{
	char		*path;
	enum tr_err	 er;

	if ((er = disk_part(r, &path)) != TR_OK)
		return er;
	if (write_all(r->curfd, u->mem.ptr, u->mem.len) != TR_OK) {
		tr_warn("spill %s", path);
		close(r->curfd);
		r->curfd = -1;
		unlink(path);
		free(path);
		return TR_ESYSTEM;
	}
	tr_buf_free(&u->mem);
	u->path = path;
	return TR_OK;
}

/*
 * The path that opens up (NULL, with a warning, if it cannot be made).
 * A part in memory is given one when first asked: a memfd holding its
 * bytes, named /proc/self/fd/N, which tr_proc_run() keeps open in the
 * child it names.  The upload is the request's, so it is written here
 * through the const of the accessors that hand it out.
 */
const char *
tr_upload_path(const struct tr_upload *cu)
{
	struct tr_upload	*u = (struct tr_upload *)cu;
	char			 buf[40];
	int			 fd;

	if (u->path != NULL || u->mem.ptr == NULL)
		return u->path;
	if ((fd = memfd_create("trapi-part", MFD_CLOEXEC)) == -1) {
		tr_warn("memfd_create");
		return NULL;
	}
	if (write_all(fd, u->mem.ptr, u->mem.len) != TR_OK) {
		tr_warn("write memfd");
		close(fd);
		return NULL;
	}
	u->memfd = fd;
	snprintf(buf, sizeof(buf), TR_PROC_FD "%d", fd);
	u->path = tr_xstrdup(buf);
	return u->path;
}

static enum tr_err
mp_begin(void *arg, const char *name, const char *filename, const char *ctype)
{
	struct tr_req		*r = arg;
	struct tr_upload	*u;
	enum tr_err		 er;

	if (filename == NULL) {
		r->curname = tr_xstrdup(name);
		tr_buf_init(&r->curval,
		    (size_t)tr_conf_ll("MAX_FIELD_BYTES", REQ_DEF_FIELDMAX,
		    1024, 1LL << 30));
		/* An empty field still needs a string. */
		return tr_buf_add(&r->curval, "", 0);
	}
	u = tr_xcalloc(1, sizeof(*u));
	u->memfd = -1;
	if ((er = mem_max() > 0 ? mem_part(u) : disk_part(r, &u->path)) !=
	    TR_OK) {
		free(u);
		return er;
	}
	u->field = tr_xstrdup(name);
	u->filename = tr_xstrdup(filename);
	u->ctype = tr_xstrdup(ctype);
	*r->uptail = u;
	r->uptail = &u->next;
	r->curup = u;
	return TR_OK;
}

static enum tr_err
mp_data(void *arg, const char *p, size_t n)
{
	struct tr_req	*r = arg;
	struct tr_upload *u = r->curup;
	enum tr_err	 er;

	if (u == NULL) {
		if ((er = tr_buf_add(&r->curval, p, n)) == TR_ETOOBIG)
			return tr_fail(r, er, "field '%.64s' is too large",
			    r->curname);
		return er;
	}
	if (u->mem.ptr != NULL && u->size + n > (uint64_t)mem_max() &&
	    (er = spill(r, u)) != TR_OK)
		return er;
	if (u->mem.ptr != NULL) {
		if ((er = tr_buf_add(&u->mem, p, n)) != TR_OK)
			return er;
	} else if (write_all(r->curfd, p, n) != TR_OK) {
		tr_warn("write %s", u->path);
		return TR_ESYSTEM;
	}
	u->size += (uint64_t)n;
	return TR_OK;
}

static enum tr_err
mp_end(void *arg)
{
	struct tr_req	*r = arg;
	char		*val, *name;
	size_t		 len;

	if (r->curup != NULL && r->curup->mem.ptr != NULL) {
		r->curup = NULL;
		return TR_OK;
	}
	if (r->curup != NULL) {
		if (close(r->curfd) == -1) {
			r->curfd = -1;
			tr_warn("close %s", r->curup->path);
			return TR_ESYSTEM;
		}
		r->curfd = -1;
		r->curup = NULL;
		return TR_OK;
	}
	val = tr_buf_take(&r->curval, &len);
	name = r->curname;
	r->curname = NULL;
	return addkv(r, name, strlen(name), val, len);
}

static const struct tr_mp_cb mpcb = { mp_begin, mp_data, mp_end };

static enum tr_err
mp_feed(void *arg, const char *p, size_t n)
{
	return tr_multipart_feed(arg, p, n);
}

static enum tr_err
body_multipart(struct tr_req *r)
{
	struct tr_multipart	 mp;
	char			 boundary[TR_MP_BOUNDMAX + 1];
	enum tr_err		 er;

	if (tr_multipart_boundary(r->ctype, boundary, sizeof(boundary)) != TR_OK)
		return tr_fail(r, TR_EINVAL,
		    "multipart body without a valid boundary");
	if (tr_multipart_init(&mp, boundary,
	    (size_t)tr_conf_ll("MAX_PARTS", REQ_DEF_PARTS, 1, 100000),
	    REQ_DEF_PARTHDR, &mpcb, r) != TR_OK)
		return tr_fail(r, TR_EINVAL, "bad multipart boundary");
	er = body_each(r, mp_feed, &mp);
	if (er == TR_OK)
		er = tr_multipart_finish(&mp);
	if (er != TR_OK && r->msg.len == 0)
		(void)tr_fail(r, er, "%s", mp.err[0] != '\0' ? mp.err :
		    "malformed multipart body");
	tr_multipart_free(&mp);
	return er;
}

/*
 * A raw media body (SPEC section 4: the media type in Content-Type) for
 * an endpoint that takes a file: spooled like a file part, as the
 * endpoint's first file field.  TR_EMEDIA if the endpoint takes none.
 */
static enum tr_err
body_raw(struct tr_req *r)
{
	const struct tr_field	*f = NULL;
	enum tr_err		 er;
	size_t			 i;

	for (i = 0; i < r->ep->fieldsz && f == NULL; i++)
		if (r->ep->fields[i].flags & TR_FILE)
			f = &r->ep->fields[i];
	if (f == NULL)
		return TR_EMEDIA;
	if (strpbrk(r->ctype, "\r\n") != NULL)
		return tr_fail(r, TR_EINVAL, "malformed Content-Type");
	if ((er = mp_begin(r, f->name, "", r->ctype)) != TR_OK)
		return er;
	if ((er = body_each(r, mp_data, r)) != TR_OK)
		return er;
	return mp_end(r);
}

static enum tr_kind
json_kind(struct json_object *val)
{
	switch (json_object_get_type(val)) {
	case json_type_string:
		return TR_KIND_STRING;
	case json_type_int:
	case json_type_double:
		return TR_KIND_NUMBER;
	case json_type_boolean:
		return TR_KIND_BOOL;
	default:
		return TR_KIND_STRUCT;
	}
}

/* Adds the members of a JSON object body as parameters, with their type. */
static enum tr_err
json_params(struct tr_req *r)
{
	const char	*s;
	size_t		 len;
	enum tr_err	 er;

	if (!json_object_is_type(r->json, json_type_object))
		return r->ep->fieldsz > 0 ? tr_fail(r, TR_EFIELD,
		    "the JSON body must be an object") : TR_OK;
	json_object_object_foreach(r->json, key, val) {
		if (val == NULL)
			continue;
		/* Strings keep their length: "\u0000" must reach the
		 * validators, not end the value early. */
		s = json_object_get_string(val);
		len = json_object_is_type(val, json_type_string) ?
		    (size_t)json_object_get_string_len(val) : strlen(s);
		if ((er = addkv(r, tr_xstrdup(key), strlen(key),
		    tr_xstrndup(s, len), len)) != TR_OK)
			return er == TR_ETOOBIG ?
			    tr_fail(r, TR_EINVAL, "too many JSON members") : er;
		r->kvs[r->kvsz - 1].kind = json_kind(val);
	}
	return TR_OK;
}

static int
ctype_is(const char *ctype, const char *want)
{
	size_t	 n = strlen(want);

	return strncasecmp(ctype, want, n) == 0 &&
	    (ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ');
}

/*
 * Reads and parses the body by its Content-Type.  The length is checked
 * against the endpoint's limit before the first byte is read.
 */
enum tr_err
tr__req_body(struct tr_req *r)
{
	struct tr_buf	 b;
	unsigned long long max = r->ep->body_max;
	size_t		 textmax = REQ_DEF_TEXTBODY;
	enum tr_err	 er;

	if (r->ep->body_max == TR_BODY_UPLOAD)
		max = (unsigned long long)tr_conf_ll("MAX_UPLOAD_BYTES",
		    REQ_DEF_UPLOAD, 0, 1LL << 40);

	if (!r->hasclen)
		return max > 0 && r->method != TR_METHOD_GET &&
		    r->method != TR_METHOD_HEAD && r->method != TR_METHOD_DELETE ?
		    tr_fail(r, TR_ELENGTH, "%s", tr_err_message(TR_ELENGTH)) : TR_OK;
	if (r->clen == 0)
		return TR_OK;
	if (r->clen > max)
		return tr_fail(r, TR_ETOOBIG, max == 0 ?
		    "this endpoint takes no request body" :
		    "request body of %llu bytes exceeds the limit of %llu",
		    r->clen, max);
	if (ctype_is(r->ctype, "multipart/form-data"))
		return body_multipart(r);
	if (ctype_is(r->ctype, "application/json") ||
	    ctype_is(r->ctype, "application/x-www-form-urlencoded")) {
		/* An upload endpoint's limit is for files, not text; any
		 * other's is its own (a document's transcript). */
		if (r->ep->body_max != TR_BODY_UPLOAD)
			textmax = (size_t)max;
		if (r->clen > textmax)
			return tr_fail(r, TR_ETOOBIG,
			    "a %s body is limited to %zu bytes", r->ctype,
			    textmax);
		tr_buf_init(&b, textmax);
		if ((er = body_each(r, collect, &b)) != TR_OK) {
			tr_buf_free(&b);
			return er;
		}
		if (ctype_is(r->ctype, "application/json")) {
			er = tr_json_parse(tr_buf_str(&b), b.len, textmax,
			    TR_JSON_DEPTH, &r->json);
			tr_buf_free(&b);
			if (er != TR_OK)
				return tr_fail(r, er, "the body is not valid "
				    "JSON (or nested more than %d deep)",
				    TR_JSON_DEPTH);
			return json_params(r);
		}
		er = tr_form_parse(tr_buf_str(&b), b.len, REQ_MAXPAIRS, addkv, r);
		tr_buf_free(&b);
		if (er != TR_OK)
			return tr_fail(r, TR_EINVAL, "malformed form body");
		return TR_OK;
	}
	if ((strncasecmp(r->ctype, "audio/", 6) == 0 ||
	    strncasecmp(r->ctype, "video/", 6) == 0 ||
	    ctype_is(r->ctype, "application/octet-stream")) &&
	    (er = body_raw(r)) != TR_EMEDIA)
		return er;
	return tr_fail(r, TR_EMEDIA, "unsupported Content-Type; use "
	    "application/json or multipart/form-data");
}

/* Returns the first query or body parameter of that name, or NULL. */
const char *
tr_param(const struct tr_req *r, const char *name)
{
	size_t	 i;

	for (i = 0; i < r->kvsz; i++)
		if (strcmp(r->kvs[i].key, name) == 0)
			return r->kvs[i].val;
	return NULL;
}

const struct tr_pair *
tr_field_get(const struct tr_req *r, size_t i)
{
	if (i >= r->ep->fieldsz || r->fields[i].key == NULL)
		return NULL;
	return &r->fields[i];
}

const char *
tr_str(const struct tr_req *r, size_t i)
{
	const struct tr_pair	*p = tr_field_get(r, i);

	return p != NULL ? p->val : NULL;
}

const struct tr_upload *
tr_upload_get(const struct tr_req *r, size_t i)
{
	return i < r->ep->fieldsz ? r->files[i] : NULL;
}

const struct tr_upload *
tr_uploads(const struct tr_req *r)
{
	return r->uploads;
}

struct json_object *
tr_body_json(const struct tr_req *r)
{
	return r->json;
}

/* The client's address (REMOTE_ADDR), or NULL. */
const char *
tr_remote(const struct tr_req *r)
{
	return r->remote;
}

const char *
tr_request_id(const struct tr_req *r)
{
	return r->reqid;
}

const char *
tr_path(const struct tr_req *r)
{
	return r->path;
}

/*
 * Does the request path match the endpoint's?  A pattern ending in "/" "*"
 * also matches one more non-empty segment (more, if the endpoint takes
 * subpaths), kept as the path argument.
 */
int
tr__path_match(struct tr_req *r, const struct tr_endpoint *ep)
{
	const char	*pat = ep->path;
	size_t		 n = strlen(pat);

	if (n >= 2 && strcmp(pat + n - 2, "/*") == 0) {
		if (strncmp(r->path, pat, n - 1) != 0)
			return 0;
		r->patharg = r->path + n - 1;
		return *r->patharg != '\0' && (ep->subpaths ||
		    strchr(r->patharg, '/') == NULL);
	}
	return strcmp(r->path, pat) == 0;
}

const char *
tr_patharg(const struct tr_req *r)
{
	return r->patharg;
}

enum tr_method
tr_method(const struct tr_req *r)
{
	return r->method;
}

/*
 * Sets the message for the error the caller returns; the first message
 * set wins.  Returns er, so that handlers can write
 * "return tr_fail(r, TR_EINVAL, ...)".
 */
static enum tr_err
vfail(struct tr_req *r, enum tr_err er, const char *param, const char *fmt,
    va_list ap)
{
	char	 msg[512];
	int	 n;

	if (r->msg.len > 0)
		return er;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n > 0 && tr_buf_add(&r->msg, msg, strlen(msg)) != TR_OK)
		tr_buf_init(&r->msg, 1024);
	r->errparam = param;
	return er;
}

enum tr_err
tr_fail(struct tr_req *r, enum tr_err er, const char *fmt, ...)
{
	va_list		 ap;
	enum tr_err	 ret;

	va_start(ap, fmt);
	ret = vfail(r, er, NULL, fmt, ap);
	va_end(ap);
	return ret;
}

/* tr_fail() about one input field, which OpenAI's errors name (param);
 * param must outlive the request (a field table's name). */
enum tr_err
tr_fail_param(struct tr_req *r, enum tr_err er, const char *param,
    const char *fmt, ...)
{
	va_list		 ap;
	enum tr_err	 ret;

	va_start(ap, fmt);
	ret = vfail(r, er, param, fmt, ap);
	va_end(ap);
	return ret;
}

/* Adds a response header; the value may not hold CR or LF. */
enum tr_err
tr_header(struct tr_req *r, const char *name, const char *val)
{
	if (strpbrk(name, "\r\n:") != NULL || strpbrk(val, "\r\n") != NULL)
		return TR_EINVAL;
	return tr_buf_addf(&r->hdrs, "%s: %s\r\n", name, val);
}

/* The value of the response header name set so far, a copy, or NULL. */
static char *
header_out(const struct tr_req *r, const char *name)
{
	const char	*p = r->hdrs.ptr, *end;
	size_t		 n = strlen(name);

	for (; p != NULL && *p != '\0'; p = end + 2) {
		if ((end = strstr(p, "\r\n")) == NULL)
			break;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':' && p[n + 1] == ' ')
			return tr_xstrndup(p + n + 2, (size_t)(end - p - n - 2));
	}
	return NULL;
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}

static enum tr_err
out(struct tr_req *r, const void *p, size_t n)
{
	if (n == 0)
		return TR_OK;
	if (r->job != NULL)
		return tr_buf_add(&r->job->body, p, n);
	if (r->fcgi != NULL) {
		if (FCGX_PutStr(p, (int)n, r->fcgi->out) != (int)n)
			return TR_ESYSTEM;
		return TR_OK;
	}
	if (fwrite(p, 1, n, stdout) != n)
		return TR_ESYSTEM;
	return TR_OK;
}

/* Writes the status line and headers of the one response. */
static enum tr_err
head(struct tr_req *r, int status, const char *ctype, unsigned long long len)
{
	struct tr_buf	 h;
	enum tr_err	 er;

	if (r->bare) {
		tr_warnx("a bare request has no response to write");
		return TR_ESYSTEM;
	}
	if (r->replied)
		return TR_ESYSTEM;
	r->replied = 1;
	r->status = status;
	/* A job's run keeps its reply for GET /jobs/{id}: out() adds the
	 * body to it. */
	if (r->job != NULL) {
		r->job->status = status;
		r->job->ctype = tr_xstrdup(ctype != NULL ? ctype : "");
		r->job->disposition = header_out(r, "Content-Disposition");
		return TR_OK;
	}
	tr_buf_init(&h, 64 * 1024);
	if ((er = tr_buf_addf(&h, "Status: %d %s\r\n", status,
	    reason(status))) != TR_OK ||
	    (ctype != NULL &&
	    (er = tr_buf_addf(&h, "Content-Type: %s\r\n", ctype)) != TR_OK) ||
	    (er = tr_buf_addf(&h, "Content-Length: %llu\r\n"
	    "X-Request-Id: %s\r\nCache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n%s\r\n", len, r->reqid,
	    tr_buf_str(&r->hdrs))) != TR_OK)
		return er;
	er = out(r, h.ptr, h.len);
	tr_buf_free(&h);
	return er;
}

/*
 * Writes a file as the whole response, read in chunks (a document made
 * in the request's temp dir): its length is the file's.
 */
enum tr_err
tr_reply_file(struct tr_req *r, int status, const char *ctype,
    const char *path)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	int		 fd;
	enum tr_err	 er;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		tr_warn("reply %s", path);
		if (fd != -1)
			close(fd);
		return TR_ESYSTEM;
	}
	if ((er = head(r, status, ctype, (unsigned long long)st.st_size)) !=
	    TR_OK || r->method == TR_METHOD_HEAD) {
		close(fd);
		return er;
	}
	buf = tr_xmalloc(REQ_CHUNK);
	while (er == TR_OK && (n = read(fd, buf, REQ_CHUNK)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			tr_warn("read %s", path);
			er = TR_ESYSTEM;
			break;
		}
		er = out(r, buf, (size_t)n);
	}
	free(buf);
	close(fd);
	if (r->fcgi == NULL)
		fflush(stdout);
	return er;
}

/*
 * Writes the whole response: status, headers, body (none for HEAD).
 * Only one response per request; a second call is TR_ESYSTEM.
 */
enum tr_err
tr_reply(struct tr_req *r, int status, const char *ctype, const void *body,
    size_t len)
{
	enum tr_err	 er;
	size_t		 off;
	const size_t	 chunk = 1 << 20;

	if ((er = head(r, status, ctype, len)) != TR_OK ||
	    r->method == TR_METHOD_HEAD)
		return er;
	for (off = 0; er == TR_OK && off < len; off += chunk)
		er = out(r, (const char *)body + off,
		    len - off < chunk ? len - off : chunk);
	if (r->fcgi == NULL)
		fflush(stdout);
	return er;
}

/* Writes a JSON response; the object is not consumed. */
enum tr_err
tr_reply_json(struct tr_req *r, int status, struct json_object *o)
{
	size_t		 len;
	const char	*s;

	s = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	return tr_reply(r, status, "application/json", s, len);
}

/*
 * OpenAI's error envelope, so that its SDKs raise their usual
 * exceptions; our request id travels in X-Request-Id.
 */
static struct json_object *
openai_error(enum tr_err er, const char *msg, const char *param)
{
	struct json_object	*o, *e;
	int			 st = tr_err_status(er);

	e = json_object_new_object();
	json_object_object_add(e, "message", json_object_new_string(
	    msg != NULL && *msg != '\0' ? msg : tr_err_message(er)));
	json_object_object_add(e, "type", json_object_new_string(
	    st == 401 ? "authentication_error" : st == 429 ? "rate_limit_error" :
	    st < 500 ? "invalid_request_error" : "server_error"));
	json_object_object_add(e, "param", param != NULL ?
	    json_object_new_string(param) : NULL);
	json_object_object_add(e, "code", json_object_new_string(
	    st == 401 ? "invalid_api_key" : tr_err_code(er)));
	o = json_object_new_object();
	json_object_object_add(o, "error", e);
	return o;
}

/* Writes the JSON error body for er with the message set by tr_fail(). */
enum tr_err
tr__req_error(struct tr_req *r, enum tr_err er)
{
	struct json_object	*o;
	enum tr_err		 wr;
	int			 st = tr_err_status(er);

	if (r->ep->openai_errors) {
		o = openai_error(er, tr_buf_str(&r->msg), r->errparam);
		/* OpenAI answers an upload that is not audio with 400. */
		if (er == TR_EMEDIA)
			st = 400;
	} else
		o = tr_err_body(er, tr_buf_str(&r->msg), r->reqid);
	wr = tr_reply_json(r, st, o);
	json_object_put(o);
	return wr;
}

/* A request header: "X-Api-Key" is read from HTTP_X_API_KEY. */
const char *
tr_header_in(const struct tr_req *r, const char *name)
{
	char	 env[128];
	size_t	 i;

	if (strlen(name) + 6 > sizeof(env))
		return NULL;
	memcpy(env, "HTTP_", 5);
	for (i = 0; name[i] != '\0'; i++)
		env[5 + i] = name[i] == '-' ? '_' :
		    (char)toupper((unsigned char)name[i]);
	env[5 + i] = '\0';
	return tr__req_env(r, env);
}

const struct tr_principal *
tr_principal(const struct tr_req *r)
{
	return &r->prin;
}

/* The request owns its caller: freed (and its token wiped) with it. */
void
tr__principal_free(struct tr_principal *p)
{
	json_object_put(p->claims);
	if (p->token != NULL) {
		tr_wipe(p->token, strlen(p->token));
		free(p->token);
	}
	memset(p, 0, sizeof(*p));
}
