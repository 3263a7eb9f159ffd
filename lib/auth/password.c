/*
 * Passwords: the seed's rules (8 or more characters, a letter and a
 * digit) and a slow salted hash from libcrypt (yescrypt, "$y$").
 */
#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include "tr.h"

#define PW_MIN	8
#define PW_MAX	1024

/* Returns NULL if acceptable, else what is wrong, for the client. */
const char *
tr_password_weak(const char *pw)
{
	size_t		 len = strlen(pw), i;
	int		 letter = 0, digit = 0;

	if (len < PW_MIN)
		return "password must be at least 8 characters";
	if (len > PW_MAX)
		return "password is too long";
	for (i = 0; i < len; i++) {
		if ((pw[i] >= 'a' && pw[i] <= 'z') || (pw[i] >= 'A' && pw[i] <= 'Z'))
			letter = 1;
		else if (pw[i] >= '0' && pw[i] <= '9')
			digit = 1;
	}
	if (!letter || !digit)
		return "password must contain a letter and a digit";
	return NULL;
}

/* Hashes pw with a fresh salt.  Returns a malloced "$y$..." string. */
enum tr_err
tr_password_hash(const char *pw, char **out)
{
	struct crypt_data	*cd;
	char			 salt[CRYPT_GENSALT_OUTPUT_SIZE];
	enum tr_err		 er = TR_ESYSTEM;

	if (strlen(pw) > PW_MAX)
		return TR_EINVAL;
	cd = tr_xcalloc(1, sizeof(*cd));
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) != NULL &&
	    crypt_rn(pw, salt, cd, sizeof(*cd)) != NULL &&
	    cd->output[0] == '$') {
		*out = tr_xstrdup(cd->output);
		er = TR_OK;
	}
	tr_wipe(cd, sizeof(*cd));
	free(cd);
	return er;
}

/*
 * Checks pw against a stored hash in constant time.  A NULL or
 * malformed hash never matches.  Returns 1 on a match.
 */
int
tr_password_check(const char *pw, const char *hash)
{
	struct crypt_data	*cd;
	size_t			 n;
	int			 ok = 0;

	if (hash == NULL || hash[0] != '$' || strlen(pw) > PW_MAX)
		return 0;
	cd = tr_xcalloc(1, sizeof(*cd));
	if (crypt_rn(pw, hash, cd, sizeof(*cd)) != NULL &&
	    cd->output[0] == '$' && (n = strlen(cd->output)) == strlen(hash))
		ok = tr_memeq_ct(cd->output, hash, n);
	tr_wipe(cd, sizeof(*cd));
	free(cd);
	return ok;
}
