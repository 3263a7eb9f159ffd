/*
 * Plan quotas beyond the request rate: audio minutes per month and
 * transcriptions in progress at once.  Both live in PostgreSQL so that
 * every process on every host sees the same numbers.  A transcription
 * endpoint calls tr_quota_begin() before it does the work and
 * tr_quota_end() after; a slot left by a process that died expires.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define SLOT_TTL	"2 hours"

static enum tr_err
retry_after(struct tr_req *r, long long secs)
{
	char	 s[24];

	snprintf(s, sizeof(s), "%lld", secs < 1 ? 1 : secs);
	return tr_header(r, "Retry-After", s);
}

/*
 * Refuses the call if audio_seconds more would pass the monthly quota,
 * or, when the length is not known (0: a stream), if the month's
 * minutes are already used up.
 */
static enum tr_err
minutes(struct tr_req *r, double audio_seconds)
{
	PGresult	*res = NULL;
	char		 uid[24];
	double		 used, lim;
	long long	 until, id;
	enum tr_err	 er;

	/* An Auth0 subject's quota is its users row's, made on first use. */
	if (r->prin.kind == TR_PRIN_AUTH0 &&
	    (er = tr_principal_user(r, &id)) != TR_OK)
		return er;
	if (r->prin.user_id <= 0)
		return TR_OK;	/* the legacy key has no user and no quota */
	snprintf(uid, sizeof(uid), "%lld", r->prin.user_id);
	if ((er = tr_db_queryv(tr_db_get(), &res, "SELECT CASE WHEN"
	    " u.usage_month = date_trunc('month', now())::date THEN"
	    " u.audio_minutes_month ELSE 0 END::float8 AS used,"
	    " p.audio_minutes_month::float8 AS quota,"
	    " ceil(extract(epoch FROM date_trunc('month', now()) +"
	    " interval '1 month' - now()))::bigint AS until_next"
	    " FROM users u JOIN plans p ON p.plan = u.plan WHERE u.id = $1",
	    1, uid)) != TR_OK)
		return er;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return TR_OK;
	}
	if ((er = tr_db_col_double(res, 0, "used", &used)) == TR_OK &&
	    (er = tr_db_col_double(res, 0, "quota", &lim)) == TR_OK)
		er = tr_db_col_ll(res, 0, "until_next", &until);
	PQclear(res);
	if (er != TR_OK)
		return er;
	if (audio_seconds > 0 ? used + audio_seconds / 60 <= lim : used < lim)
		return TR_OK;
	if ((er = retry_after(r, until)) != TR_OK)
		return er;
	return tr_fail(r, TR_ERATE, "monthly audio quota of %.0f minutes "
	    "reached (%.1f used)", lim, used);
}

/*
 * Checks the monthly audio quota for audio_seconds more (0: only that
 * some is left) and takes one of the plan's concurrent slots.  Returns
 * TR_ERATE (429, Retry-After) when either is exhausted; on TR_OK, *slot
 * must be given back with tr_quota_end().  Works on a bare request
 * (tr_req_new()) as on an HTTP one.
 */
enum tr_err
tr_quota_begin(struct tr_req *r, double audio_seconds, long long *slot)
{
	PGresult	*res = NULL;
	struct tr_db	*db = tr_db_get();
	enum tr_err	 er;

	*slot = 0;
	if ((er = minutes(r, audio_seconds)) != TR_OK && er != TR_EDBDOWN)
		return er;
	if (r->prin.bucket[0] == '\0')
		return TR_OK;
	/*
	 * Count and insert under a lock on the caller's bucket, or two
	 * requests could both see one free slot.  While the database is
	 * down the quotas cannot be known, and like the rate limit they
	 * let the call through (its usage row is spooled).
	 */
	if ((er = tr_db_queryv(db, NULL, "BEGIN", 0)) != TR_OK) {
		if (er != TR_EDBDOWN)
			return er;
		tr_warnx("quota not checked: database unavailable");
		return TR_OK;
	}
	if ((er = tr_db_queryv(db, NULL, "SELECT pg_advisory_xact_lock("
	    "hashtext($1))", 1, r->prin.bucket)) != TR_OK ||
	    (er = tr_db_queryv(db, &res, "INSERT INTO inflight (bucket,"
	    " expires_at) SELECT $1, now() + interval '" SLOT_TTL "'"
	    " WHERE (SELECT count(*) FROM inflight WHERE bucket = $1 AND"
	    " expires_at > now()) < COALESCE((SELECT concurrent FROM plans"
	    " WHERE plan = $2), 1) RETURNING id", 2, r->prin.bucket,
	    r->prin.plan)) != TR_OK || (PQntuples(res) == 1 &&
	    (er = tr_db_col_ll(res, 0, "id", slot)) != TR_OK)) {
		PQclear(res);
		if (tr_db_queryv(db, NULL, "ROLLBACK", 0) != TR_OK)
			tr_warnx("quota: rollback failed");
		return er;
	}
	PQclear(res);
	if ((er = tr_db_queryv(db, NULL, "COMMIT", 0)) != TR_OK)
		return er;
	if (*slot == 0) {
		if ((er = retry_after(r, 5)) != TR_OK)
			return er;
		return tr_fail(r, TR_ERATE, "too many transcriptions in "
		    "progress for this plan; retry when one has finished");
	}
	return TR_OK;
}

/* Gives a slot back (and drops expired ones). */
void
tr_quota_end(struct tr_req *r, long long slot)
{
	char	 id[24];

	(void)r;
	if (slot <= 0)
		return;
	snprintf(id, sizeof(id), "%lld", slot);
	if (tr_db_queryv(tr_db_get(), NULL, "DELETE FROM inflight WHERE"
	    " id = $1 OR expires_at < now()", 1, id) != TR_OK)
		tr_warnx("quota: slot %s not released; it expires in "
		    SLOT_TTL, id);
}
