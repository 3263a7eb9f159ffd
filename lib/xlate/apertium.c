/*
 * The offline engine: Apertium, run by argv with a timeout, never a
 * shell.  Its pairs are the modes installed (APERTIUM_MODES_DIR, one
 * "eng-spa.mode" file each; regional variants and other tools' modes
 * are left out); a pair not installed but reachable through one pivot
 * language (en -> es -> it) runs both steps and says so.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xlate.h"

#define AP_MAXPAIRS	64
#define AP_MAXOUT	(16 * 1024 * 1024)	/* one run's output */

struct	appair {
	const char	*src, *dst;	/* our tags */
	char		 mode[32];	/* "eng-spa" */
};

/* One side of a mode name: "eng" or "es", as our tag. */
static const char *
side(const char *s, size_t n)
{
	const struct tr_lang	*l;
	char			 b[8];

	if (n == 0 || n >= sizeof(b))
		return NULL;
	memcpy(b, s, n);
	b[n] = '\0';
	if ((l = n == 3 ? tr_lang_iso3(b) : tr_lang(b)) == NULL)
		return NULL;
	return l->code;
}

/* The installed pairs, read from the modes directory. */
static size_t
pairs(struct appair *p, size_t max)
{
	DIR		*d;
	struct dirent	*e;
	const char	*dash, *a, *b;
	size_t		 n = 0, len;

	if ((d = opendir(tr_conf_def("APERTIUM_MODES_DIR",
	    "/usr/share/apertium/modes"))) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < max) {
		len = strlen(e->d_name);
		if (len < 6 || len - 5 >= sizeof(p[n].mode) ||
		    strcmp(e->d_name + len - 5, ".mode") != 0)
			continue;
		len -= 5;
		if ((dash = memchr(e->d_name, '-', len)) == NULL ||
		    memchr(dash + 1, '-', len - (size_t)(dash - e->d_name) - 1))
			continue;
		a = side(e->d_name, (size_t)(dash - e->d_name));
		b = side(dash + 1, len - (size_t)(dash - e->d_name) - 1);
		if (a == NULL || b == NULL || strcmp(a, b) == 0)
			continue;
		p[n].src = a;
		p[n].dst = b;
		snprintf(p[n].mode, sizeof(p[n].mode), "%.*s", (int)len,
		    e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static const struct appair *
direct(const struct appair *p, size_t n, const char *a, const char *b)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(p[i].src, a) == 0 && strcmp(p[i].dst, b) == 0)
			return &p[i];
	return NULL;
}

/* The pivot between a and b, if a -> x -> b is installed. */
static const char *
pivot(const struct appair *p, size_t n, const char *a, const char *b)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(p[i].src, a) == 0 && strcmp(p[i].dst, b) != 0 &&
		    direct(p, n, p[i].dst, b) != NULL)
			return p[i].dst;
	return NULL;
}

static struct json_object *
languages(void)
{
	static const char *const tags[] = { "ca", "de", "en", "es", "fr", "it",
	    "nl", "pt", "ro" };
	struct appair		 p[AP_MAXPAIRS];
	struct json_object	*o, *arr, *e;
	const char		*v;
	size_t			 n = pairs(p, AP_MAXPAIRS), i, j;

	arr = json_object_new_array();
	for (i = 0; i < n; i++) {
		e = json_object_new_object();
		json_object_object_add(e, "source", json_object_new_string(p[i].src));
		json_object_object_add(e, "target", json_object_new_string(p[i].dst));
		json_object_array_add(arr, e);
	}
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		for (j = 0; j < sizeof(tags) / sizeof(tags[0]); j++) {
			if (i == j || direct(p, n, tags[i], tags[j]) != NULL ||
			    (v = pivot(p, n, tags[i], tags[j])) == NULL)
				continue;
			e = json_object_new_object();
			json_object_object_add(e, "source",
			    json_object_new_string(tags[i]));
			json_object_object_add(e, "target",
			    json_object_new_string(tags[j]));
			json_object_object_add(e, "pivot", json_object_new_string(v));
			json_object_array_add(arr, e);
		}
	o = json_object_new_object();
	json_object_object_add(o, "pairs", arr);
	return o;
}

