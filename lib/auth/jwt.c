/*
 * JSON Web Tokens (RFC 7519) in compact JWS form (RFC 7515): parsing
 * with limits, HS256 signing and verification for our own tokens, RS256
 * verification for Auth0's, and the registered claim checks.
 *
 * Hand-written over OpenSSL rather than on Debian's libjwt 1.10, whose
 * jwt_decode() verifies with whatever algorithm the token names: handing
 * it an RSA public key lets an HS256 token signed with that key as the
 * secret pass.  Here the caller says which algorithm it accepts, and
 * nothing else is tried.
 */
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "extern.h"

#define JWT_MAX		8192

static enum tr_err
seg_json(const char *p, size_t len, struct json_object **out)
{
	struct tr_buf	 b;
	enum tr_err	 er;

	tr_buf_init(&b, JWT_MAX);
	if ((er = tr_b64_decode(&b, p, len, 1)) != TR_OK) {
		tr_buf_free(&b);
		return TR_EUNAUTH;
	}
	er = tr_json_parse(tr_buf_str(&b), b.len, JWT_MAX, 8, out);
	tr_buf_free(&b);
	if (er != TR_OK || !json_object_is_type(*out, json_type_object)) {
		if (er == TR_OK) {
			/* The caller's tr_jwt_free() puts *out again. */
			json_object_put(*out);
			*out = NULL;
		}
		return TR_EUNAUTH;
	}
	return TR_OK;
}

/*
 * Splits and decodes a compact token.  Returns TR_EUNAUTH with jwt->why
 * set if it is malformed; the caller frees jwt with tr_jwt_free()
 * either way.
 */
enum tr_err
tr_jwt_parse(const char *tok, struct tr_jwt *jwt)
{
	const char	*d1, *d2, *s;
	size_t		 len = strlen(tok);
	struct json_object *v;

	memset(jwt, 0, sizeof(*jwt));
	tr_buf_init(&jwt->sig, 1024);
	jwt->why = "malformed token";
	if (len == 0 || len > JWT_MAX)
		return TR_EUNAUTH;
	for (s = tok; *s != '\0'; s++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789-_.", *s) == NULL)
			return TR_EUNAUTH;
	if ((d1 = strchr(tok, '.')) == NULL ||
	    (d2 = strchr(d1 + 1, '.')) == NULL || strchr(d2 + 1, '.') != NULL)
		return TR_EUNAUTH;
	if (seg_json(tok, (size_t)(d1 - tok), &jwt->header) != TR_OK ||
	    seg_json(d1 + 1, (size_t)(d2 - d1 - 1), &jwt->claims) != TR_OK ||
	    tr_b64_decode(&jwt->sig, d2 + 1, strlen(d2 + 1), 1) != TR_OK)
		return TR_EUNAUTH;
	jwt->input = tr_xstrndup(tok, (size_t)(d2 - tok));
	jwt->inputsz = (size_t)(d2 - tok);
	if (!json_object_object_get_ex(jwt->header, "alg", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) !=
	    (size_t)json_object_get_string_len(v)) {
		jwt->why = "token without alg";
		return TR_EUNAUTH;
	}
	jwt->alg = json_object_get_string(v);
	jwt->kid = tr_json_str(jwt->header, "kid");
	jwt->why = NULL;
	return TR_OK;
}

void
tr_jwt_free(struct tr_jwt *jwt)
{
	json_object_put(jwt->header);
	json_object_put(jwt->claims);
	free(jwt->input);
	tr_buf_free(&jwt->sig);
	memset(jwt, 0, sizeof(*jwt));
}

/* Verifies an HS256 signature; any other alg is refused. */
enum tr_err
tr_jwt_verify_hs256(struct tr_jwt *jwt, const void *key, size_t keylen)
{
	unsigned char	 mac[TR_SHA256_LEN];
	enum tr_err	 er;

	if (strcmp(jwt->alg, "HS256") != 0) {
		jwt->why = "token algorithm not accepted";
		return TR_EUNAUTH;
	}
	if ((er = tr_hmac_sha256(key, keylen, jwt->input, jwt->inputsz,
	    mac)) != TR_OK)
		return er;
	if (jwt->sig.len != sizeof(mac) ||
	    !tr_memeq_ct(mac, jwt->sig.ptr, sizeof(mac))) {
		jwt->why = "invalid token signature";
		return TR_EUNAUTH;
	}
	return TR_OK;
}

/* Verifies an RS256 signature with an RSA public key of 2048+ bits. */
enum tr_err
tr_jwt_verify_rs256(struct tr_jwt *jwt, EVP_PKEY *pkey)
{
	EVP_MD_CTX	*ctx;
	int		 ok;

	if (strcmp(jwt->alg, "RS256") != 0) {
		jwt->why = "token algorithm not accepted";
		return TR_EUNAUTH;
	}
	if (pkey == NULL || !EVP_PKEY_is_a(pkey, "RSA") ||
	    EVP_PKEY_get_bits(pkey) < 2048) {
		jwt->why = "unusable signing key";
		return TR_EUNAUTH;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return TR_ENOMEM;
	ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pkey) == 1 &&
	    EVP_DigestVerify(ctx, (const unsigned char *)jwt->sig.ptr,
	    jwt->sig.len, (const unsigned char *)jwt->input, jwt->inputsz) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		jwt->why = "invalid token signature";
		return TR_EUNAUTH;
	}
	return TR_OK;
}

