/*
 * Unit tests of lib/auth/jwt.c and of the JWK conversion of lib/auth/jwks.c:
 * HS256 tokens signed and verified, malformed tokens and the reasons
 * they are refused, algorithm confusion, the registered claims, and
 * RS256 tokens signed here with freshly generated RSA keys.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "extern.h"
#include "t.h"

#define NOW	((time_t)1700000000)
#define LEEWAY	60L
#define ISS	"https://issuer.example/"
#define AUD	"trapi-api"

static const char	 key[] = "0123456789abcdef0123456789abcdef";
static const char	 hs_hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
static const char	 rs_hdr[] =
    "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"key-1\"}";
static const char	 good[] =
    "{\"sub\":\"42\",\"iss\":\"" ISS "\",\"aud\":\"" AUD "\","
    "\"iat\":1700000000,\"exp\":1700000900}";

/* The base64url form of a string, malloced. */
static char *
b64(const void *p, size_t len)
{
	struct tr_buf	 b;

	tr_buf_init(&b, 1024 * 1024);
	T(tr_b64url_encode(&b, p, len) == TR_OK);
	return tr_buf_take(&b, NULL);
}

static char *
b64s(const char *s)
{
	return b64(s, strlen(s));
}

/*
 * A token of the given header and payload texts, signed with HMAC-SHA256
 * whatever the header says; with an empty signature if key is NULL.
 */
static char *
mktok(const char *hdr, const char *payload, const void *k, size_t klen)
{
	unsigned char	 mac[TR_SHA256_LEN];
	struct tr_buf	 b;

	tr_buf_init(&b, 1024 * 1024);
	T(tr_b64url_encode(&b, hdr, strlen(hdr)) == TR_OK);
	T(tr_buf_add(&b, ".", 1) == TR_OK);
	T(tr_b64url_encode(&b, payload, strlen(payload)) == TR_OK);
	if (k != NULL)
		T(tr_hmac_sha256(k, klen, b.ptr, b.len, mac) == TR_OK);
	T(tr_buf_add(&b, ".", 1) == TR_OK);
	if (k != NULL)
		T(tr_b64url_encode(&b, mac, sizeof(mac)) == TR_OK);
	return tr_buf_take(&b, NULL);
}

static char *
mktok_hs(const char *payload)
{
	return mktok(hs_hdr, payload, key, sizeof(key) - 1);
}

/* A token signed with RSASSA-PKCS1-v1_5 SHA-256 by pkey. */
static char *
mktok_rs(const char *hdr, const char *payload, EVP_PKEY *pkey)
{
	unsigned char	 sig[1024];
	size_t		 siglen = sizeof(sig);
	struct tr_buf	 b;
	EVP_MD_CTX	*ctx;

	tr_buf_init(&b, 1024 * 1024);
	T(tr_b64url_encode(&b, hdr, strlen(hdr)) == TR_OK);
	T(tr_buf_add(&b, ".", 1) == TR_OK);
	T(tr_b64url_encode(&b, payload, strlen(payload)) == TR_OK);
	T((ctx = EVP_MD_CTX_new()) != NULL);
	T(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) == 1);
	T(EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)b.ptr,
	    b.len) == 1);
	EVP_MD_CTX_free(ctx);
	T(tr_buf_add(&b, ".", 1) == TR_OK);
	T(tr_b64url_encode(&b, sig, siglen) == TR_OK);
	return tr_buf_take(&b, NULL);
}

/* Three raw segments joined with dots, malloced. */
static char *
join(const char *a, const char *b, const char *c)
{
	struct tr_buf	 buf;

	tr_buf_init(&buf, 1024 * 1024);
	T(tr_buf_addf(&buf, "%s.%s.%s", a, b, c) == TR_OK);
	return tr_buf_take(&buf, NULL);
}

/* The token with its payload segment replaced by that of a text. */
static char *
swap_payload(const char *tok, const char *payload)
{
	const char	*d1, *d2;
	char		*h, *p, *s;

	T((d1 = strchr(tok, '.')) != NULL);
	T((d2 = strchr(d1 + 1, '.')) != NULL);
	h = tr_xstrndup(tok, (size_t)(d1 - tok));
	p = b64s(payload);
	s = join(h, p, d2 + 1);
	free(h);
	free(p);
	return s;
}

/* The token must not parse, for the reason given. */
static void
parse_fails(const char *tok, const char *why)
{
	struct tr_jwt	 jwt;

	if (tr_jwt_parse(tok, &jwt) != TR_EUNAUTH) {
		fprintf(stderr, "parsed \"%.200s\"\n", tok);
		T(0);
	}
	T_STREQ(jwt.why, why);
	tr_jwt_free(&jwt);
}

/* The same for a token of a given header and payload text. */
static void
parse_fails_hp(const char *hdr, const char *payload, const char *why)
{
	char	*tok;

	tok = mktok(hdr, payload, key, sizeof(key) - 1);
	parse_fails(tok, why);
	free(tok);
}

/* The token parses, but the HS256 signature is refused for why. */
static void
hs_fails(const char *tok, const void *k, size_t klen, const char *why)
{
	struct tr_jwt	 jwt;

	if (tr_jwt_parse(tok, &jwt) != TR_OK) {
		fprintf(stderr, "refused \"%.200s\": %s\n", tok, jwt.why);
		T(0);
	}
	T(tr_jwt_verify_hs256(&jwt, k, klen) == TR_EUNAUTH);
	T_STREQ(jwt.why, why);
	tr_jwt_free(&jwt);
}

