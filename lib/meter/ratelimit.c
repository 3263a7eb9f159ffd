/*
 * Per-plan rate limits kept in PostgreSQL, so that every process on
 * every host shares them: a fixed one-minute window per caller, counted
 * with one upsert.  Over the plan's requests per minute the request is
 * refused with 429, Retry-After and X-RateLimit-* headers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

/* Requests per minute for a plan missing from the plans table. */
#define PER_MINUTE_DEFAULT	"60"

static enum tr_err	 count_call(struct tr_req *, const char *,
			    const char *, const char *);

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
	return count_call(r, r->prin.bucket, r->prin.plan, NULL);
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
	return count_call(r, bucket, "", lim);
}

/*
 * Counts a call in bucket against the plan's limit, or against limit
 * when that is not NULL.
 */
static enum tr_err
count_call(struct tr_req *r, const char *bucket, const char *plan,
    const char *limit)
{
	PGresult	*res = NULL;
	long long	 count, lim, reset, in;
	unsigned char	 dice;
	enum tr_err	 er;

	er = tr_db_queryv(tr_db_get(), &res,
	    "INSERT INTO rate_limits AS rl (bucket, window_start, count)"
	    " VALUES ($1, date_trunc('minute', now()), 1)"
	    " ON CONFLICT (bucket, window_start) DO UPDATE"
	    " SET count = rl.count + 1"
	    " RETURNING count, COALESCE($3::int,"
	    " (SELECT requests_per_minute FROM plans WHERE plan = $2), "
	    PER_MINUTE_DEFAULT ") AS lim,"
	    " extract(epoch FROM window_start + interval '1 minute')::bigint"
	    " AS reset_at,"
	    " ceil(extract(epoch FROM window_start + interval '1 minute'"
	    " - now()))::bigint AS retry_in", 3, bucket, plan, limit);
	if (er == TR_EDBDOWN) {
		tr_warnx("rate limit not checked: database unavailable");
		return TR_OK;
	}
	if (er != TR_OK)
		return er;
	if ((er = tr_db_col_ll(res, 0, "count", &count)) == TR_OK &&
	    (er = tr_db_col_ll(res, 0, "lim", &lim)) == TR_OK &&
	    (er = tr_db_col_ll(res, 0, "reset_at", &reset)) == TR_OK)
		er = tr_db_col_ll(res, 0, "retry_in", &in);
	PQclear(res);
	if (er != TR_OK)
		return er;
	if ((er = hdr(r, "X-RateLimit-Limit", lim)) != TR_OK ||
	    (er = hdr(r, "X-RateLimit-Remaining",
	    count >= lim ? 0 : lim - count)) != TR_OK ||
	    (er = hdr(r, "X-RateLimit-Reset", reset)) != TR_OK)
		return er;
	/* Now and then, drop windows nobody will look at again. */
	if (tr_random(&dice, 1) == TR_OK && dice == 0 &&
	    tr_db_queryv(tr_db_get(), NULL, "DELETE FROM rate_limits"
	    " WHERE window_start < now() - interval '10 minutes'", 0) != TR_OK)
		tr_warnx("rate limit windows not pruned");
	if (count > lim) {
		if ((er = hdr(r, "Retry-After", in < 1 ? 1 : in)) != TR_OK)
			return er;
		return tr_fail(r, TR_ERATE, "rate limit of %lld requests per "
		    "minute exceeded; retry in %lld s", lim, in < 1 ? 1 : in);
	}
	return TR_OK;
}
