/*
 * Auth0's signing keys: the JWKS document of the tenant, fetched with
 * libcurl, its RSA keys turned into OpenSSL keys, and cached per process
 * (a cache that is safe to lose), shared by the threads of a daemon
 * under one lock.  The set is refetched when it is older
 * than AUTH0_JWKS_TTL, or when a token names an unknown kid, but never
 * more often than once per AUTH0_JWKS_MIN_INTERVAL: a stream of tokens
 * with made-up kids cannot make us hammer the tenant.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "extern.h"

#define JWKS_MAXKEYS	16
#define JWKS_MAXBODY	(256 * 1024)

struct	jwk {
	char		*kid;
	EVP_PKEY	*pkey;
};

static struct jwk	 keys[JWKS_MAXKEYS];
static size_t		 nkeys;
static time_t		 fetched;	/* last successful fetch */
static time_t		 tried;		/* last attempt */
static unsigned int	 nfetches;	/* attempts, for tests and logs */
static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;

static BIGNUM *
b64_bn(const char *s)
{
	struct tr_buf	 b;
	BIGNUM		*bn = NULL;

	if (s == NULL)
		return NULL;
	tr_buf_init(&b, 2048);
	if (tr_b64_decode(&b, s, strlen(s), 1) == TR_OK && b.len > 0)
		bn = BN_bin2bn((const unsigned char *)b.ptr, (int)b.len, NULL);
	tr_buf_free(&b);
	return bn;
}