static void
test_sign(void)
{
	struct json_object	*claims, *o;
	struct tr_jwt		 jwt;
	struct tr_buf		 b;
	const char		*d1, *d2;
	char			*tok;

	T(tr_json_parse(TR_LIT(good), 1024, 8, &claims) == TR_OK);
	T(tr_jwt_sign_hs256(claims, key, sizeof(key) - 1, &tok) == TR_OK);

	/* Three segments: our header, the claims and 32 bytes of MAC. */
	T((d1 = strchr(tok, '.')) != NULL);
	T((d2 = strchr(d1 + 1, '.')) != NULL);
	T(strchr(d2 + 1, '.') == NULL);
	tr_buf_init(&b, 4096);
	T(tr_b64_decode(&b, tok, (size_t)(d1 - tok), 1) == TR_OK);
	T_STREQ(tr_buf_str(&b), hs_hdr);
	tr_buf_free(&b);
	T(tr_b64_decode(&b, d1 + 1, (size_t)(d2 - d1 - 1), 1) == TR_OK);
	T(tr_json_parse(b.ptr, b.len, 4096, 8, &o) == TR_OK);
	T(json_object_equal(o, claims));
	json_object_put(o);
	tr_buf_free(&b);
	T(tr_b64_decode(&b, d2 + 1, strlen(d2 + 1), 1) == TR_OK);
	T(b.len == TR_SHA256_LEN);
	tr_buf_free(&b);

	/* It parses, verifies and passes the checks. */
	T(tr_jwt_parse(tok, &jwt) == TR_OK);
	T(jwt.why == NULL);
	T_STREQ(jwt.alg, "HS256");
	T(jwt.kid == NULL);
	T(jwt.inputsz == (size_t)(d2 - tok));
	T_MEMEQ(jwt.input, jwt.inputsz, tok, (size_t)(d2 - tok));
	T(jwt.sig.len == TR_SHA256_LEN);
	T(json_object_equal(jwt.claims, claims));
	T(tr_jwt_verify_hs256(&jwt, key, sizeof(key) - 1) == TR_OK);
	T(tr_jwt_check(&jwt, ISS, AUD, LEEWAY, NOW) == TR_OK);
	T(tr_jwt_check(&jwt, NULL, NULL, 0, NOW) == TR_OK);
	T_STREQ(tr_json_str(jwt.claims, "sub"), "42");
	tr_jwt_free(&jwt);
	tr_jwt_free(&jwt);		/* twice is harmless */

	/* The same token as built by hand. */
	{
		char	*tok2 = mktok_hs(json_object_to_json_string_ext(
			    claims, JSON_C_TO_STRING_PLAIN));

		T_STREQ(tok2, tok);
		free(tok2);
	}

	/* Wrong keys. */
	hs_fails(tok, TR_LIT("0123456789abcdef0123456789abcdeF"),
	    "invalid token signature");
	hs_fails(tok, key, sizeof(key) - 2, "invalid token signature");
	hs_fails(tok, "", 0, "invalid token signature");
	hs_fails(tok, TR_LIT("0123456789abcdef0123456789abcdef0"),
	    "invalid token signature");

	/* A kid in the header is reported. */
	free(tok);
	tok = mktok("{\"alg\":\"HS256\",\"kid\":\"k-7\"}", good, key,
	    sizeof(key) - 1);
	T(tr_jwt_parse(tok, &jwt) == TR_OK);
	T_STREQ(jwt.kid, "k-7");
	T(tr_jwt_verify_hs256(&jwt, key, sizeof(key) - 1) == TR_OK);
	tr_jwt_free(&jwt);

	free(tok);
	json_object_put(claims);
}

static void
test_tamper(void)
{
	struct tr_jwt	 jwt;
	char		*tok, *bad, *h, *p, *d1, *d2;
	size_t		 len;

	tok = mktok_hs(good);
	len = strlen(tok);
	d1 = strchr(tok, '.');
	d2 = strchr(d1 + 1, '.');

	/* Another payload under the original header and signature. */
	bad = swap_payload(tok, "{\"sub\":\"1\",\"iss\":\"" ISS "\","
	    "\"aud\":\"" AUD "\",\"iat\":1700000000,\"exp\":1700000900}");
	hs_fails(bad, key, sizeof(key) - 1, "invalid token signature");
	free(bad);
	bad = swap_payload(tok, "{\"sub\":\"42\",\"iss\":\"" ISS "\","
	    "\"aud\":\"" AUD "\",\"iat\":1700000000,\"exp\":1800000900}");
	hs_fails(bad, key, sizeof(key) - 1, "invalid token signature");
	free(bad);
	bad = swap_payload(tok, good);		/* the same: passes */
	T_STREQ(bad, tok);
	free(bad);

	/* Another header: alg unchanged, one more member. */
	p = tr_xstrndup(d1 + 1, (size_t)(d2 - d1 - 1));
	h = b64s("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"x\"}");
	bad = join(h, p, d2 + 1);
	hs_fails(bad, key, sizeof(key) - 1, "invalid token signature");
	free(bad);

	/* The signature changed, truncated, empty, doubled. */
	bad = tr_xstrdup(tok);
	bad[d2 - tok + 1] = bad[d2 - tok + 1] == 'A' ? 'B' : 'A';
	hs_fails(bad, key, sizeof(key) - 1, "invalid token signature");
	free(bad);
	bad = tr_xstrndup(tok, len - 3);	/* 30 bytes */
	hs_fails(bad, key, sizeof(key) - 1, "invalid token signature");
	free(bad);
	bad = tr_xstrndup(tok, (size_t)(d2 - tok) + 1);
	hs_fails(bad, key, sizeof(key) - 1, "invalid token signature");
	free(bad);
	{
		struct tr_buf	 b;

		tr_buf_init(&b, 4096);
		T(tr_buf_addf(&b, "%sAAAA", tok) == TR_OK);
		bad = tr_buf_take(&b, NULL);
	}
	hs_fails(bad, key, sizeof(key) - 1, "invalid token signature");
	free(bad);

	/* The signature's last character with non-zero trailing bits. */
	bad = tr_xstrdup(tok);
	bad[len - 1] = bad[len - 1] == 'B' ? 'C' : 'B';
	parse_fails(bad, "malformed token");
	free(bad);

	/* The right signature still works after all that. */
	T(tr_jwt_parse(tok, &jwt) == TR_OK);
	T(tr_jwt_verify_hs256(&jwt, key, sizeof(key) - 1) == TR_OK);
	tr_jwt_free(&jwt);

	free(h);
	free(p);
	free(tok);
}

