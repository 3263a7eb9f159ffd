/*
 * Bare requests (tr_req_new()) and tr_auth_token(), the way ws-bridge
 * authenticates a Socket.IO caller: the refusals that need no database
 * always; with TEST_DATABASE_URL set (tests/e2e/test_db_unit.py sets it
 * to the suite's migrated PostgreSQL) also own JWTs, API keys, session
 * tokens, and the usage row and quota slots of a bare request.  Nothing
 * may ever reach stdout.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"
#include "t.h"

#define SECRET	"unit-jwt-secret-0123456789abcdef0123456789"
#define LEGACY	"legacy-static-key-for-unit-tests"
#define PATH	"/audio-stream"

/* The token is refused with this message and leaves no principal. */
static void
refused(struct tr_req *r, const char *tok, const char *why)
{
	T(tr_auth_token(r, tok) == TR_EUNAUTH);
	T_STREQ(tr_req_message(r), why);
	T(tr_principal(r)->kind == TR_PRIN_NONE);
	T(tr_principal(r)->user_id == 0);
	T(tr_principal(r)->bucket[0] == '\0');
}

/* A JWT signed with our secret (or another) for these claims. */
static char *
mkjwt(const char *secret, const char *sub, const char *typ, long long iat,
    long long exp)
{
	struct json_object	*c;
	char			*tok = NULL;

	c = json_object_new_object();
	json_object_object_add(c, "iss", json_object_new_string("trapi"));
	json_object_object_add(c, "sub", json_object_new_string(sub));
	json_object_object_add(c, "typ", json_object_new_string(typ));
	json_object_object_add(c, "iat", json_object_new_int64(iat));
	json_object_object_add(c, "exp", json_object_new_int64(exp));
	T(tr_jwt_sign_hs256(c, secret, strlen(secret), &tok) == TR_OK);
	json_object_put(c);
	return tok;
}

