/*
 * Authentication of every request an endpoint does not leave open
 * (SPEC section 5): user API keys (x-api-key, looked up by their
 * display prefix and compared by SHA-256 in constant time), the seed's
 * static API_KEY, our own HS256 access tokens, and Auth0 RS256 tokens
 * checked against the tenant's JWKS.  Also issues our tokens, refresh
 * tokens and (deprecated) session tokens, and checks a bare token for
 * ws-bridge (tr_auth_token()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "extern.h"

#define KEY_PREFIX	"trk_"
#define KEY_PREFIXLEN	12		/* "trk_" and 8 more: the display prefix */
#define SESSION_PREFIX	"trs_"
#define TOKEN_MAX	8192		/* longest token tr_auth_token takes */
#define JWT_ISSUER	"trapi"
#define SEED_JWT_SECRET	"your-jwt-secret-key-change-in-production"

/* A bare request (tr_req_new()) has no response: no header either. */
static enum tr_err
refuse(struct tr_req *r, enum tr_err er, const char *why)
{
	if (er == TR_EUNAUTH && !r->bare && tr_header(r, "WWW-Authenticate",
	    "Bearer realm=\"trapi\", error=\"invalid_token\"") != TR_OK)
		tr_warnx("cannot add WWW-Authenticate");
	return tr_fail(r, er, "%s", why);
}

/* plan is NULL for SQL NULL (users.plan is NOT NULL: never). */
static void
setplan(struct tr_principal *p, const char *plan)
{
	snprintf(p->plan, sizeof(p->plan), "%s", plan != NULL ? plan : "");
}

/* The JWT secret; in development the seed's default, with a warning. */
static const char *
jwt_secret(void)
{
	const char	*s = tr_conf("JWT_SECRET_KEY");

	if (s == NULL) {
		tr_warnx("JWT_SECRET_KEY is unset; using the insecure default");
		s = SEED_JWT_SECRET;
	}
	return s;
}

/*
 * The seed's static API_KEY: compared as SHA-256 digests in constant
 * time, so neither length nor content leaks through timing.
 */
static int
legacy_key(const char *key)
{
	const char	*legacy = tr_conf("API_KEY");
	unsigned char	 a[TR_SHA256_LEN], b[TR_SHA256_LEN];
	int		 ok;

	if (legacy == NULL || tr_sha256(key, strlen(key), a) != TR_OK ||
	    tr_sha256(legacy, strlen(legacy), b) != TR_OK)
		return 0;
	ok = tr_memeq_ct(a, b, sizeof(a));
	tr_wipe(b, sizeof(b));
	return ok;
}

/* Sets the legacy principal if key is the static API_KEY; else 0. */
static int
auth_legacy(struct tr_req *r, const char *key)
{
	if (!legacy_key(key))
		return 0;
	r->prin.kind = TR_PRIN_LEGACY;
	setplan(&r->prin, "enterprise");
	snprintf(r->prin.bucket, sizeof(r->prin.bucket), "legacy");
	return 1;
}

/*
 * Looks up, in one round trip, the key with the display prefix and
 * digest hx, updates its last_used and usage_count, when count, counts
 * the call against the plan's rate limit (r->rate), and for an
 * endpoint that takes a slot, checks the month's minutes and takes one
 * (r->quota, r->slot).
 */
static const struct tr_db_stmt key_admit = {
	"key_admit", "SELECT key_id, key_hash, key_active, expired, user_id,"
	" plan, user_active, admitted, lim, remaining, reset_at, retry_in,"
	" minutes_ok, used, quota, until_next, slot FROM admit($1,"
	" $2::bytea, NULL, $3::boolean, $4::integer, $5::integer)", 5,
};

/* The lease of a slot as the admission's parameter: NULL when the
 * endpoint takes none. */
static const char *
lease_param(const struct tr_req *r, char *buf, size_t sz)
{
	if (!r->ep->slot)
		return NULL;
	snprintf(buf, sz, "%lld", tr_quota_lease());
	return buf;
}

/*
 * What an admission (admit(), as key_admit or user_admit) answered:
 * its rate window when it was counted, and the month's minutes and
 * slot when the endpoint takes one and the rate limit let it through.
 */