static void
test_malformed(void)
{
	struct tr_jwt	 jwt;
	struct tr_buf	 b;
	char		*tok, *bad, *big;
	size_t		 i, n;
	static const char *const junk[] = {
		"",
		".",
		"..",
		"...",
		"abc",
		"abc.def",
		"a.b.c",
		"eyJhbGciOiJIUzI1NiJ9",
		"eyJhbGciOiJIUzI1NiJ9.",
		"eyJhbGciOiJIUzI1NiJ9..",
		".eyJleHAiOjF9.",
		"eyJhbGciOiJIUzI1NiJ9.e30",
		"eyJhbGciOiJIUzI1NiJ9.e30.AAAA.AAAA",
		"eyJhbGciOiJIUzI1NiJ9.e30.A",
		"eyJhbGciOiJIUzI1NiJ9.e30.AB",
		"eyJhbGciOiJIUzI1NiJ9.e30=.",
		"eyJhbGciOiJIUzI1NiJ9.e30.AA==",
		"eyJhbGciOiJIUzI1NiJ9.e3+.",
		"eyJhbGciOiJIUzI1NiJ9.e3/.",
		"eyJhbGciOiJIUzI1NiJ9.e30 .",
		" eyJhbGciOiJIUzI1NiJ9.e30.",
		"eyJhbGciOiJIUzI1NiJ9.e30.\n",
		"eyJhbGciOiJIUzI1NiJ9.e30%2e.",
		"eyJhbGciOiJIUzI1NiJ9\xc3\xa9.e30.",
		"Bearer eyJhbGciOiJIUzI1NiJ9.e30.",
		"eyJhbGciOiJIUzI1NiJ9.e30.!",
		/* bytes decoded before a bad end */
		"e30AZh.e30.",
		"eyJhbGciOiJIUzI1NiJ9.e30AZh.",
		"eyJhbGciOiJIUzI1NiJ9.e30.AAAAZh",
	};

	for (i = 0; i < T_NELEM(junk); i++)
		parse_fails(junk[i], "malformed token");

	tok = mktok_hs(good);

	/* Four segments, two segments. */
	tr_buf_init(&b, 65536);
	T(tr_buf_addf(&b, "%s.%s", tok, "e30") == TR_OK);
	parse_fails(tr_buf_str(&b), "malformed token");
	tr_buf_free(&b);
	bad = tr_xstrndup(tok, (size_t)(strrchr(tok, '.') - tok));
	parse_fails(bad, "malformed token");
	free(bad);

	/* A character outside base64url in each segment. */
	for (i = 0; i < strlen(tok); i += 7) {
		if (tok[i] == '.')
			continue;
		bad = tr_xstrdup(tok);
		bad[i] = i % 2 ? '+' : '/';
		parse_fails(bad, "malformed token");
		bad[i] = '=';
		parse_fails(bad, "malformed token");
		bad[i] = '\x80';
		parse_fails(bad, "malformed token");
		free(bad);
	}

	/* Headers that are not a JSON object, or break the limits. */
	parse_fails_hp("not json", good, "malformed token");
	parse_fails_hp("[\"alg\",\"HS256\"]", good, "malformed token");
	parse_fails_hp("[{\"alg\":\"HS256\"}]", good, "malformed token");
	parse_fails_hp("\"HS256\"", good, "malformed token");
	parse_fails_hp("42", good, "malformed token");
	parse_fails_hp("null", good, "malformed token");
	parse_fails_hp("{\"alg\":\"HS256\"", good, "malformed token");
	parse_fails_hp("{\"alg\":\"HS256\"} x", good, "malformed token");
	parse_fails_hp("{\"alg\":\"HS256\"}{}", good, "malformed token");
	parse_fails_hp("{'alg':'HS256'}", good, "malformed token");
	parse_fails_hp("{\"alg\":\"HS\xff\"}", good, "malformed token");
	parse_fails_hp("{\"alg\":\"HS256\",\"x\":NaN}", good,
	    "malformed token");
	parse_fails_hp("{\"alg\":\"HS256\",\"x\":[[[[[[[[[1]]]]]]]]]}", good,
	    "malformed token");
	parse_fails_hp("", good, "malformed token");

	/* The same for the payload. */
	parse_fails_hp(hs_hdr, "not json", "malformed token");
	parse_fails_hp(hs_hdr, "[1,2]", "malformed token");
	parse_fails_hp(hs_hdr, "null", "malformed token");
	parse_fails_hp(hs_hdr, "", "malformed token");
	parse_fails_hp(hs_hdr, "{\"exp\":1", "malformed token");

	/* Headers without a usable alg. */
	parse_fails_hp("{}", good, "token without alg");
	parse_fails_hp("{\"typ\":\"JWT\"}", good, "token without alg");
	parse_fails_hp("{\"alg\":null}", good, "token without alg");
	parse_fails_hp("{\"alg\":256}", good, "token without alg");
	parse_fails_hp("{\"alg\":[\"HS256\"]}", good, "token without alg");
	parse_fails_hp("{\"ALG\":\"HS256\"}", good, "token without alg");

	/* Tokens longer than 8192 bytes: the last shorter one passes. */
	big = tr_xmalloc(8192);
	for (n = 6000; ; n++) {
		memset(big, 'x', n);
		big[n] = '\0';
		tr_buf_init(&b, 65536);
		T(tr_buf_addf(&b, "{\"exp\":1700000900,\"pad\":\"%s\"}",
		    big) == TR_OK);
		bad = mktok_hs(tr_buf_str(&b));
		tr_buf_free(&b);
		if (strlen(bad) > 8192) {
			parse_fails(bad, "malformed token");
			free(bad);
			break;
		}
		T(tr_jwt_parse(bad, &jwt) == TR_OK);
		T(tr_jwt_verify_hs256(&jwt, key, sizeof(key) - 1) == TR_OK);
		tr_jwt_free(&jwt);
		free(bad);
	}
	free(big);

	free(tok);
}

