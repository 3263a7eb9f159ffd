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

/* The lease in seconds, as text for the query. */
static long long
lease(char *s, size_t sz)
{
	long long	 secs = tr_quota_lease();

	snprintf(s, sz, "%lld", secs);
	return secs;
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

/* quota_take() (migration 0006): minutes and a slot in one statement. */
static const struct tr_db_stmt quota_take = {
	"quota_take", "SELECT minutes_ok, used, quota, until_next, slot FROM"
	" quota_take($1, $2, $3::bigint, $4::float8, $5::integer)", 5,
};

/*
 * What q allows for audio_seconds more: 429 when the minutes are spent
 * (the slot given back) or no slot was free (bucket: one was asked
 * for); else TR_OK with the slot in *slot and r->slot.
 */
static enum tr_err
decide(struct tr_req *r, const struct tr_quota *q, int bucket,
    double audio_seconds, long long *slot)
{
	enum tr_err	 er;
	int		 ok = q->minutes_ok;

	/* A key's admission asked only that some minutes be left. */
	if (ok && q->known && audio_seconds > 0)
		ok = q->used + audio_seconds / 60 <= q->quota;
	if (!ok) {
		tr_quota_end(r, q->slot);
		if ((er = retry_after(r, q->until)) != TR_OK)
			return er;
		return tr_fail(r, TR_ERATE, "monthly audio quota of %.0f "
		    "minutes reached (%.1f used)", q->quota, q->used);
	}
	if (!bucket)
		return TR_OK;
	if (q->slot == 0) {
		if ((er = retry_after(r, 5)) != TR_OK)
			return er;
		return tr_fail(r, TR_ERATE, "too many transcriptions in "
		    "progress for this plan; retry when one has finished");
	}
	*slot = r->slot = q->slot;
	r->slot_renewed = mono_secs();
	return TR_OK;
}

/*
 * Checks the monthly audio quota for audio_seconds more (0: only that
 * some is left) and takes one of the plan's concurrent slots, in one
 * round trip.  Returns TR_ERATE (429, Retry-After) when either is
 * exhausted; on TR_OK, *slot must be given back with tr_quota_end() (or
 * with the usage row, tr_usage's slot).  What the key's admission took
 * (an endpoint's .slot) is used first, with no round trip.  Works on a
 * bare request (tr_req_new()) as on an HTTP one.  While the database is down the
 * quotas cannot be known, and like the rate limit they let the call
 * through (its usage row is spooled).
 */
enum tr_err
tr_quota_begin(struct tr_req *r, double audio_seconds, long long *slot)
{
	PGresult	*res = NULL;
	struct tr_quota	 q;
	const char	*p[5];
	char		 uid[24], secs[32], len[24];
	long long	 id;
	enum tr_err	 er;

	*slot = 0;
	if (r->quota.read) {
		q = r->quota;
		r->quota.read = 0;
		r->slot = 0;
		return decide(r, &q, 1, audio_seconds, slot);
	}
	(void)lease(len, sizeof(len));
	/* An Auth0 subject's quota is its users row's, made on first use. */
	if (r->prin.kind == TR_PRIN_AUTH0 &&
	    (er = tr_principal_user(r, &id)) != TR_OK && er != TR_EDBDOWN)
		return er;
	/* The legacy key has no user and no minutes quota, only slots. */
	if (r->prin.user_id <= 0 && r->prin.bucket[0] == '\0')
		return TR_OK;
	snprintf(uid, sizeof(uid), "%lld", r->prin.user_id);
	snprintf(secs, sizeof(secs), "%.17g", audio_seconds);
	p[0] = r->prin.bucket[0] != '\0' ? r->prin.bucket : NULL;
	p[1] = r->prin.plan;
	p[2] = r->prin.user_id > 0 ? uid : NULL;
	p[3] = secs;
	p[4] = len;
	if ((er = tr_db_exec(tr_db_get(), &res, &quota_take, p)) != TR_OK) {
		if (er != TR_EDBDOWN)
			return er;
		tr_warnx("quota not checked: database unavailable");
		return TR_OK;
	}
	er = tr__quota_col(res, &q);
	PQclear(res);
	if (er != TR_OK)
		return er;
	return decide(r, &q, p[0] != NULL, audio_seconds, slot);
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
	if (tr_db_queryv(tr_db_get(), NULL, "UPDATE slots SET expires_at ="
	    " now() + make_interval(secs => $2) WHERE id = slot_id($1)"
	    " AND gen = slot_gen($1) AND expires_at > now()", 2, id,
	    secs) != TR_OK)
		tr_warnx("quota: lease of slot %s not renewed", id);
	else if (slot == r->slot)
		r->slot_renewed = now;
}

/* Gives a slot back. */
void
tr_quota_end(struct tr_req *r, long long slot)
{
	char	 id[24];

	if (slot <= 0)
		return;
	if (slot == r->slot)
		r->slot = 0;
	snprintf(id, sizeof(id), "%lld", slot);
	if (tr_db_queryv(tr_db_get(), NULL, "UPDATE slots SET expires_at ="
	    " '-infinity' WHERE id = slot_id($1) AND gen = slot_gen($1)",
	    1, id) != TR_OK)
		tr_warnx("quota: slot %s not released; its lease runs out", id);
}