static int
num_claim(const struct tr_jwt *jwt, const char *name, int64_t *out)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(jwt->claims, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return -1;
	*out = json_object_get_int64(v);
	return 1;
}

static int
aud_matches(struct json_object *aud, const char *want)
{
	size_t	 i, n;

	if (json_object_is_type(aud, json_type_string))
		return strcmp(json_object_get_string(aud), want) == 0;
	if (!json_object_is_type(aud, json_type_array))
		return 0;
	n = json_object_array_length(aud);
	for (i = 0; i < n; i++)
		if (json_object_is_type(json_object_array_get_idx(aud, i),
		    json_type_string) && strcmp(json_object_get_string(
		    json_object_array_get_idx(aud, i)), want) == 0)
			return 1;
	return 0;
}

/*
 * Checks exp (required), nbf and iat (if present) against now with a
 * leeway in seconds, and iss and aud when expected values are given.
 */
enum tr_err
tr_jwt_check(struct tr_jwt *jwt, const char *iss, const char *aud,
    long leeway, time_t now)
{
	struct json_object	*v;
	const char		*s;
	int64_t			 t;
	int			 rc;

	if ((rc = num_claim(jwt, "exp", &t)) != 1) {
		jwt->why = rc == 0 ? "token without expiry" : "malformed exp";
		return TR_EUNAUTH;
	}
	if (t < now - leeway) {		/* t + leeway may overflow */
		jwt->why = "token expired";
		return TR_EUNAUTH;
	}
	if ((rc = num_claim(jwt, "nbf", &t)) == -1 ||
	    (rc == 1 && now + leeway < t)) {
		jwt->why = "token not yet valid";
		return TR_EUNAUTH;
	}
	if ((rc = num_claim(jwt, "iat", &t)) == -1 ||
	    (rc == 1 && now + leeway < t)) {
		jwt->why = "token issued in the future";
		return TR_EUNAUTH;
	}
	if (iss != NULL && ((s = tr_json_str(jwt->claims, "iss")) == NULL ||
	    strcmp(s, iss) != 0)) {
		jwt->why = "wrong token issuer";
		return TR_EUNAUTH;
	}
	if (aud != NULL && (!json_object_object_get_ex(jwt->claims, "aud", &v) ||
	    !aud_matches(v, aud))) {
		jwt->why = "wrong token audience";
		return TR_EUNAUTH;
	}
	return TR_OK;
}

/* Signs claims with HS256.  Returns the compact token, malloced. */
enum tr_err
tr_jwt_sign_hs256(struct json_object *claims, const void *key, size_t keylen,
    char **out)
{
	static const char	 hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	unsigned char		 mac[TR_SHA256_LEN];
	const char		*c;
	struct tr_buf		 b;
	enum tr_err		 er;

	c = json_object_to_json_string_ext(claims, JSON_C_TO_STRING_PLAIN);
	tr_buf_init(&b, JWT_MAX);
	if ((er = tr_b64url_encode(&b, hdr, sizeof(hdr) - 1)) != TR_OK ||
	    (er = tr_buf_add(&b, ".", 1)) != TR_OK ||
	    (er = tr_b64url_encode(&b, c, strlen(c))) != TR_OK ||
	    (er = tr_hmac_sha256(key, keylen, b.ptr, b.len, mac)) != TR_OK ||
	    (er = tr_buf_add(&b, ".", 1)) != TR_OK ||
	    (er = tr_b64url_encode(&b, mac, sizeof(mac))) != TR_OK) {
		tr_buf_free(&b);
		return er;
	}
	*out = tr_buf_take(&b, NULL);
	return TR_OK;
}