/* Tokens that name an algorithm other than the one verified. */
static void
test_alg(EVP_PKEY *rsa)
{
	struct tr_jwt	 jwt;
	unsigned char	*der = NULL;
	char		*tok;
	int		 derlen;
	size_t		 i;
	static const char *const hdrs[] = {
		"{\"alg\":\"none\",\"typ\":\"JWT\"}",
		"{\"alg\":\"None\"}",
		"{\"alg\":\"NONE\"}",
		"{\"alg\":\"\"}",
		"{\"alg\":\"hs256\"}",
		"{\"alg\":\"HS256 \"}",
		"{\"alg\":\"HS384\"}",
		"{\"alg\":\"HS512\"}",
		"{\"alg\":\"RS256\"}",
		"{\"alg\":\"ES256\"}",
		"{\"alg\":\"PS256\"}",
	};

	/* alg none, with an empty signature or with an HS256 one. */
	for (i = 0; i < T_NELEM(hdrs); i++) {
		tok = mktok(hdrs[i], good, NULL, 0);
		hs_fails(tok, key, sizeof(key) - 1,
		    "token algorithm not accepted");
		free(tok);
		tok = mktok(hdrs[i], good, key, sizeof(key) - 1);
		hs_fails(tok, key, sizeof(key) - 1,
		    "token algorithm not accepted");
		T(tr_jwt_parse(tok, &jwt) == TR_OK);
		T(tr_jwt_check(&jwt, ISS, AUD, LEEWAY, NOW) == TR_OK);
		tr_jwt_free(&jwt);
		free(tok);
	}

	/* An RS256 token given to the HS256 verifier. */
	tok = mktok_rs(rs_hdr, good, rsa);
	hs_fails(tok, key, sizeof(key) - 1, "token algorithm not accepted");
	free(tok);

	/*
	 * An HS256 token given to the RS256 verifier, made the classic
	 * way: the public key as the HMAC secret.
	 */
	T((derlen = i2d_PUBKEY(rsa, &der)) > 0);
	tok = mktok(hs_hdr, good, der, (size_t)derlen);
	T(tr_jwt_parse(tok, &jwt) == TR_OK);
	T(tr_jwt_verify_rs256(&jwt, rsa) == TR_EUNAUTH);
	T_STREQ(jwt.why, "token algorithm not accepted");
	tr_jwt_free(&jwt);
	free(tok);
	OPENSSL_free(der);

	tok = mktok("{\"alg\":\"none\"}", good, NULL, 0);
	T(tr_jwt_parse(tok, &jwt) == TR_OK);
	T(tr_jwt_verify_rs256(&jwt, rsa) == TR_EUNAUTH);
	T_STREQ(jwt.why, "token algorithm not accepted");
	tr_jwt_free(&jwt);
	free(tok);
}