/* "header.payload.sig" with an RS256 header and no kid, never valid. */
static char *
mkrs256(void)
{
	static const char	 hdr[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	static const char	 pay[] = "{\"sub\":\"auth0|x\"}";
	struct tr_buf		 b;

	tr_buf_init(&b, 4096);
	T(tr_b64url_encode(&b, hdr, strlen(hdr)) == TR_OK);
	T(tr_buf_adds(&b, ".") == TR_OK);
	T(tr_b64url_encode(&b, pay, strlen(pay)) == TR_OK);
	T(tr_buf_adds(&b, ".c2ln") == TR_OK);
	return tr_buf_take(&b, NULL);
}

static void
bare(void)
{
	struct tr_req	*r, *r2;

	r = tr_req_new(PATH);
	r2 = tr_req_new(NULL);
	T(r != NULL && r2 != NULL);
	T(strlen(tr_request_id(r)) == 32);
	T(strspn(tr_request_id(r), "0123456789abcdef") == 32);
	T(strcmp(tr_request_id(r), tr_request_id(r2)) != 0);
	T_STREQ(tr_path(r), PATH);
	T_STREQ(tr_path(r2), "/");
	T_STREQ(tr_req_message(r), "");
	T(tr_principal(r)->kind == TR_PRIN_NONE);
	/* No environment: a stray HTTP_* variable is not a header. */
	T(setenv("HTTP_AUTHORIZATION", "Bearer " LEGACY, 1) == 0);
	T(setenv("HTTP_X_API_KEY", LEGACY, 1) == 0);
	T(tr_header_in(r, "Authorization") == NULL);
	T(tr_header_in(r, "X-Api-Key") == NULL);
	T(unsetenv("HTTP_AUTHORIZATION") == 0);
	T(unsetenv("HTTP_X_API_KEY") == 0);
	/* No response either. */
	T(tr_reply(r, 200, "text/plain", "x", 1) == TR_ESYSTEM);
	T(tr_header(r, "X-Test", "1") == TR_OK);
	T(tr_fail(r, TR_EINVAL, "first %d", 1) == TR_EINVAL);
	T(tr_fail(r, TR_EINVAL, "second") == TR_EINVAL);
	T_STREQ(tr_req_message(r), "first 1");
	tr_req_free(r);
	tr_req_free(r2);
	tr_req_free(NULL);
}

static void
offline(void)
{
	struct tr_req	*r = tr_req_new(PATH);
	char		*big, *tok;
	time_t		 now = time(NULL);

	refused(r, "", "missing credentials");
	refused(r, NULL, "missing credentials");
	big = malloc(8192 + 2);
	T(big != NULL);
	memset(big, 'a', 8192 + 1);
	big[8192 + 1] = '\0';
	refused(r, big, "invalid token");
	big[8192] = '\0';	/* 8 KB exactly: not too long, garbage */
	refused(r, big, "invalid token");
	free(big);
	refused(r, "garbage", "invalid token");
	refused(r, "not.a.jwt", "invalid token");
	refused(r, "trk_short", "invalid API key");

	/* The legacy key; then a refusal on the same request clears it. */
	T(tr_auth_token(r, LEGACY) == TR_OK);
	T(tr_principal(r)->kind == TR_PRIN_LEGACY);
	T_STREQ(tr_principal(r)->plan, "enterprise");
	T_STREQ(tr_principal(r)->bucket, "legacy");
	T_STREQ(tr_req_message(r), "");
	refused(r, LEGACY "x", "invalid token");

	/* Own JWTs refused before any database lookup. */
	tok = mkjwt(SECRET, "1", "access", now - 7200, now - 3600);
	refused(r, tok, "token expired");
	free(tok);
	tok = mkjwt(SECRET "x", "1", "access", now, now + 600);
	refused(r, tok, "invalid token signature");
	free(tok);
	tok = mkjwt(SECRET, "1", "refresh", now, now + 600);
	refused(r, tok, "not an access token");
	free(tok);

	/* RS256 goes to Auth0 only when it is configured. */
	tok = mkrs256();
	refused(r, tok, "token algorithm not accepted");
	T(setenv("AUTH0_DOMAIN", "tenant.example.invalid", 1) == 0);
	refused(r, tok, "Auth0 is not configured");
	T(setenv("AUTH0_AUDIENCE", "https://api.example.invalid", 1) == 0);
	refused(r, tok, "token without kid");
	T(unsetenv("AUTH0_DOMAIN") == 0);
	T(unsetenv("AUTH0_AUDIENCE") == 0);
	free(tok);

	/* Session tokens are off by default and then never looked up. */
	refused(r, "trs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "session tokens are not accepted");
	tr_req_free(r);
}

/* Runs a query that returns one value; returns it malloced. */
static char *
value(const char *sql, const char *arg)
{
	PGresult	*res = NULL;
	char		*v;

	T(tr_db_queryv(tr_db_get(), &res, sql, arg != NULL ? 1 : 0,
	    arg) == TR_OK);
	T(PQntuples(res) == 1);
	v = tr_xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

static long long
count(const char *sql, const char *arg)
{
	char		*v = value(sql, arg);
	long long	 n = strtoll(v, NULL, 10);

	free(v);
	return n;
}

/* The slots taken in a rate-limit bucket. */
static long long
slots_of(const char *bucket)
{
	return count("SELECT count(*) FROM inflight WHERE bucket = $1", bucket);
}

/* Takes the free plan's concurrent slots; one more is refused. */
static void
quota(struct tr_req *r, const char *bucket)
{
	long long	 slots[64], slot, n, i;
	char		*v;

	v = value("SELECT concurrent FROM plans WHERE plan = 'free'", NULL);
	n = strtoll(v, NULL, 10);
	free(v);
	T(n > 0 && n < (long long)T_NELEM(slots));
	for (i = 0; i < n; i++) {
		T(tr_quota_begin(r, 0, &slots[i]) == TR_OK);
		T(slots[i] > 0);
	}
	T(slots_of(bucket) == n);
	T(tr_quota_begin(r, 0, &slot) == TR_ERATE);
	T(slot == 0);
	T(strstr(tr_req_message(r), "too many transcriptions") != NULL);
	for (i = 0; i < n; i++)
		tr_quota_end(r, slots[i]);
	T(slots_of(bucket) == 0);
	/* Given back, a slot can be taken again: a row of the bucket
	 * reused, under a new token.  The tokens given back before do not
	 * free it, and the bucket has no more rows than it had slots. */
	T(tr_quota_begin(r, 0, &slot) == TR_OK);
	T(slot > 0);
	for (i = 0; i < n; i++) {
		T(slot != slots[i]);
		tr_quota_end(r, slots[i]);
	}
	T(slots_of(bucket) == 1);
	T(count("SELECT count(*) FROM slots WHERE bucket = $1", bucket) == n);
	tr_quota_end(r, slot);
	T(slots_of(bucket) == 0);
}

/* Minutes: the user's quota is used up, then half a minute is left. */
static void
minutes(const char *tok, const char *uid, const char *bucket)
{
	struct tr_req	*r = tr_req_new(PATH);
	long long	 slot;

	T(tr_auth_token(r, tok) == TR_OK);
	T(tr_db_queryv(tr_db_get(), NULL, "DELETE FROM usage_counters"
	    " WHERE user_id = $1", 1, uid) == TR_OK);
	T(tr_db_queryv(tr_db_get(), NULL, "INSERT INTO usage_counters"
	    " (user_id, month, stripe, audio_minutes) SELECT $1::bigint,"
	    " date_trunc('month', now())::date, 0, audio_minutes_month"
	    " FROM plans WHERE plan = 'free'", 1, uid) == TR_OK);
	T(tr_quota_begin(r, 0, &slot) == TR_ERATE);
	T(slot == 0);
	T(strstr(tr_req_message(r), "monthly audio quota") != NULL);
	T(slots_of(bucket) == 0);
	tr_req_free(r);

	r = tr_req_new(PATH);
	T(tr_auth_token(r, tok) == TR_OK);
	T(tr_db_queryv(tr_db_get(), NULL, "UPDATE usage_counters SET"
	    " audio_minutes = audio_minutes - 0.5 WHERE user_id = $1",
	    1, uid) == TR_OK);
	T(tr_quota_begin(r, 0, &slot) == TR_OK);
	T(slot > 0);
	tr_quota_end(r, slot);
	/* A known length still counts: a minute more does not fit. */
	T(tr_quota_begin(r, 60, &slot) == TR_ERATE);
	T(slot == 0);
	tr_req_free(r);
}

static void
online(const char *url)
{
	struct tr_req		*r;
	struct json_object	*o = NULL, *v;
	struct tr_usage		 u;
	char			 email[80], uid[24], kid[24], bucket[40];
	char			*access, *key, *sess, *s, *tok, last;
	long long		 id, exp, slot;
	time_t			 now = time(NULL);

	T(setenv("DATABASE_URL", url, 1) == 0);
	T(tr_db_ping(tr_db_get(), 0) == TR_OK);

	/* A user of our own, by a unique address. */
	r = tr_req_new(PATH);
	snprintf(email, sizeof(email), "authtoken-%s@example.com",
	    tr_request_id(r));
	tr_req_free(r);
	s = value("INSERT INTO users (email, plan) VALUES ($1, 'free')"
	    " RETURNING id", email);
	id = strtoll(s, NULL, 10);
	snprintf(uid, sizeof(uid), "%s", s);
	free(s);
	snprintf(bucket, sizeof(bucket), "user:%lld", id);

	/* Our own access token. */
	T(tr_auth_issue(id, &access, &exp) == TR_OK);
	r = tr_req_new(PATH);
	T(tr_auth_token(r, access) == TR_OK);
	T(tr_principal(r)->kind == TR_PRIN_JWT);
	T(tr_principal(r)->user_id == id);
	T_STREQ(tr_principal(r)->plan, "free");
	T_STREQ(tr_principal(r)->bucket, bucket);
	T(tr_principal(r)->claims != NULL);
	T_STREQ(tr_req_message(r), "");
	tok = mkjwt(SECRET, "999999999999", "access", now, now + 600);
	refused(r, tok, "unknown or disabled user");
	free(tok);
	tr_req_free(r);

	/* An API key, then the same key revoked. */
	T(tr_account_key_new(id, "ws-bridge", 0, &o) == TR_OK);
	T(json_object_object_get_ex(o, "api_key", &v));
	key = tr_xstrdup(json_object_get_string(v));
	T(json_object_object_get_ex(o, "id", &v));
	snprintf(kid, sizeof(kid), "%lld", (long long)json_object_get_int64(v));
	r = tr_req_new(PATH);
	T(tr_auth_token(r, key) == TR_OK);
	T(tr_principal(r)->kind == TR_PRIN_APIKEY);
	T(tr_principal(r)->user_id == id);
	T(tr_principal(r)->key_id == json_object_get_int64(v));
	T_STREQ(tr_principal(r)->plan, "free");
	T_STREQ(tr_principal(r)->bucket, bucket);
	T(count("SELECT usage_count FROM api_keys WHERE id = $1", kid) == 1);
	json_object_put(o);
	/* Same prefix, another key: compared by digest, refused. */
	last = key[strlen(key) - 1];
	key[strlen(key) - 1] = last == 'A' ? 'B' : 'A';
	refused(r, key, "invalid API key");
	key[strlen(key) - 1] = last;
	T(tr_db_queryv(tr_db_get(), NULL, "UPDATE api_keys SET is_active ="
	    " false, revoked_at = now() WHERE id = $1", 1, kid) == TR_OK);
	refused(r, key, "API key revoked");
	tr_wipe(key, strlen(key));
	free(key);
	tr_req_free(r);

	/* A session token: refused until insecure session auth is on. */
	T(tr_auth_session_new(id, &sess) == TR_OK);
	r = tr_req_new(PATH);
	refused(r, sess, "session tokens are not accepted");
	T(setenv("ALLOW_INSECURE_SESSION_AUTH", "1", 1) == 0);
	refused(r, "trs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "invalid or expired session");
	T(tr_auth_token(r, sess) == TR_OK);
	T(tr_principal(r)->kind == TR_PRIN_SESSION);
	T(tr_principal(r)->user_id == id);
	T(tr_principal(r)->key_id == 0);
	T_STREQ(tr_principal(r)->plan, "free");
	T_STREQ(tr_principal(r)->bucket, bucket);
	T(count("SELECT count(*) FROM sessions WHERE user_id = $1 AND"
	    " last_seen IS NOT NULL", uid) == 1);

	/* The usage row of the bare request. */
	memset(&u, 0, sizeof(u));
	u.service = "ws-test";
	u.audio_seconds = 90;
	u.cost_usd = 0.01;
	T(tr_usage_log(r, &u) == TR_OK);
	s = value("SELECT endpoint || ' ' || request_id || ' ' || service ||"
	    " ' ' || audio_duration_seconds || ' ' || status FROM usage_logs"
	    " WHERE user_id = $1", uid);
	T(strncmp(s, PATH " ", strlen(PATH) + 1) == 0);
	T(strncmp(s + strlen(PATH) + 1, tr_request_id(r), 32) == 0);
	T(strstr(s, " ws-test 90.000 success") != NULL);
	free(s);
	T(count("SELECT api_calls_month FROM usage_month WHERE user_id = $1",
	    uid) == 1);
	T(count("SELECT count(*) FROM usage_logs WHERE request_id = $1",
	    tr_request_id(r)) == 1);

	/* Quota slots of the bare request, taken and given back. */
	quota(r, bucket);
	tr_req_free(r);
	minutes(sess, uid, bucket);
	T(unsetenv("ALLOW_INSECURE_SESSION_AUTH") == 0);
	tr_wipe(sess, strlen(sess));
	free(sess);

	/* A JWT caller's slot is its user's too. */
	r = tr_req_new(PATH);
	T(tr_auth_token(r, access) == TR_OK);
	T(tr_db_queryv(tr_db_get(), NULL, "DELETE FROM usage_counters"
	    " WHERE user_id = $1", 1, uid) == TR_OK);
	T(tr_quota_begin(r, 0, &slot) == TR_OK);
	T(slots_of(bucket) == 1);
	tr_quota_end(r, slot);
	T(slots_of(bucket) == 0);
	tr_req_free(r);
	free(access);

	/* Leave nothing behind for the rest of the suite. */
	T(tr_db_queryv(tr_db_get(), NULL, "DELETE FROM usage_logs WHERE"
	    " user_id = $1", 1, uid) == TR_OK);
	T(tr_db_queryv(tr_db_get(), NULL, "DELETE FROM users WHERE id = $1",
	    1, uid) == TR_OK);
	tr_db_close();
}

int
main(void)
{
	const char	*url = getenv("TEST_DATABASE_URL");
	char		 out[] = "/tmp/test_authtoken.XXXXXX";
	struct stat	 st;
	int		 fd, saved;

	T(setenv("APP_CONFIG", "", 1) == 0);
	T(setenv("JWT_SECRET_KEY", SECRET, 1) == 0);
	T(setenv("API_KEY", LEGACY, 1) == 0);
	T(unsetenv("AUTH0_DOMAIN") == 0);
	T(unsetenv("AUTH0_AUDIENCE") == 0);
	T(unsetenv("AUTH0_ISSUER") == 0);
	T(unsetenv("ALLOW_INSECURE_SESSION_AUTH") == 0);
	T(unsetenv("DATABASE_URL") == 0);
	T(tr_conf_load() == TR_OK);

	/* Whatever happens, a bare request writes nothing to stdout. */
	T((fd = mkstemp(out)) != -1);
	T(unlink(out) == 0);
	fflush(stdout);
	T((saved = dup(STDOUT_FILENO)) != -1);
	T(dup2(fd, STDOUT_FILENO) != -1);

	bare();
	offline();
	if (url != NULL && *url != '\0')
		online(url);
	else
		fprintf(stderr, "test_authtoken: TEST_DATABASE_URL unset; "
		    "only the offline cases ran\n");

	fflush(stdout);
	T(fstat(fd, &st) == 0);
	T(dup2(saved, STDOUT_FILENO) != -1);
	close(saved);
	close(fd);
	T(st.st_size == 0);
	tr_conf_free();
	return 0;
}
