/*
 * libFuzzer target for tr_jwt_parse() and the checks after it
 * (lib/auth/jwt.c).  The input is a token; what parses must have an alg,
 * the signed input must be the token up to its last dot, and every
 * refusal must say why.  The input is also tried as a claims object:
 * signed with tr_jwt_sign_hs256() (unless too big for a token) it must
 * parse and verify.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extern.h"

#define NOW	((time_t)1700000000)
#define ISS	"https://issuer.example/"
#define AUD	"trapi-api"
#define JWT_MAX	8192

static const char	 key[] = "fuzz-key-0123456789abcdef0123456";

static void
check(struct tr_jwt *jwt, enum tr_err er)
{
	if (er == TR_OK ? jwt->why != NULL :
	    er != TR_EUNAUTH || jwt->why == NULL)
		abort();
}

/* Parses, verifies and checks a token; returns what verification said. */
static enum tr_err
token(const char *tok)
{
	struct tr_jwt	 jwt;
	enum tr_err	 er, ver;

	er = tr_jwt_parse(tok, &jwt);
	check(&jwt, er);
	if (er != TR_OK) {
		tr_jwt_free(&jwt);
		return er;
	}
	if (jwt.alg == NULL || jwt.header == NULL || jwt.claims == NULL ||
	    !json_object_is_type(jwt.header, json_type_object) ||
	    !json_object_is_type(jwt.claims, json_type_object) ||
	    jwt.input == NULL || jwt.inputsz != strlen(jwt.input) ||
	    strncmp(jwt.input, tok, jwt.inputsz) != 0 ||
	    tok[jwt.inputsz] != '.' ||
	    strchr(tok + jwt.inputsz + 1, '.') != NULL)
		abort();

	ver = tr_jwt_verify_hs256(&jwt, key, sizeof(key) - 1);
	check(&jwt, ver);
	if (ver == TR_OK && strcmp(jwt.alg, "HS256") != 0)
		abort();
	er = tr_jwt_verify_rs256(&jwt, NULL);
	if (er != TR_EUNAUTH)
		abort();
	jwt.why = NULL;

	er = tr_jwt_check(&jwt, ISS, AUD, 60, NOW);
	check(&jwt, er);
	jwt.why = NULL;
	er = tr_jwt_check(&jwt, NULL, NULL, 0, NOW);
	check(&jwt, er);
	tr_jwt_free(&jwt);
	return ver;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*claims = NULL;
	char			*tok, *signed_tok;

	tok = malloc(size + 1);
	if (tok == NULL)
		return 0;
	memcpy(tok, data, size);
	tok[size] = '\0';
	(void)token(tok);
	free(tok);

	/* Our own tokens of any claims object verify. */
	if (tr_json_parse((const char *)data, size, JWT_MAX, 8,
	    &claims) != TR_OK)
		return 0;
	if (claims == NULL || !json_object_is_type(claims, json_type_object)) {
		json_object_put(claims);
		return 0;
	}
	/* Claims too big for a token are refused, else it verifies. */
	switch (tr_jwt_sign_hs256(claims, key, sizeof(key) - 1, &signed_tok)) {
	case TR_OK:
		if (strlen(signed_tok) > JWT_MAX ||
		    token(signed_tok) != TR_OK)
			abort();
		free(signed_tok);
		break;
	case TR_ETOOBIG:
		break;
	default:
		abort();
	}
	json_object_put(claims);
	return 0;
}