/* Claims, the expected iss and aud, the leeway, and the verdict. */
static const struct {
	const char	*claims;
	const char	*iss;
	const char	*aud;
	long		 leeway;
	const char	*why;	/* NULL: accepted */
} checks[] = {
	{ good, ISS, AUD, LEEWAY, NULL },
	{ good, NULL, NULL, 0, NULL },
	/* exp */
	{ "{\"exp\":1700000900}", NULL, NULL, LEEWAY, NULL },
	{ "{\"exp\":1700000000}", NULL, NULL, LEEWAY, NULL },
	{ "{\"exp\":1700000000}", NULL, NULL, 0, NULL },
	{ "{\"exp\":1699999999}", NULL, NULL, 0, "token expired" },
	{ "{\"exp\":1699999970}", NULL, NULL, LEEWAY, NULL },
	{ "{\"exp\":1699999940}", NULL, NULL, LEEWAY, NULL },
	{ "{\"exp\":1699999939}", NULL, NULL, LEEWAY, "token expired" },
	{ "{\"exp\":1600000000}", NULL, NULL, LEEWAY, "token expired" },
	{ "{\"exp\":0}", NULL, NULL, LEEWAY, "token expired" },
	{ "{\"exp\":-1}", NULL, NULL, LEEWAY, "token expired" },
	{ "{\"exp\":-9223372036854775808}", NULL, NULL, LEEWAY,
	  "token expired" },
	{ "{\"exp\":1700000900.5}", NULL, NULL, LEEWAY, NULL },
	{ "{\"exp\":1.6e9}", NULL, NULL, LEEWAY, "token expired" },
	{ "{\"exp\":9223372036854775807}", NULL, NULL, LEEWAY, NULL },
	{ "{\"exp\":1e300}", NULL, NULL, LEEWAY, NULL },
	{ "{\"exp\":-1e300}", NULL, NULL, LEEWAY, "token expired" },
	{ "{}", NULL, NULL, LEEWAY, "token without expiry" },
	{ "{\"sub\":\"42\"}", ISS, AUD, LEEWAY, "token without expiry" },
	{ "{\"EXP\":1700000900}", NULL, NULL, LEEWAY,
	  "token without expiry" },
	{ "{\"exp\":\"1700000900\"}", NULL, NULL, LEEWAY, "malformed exp" },
	{ "{\"exp\":null}", NULL, NULL, LEEWAY, "malformed exp" },
	{ "{\"exp\":true}", NULL, NULL, LEEWAY, "malformed exp" },
	{ "{\"exp\":[1700000900]}", NULL, NULL, LEEWAY, "malformed exp" },
	{ "{\"exp\":{}}", NULL, NULL, LEEWAY, "malformed exp" },
	/* nbf */
	{ "{\"exp\":1700000900,\"nbf\":1700000000}", NULL, NULL, 0, NULL },
	{ "{\"exp\":1700000900,\"nbf\":1700000060}", NULL, NULL, LEEWAY,
	  NULL },
	{ "{\"exp\":1700000900,\"nbf\":1700000061}", NULL, NULL, LEEWAY,
	  "token not yet valid" },
	{ "{\"exp\":1700000900,\"nbf\":1700000001}", NULL, NULL, 0,
	  "token not yet valid" },
	{ "{\"exp\":1700000900,\"nbf\":9223372036854775807}", NULL, NULL,
	  LEEWAY, "token not yet valid" },
	{ "{\"exp\":1700000900,\"nbf\":-9223372036854775808}", NULL, NULL,
	  LEEWAY, NULL },
	{ "{\"exp\":1700000900,\"nbf\":\"0\"}", NULL, NULL, LEEWAY,
	  "token not yet valid" },
	{ "{\"exp\":1700000900,\"nbf\":null}", NULL, NULL, LEEWAY,
	  "token not yet valid" },
	/* iat */
	{ "{\"exp\":1700000900,\"iat\":1600000000}", NULL, NULL, LEEWAY,
	  NULL },
	{ "{\"exp\":1700000900,\"iat\":1700000060}", NULL, NULL, LEEWAY,
	  NULL },
	{ "{\"exp\":1700000900,\"iat\":1700000061}", NULL, NULL, LEEWAY,
	  "token issued in the future" },
	{ "{\"exp\":1700000900,\"iat\":1700000900}", NULL, NULL, LEEWAY,
	  "token issued in the future" },
	{ "{\"exp\":1700000900,\"iat\":\"1700000000\"}", NULL, NULL, LEEWAY,
	  "token issued in the future" },
	/* iss */
	{ "{\"exp\":1700000900,\"iss\":\"" ISS "\"}", ISS, NULL, LEEWAY,
	  NULL },
	{ "{\"exp\":1700000900,\"iss\":\"https://evil.example/\"}", ISS,
	  NULL, LEEWAY, "wrong token issuer" },
	{ "{\"exp\":1700000900,\"iss\":\"https://issuer.example\"}", ISS,
	  NULL, LEEWAY, "wrong token issuer" },
	{ "{\"exp\":1700000900,\"iss\":\"https://issuer.example/x\"}", ISS,
	  NULL, LEEWAY, "wrong token issuer" },
	{ "{\"exp\":1700000900,\"iss\":\"HTTPS://ISSUER.EXAMPLE/\"}", ISS,
	  NULL, LEEWAY, "wrong token issuer" },
	{ "{\"exp\":1700000900}", ISS, NULL, LEEWAY, "wrong token issuer" },
	{ "{\"exp\":1700000900,\"iss\":null}", ISS, NULL, LEEWAY,
	  "wrong token issuer" },
	{ "{\"exp\":1700000900,\"iss\":[\"" ISS "\"]}", ISS, NULL, LEEWAY,
	  "wrong token issuer" },
	{ "{\"exp\":1700000900,\"iss\":\"https://evil.example/\"}", NULL,
	  NULL, LEEWAY, NULL },
	/* aud as a string */
	{ "{\"exp\":1700000900,\"aud\":\"" AUD "\"}", NULL, AUD, LEEWAY,
	  NULL },
	{ "{\"exp\":1700000900,\"aud\":\"other\"}", NULL, AUD, LEEWAY,
	  "wrong token audience" },
	{ "{\"exp\":1700000900,\"aud\":\"trapi\"}", NULL, AUD, LEEWAY,
	  "wrong token audience" },
	{ "{\"exp\":1700000900,\"aud\":\"trapi-api2\"}", NULL, AUD, LEEWAY,
	  "wrong token audience" },
	{ "{\"exp\":1700000900,\"aud\":\"\"}", NULL, AUD, LEEWAY,
	  "wrong token audience" },
	{ "{\"exp\":1700000900}", NULL, AUD, LEEWAY,
	  "wrong token audience" },
	{ "{\"exp\":1700000900,\"aud\":\"other\"}", NULL, NULL, LEEWAY,
	  NULL },
	/* aud as an array */
	{ "{\"exp\":1700000900,\"aud\":[\"" AUD "\"]}", NULL, AUD, LEEWAY,
	  NULL },
	{ "{\"exp\":1700000900,\"aud\":[\"a\",\"" AUD "\",\"b\"]}", NULL, AUD,
	  LEEWAY, NULL },
	{ "{\"exp\":1700000900,\"aud\":[1,null,{},\"" AUD "\"]}", NULL, AUD,
	  LEEWAY, NULL },
	{ "{\"exp\":1700000900,\"aud\":[\"a\",\"b\"]}", NULL, AUD, LEEWAY,
	  "wrong token audience" },
	{ "{\"exp\":1700000900,\"aud\":[]}", NULL, AUD, LEEWAY,
	  "wrong token audience" },
	{ "{\"exp\":1700000900,\"aud\":[[\"" AUD "\"]]}", NULL, AUD, LEEWAY,
	  "wrong token audience" },
	/* aud of other types */
	{ "{\"exp\":1700000900,\"aud\":null}", NULL, AUD, LEEWAY,
	  "wrong token audience" },
	{ "{\"exp\":1700000900,\"aud\":1}", NULL, AUD, LEEWAY,
	  "wrong token audience" },
	{ "{\"exp\":1700000900,\"aud\":{\"" AUD "\":1}}", NULL, AUD, LEEWAY,
	  "wrong token audience" },
	/* the order of the checks */
	{ "{\"exp\":1,\"nbf\":1800000000}", ISS, AUD, LEEWAY,
	  "token expired" },
	{ "{\"exp\":1700000900,\"nbf\":1800000000,\"iat\":1800000000}", ISS,
	  AUD, LEEWAY, "token not yet valid" },
	{ "{\"exp\":1700000900,\"iss\":\"x\",\"aud\":\"x\"}", ISS, AUD,
	  LEEWAY, "wrong token issuer" },
};

