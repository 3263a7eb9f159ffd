/*
 * Test-only endpoint, POST /test/upload: parses a body through the
 * shared request layer and reports what it saw (fields, spooled files
 * with their size and SHA-256, the request's temp dir) and the process's
 * peak RSS, so that the end-to-end tests can check the multipart parser
 * through a real web server.  Not installed.
 */
#include <sys/resource.h>

#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"

static int
filesum(const char *path, char out[65])
{
	EVP_MD_CTX	*ctx;
	unsigned char	 md[32], *buf;
	unsigned int	 mdlen = sizeof(md);
	ssize_t		 n;
	int		 fd, ok = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	buf = tr_xmalloc(1 << 16);
	ctx = EVP_MD_CTX_new();
	if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		while ((n = read(fd, buf, 1 << 16)) > 0)
			EVP_DigestUpdate(ctx, buf, (size_t)n);
		ok = n == 0 && EVP_DigestFinal_ex(ctx, md, &mdlen);
	}
	EVP_MD_CTX_free(ctx);
	free(buf);
	close(fd);
	if (ok)
		tr_hex(md, 32, out);
	return ok;
}

static enum tr_err
handle(struct tr_req *r)
{
	struct json_object	*o, *files, *f, *fields;
	const struct tr_upload	*u;
	struct rusage		 ru;
	char			 sum[65], dir[4096];
	const char		*slash, *path;
	enum tr_err		 er;
	size_t			 i;

	o = json_object_new_object();
	fields = json_object_new_object();
	for (i = 0; i < r->kvsz; i++)
		json_object_object_add(fields, r->kvs[i].key,
		    json_object_new_string_len(r->kvs[i].val,
		    (int)r->kvs[i].valsz));
	json_object_object_add(o, "fields", fields);
	files = json_object_new_array();
	dir[0] = '\0';
	for (u = tr_uploads(r); u != NULL; u = u->next) {
		f = json_object_new_object();
		json_object_object_add(f, "field", json_object_new_string(u->field));
		json_object_object_add(f, "filename",
		    json_object_new_string(u->filename));
		json_object_object_add(f, "content_type",
		    json_object_new_string(u->ctype));
		json_object_object_add(f, "size", json_object_new_int64(
		    (int64_t)u->size));
		json_object_object_add(f, "on_disk",
		    json_object_new_boolean(u->mem.ptr == NULL));
		/* What a provider that reads a file would read. */
		if ((path = tr_upload_path(u)) == NULL)
			return tr_fail(r, TR_ESYSTEM, "no path");
		if (filesum(path, sum))
			json_object_object_add(f, "sha256",
			    json_object_new_string(sum));
		json_object_array_add(files, f);
		if ((slash = strrchr(path, '/')) != NULL &&
		    (size_t)(slash - path) < sizeof(dir)) {
			memcpy(dir, path, (size_t)(slash - path));
			dir[slash - path] = '\0';
		}
	}
	json_object_object_add(o, "files", files);
	json_object_object_add(o, "tmpdir", json_object_new_string(dir));
	getrusage(RUSAGE_SELF, &ru);
	json_object_object_add(o, "maxrss_kb", json_object_new_int64(ru.ru_maxrss));
	json_object_object_add(o, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(o, "content_length", json_object_new_string(
	    tr__req_env(r, "CONTENT_LENGTH") ? tr__req_env(r, "CONTENT_LENGTH") : "(none)"));
	er = tr_reply_json(r, 200, o);
	json_object_put(o);
	return er;
}

static const struct tr_endpoint ep = {
	.path = "/test/upload", .methods = TR_POST, .auth = TR_AUTH_NONE,
	.body_max = TR_BODY_UPLOAD, .handler = handle,
};

int
main(void)
{
	return tr_serve(&ep);
}
