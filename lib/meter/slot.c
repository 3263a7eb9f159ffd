/*
 * What a concurrent slot is, for those who take one (meter/quota.c) and
 * for the key's admission that takes one with the key (auth/auth.c):
 * its lease, and what quota_take() answers.
 */
#include <string.h>

#include "extern.h"

#define SLOT_LEASE_DEFAULT	300	/* seconds a slot lasts unrenewed */
#define SLOT_LEASE_MAX		86400

/* The lease of a slot in seconds (SLOT_LEASE_SECONDS). */
long long
tr_quota_lease(void)
{
	return tr_conf_ll("SLOT_LEASE_SECONDS", SLOT_LEASE_DEFAULT, 1,
	    SLOT_LEASE_MAX);
}

/* quota_take()'s columns in the first row of res. */
enum tr_err
tr__quota_col(const PGresult *res, struct tr_quota *q)
{
	const char	*used, *slot;
	enum tr_err	 er;

	memset(q, 0, sizeof(*q));
	if ((er = tr_db_col_bool(res, 0, "minutes_ok", &q->minutes_ok)) !=
	    TR_OK || (er = tr_db_col_str(res, 0, "used", &used)) != TR_OK ||
	    (er = tr_db_col_str(res, 0, "slot", &slot)) != TR_OK)
		return er;
	/* No plan row: minutes unknown, nothing to compare. */
	if (used != NULL) {
		q->known = 1;
		if ((er = tr_db_col_double(res, 0, "used", &q->used)) !=
		    TR_OK ||
		    (er = tr_db_col_double(res, 0, "quota", &q->quota)) !=
		    TR_OK ||
		    (er = tr_db_col_ll(res, 0, "until_next", &q->until)) != TR_OK)
			return er;
	}
	if (slot != NULL)
		er = tr_db_col_ll(res, 0, "slot", &q->slot);
	return er;
}
