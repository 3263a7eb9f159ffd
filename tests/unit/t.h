/*
 * A header-only test framework for the unit tests: each check that fails
 * prints where and what, and the program exits 1 at once.
 */
#ifndef T_H
#define T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#endif /* T_H */