static enum tr_err
admission(struct tr_req *r, const PGresult *res, int count)
{
	enum tr_err	 er;

	if (count && (er = tr__rate_col(res, &r->rate)) != TR_OK)
		return er;
	if (r->ep->slot && (!count || r->rate.admitted)) {
		if ((er = tr__quota_col(res, &r->quota)) != TR_OK)
			return er;
		r->quota.read = 1;
		r->slot = r->quota.slot;
	}
	return TR_OK;
}

static enum tr_err
auth_apikey(struct tr_req *r, const char *key, int count)
{
	char		 hx[TR_TOKEN_DIGEST], prefix[KEY_PREFIXLEN + 1], len[24];
	const char	*p[5];
	PGresult	*res = NULL;
	const char	*hash, *plan;
	long long	 kid, uid;
	int		 keyok, userok, expired;
	enum tr_err	 er;

	if (auth_legacy(r, key))
		return TR_OK;
	if (strncmp(key, KEY_PREFIX, strlen(KEY_PREFIX)) != 0 ||
	    strlen(key) < KEY_PREFIXLEN + 16 || strlen(key) > 128)
		return refuse(r, TR_EUNAUTH, "invalid API key");
	memcpy(prefix, key, KEY_PREFIXLEN);
	prefix[KEY_PREFIXLEN] = '\0';
	if ((er = tr_token_digest(key, hx)) != TR_OK)
		return er;
	p[0] = prefix;
	p[1] = hx;
	p[2] = count ? "t" : "f";
	p[3] = TR_RATE_DEFAULT;
	p[4] = lease_param(r, len, sizeof(len));
	if ((er = tr_db_exec(tr_db_get(), &res, &key_admit, p)) != TR_OK)
		return er;
	/* The database found the key by its digest; the digest is compared
	 * once more here, in constant time (bytea comes back as "\\x..."). */
	if (PQntuples(res) != 1 ||
	    (er = tr_db_col_str(res, 0, "key_hash", &hash)) != TR_OK ||
	    hash == NULL || strlen(hash) != TR_TOKEN_DIGEST - 1 ||
	    !tr_memeq_ct(hash, hx, TR_TOKEN_DIGEST - 1)) {
		if (er == TR_OK)
			er = refuse(r, TR_EUNAUTH, "invalid API key");
		goto out;
	}
	if ((er = tr_db_col_bool(res, 0, "key_active", &keyok)) != TR_OK ||
	    (er = tr_db_col_bool(res, 0, "user_active", &userok)) != TR_OK ||
	    (er = tr_db_col_bool(res, 0, "expired", &expired)) != TR_OK ||
	    (er = tr_db_col_ll(res, 0, "key_id", &kid)) != TR_OK ||
	    (er = tr_db_col_ll(res, 0, "user_id", &uid)) != TR_OK ||
	    (er = tr_db_col_str(res, 0, "plan", &plan)) != TR_OK)
		goto out;
	if (!keyok || !userok) {
		er = refuse(r, TR_EUNAUTH, "API key revoked");
		goto out;
	}
	if (expired) {
		er = refuse(r, TR_EUNAUTH, "API key expired");
		goto out;
	}
	if ((er = admission(r, res, count)) != TR_OK)
		goto out;
	r->prin.kind = TR_PRIN_APIKEY;
	r->prin.key_id = kid;
	r->prin.user_id = uid;
	setplan(&r->prin, plan);
	snprintf(r->prin.bucket, sizeof(r->prin.bucket), "user:%lld",
	    r->prin.user_id);
	tr_debug("api key %s... of user %lld", prefix, r->prin.user_id);
out:
	PQclear(res);
	return er;
}

/* admit() (migration 0013) for a user of ours: the user and, as for a
 * key, the rate limit and the slot, in one statement. */
static const struct tr_db_stmt user_admit = {
	"user_admit", "SELECT plan, admitted, lim, remaining, reset_at,"
	" retry_in, minutes_ok, used, quota, until_next, slot FROM"
	" admit(NULL, NULL, $1::bigint, $2::boolean, $3::integer,"
	" $4::integer)", 4,
};

/*
 * Our own access token: HS256, iss "trapi", typ "access", user in sub.
 * The user is looked up with its admission (count: the call counted
 * against the rate limit).
 */
