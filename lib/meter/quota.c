/*
 * Plan quotas beyond the request rate: audio minutes per month and
 * transcriptions in progress at once.  Both live in PostgreSQL so that
 * every process on every host sees the same numbers.  A transcription
 * endpoint calls tr_quota_begin() before it does the work and
 * tr_quota_end() after.  A slot is a lease of SLOT_LEASE_SECONDS that
 * the work renews (tr_quota_renew()) as it goes, so that the slot of a
 * process killed mid-request, or one that could not be given back while
 * the database was down, stops counting within minutes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extern.h"

#define SLOT_LEASE_DEFAULT	300	/* seconds a slot lasts unrenewed */
#define SLOT_LEASE_MAX		86400

/* The lease in seconds, as text for the query. */
static long long
lease(char *s, size_t sz)
{
	long long	 secs;

	secs = tr_conf_ll("SLOT_LEASE_SECONDS", SLOT_LEASE_DEFAULT, 1,
	    SLOT_LEASE_MAX);
	snprintf(s, sz, "%lld", secs);
	return secs;
}

/* The lease of a slot in seconds, for a caller that renews on a timer. */
long long
tr_quota_lease(void)
{
	char	 s[24];

	return lease(s, sizeof(s));
}

static long long
mono_secs(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

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
	char		 secs[24];
	enum tr_err	 er;

	*slot = 0;
	(void)lease(secs, sizeof(secs));
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
	    " expires_at) SELECT $1, now() + make_interval(secs => $3)"
	    " WHERE (SELECT count(*) FROM inflight WHERE bucket = $1 AND"
	    " expires_at > now()) < COALESCE((SELECT concurrent FROM plans"
	    " WHERE plan = $2), 1) RETURNING id", 3, r->prin.bucket,
	    r->prin.plan, secs)) != TR_OK || (PQntuples(res) == 1 &&
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
	r->slot = *slot;
	r->slot_renewed = mono_secs();
	return TR_OK;
}

/*
 * Renews a slot's lease, from a point long work passes (each provider
 * call, each stage of the local engine): cheap to call often, as it goes
 * to the database only once a quarter of the lease has passed since the
 * last renewal.  A renewal that fails is logged; the slot then expires
 * at the end of its lease, which lets a call through rather than
 * refusing one.
 */
void
tr_quota_renew(struct tr_req *r, long long slot)
{
	char		 id[24], secs[24];
	long long	 now = mono_secs(), len;

	if (slot <= 0)
		return;
	len = lease(secs, sizeof(secs));
	if (slot == r->slot && now - r->slot_renewed < (len + 3) / 4)
		return;
	snprintf(id, sizeof(id), "%lld", slot);
	if (tr_db_queryv(tr_db_get(), NULL, "UPDATE inflight SET expires_at ="
	    " now() + make_interval(secs => $2) WHERE id = $1", 2, id,
	    secs) != TR_OK)
		tr_warnx("quota: lease of slot %s not renewed", id);
	else if (slot == r->slot)
		r->slot_renewed = now;
}

/* Gives a slot back (and drops expired ones). */
void
tr_quota_end(struct tr_req *r, long long slot)
{
	char	 id[24];

	if (slot <= 0)
		return;
	if (slot == r->slot)
		r->slot = 0;
	snprintf(id, sizeof(id), "%lld", slot);
	if (tr_db_queryv(tr_db_get(), NULL, "DELETE FROM inflight WHERE"
	    " id = $1 OR expires_at < now()", 1, id) != TR_OK)
		tr_warnx("quota: slot %s not released; its lease runs out", id);
}