/* Builds an RSA public key from a JWK's n and e; NULL if unusable. */
EVP_PKEY *
tr__jwk_rsa(struct json_object *jwk)
{
	const char	*kty, *alg, *use;
	BIGNUM		*n, *e;
	OSSL_PARAM_BLD	*bld = NULL;
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	EVP_PKEY	*pkey = NULL;

	kty = tr_json_str(jwk, "kty");
	alg = tr_json_str(jwk, "alg");
	use = tr_json_str(jwk, "use");
	if (kty == NULL || strcmp(kty, "RSA") != 0 ||
	    (alg != NULL && strcmp(alg, "RS256") != 0) ||
	    (use != NULL && strcmp(use, "sig") != 0))
		return NULL;
	n = b64_bn(tr_json_str(jwk, "n"));
	e = b64_bn(tr_json_str(jwk, "e"));
	if (n == NULL || e == NULL)
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

static void
cache_free(void)
{
	size_t	 i;

	for (i = 0; i < nkeys; i++) {
		free(keys[i].kid);
		EVP_PKEY_free(keys[i].pkey);
	}
	nkeys = 0;
}

void
tr_jwks_free(void)
{
	pthread_mutex_lock(&lock);
	cache_free();
	pthread_mutex_unlock(&lock);
}

unsigned int
tr_jwks_fetches(void)
{
	unsigned int	 n;

	pthread_mutex_lock(&lock);
	n = nfetches;
	pthread_mutex_unlock(&lock);
	return n;
}

/*
 * The URL of a path on the Auth0 tenant: AUTH0_BASE_URL (a test
 * tenant) or https://AUTH0_DOMAIN.  TR_EUNAUTH if neither is set.
 */
enum tr_err
tr__auth0_url(char *url, size_t urlsz, const char *path)
{
	const char	*base, *domain;

	if ((base = tr_conf("AUTH0_BASE_URL")) != NULL)
		snprintf(url, urlsz, "%s%s", base, path);
	else if ((domain = tr_conf("AUTH0_DOMAIN")) != NULL)
		snprintf(url, urlsz, "https://%s%s", domain, path);
	else
		return TR_EUNAUTH;
	return TR_OK;
}

/* Fetches the JWKS and replaces the cache if it holds a usable key. */
static enum tr_err
fetch(time_t now)
{
	struct tr_http_resp	 resp;
	struct json_object	*doc = NULL, *arr, *k;
	struct jwk		 fresh[JWKS_MAXKEYS];
	const char		*kid;
	char			 url[1024];
	size_t			 i, n = 0;
	enum tr_err		 er;

	tried = now;
	nfetches++;
	if ((er = tr__auth0_url(url, sizeof(url), "/.well-known/jwks.json")) !=
	    TR_OK)
		return er;
	er = tr_http_request(url, NULL, NULL, 0,
	    tr_conf_ll("AUTH0_REQUEST_TIMEOUT", 10, 1, 120) * 1000,
	    JWKS_MAXBODY, &resp);
	if (er != TR_OK)
		return TR_EUNAVAIL;
	if (resp.status != 200 ||
	    tr_json_parse(tr_buf_str(&resp.body), resp.body.len, JWKS_MAXBODY,
	    8, &doc) != TR_OK ||
	    !json_object_object_get_ex(doc, "keys", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		tr_warnx("jwks: %s: status %ld or malformed document", url,
		    resp.status);
		json_object_put(doc);
		tr_http_resp_free(&resp);
		return TR_EUNAVAIL;
	}
	for (i = 0; i < json_object_array_length(arr) && n < JWKS_MAXKEYS; i++) {
		k = json_object_array_get_idx(arr, i);
		if ((kid = tr_json_str(k, "kid")) == NULL ||
		    (fresh[n].pkey = tr__jwk_rsa(k)) == NULL)
			continue;
		fresh[n++].kid = tr_xstrdup(kid);
	}
	json_object_put(doc);
	tr_http_resp_free(&resp);
	if (n == 0) {
		tr_warnx("jwks: %s: no usable RS256 key", url);
		return TR_EUNAVAIL;
	}
	cache_free();
	memcpy(keys, fresh, n * sizeof(fresh[0]));
	nkeys = n;
	fetched = now;
	return TR_OK;
}

static EVP_PKEY *
lookup(const char *kid)
{
	size_t	 i;

	for (i = 0; i < nkeys; i++)
		if (strcmp(keys[i].kid, kid) == 0)
			return keys[i].pkey;
	return NULL;
}

/* The key for kid, a reference of its own; the caller holds the lock. */
static EVP_PKEY *
lookup_ref(const char *kid)
{
	EVP_PKEY	*k;

	if ((k = lookup(kid)) != NULL && EVP_PKEY_up_ref(k) != 1)
		k = NULL;
	return k;
}

static enum tr_err
key_locked(const char *kid, EVP_PKEY **out)
{
	time_t		 now = time(NULL);
	long long	 ttl, gap;
	int		 again = 1;
	enum tr_err	 er = TR_OK;

	ttl = tr_conf_ll("AUTH0_JWKS_TTL", 600, 1, 86400 * 7);
	gap = tr_conf_ll("AUTH0_JWKS_MIN_INTERVAL", 30, 0, 86400);
	if ((nkeys == 0 || now - fetched >= ttl) &&
	    (tried == 0 || now - tried >= gap)) {
		er = fetch(now);
		again = 0;
	}
	if ((*out = lookup_ref(kid)) != NULL)
		return TR_OK;
	if (again && now - tried >= gap)
		er = fetch(now);
	if ((*out = lookup_ref(kid)) != NULL)
		return TR_OK;
	return nkeys == 0 && er != TR_OK ? TR_EUNAVAIL : TR_EUNAUTH;
}

/*
 * Finds the key for kid; *out is the caller's to EVP_PKEY_free().
 * Returns TR_EUNAUTH for an unknown kid, TR_EUNAVAIL if the JWKS cannot
 * be had and no cached key matches.  A fetch holds the lock: threads
 * that need the keys meanwhile wait for it rather than fetch again.
 */
enum tr_err
tr_jwks_key(const char *kid, EVP_PKEY **out)
{
	enum tr_err	 er;

	pthread_mutex_lock(&lock);
	er = key_locked(kid, out);
	pthread_mutex_unlock(&lock);
	return er;
}