static enum tr_err
auth_jwt(struct tr_req *r, struct tr_jwt *jwt, int count)
{
	const char	*secret, *sub, *typ, *plan, *p[4];
	char		 len[24];
	PGresult	*res = NULL;
	long long	 uid;
	enum tr_err	 er;

	secret = jwt_secret();
	if ((er = tr_jwt_verify_hs256(jwt, secret, strlen(secret))) != TR_OK ||
	    (er = tr_jwt_check(jwt, JWT_ISSUER, NULL, 30, time(NULL))) != TR_OK)
		goto out;
	if ((typ = tr_json_str(jwt->claims, "typ")) == NULL ||
	    strcmp(typ, "access") != 0 ||
	    (sub = tr_json_str(jwt->claims, "sub")) == NULL ||
	    tr_parse_ll(sub, 1, INT64_MAX, &uid) != TR_OK) {
		jwt->why = "not an access token";
		er = TR_EUNAUTH;
		goto out;
	}
	p[0] = sub;
	p[1] = count ? "t" : "f";
	p[2] = TR_RATE_DEFAULT;
	p[3] = lease_param(r, len, sizeof(len));
	if ((er = tr_db_exec(tr_db_get(), &res, &user_admit, p)) != TR_OK)
		goto out;
	if (PQntuples(res) != 1) {
		jwt->why = "unknown or disabled user";
		er = TR_EUNAUTH;
		goto out;
	}
	if ((er = tr_db_col_str(res, 0, "plan", &plan)) != TR_OK ||
	    (er = admission(r, res, count)) != TR_OK)
		goto out;
	r->prin.kind = TR_PRIN_JWT;
	r->prin.user_id = uid;
	setplan(&r->prin, plan);
	snprintf(r->prin.bucket, sizeof(r->prin.bucket), "user:%lld", uid);
	r->prin.claims = json_object_get(jwt->claims);
out:
	PQclear(res);
	if (er == TR_EUNAUTH)
		er = refuse(r, er, jwt->why != NULL ? jwt->why : "invalid token");
	return er;
}

/* An Auth0 access token: RS256 only, key by kid, iss, aud, exp, nbf. */
static enum tr_err
auth_auth0(struct tr_req *r, struct tr_jwt *jwt, const char *tok)
{
	EVP_PKEY	*key = NULL;
	const char	*domain, *aud, *sub;
	char		 iss[512];
	unsigned char	 h[TR_SHA256_LEN];
	char		 hx[2 * TR_SHA256_LEN + 1];
	enum tr_err	 er;

	domain = tr_conf("AUTH0_DOMAIN");
	aud = tr_conf("AUTH0_AUDIENCE");
	if (domain == NULL || aud == NULL)
		return refuse(r, TR_EUNAUTH, "Auth0 is not configured");
	snprintf(iss, sizeof(iss), "%s", tr_conf("AUTH0_ISSUER") != NULL ?
	    tr_conf("AUTH0_ISSUER") : "");
	if (iss[0] == '\0')
		snprintf(iss, sizeof(iss), "https://%s/", domain);
	if (strcmp(jwt->alg, "RS256") != 0) {
		jwt->why = "token algorithm not accepted";
		er = TR_EUNAUTH;
		goto out;
	}
	if (jwt->kid == NULL) {
		jwt->why = "token without kid";
		er = TR_EUNAUTH;
		goto out;
	}
	if ((er = tr_jwks_key(jwt->kid, &key)) != TR_OK) {
		if (er == TR_EUNAUTH)
			jwt->why = "unknown signing key";
		else
			(void)tr_fail(r, TR_EUNAVAIL,
			    "the identity provider's keys are unavailable");
		goto out;
	}
	if ((er = tr_jwt_verify_rs256(jwt, key)) != TR_OK ||
	    (er = tr_jwt_check(jwt, iss, aud,
	    tr_conf_ll("AUTH0_LEEWAY", 60, 0, 600), time(NULL))) != TR_OK)
		goto out;
	if ((sub = tr_json_str(jwt->claims, "sub")) == NULL || *sub == '\0') {
		jwt->why = "token without sub";
		er = TR_EUNAUTH;
		goto out;
	}
	r->prin.kind = TR_PRIN_AUTH0;
	setplan(&r->prin, tr_conf_def("AUTH0_DEFAULT_PLAN", "free"));
	if ((er = tr_sha256(sub, strlen(sub), h)) != TR_OK)
		goto out;
	tr_hex(h, 12, hx);
	snprintf(r->prin.bucket, sizeof(r->prin.bucket), "auth0:%s", hx);
	r->prin.claims = json_object_get(jwt->claims);
	r->prin.token = tr_xstrdup(tok);
out:
	EVP_PKEY_free(key);
	if (er == TR_EUNAUTH)
		er = refuse(r, er, jwt->why != NULL ? jwt->why : "invalid token");
	return er;
}