static enum tr_err
pair(struct tr_xjob *job, char *why, size_t sz)
{
	struct appair		 p[AP_MAXPAIRS];
	struct json_object	*root, *l;
	size_t			 n = pairs(p, AP_MAXPAIRS), i;
	struct tr_buf		 b;

	job->pivot = NULL;
	if (job->source == NULL) {
		snprintf(why, sz, "the local engine cannot detect the language:"
		    " source_language is required");
		return TR_EFIELD;
	}
	if (direct(p, n, job->source, job->target) != NULL)
		return TR_OK;
	if ((job->pivot = pivot(p, n, job->source, job->target)) != NULL)
		return TR_OK;
	/* "en-es, es-en, ...": what is installed, and through a pivot */
	root = languages();
	tr_buf_init(&b, sz);
	json_object_object_get_ex(root, "pairs", &l);
	for (i = 0; i < json_object_array_length(l); i++)
		if (tr_buf_addf(&b, "%s%s-%s", i ? ", " : "",
		    tr_json_str(json_object_array_get_idx(l, i), "source"),
		    tr_json_str(json_object_array_get_idx(l, i), "target")) != TR_OK)
			break;
	snprintf(why, sz, "the local engine has no %s-%s pair; it has: %s",
	    job->source, job->target, tr_buf_str(&b) ? tr_buf_str(&b) : "none");
	tr_buf_free(&b);
	json_object_put(root);
	return TR_EFIELD;
}

static unsigned int	 seq;	/* temp files made by this process */

/* Runs one mode on [s, s+n): *out its output, a new string. */
static enum tr_err
run(struct tr_xjob *job, const char *mode, const char *s, size_t n,
    char **out)
{
	char		 path[4200];
	char		*argv[] = { "apertium", "-u", "-f", "txt", NULL, path, NULL };
	struct tr_buf	 b;
	int		 fd, st;
	ssize_t		 w;
	enum tr_err	 er;

	argv[4] = (char *)mode;
	snprintf(path, sizeof(path), "%s.%u", job->tmpbase,
	    __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1)
		return job->er = TR_ESYSTEM;
	w = write(fd, s, n);
	if (close(fd) == -1 || w != (ssize_t)n) {
		unlink(path);
		return job->er = TR_ESYSTEM;
	}
	tr_buf_init(&b, AP_MAXOUT);
	er = tr_proc_run(argv, tr_conf_ll("APERTIUM_TIMEOUT", 60, 1,
	    TR_PROV_MAXSECS) * 1000, &b, &st);
	unlink(path);
	if (er != TR_OK) {
		tr_buf_free(&b);
		snprintf(job->msg, sizeof(job->msg), "apertium %s %s", mode,
		    er == TR_ETIMEOUT ? "ran out of time" : "failed");
		return job->er = er;
	}
	/* apertium ends its output with the newline it was given */
	while (b.len > 0 && (b.ptr[b.len - 1] == '\n' || b.ptr[b.len - 1] == ' '))
		b.ptr[--b.len] = '\0';
	*out = b.len > 0 ? tr_buf_take(&b, NULL) : tr_xstrdup("");
	tr_buf_free(&b);
	return TR_OK;
}

static enum tr_err
translate(struct tr_xjob *job, const char *s, size_t n, char **out)
{
	struct appair		 p[AP_MAXPAIRS];
	const struct appair	*a, *b;
	size_t			 np = pairs(p, AP_MAXPAIRS);
	char			*mid;
	enum tr_err		 er;

	job->characters += (long long)tr_split_cost(s, n, TR_UNIT_CHARS);
	if (job->pivot == NULL) {
		if ((a = direct(p, np, job->source, job->target)) == NULL)
			return job->er = TR_EFIELD;
		return run(job, a->mode, s, n, out);
	}
	if ((a = direct(p, np, job->source, job->pivot)) == NULL ||
	    (b = direct(p, np, job->pivot, job->target)) == NULL)
		return job->er = TR_EFIELD;
	if ((er = run(job, a->mode, s, n, &mid)) != TR_OK)
		return er;
	er = run(job, b->mode, mid, strlen(mid), out);
	free(mid);
	return er;
}

const struct tr_engine tr_xl_local = {
	.name = "local", .model = "apertium", .costvar = "TRANSLATE_COST_LOCAL",
	.cost = 0, .unit = TR_UNIT_CHARS, .limitvar = "APERTIUM_CHUNK_CHARS",
	.limit = 20000, .pair = pair, .languages = languages,
	.translate = translate,
};
