/*
 * Per-plan rate limits kept in PostgreSQL, so that every process on
 * every host shares them: calls per caller over a sliding minute (the
 * last minute's count, weighted by how much of it is still within sixty
 * seconds, plus this minute's), counted by one call of the SQL function
 * rate_take().  Over the limit the request is refused with 429,
 * Retry-After and X-RateLimit-* headers.  Password checks are also
 * limited per account, whichever address they come from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

/* Failed password checks per account per minute. */
#define LOGIN_FAILURES_DEFAULT	10
/* The unit of a limit, in a refusal. */
#define PER_MINUTE		"requests per minute"

static enum tr_err	 count_call(struct tr_req *, const char *,
			    const char *, const char *, const char *);
static enum tr_err	 answer(struct tr_req *, const struct tr_rate *,
			    const char *);

static enum tr_err
hdr(struct tr_req *r, const char *name, long long v)
{
	char	 s[32];

	snprintf(s, sizeof(s), "%lld", v);
	return tr_header(r, name, s);
}

/*
 * Counts the request against the caller's bucket.  While the database
 * is unreachable the limit cannot be known and the request is let
 * through (logged): refusing every call during a blip would be worse.
 */
enum tr_err
tr__ratelimit(struct tr_req *r)
{
	if (r->prin.bucket[0] == '\0')
		return TR_OK;
	/* An API key's call was counted with its lookup (admit()). */
	if (r->rate.counted)
		return answer(r, &r->rate, PER_MINUTE);
	return count_call(r, r->prin.bucket, r->prin.plan, NULL, PER_MINUTE);
}

/*
 * The same for an open endpoint that checks secrets: per client
 * address, THROTTLE_PER_MINUTE calls (default 30).
 */
enum tr_err
tr__throttle(struct tr_req *r)
{
	char	 bucket[80], lim[24];

	snprintf(bucket, sizeof(bucket), "ip:%.64s", r->remote);
	snprintf(lim, sizeof(lim), "%lld",
	    tr_conf_ll("THROTTLE_PER_MINUTE", 30, 1, 1000000));
	return count_call(r, bucket, "", lim, PER_MINUTE);
}

/*
 * Counts a password check against the account of email, before the
 * hash is computed: LOGIN_FAILURES_PER_MINUTE (default 10) per account
 * over a sliding minute, from any address.  A check that succeeds is
 * given back with tr__throttle_account_ok(), so that only failures
 * count; counting first keeps concurrent guesses from slipping past.
 * The bucket is the address as the database compares it, lowercased.
 */
enum tr_err
tr__throttle_account(struct tr_req *r, const char *email)
{
	char	 bucket[270], lim[24];

	snprintf(bucket, sizeof(bucket), "acct:%.256s", email);
	snprintf(lim, sizeof(lim), "%lld", tr_conf_ll(
	    "LOGIN_FAILURES_PER_MINUTE", LOGIN_FAILURES_DEFAULT, 1, 1000000));
	return count_call(r, bucket, "", lim,
	    "failed sign-ins per minute for this account");
}

/* Gives back the count of a password check that succeeded. */
void
tr__throttle_account_ok(const char *email)
{
	char	 bucket[270];

	snprintf(bucket, sizeof(bucket), "acct:%.256s", email);
	if (tr_db_queryv(tr_db_get(), NULL, "UPDATE rate_limits SET count ="
	    " count - 1 WHERE bucket = lower($1) AND window_start ="
	    " date_trunc('minute', now()) AND count > 0", 1, bucket) != TR_OK)
		tr_warnx("login count not given back");
}

/*
 * Counts a call in bucket against the plan's limit, or against limit
 * when that is not NULL; what names the unit in a refusal.  Buckets
 * are compared lowercased, as the database compares an account's
 * e-mail address.
 */
static enum tr_err
count_call(struct tr_req *r, const char *bucket, const char *plan,
    const char *limit, const char *what)
{
	PGresult	*res = NULL;
	struct tr_rate	 rt;
	enum tr_err	 er;

	er = tr_db_queryv(tr_db_get(), &res, "SELECT admitted, lim,"
	    " remaining, reset_at, retry_in FROM rate_take(lower($1),"
	    " COALESCE($3::int, (SELECT requests_per_minute FROM plans"
	    " WHERE plan = $2), " TR_RATE_DEFAULT "))", 3, bucket, plan,
	    limit);
	if (er == TR_EDBDOWN) {
		tr_warnx("rate limit not checked: database unavailable");
		return TR_OK;
	}
	if (er != TR_OK)
		return er;
	er = tr__rate_col(res, &rt);
	PQclear(res);
	if (er != TR_OK)
		return er;
	return answer(r, &rt, what);
}

/* rate_take()'s columns in the first row of res. */
enum tr_err
tr__rate_col(const PGresult *res, struct tr_rate *rt)
{
	enum tr_err	 er;

	memset(rt, 0, sizeof(*rt));
	if ((er = tr_db_col_bool(res, 0, "admitted", &rt->admitted)) == TR_OK &&
	    (er = tr_db_col_ll(res, 0, "lim", &rt->lim)) == TR_OK &&
	    (er = tr_db_col_ll(res, 0, "remaining", &rt->left)) == TR_OK &&
	    (er = tr_db_col_ll(res, 0, "reset_at", &rt->reset)) == TR_OK)
		er = tr_db_col_ll(res, 0, "retry_in", &rt->in);
	rt->counted = er == TR_OK;
	return er;
}

/* The headers of a counted call, and its refusal when over the limit. */
static enum tr_err
answer(struct tr_req *r, const struct tr_rate *rt, const char *what)
{
	unsigned char	 dice;
	enum tr_err	 er;

	/* Reset: when the whole limit is back. */
	if ((er = hdr(r, "X-RateLimit-Limit", rt->lim)) != TR_OK ||
	    (er = hdr(r, "X-RateLimit-Remaining", rt->left)) != TR_OK ||
	    (er = hdr(r, "X-RateLimit-Reset", rt->reset)) != TR_OK)
		return er;
	/* Now and then, drop windows nobody will look at again. */
	if (tr_random(&dice, 1) == TR_OK && dice == 0 &&
	    tr_db_queryv(tr_db_get(), NULL, "DELETE FROM rate_limits"
	    " WHERE window_start < now() - interval '10 minutes'", 0) != TR_OK)
		tr_warnx("rate limit windows not pruned");
	if (!rt->admitted) {
		if ((er = hdr(r, "Retry-After", rt->in)) != TR_OK)
			return er;
		return tr_fail(r, TR_ERATE, "rate limit of %lld %s exceeded; "
		    "retry in %lld s", rt->lim, what, rt->in);
	}
	return TR_OK;
}