/*
 * A parsed JWT: an Auth0 token where the endpoint takes those (for
 * "any", when it is RS256 and Auth0 is configured), else one of ours.
 */
static enum tr_err
auth_anyjwt(struct tr_req *r, enum tr_authkind kind, struct tr_jwt *jwt,
    const char *tok, int count)
{
	if (kind == TR_AUTH_AUTH0 || (kind == TR_AUTH_ANY &&
	    strcmp(jwt->alg, "RS256") == 0 && tr_conf("AUTH0_DOMAIN") != NULL))
		return auth_auth0(r, jwt, tok);
	return auth_jwt(r, jwt, count);
}

/* A Bearer token, parsed once. */
static enum tr_err
auth_bearer(struct tr_req *r, enum tr_authkind kind, const char *tok)
{
	struct tr_jwt	 jwt;
	enum tr_err	 er;

	if (tr_jwt_parse(tok, &jwt) != TR_OK)
		er = refuse(r, TR_EUNAUTH, jwt.why != NULL ? jwt.why :
		    "invalid token");
	else
		er = auth_anyjwt(r, kind, &jwt, tok, 1);
	tr_jwt_free(&jwt);
	return er;
}

static enum tr_err	 session_find(const char *, long long *, char *,
			    size_t) TR_WUR;

/* A session token (deprecated), only while insecure session auth is on. */
static enum tr_err
auth_session(struct tr_req *r, const char *tok)
{
	char		 plan[sizeof(r->prin.plan)];
	long long	 uid;
	enum tr_err	 er;

	if (!tr_conf_bool("ALLOW_INSECURE_SESSION_AUTH", 0))
		return refuse(r, TR_EUNAUTH, "session tokens are not accepted");
	er = session_find(tok, &uid, plan, sizeof(plan));
	if (er == TR_EUNAUTH)
		return refuse(r, er, "invalid or expired session");
	if (er != TR_OK)
		return er;
	r->prin.kind = TR_PRIN_SESSION;
	r->prin.user_id = uid;
	setplan(&r->prin, plan);
	snprintf(r->prin.bucket, sizeof(r->prin.bucket), "user:%lld", uid);
	return TR_OK;
}

/*
 * Authenticates a bare token (ws-bridge's Socket.IO auth), in the order
 * of SPEC section 6: a JWT (Auth0 when RS256 and configured, else ours),
 * then the static API_KEY, one of our API keys, or a session token.
 * On an error the principal is left empty and tr_req_message() says
 * why; an error without a message gets the code's default one.
 */
enum tr_err
tr_auth_token(struct tr_req *r, const char *tok)
{
	struct tr_jwt	 jwt;
	enum tr_err	 er;

	tr__principal_free(&r->prin);
	tr_buf_reset(&r->msg);
	if (tok == NULL || *tok == '\0')
		return refuse(r, TR_EUNAUTH, "missing credentials");
	if (strnlen(tok, TOKEN_MAX + 1) > TOKEN_MAX)
		return refuse(r, TR_EUNAUTH, "invalid token");
	if (tr_jwt_parse(tok, &jwt) == TR_OK)
		er = auth_anyjwt(r, TR_AUTH_ANY, &jwt, tok, 0);
	else if (auth_legacy(r, tok))
		er = TR_OK;
	else if (strncmp(tok, KEY_PREFIX, strlen(KEY_PREFIX)) == 0)
		er = auth_apikey(r, tok, 0);
	else if (strncmp(tok, SESSION_PREFIX, strlen(SESSION_PREFIX)) == 0)
		er = auth_session(r, tok);
	else
		er = refuse(r, TR_EUNAUTH, "invalid token");
	tr_jwt_free(&jwt);
	if (er != TR_OK) {
		/* An error leaves no half-set principal behind. */
		tr__principal_free(&r->prin);
		if (r->msg.len == 0)
			(void)tr_fail(r, er, "%s", tr_err_message(er));
	}
	return er;
}

/* What each kind of endpoint takes, for the client that sent the wrong
 * thing or nothing. */
