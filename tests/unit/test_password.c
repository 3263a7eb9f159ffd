/*
 * Unit tests of lib/auth/password.c: the seed's password rules and the
 * yescrypt hash and check.  Each hash costs tens of milliseconds, so
 * only a few are made.
 */
#include <stdlib.h>
#include <string.h>

#include "tr.h"
#include "t.h"

#define PW_MAX	1024

static const char	 short_msg[] =
    "password must be at least 8 characters";
static const char	 class_msg[] =
    "password must contain a letter and a digit";
static const char	 long_msg[] = "password is too long";

static const struct {
	const char	*pw;
	const char	*want;	/* NULL: acceptable */
} weak[] = {
	{ "abcdefg1", NULL },
	{ "1abcdefg", NULL },
	{ "ABCDEFG1", NULL },
	{ "Passw0rd", NULL },
	{ "a1234567", NULL },
	{ "Z0000000", NULL },
	{ "correct horse battery 9", NULL },
	{ "p4ss word with spaces", NULL },
	{ "!!!!a!!1", NULL },
	{ "caf\xc3\xa9-caf\xc3\xa9-1", NULL },
	{ "", short_msg },
	{ "a1", short_msg },
	{ "abcdef1", short_msg },
	{ "\xc3\xa9\xc3\xa9\xc3\xa9" "1", short_msg },	/* 7 bytes */
	{ "abcdefgh", class_msg },
	{ "ABCDEFGHIJ", class_msg },
	{ "12345678", class_msg },
	{ "!@#$%^&*()", class_msg },
	{ "        ", class_msg },
	{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" "1", class_msg },
	{ "________1", class_msg },
};

static void
test_weak(void)
{
	char	*pw;
	size_t	 i;

	for (i = 0; i < T_NELEM(weak); i++)
		T_STREQ(tr_password_weak(weak[i].pw), weak[i].want);

	/* The upper bound. */
	pw = tr_xmalloc(PW_MAX + 2);
	memset(pw, 'a', PW_MAX + 1);
	pw[0] = '1';
	pw[PW_MAX] = '\0';
	T(tr_password_weak(pw) == NULL);
	pw[PW_MAX] = 'a';
	pw[PW_MAX + 1] = '\0';
	T_STREQ(tr_password_weak(pw), long_msg);
	memset(pw, 'a', PW_MAX + 1);		/* long wins over classes */
	T_STREQ(tr_password_weak(pw), long_msg);
	free(pw);
}

static void
test_hash(void)
{
	static const char	 pw[] = "correct horse 1";
	char			*h1 = NULL, *h2 = NULL, *h3 = NULL, *big;
	size_t			 len;

	T(tr_password_hash(pw, &h1) == TR_OK);
	T(tr_password_hash(pw, &h2) == TR_OK);
	T(h1 != NULL && h2 != NULL);
	T(strncmp(h1, "$y$", 3) == 0);
	T(strncmp(h2, "$y$", 3) == 0);
	T(strcmp(h1, h2) != 0);			/* salted */
	T(strstr(h1, pw) == NULL);

	T(tr_password_check(pw, h1) == 1);
	T(tr_password_check(pw, h2) == 1);
	T(tr_password_check("correct horse 2", h1) == 0);
	T(tr_password_check("", h1) == 0);

	/* Malformed hashes never match and cost nothing. */
	T(tr_password_check(pw, NULL) == 0);
	T(tr_password_check(pw, "") == 0);
	T(tr_password_check(pw, "x") == 0);
	T(tr_password_check(pw, "$y$") == 0);
	T(tr_password_check(pw, "$1$abc") == 0);
	T(tr_password_check(pw, "*0") == 0);
	T(tr_password_check(pw, "!") == 0);
	T(tr_password_check(pw, pw) == 0);

	/* A truncated or altered hash does not match. */
	len = strlen(h1);
	h3 = tr_xstrndup(h1, len - 1);
	T(tr_password_check(pw, h3) == 0);
	free(h3);
	h3 = tr_xstrdup(h1);
	h3[len - 1] = h3[len - 1] == 'A' ? 'B' : 'A';
	T(tr_password_check(pw, h3) == 0);
	free(h3);

	/* Over the maximum: neither hashed nor checked. */
	big = tr_xmalloc(PW_MAX + 2);
	memset(big, 'a', PW_MAX + 1);
	big[PW_MAX + 1] = '\0';
	h3 = NULL;
	T(tr_password_hash(big, &h3) == TR_EINVAL);
	T(h3 == NULL);
	T(tr_password_check(big, h1) == 0);
	free(big);

	free(h1);
	free(h2);
}

int
main(void)
{
	test_weak();
	test_hash();
	return 0;
}