static void
test_check(void)
{
	struct tr_jwt	 jwt;
	char		*tok;
	size_t		 i;
	enum tr_err	 er;

	for (i = 0; i < T_NELEM(checks); i++) {
		tok = mktok_hs(checks[i].claims);
		T(tr_jwt_parse(tok, &jwt) == TR_OK);
		T(tr_jwt_verify_hs256(&jwt, key, sizeof(key) - 1) == TR_OK);
		er = tr_jwt_check(&jwt, checks[i].iss, checks[i].aud,
		    checks[i].leeway, NOW);
		if (er != (checks[i].why == NULL ? TR_OK : TR_EUNAUTH) ||
		    (checks[i].why != NULL &&
		    strcmp(jwt.why, checks[i].why) != 0)) {
			fprintf(stderr, "%s: %s (want %s)\n", checks[i].claims,
			    er == TR_OK ? "accepted" : jwt.why,
			    checks[i].why != NULL ? checks[i].why :
			    "accepted");
			T(0);
		}
		tr_jwt_free(&jwt);
		free(tok);
	}
}

/* The RSA modulus or exponent of a key, base64url, malloced. */
static char *
rsa_param(EVP_PKEY *pkey, const char *name, int zeropad)
{
	BIGNUM		*bn = NULL;
	unsigned char	*bin;
	char		*s;
	int		 n;

	T(EVP_PKEY_get_bn_param(pkey, name, &bn) == 1);
	n = BN_num_bytes(bn);
	bin = tr_xmalloc((size_t)n + 1);
	bin[0] = 0;
	T(BN_bn2bin(bn, bin + 1) == n);
	s = zeropad ? b64(bin, (size_t)n + 1) : b64(bin + 1, (size_t)n);
	free(bin);
	BN_free(bn);
	return s;
}

/*
 * A JWK object of an RSA key: kty, alg, use are left out if NULL; n and
 * e are the key's if NULL, left out if "", else the text given.
 */
static struct json_object *
mkjwk(EVP_PKEY *pkey, const char *kty, const char *alg, const char *use,
    const char *n, const char *e)
{
	struct json_object	*o;
	char			*nn = NULL, *ee = NULL;

	if (n == NULL)
		n = nn = rsa_param(pkey, OSSL_PKEY_PARAM_RSA_N, 0);
	if (e == NULL)
		e = ee = rsa_param(pkey, OSSL_PKEY_PARAM_RSA_E, 0);
	T((o = json_object_new_object()) != NULL);
	if (kty != NULL)
		T(json_object_object_add(o, "kty",
		    json_object_new_string(kty)) == 0);
	T(json_object_object_add(o, "kid",
	    json_object_new_string("key-1")) == 0);
	if (alg != NULL)
		T(json_object_object_add(o, "alg",
		    json_object_new_string(alg)) == 0);
	if (use != NULL)
		T(json_object_object_add(o, "use",
		    json_object_new_string(use)) == 0);
	if (*n != '\0')
		T(json_object_object_add(o, "n",
		    json_object_new_string(n)) == 0);
	if (*e != '\0')
		T(json_object_object_add(o, "e",
		    json_object_new_string(e)) == 0);
	free(nn);
	free(ee);
	return o;
}

/* A JWK from text must be refused. */
static void
jwk_refused(const char *text)
{
	struct json_object	*o;
	EVP_PKEY		*pkey;

	T(tr_json_parse(text, strlen(text), 65536, 8, &o) == TR_OK);
	if ((pkey = tr__jwk_rsa(o)) != NULL) {
		fprintf(stderr, "accepted %s\n", text);
		T(0);
	}
	json_object_put(o);
}