static const char *const takes[TR_AUTH__MAX] = {
	[TR_AUTH_APIKEY] = "an API key (x-api-key header)",
	[TR_AUTH_JWT] = "a Bearer access token from /auth/login",
	[TR_AUTH_AUTH0] = "a Bearer Auth0 access token",
	[TR_AUTH_ANY] = "an API key (x-api-key header) or a Bearer access "
	    "token",
};

static int
takes_keys(enum tr_authkind kind)
{
	return kind == TR_AUTH_APIKEY || kind == TR_AUTH_ANY;
}

/* 401 saying what this endpoint takes; why: what was wrong, or NULL
 * when nothing was sent. */
static enum tr_err
refuse_kind(struct tr_req *r, enum tr_authkind kind, const char *why)
{
	char	 msg[160];

	if (why != NULL)
		snprintf(msg, sizeof(msg), "this endpoint takes %s, %s",
		    takes[kind], why);
	else
		snprintf(msg, sizeof(msg), "missing credentials: this "
		    "endpoint takes %s", takes[kind]);
	return refuse(r, TR_EUNAUTH, msg);
}

/*
 * Authenticates the request as the endpoint's auth kind asks, before
 * its body is read.  Credentials in the query string are ignored.
 * Returns TR_EUNAUTH (401) with a reason, TR_EDBDOWN when a key or user
 * cannot be checked, or TR_OK with r->prin set.
 */
enum tr_err
tr__auth(struct tr_req *r)
{
	enum tr_authkind	 kind = r->ep->auth;
	const char		*key, *authz, *tok = NULL;

	key = tr_header_in(r, "X-Api-Key");
	authz = tr_header_in(r, "Authorization");
	if (authz != NULL) {
		if (strncasecmp(authz, "Bearer ", 7) != 0)
			return refuse(r, TR_EUNAUTH,
			    "Authorization must be a Bearer token");
		for (tok = authz + 7; *tok == ' '; tok++)
			continue;
	}
	if (key != NULL && *key != '\0' && takes_keys(kind))
		return auth_apikey(r, key, 1);
	if (tok == NULL || *tok == '\0')
		return refuse_kind(r, kind, key != NULL && *key != '\0' ?
		    "not an API key" : NULL);
	/* Our API keys are also accepted as Bearer tokens (OpenAI SDKs). */
	if (strncmp(tok, KEY_PREFIX, strlen(KEY_PREFIX)) == 0) {
		if (!takes_keys(kind))
			return refuse_kind(r, kind, "not an API key");
		return auth_apikey(r, tok, 1);
	}
	if (kind == TR_AUTH_APIKEY)
		return auth_apikey(r, tok, 1);
	return auth_bearer(r, kind, tok);
}

/*
 * The caller's users row id.  Auth0 subjects get a row on first use
 * (no e-mail: theirs may belong to a local account).  Returns
 * TR_EUNAUTH for the legacy key, which has no user.
 */
enum tr_err
tr_principal_user(struct tr_req *r, long long *uid)
{
	PGresult	*res = NULL;
	const char	*sub, *plan;
	long long	 id;
	enum tr_err	 er;

	if (r->prin.user_id > 0) {
		*uid = r->prin.user_id;
		return TR_OK;
	}
	if (r->prin.kind != TR_PRIN_AUTH0 ||
	    (sub = tr_json_str(r->prin.claims, "sub")) == NULL)
		return TR_EUNAUTH;
	er = tr_db_queryv(tr_db_get(), &res, "INSERT INTO users (auth0_sub,"
	    " plan) VALUES ($1, $2) ON CONFLICT (auth0_sub) DO UPDATE SET"
	    " updated_at = users.updated_at RETURNING id, plan", 2, sub,
	    r->prin.plan);
	if (er != TR_OK)
		return er;
	if ((er = tr_db_col_ll(res, 0, "id", &id)) == TR_OK &&
	    (er = tr_db_col_str(res, 0, "plan", &plan)) == TR_OK) {
		r->prin.user_id = id;
		setplan(&r->prin, plan);
		*uid = id;
	}
	PQclear(res);
	return er;
}

