/*
 * A header-only test framework for the unit tests: each check that fails
 * prints where and what, and the program exits 1 at once.
 */
#ifndef T_H
#define T_H

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T(cond) do {							\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: assertion failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		exit(1);						\
	}								\
} while (0)

/* Two strings, either of which may be NULL, are equal. */
#define T_STREQ(a, b) do {						\
	const char *t_a_ = (a), *t_b_ = (b);				\
	if (t_a_ == NULL || t_b_ == NULL ? t_a_ != t_b_ :		\
	    strcmp(t_a_, t_b_) != 0) {					\
		fprintf(stderr, "%s:%d: assertion failed: %s == %s "	\
		    "(\"%s\" != \"%s\")\n", __FILE__, __LINE__, #a, #b,	\
		    t_a_ != NULL ? t_a_ : "(null)",			\
		    t_b_ != NULL ? t_b_ : "(null)");			\
		exit(1);						\
	}								\
} while (0)

/* Two byte ranges of the given sizes are equal. */
#define T_MEMEQ(a, asz, b, bsz) do {					\
	size_t t_asz_ = (asz), t_bsz_ = (bsz);				\
	if (t_asz_ != t_bsz_ ||						\
	    (t_asz_ > 0 && memcmp((a), (b), t_asz_) != 0)) {		\
		fprintf(stderr, "%s:%d: assertion failed: %s == %s "	\
		    "(%zu and %zu bytes)\n", __FILE__, __LINE__, #a,	\
		    #b, t_asz_, t_bsz_);				\
		exit(1);						\
	}								\
} while (0)

#define T_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * What a test needs from the machine: a program (looked up in PATH) or,
 * when the name has a '/', a file or directory that must exist.  One
 * that is missing ends the test as skipped (exit T_SKIPPED, which run.sh
 * reports as "skip") on a developer's machine, but fails it when CI is
 * set: CI installs every tool, so a skip there would hide a broken
 * install step.  The end-to-end tests' need() keeps the same rule.
 */
#define T_SKIPPED	77
#define T_NEED(what, why)	t_need(__FILE__, __LINE__, (what), (why))

/* CI is set to anything but "", "0" or "false". */
static inline int
t_ci(void)
{
	const char	*ci = getenv("CI");

	return ci != NULL && *ci != '\0' && strcmp(ci, "0") != 0 &&
	    strcmp(ci, "false") != 0;
}

static inline int
t_present(const char *what)
{
	const char	*path = getenv("PATH"), *p, *e;
	char		 f[1024];
	struct stat	 st;

	if (strchr(what, '/') != NULL)
		return stat(what, &st) == 0;
	if (path == NULL)
		path = "/usr/bin:/bin";
	for (p = path; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		if ((e = strchr(p, ':')) == NULL)
			e = p + strlen(p);
		if ((size_t)snprintf(f, sizeof(f), "%.*s/%s", (int)(e - p), p,
		    what) < sizeof(f) && access(f, X_OK) == 0)
			return 1;
	}
	return 0;
}

static inline void
t_need(const char *file, int line, const char *what, const char *why)
{
	if (t_present(what))
		return;
	if (t_ci()) {
		fprintf(stderr, "%s:%d: needs %s (%s), which is missing, and "
		    "CI is set: every tool must be installed there\n", file,
		    line, what, why);
		exit(1);
	}
	printf("skipped: needs %s (%s)\n", what, why);
	exit(T_SKIPPED);
}

#endif /* T_H */