/* A JWK object must be refused. */
static void
jwko_refused(struct json_object *o)
{
	EVP_PKEY	*pkey;

	if ((pkey = tr__jwk_rsa(o)) != NULL) {
		fprintf(stderr, "accepted %s\n", json_object_to_json_string(o));
		T(0);
	}
	json_object_put(o);
}

static void
test_rs256(EVP_PKEY *k1, EVP_PKEY *k2)
{
	struct json_object	*o;
	struct tr_jwt		 jwt;
	EVP_PKEY		*k3, *ec, *j1, *j2, *j3;
	char			*tok, *tok2, *tok3, *bad, *n, *e, *npad;
	struct tr_buf		 b;

	tok = mktok_rs(rs_hdr, good, k1);
	T(tr_jwt_parse(tok, &jwt) == TR_OK);
	T_STREQ(jwt.alg, "RS256");
	T_STREQ(jwt.kid, "key-1");
	T(jwt.sig.len == 256);
	T(tr_jwt_verify_rs256(&jwt, k1) == TR_OK);
	T(tr_jwt_check(&jwt, ISS, AUD, LEEWAY, NOW) == TR_OK);
	tr_jwt_free(&jwt);

	/* Another key's signature. */
	T(tr_jwt_parse(tok, &jwt) == TR_OK);
	T(tr_jwt_verify_rs256(&jwt, k2) == TR_EUNAUTH);
	T_STREQ(jwt.why, "invalid token signature");
	tr_jwt_free(&jwt);
	tok2 = mktok_rs(rs_hdr, good, k2);
	T(tr_jwt_parse(tok2, &jwt) == TR_OK);
	T(tr_jwt_verify_rs256(&jwt, k1) == TR_EUNAUTH);
	T_STREQ(jwt.why, "invalid token signature");
	T(tr_jwt_verify_rs256(&jwt, k2) == TR_OK);
	tr_jwt_free(&jwt);

	/* No key, a short key, a key of another type. */
	T(tr_jwt_parse(tok, &jwt) == TR_OK);
	T(tr_jwt_verify_rs256(&jwt, NULL) == TR_EUNAUTH);
	T_STREQ(jwt.why, "unusable signing key");
	tr_jwt_free(&jwt);
	T((k3 = EVP_RSA_gen(1024)) != NULL);
	tok3 = mktok_rs(rs_hdr, good, k3);
	T(tr_jwt_parse(tok3, &jwt) == TR_OK);
	T(tr_jwt_verify_rs256(&jwt, k3) == TR_EUNAUTH);
	T_STREQ(jwt.why, "unusable signing key");
	tr_jwt_free(&jwt);
	T((ec = EVP_EC_gen("P-256")) != NULL);
	T(tr_jwt_parse(tok, &jwt) == TR_OK);
	T(tr_jwt_verify_rs256(&jwt, ec) == TR_EUNAUTH);
	T_STREQ(jwt.why, "unusable signing key");
	tr_jwt_free(&jwt);
	EVP_PKEY_free(ec);

	/* Tampered signature and payload. */
	bad = tr_xstrdup(tok);
	{
		char	*s = strrchr(bad, '.') + 1;

		*s = *s == 'A' ? 'B' : 'A';
	}
	T(tr_jwt_parse(bad, &jwt) == TR_OK);
	T(tr_jwt_verify_rs256(&jwt, k1) == TR_EUNAUTH);
	T_STREQ(jwt.why, "invalid token signature");
	tr_jwt_free(&jwt);
	free(bad);
	bad = swap_payload(tok, "{\"sub\":\"43\",\"iss\":\"" ISS "\","
	    "\"aud\":\"" AUD "\",\"iat\":1700000000,\"exp\":1700000900}");
	T(tr_jwt_parse(bad, &jwt) == TR_OK);
	T(tr_jwt_verify_rs256(&jwt, k1) == TR_EUNAUTH);
	T_STREQ(jwt.why, "invalid token signature");
	tr_jwt_free(&jwt);
	free(bad);
	bad = tr_xstrndup(tok, (size_t)(strrchr(tok, '.') - tok) + 1);
	T(tr_jwt_parse(bad, &jwt) == TR_OK);
	T(tr_jwt_verify_rs256(&jwt, k1) == TR_EUNAUTH);
	T_STREQ(jwt.why, "invalid token signature");
	tr_jwt_free(&jwt);
	free(bad);

	/* The JWK of k1 gives a key that verifies k1's token only. */
	o = mkjwk(k1, "RSA", "RS256", "sig", NULL, NULL);
	T((j1 = tr__jwk_rsa(o)) != NULL);
	json_object_put(o);
	T(EVP_PKEY_is_a(j1, "RSA"));
	T(EVP_PKEY_get_bits(j1) == 2048);
	T(EVP_PKEY_eq(j1, k1) == 1);
	T(tr_jwt_parse(tok, &jwt) == TR_OK);
	T(tr_jwt_verify_rs256(&jwt, j1) == TR_OK);
	tr_jwt_free(&jwt);
	T(tr_jwt_parse(tok2, &jwt) == TR_OK);
	T(tr_jwt_verify_rs256(&jwt, j1) == TR_EUNAUTH);
	T_STREQ(jwt.why, "invalid token signature");
	tr_jwt_free(&jwt);
	EVP_PKEY_free(j1);

	/* alg and use are optional; a leading zero byte in n is fine. */
	npad = rsa_param(k2, OSSL_PKEY_PARAM_RSA_N, 1);
	o = mkjwk(k2, "RSA", NULL, NULL, npad, NULL);
	T((j2 = tr__jwk_rsa(o)) != NULL);
	json_object_put(o);
	T(EVP_PKEY_get_bits(j2) == 2048);
	T(tr_jwt_parse(tok2, &jwt) == TR_OK);
	T(tr_jwt_verify_rs256(&jwt, j2) == TR_OK);
	tr_jwt_free(&jwt);
	EVP_PKEY_free(j2);
	free(npad);

	/* A 1024-bit JWK converts but cannot verify. */
	o = mkjwk(k3, "RSA", "RS256", "sig", NULL, NULL);
	T((j3 = tr__jwk_rsa(o)) != NULL);
	json_object_put(o);
	T(tr_jwt_parse(tok3, &jwt) == TR_OK);
	T(tr_jwt_verify_rs256(&jwt, j3) == TR_EUNAUTH);
	T_STREQ(jwt.why, "unusable signing key");
	tr_jwt_free(&jwt);
	EVP_PKEY_free(j3);

	/* Refused JWKs. */
	n = rsa_param(k1, OSSL_PKEY_PARAM_RSA_N, 0);
	e = rsa_param(k1, OSSL_PKEY_PARAM_RSA_E, 0);
	T_STREQ(e, "AQAB");
	jwko_refused(mkjwk(k1, "EC", "RS256", "sig", NULL, NULL));
	jwko_refused(mkjwk(k1, "rsa", "RS256", "sig", NULL, NULL));
	jwko_refused(mkjwk(k1, "oct", NULL, NULL, NULL, NULL));
	jwko_refused(mkjwk(k1, NULL, "RS256", "sig", NULL, NULL));
	jwko_refused(mkjwk(k1, "RSA", "HS256", "sig", NULL, NULL));
	jwko_refused(mkjwk(k1, "RSA", "RS512", "sig", NULL, NULL));
	jwko_refused(mkjwk(k1, "RSA", "none", "sig", NULL, NULL));
	jwko_refused(mkjwk(k1, "RSA", "RS256", "enc", NULL, NULL));
	jwko_refused(mkjwk(k1, "RSA", "RS256", "", NULL, NULL));
	jwko_refused(mkjwk(k1, "RSA", "RS256", "sig", "", NULL));
	jwko_refused(mkjwk(k1, "RSA", "RS256", "sig", NULL, ""));
	jwko_refused(mkjwk(k1, "RSA", "RS256", "sig", "", ""));
	/* n and e in bad base64url */
	T(strlen(n) % 4 == 2);
	tr_buf_init(&b, 65536);
	T(tr_buf_addf(&b, "%s=", n) == TR_OK);
	jwko_refused(mkjwk(k1, "RSA", NULL, NULL, tr_buf_str(&b), NULL));
	tr_buf_free(&b);
	T(tr_buf_addf(&b, "%sAAA", n) == TR_OK);	/* length % 4 == 1 */
	jwko_refused(mkjwk(k1, "RSA", NULL, NULL, tr_buf_str(&b), NULL));
	tr_buf_free(&b);
	T(tr_buf_addf(&b, "+%s", n + 1) == TR_OK);
	jwko_refused(mkjwk(k1, "RSA", NULL, NULL, tr_buf_str(&b), NULL));
	tr_buf_free(&b);
	T(tr_buf_addf(&b, "%.100s %s", n, n + 100) == TR_OK);
	jwko_refused(mkjwk(k1, "RSA", NULL, NULL, tr_buf_str(&b), NULL));
	tr_buf_free(&b);
	jwko_refused(mkjwk(k1, "RSA", NULL, NULL, "!!!!", NULL));
	jwko_refused(mkjwk(k1, "RSA", NULL, NULL, NULL, "AQAB="));
	jwko_refused(mkjwk(k1, "RSA", NULL, NULL, NULL, "AR"));
	jwko_refused(mkjwk(k1, "RSA", NULL, NULL, NULL, "A"));
	/* n, e of other JSON types, or missing */
	jwk_refused("{\"kty\":\"RSA\",\"e\":\"AQAB\"}");
	jwk_refused("{\"kty\":\"RSA\",\"n\":\"AQAB\"}");
	jwk_refused("{\"kty\":\"RSA\",\"n\":1,\"e\":\"AQAB\"}");
	jwk_refused("{\"kty\":\"RSA\",\"n\":[\"AQAB\"],\"e\":\"AQAB\"}");
	jwk_refused("{\"kty\":\"RSA\",\"n\":null,\"e\":\"AQAB\"}");
	jwk_refused("{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":65537}");
	jwk_refused("{\"kty\":[\"RSA\"],\"n\":\"AQAB\",\"e\":\"AQAB\"}");
	jwk_refused("{\"kty\":\"RSA\",\"n\":\"\",\"e\":\"AQAB\"}");
	jwk_refused("{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"\"}");
	jwk_refused("{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}");
	jwk_refused("{}");
	jwk_refused("[]");
	jwk_refused("[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]");
	jwk_refused("\"RSA\"");
	jwk_refused("42");
	T(tr__jwk_rsa(NULL) == NULL);

	free(n);
	free(e);
	EVP_PKEY_free(k3);
	free(tok);
	free(tok2);
	free(tok3);
}

int
main(void)
{
	EVP_PKEY	*k1, *k2;

	T((k1 = EVP_RSA_gen(2048)) != NULL);
	T((k2 = EVP_RSA_gen(2048)) != NULL);
	test_sign();
	test_tamper();
	test_malformed();
	test_alg(k1);
	test_check();
	test_rs256(k1, k2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	return 0;
}