/* Issues an access token for a user.  *access is malloced. */
enum tr_err
tr_auth_issue(long long uid, char **access, long long *expires_in)
{
	struct json_object	*c;
	unsigned char		 jti[12];
	char			 hx[25], sub[24];
	const char		*secret = jwt_secret();
	time_t			 now = time(NULL);
	long long		 ttl;
	enum tr_err		 er;

	ttl = tr_conf_ll("JWT_ACCESS_TTL", 3600, 60, 86400 * 30);
	if ((er = tr_random(jti, sizeof(jti))) != TR_OK)
		return er;
	tr_hex(jti, sizeof(jti), hx);
	snprintf(sub, sizeof(sub), "%lld", uid);
	c = json_object_new_object();
	json_object_object_add(c, "iss", json_object_new_string(JWT_ISSUER));
	json_object_object_add(c, "sub", json_object_new_string(sub));
	json_object_object_add(c, "typ", json_object_new_string("access"));
	json_object_object_add(c, "iat", json_object_new_int64(now));
	json_object_object_add(c, "exp", json_object_new_int64(now + ttl));
	json_object_object_add(c, "jti", json_object_new_string(hx));
	er = tr_jwt_sign_hs256(c, secret, strlen(secret), access);
	json_object_put(c);
	if (er == TR_OK)
		*expires_in = ttl;
	return er;
}

/*
 * Makes a random token with the prefix and stores its hash with an
 * expiry by sql ($1 user, $2 hash, $3 seconds).  *out is malloced.
 */
static enum tr_err
token_new(const char *prefix, const char *sql, long long uid, long long ttl,
    char **out)
{
	char		*tok, hx[TR_TOKEN_DIGEST], id[24], secs[24];
	enum tr_err	 er;

	if ((er = tr_token_new(prefix, 32, &tok)) != TR_OK)
		return er;
	snprintf(id, sizeof(id), "%lld", uid);
	snprintf(secs, sizeof(secs), "%lld", ttl);
	if ((er = tr_token_digest(tok, hx)) != TR_OK ||
	    (er = tr_db_queryv(tr_db_get(), NULL, sql, 3, id, hx,
	    secs)) != TR_OK) {
		tr_wipe(tok, strlen(tok));
		free(tok);
		return er;
	}
	*out = tok;
	return TR_OK;
}

/* A new refresh token for a user, stored hashed.  *out is malloced. */
enum tr_err
tr_auth_refresh_new(long long uid, char **out)
{
	return token_new("trr_", "INSERT INTO refresh_tokens (user_id,"
	    " token_hash, expires_at) VALUES ($1, $2, now() +"
	    " make_interval(secs => $3))", uid, tr_conf_ll("JWT_REFRESH_TTL",
	    86400 * 30, 60, 86400 * 365), out);
}

/*
 * Spends a refresh token: single-use, so presenting one again (a sign
 * it was stolen) revokes every refresh token of its user.  Returns
 * TR_OK with the user, or TR_EUNAUTH with a reason set on r.
 */
enum tr_err
tr_auth_refresh_use(struct tr_req *r, const char *tok, long long *uid)
{
	char		 hx[TR_TOKEN_DIGEST];
	PGresult	*res = NULL;
	enum tr_err	 er;

	if (strlen(tok) > 128 || tr_token_digest(tok, hx) != TR_OK)
		return tr_fail(r, TR_EUNAUTH, "invalid refresh token");
	if ((er = tr_db_queryv(tr_db_get(), &res, "UPDATE refresh_tokens t SET"
	    " used_at = now() FROM users u WHERE t.token_hash = $1 AND"
	    " t.used_at IS NULL AND t.expires_at > now() AND u.id = t.user_id"
	    " AND u.is_active AND u.deleted_at IS NULL RETURNING t.user_id",
	    1, hx)) != TR_OK)
		return er;
	if (PQntuples(res) != 1) {
		PQclear(res);
		if ((er = tr_db_queryv(tr_db_get(), NULL, "DELETE FROM"
		    " refresh_tokens WHERE user_id = (SELECT user_id FROM"
		    " refresh_tokens WHERE token_hash = $1 AND used_at IS NOT"
		    " NULL)", 1, hx)) != TR_OK)
			return er;
		return tr_fail(r, TR_EUNAUTH, "invalid or used refresh token");
	}
	er = tr_db_col_ll(res, 0, "user_id", uid);
	PQclear(res);
	return er;
}

/* A new session token (deprecated session login).  *out is malloced. */
enum tr_err
tr_auth_session_new(long long uid, char **out)
{
	return token_new("trs_", "INSERT INTO sessions (user_id, token_hash,"
	    " expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))",
	    uid, tr_conf_ll("SESSION_TTL", 86400, 60, 86400 * 30), out);
}

/*
 * A sign-in's fields: any text as the e-mail address, so that a
 * malformed one is refused as a wrong password is.
 */
