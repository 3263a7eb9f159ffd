/*
 * POST /auth/refresh: a refresh token for a new token pair.  Refresh
 * tokens are single-use; presenting one again (a sign it was stolen)
 * revokes every refresh token of that user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tr.h"

enum	key { KEY_REFRESH, KEY__MAX };

static const struct tr_field keys[KEY__MAX] = {
	{ "refresh_token", tr_valid_string, TR_REQUIRED },
};

static enum tr_err
handle(struct tr_req *r)
{
	struct json_object	*o;
	PGresult		*res = NULL;
	char			 hx[TR_TOKEN_DIGEST];
	const char		*tok = tr_str(r, KEY_REFRESH);
	long long		 uid;
	enum tr_err		 er;

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
	uid = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	o = json_object_new_object();
	if ((er = tr_account_tokens(uid, o)) == TR_OK)
		er = tr_reply_json(r, 200, o);
	json_object_put(o);
	return er;
}

static const struct tr_endpoint ep = {
	.path = "/auth/refresh", .methods = TR_POST, .auth = TR_AUTH_NONE,
	.body_max = 16 * 1024, .fields = keys, .fieldsz = KEY__MAX,
	.handler = handle, .throttle = 1,
};

int
main(void)
{
	return tr_serve(&ep);
}