const struct tr_field tr_login_fields[TR_LOGIN__MAX] = {
	{ "email", tr_valid_string, TR_REQUIRED },	/* TR_LOGIN_EMAIL */
	{ "password", tr_valid_string, TR_REQUIRED },	/* TR_LOGIN_PASSWORD */
};

/*
 * Checks an e-mail address and password.  An unknown address costs a
 * hash check too (against a hash made once per process), so that it
 * takes as long as a wrong password.
 */
enum tr_err
tr_auth_password(const char *email, const char *pw, long long *uid)
{
	static char	*dummy;
	PGresult	*res = NULL;
	const char	*hash;
	int		 ok = 0;
	enum tr_err	 er;

	if ((er = tr_db_queryv(tr_db_get(), &res, "SELECT id, password_hash"
	    " FROM users WHERE lower(email) = lower($1) AND is_active AND"
	    " deleted_at IS NULL", 1, email)) != TR_OK)
		return er;
	if (PQntuples(res) == 1) {
		if ((er = tr_db_col_str(res, 0, "password_hash", &hash)) ==
		    TR_OK && (er = tr_db_col_ll(res, 0, "id", uid)) == TR_OK)
			ok = tr_password_check(pw, hash);
	} else {
		if (dummy == NULL && tr_password_hash("no such user 0",
		    &dummy) != TR_OK)
			dummy = NULL;
		(void)tr_password_check(pw, dummy);
	}
	PQclear(res);
	if (er != TR_OK)
		return er;
	return ok ? TR_OK : TR_EUNAUTH;
}

/*
 * The password check of a sign-in request (its tr_login_fields): the
 * account's count of failed checks is taken before the hash is
 * computed (429 over LOGIN_FAILURES_PER_MINUTE), and given back when
 * the password is right.  A wrong one fails the request with 401.
 */
enum tr_err
tr_auth_login(struct tr_req *r, long long *uid)
{
	const char	*email = tr_str(r, TR_LOGIN_EMAIL);
	enum tr_err	 er;

	if ((er = tr__throttle_account(r, email)) != TR_OK)
		return er;
	er = tr_auth_password(email, tr_str(r, TR_LOGIN_PASSWORD), uid);
	if (er == TR_OK)
		tr__throttle_account_ok(email);
	if (er == TR_EUNAUTH)
		return tr_fail(r, er, "invalid email or password");
	return er;
}

/*
 * Finds a session by its token: only while insecure session auth is
 * allowed, only unexpired sessions of active users.  Returns TR_OK with
 * the user id and plan, TR_EUNAUTH, or a database error.
 */
static enum tr_err
session_find(const char *tok, long long *uid, char *plan, size_t plansz)
{
	char		 hx[TR_TOKEN_DIGEST];
	PGresult	*res = NULL;
	const char	*p;
	enum tr_err	 er;

	if (!tr_conf_bool("ALLOW_INSECURE_SESSION_AUTH", 0) ||
	    strncmp(tok, SESSION_PREFIX, strlen(SESSION_PREFIX)) != 0 ||
	    strlen(tok) > 128)
		return TR_EUNAUTH;
	if ((er = tr_token_digest(tok, hx)) != TR_OK)
		return er;
	if ((er = tr_db_queryv(tr_db_get(), &res, "UPDATE sessions s SET"
	    " last_seen = now() FROM users u WHERE s.token_hash = $1 AND"
	    " s.expires_at > now() AND u.id = s.user_id AND u.is_active AND"
	    " u.deleted_at IS NULL RETURNING s.user_id, u.plan", 1,
	    hx)) != TR_OK)
		return er;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return TR_EUNAUTH;
	}
	if ((er = tr_db_col_ll(res, 0, "user_id", uid)) == TR_OK &&
	    (er = tr_db_col_str(res, 0, "plan", &p)) == TR_OK)
		snprintf(plan, plansz, "%s", p != NULL ? p : "");
	PQclear(res);
	return er;
}

/*
 * Checks a session token, for ws-bridge: only while insecure session
 * auth is allowed, only unexpired sessions of active users.  Returns
 * TR_OK with the user id, TR_EUNAUTH, or a database error.
 */
enum tr_err
tr_auth_session_check(const char *tok, long long *uid)
{
	char	 plan[16];

	return session_find(tok, uid, plan, sizeof(plan));
}
