/* DELETE /auth/api-keys/{id}: revoke one of the user's keys, at once. */
#include <stdio.h>

#include "tr.h"

static enum tr_err
handle(struct tr_req *r)
{
	struct json_object	*o;
	PGresult		*res = NULL;
	long long		 kid;
	char			 uid[24];
	enum tr_err		 er;

	if (tr_parse_ll(tr_patharg(r), 1, INT64_MAX, &kid) != TR_OK)
		return tr_fail(r, TR_ENOTFOUND, "no such API key");
	snprintf(uid, sizeof(uid), "%lld", tr_principal(r)->user_id);
	if ((er = tr_db_queryv(tr_db_get(), &res, "UPDATE api_keys SET"
	    " is_active = false, revoked_at = now() WHERE id = $1 AND"
	    " user_id = $2 AND revoked_at IS NULL RETURNING id", 2,
	    tr_patharg(r), uid)) != TR_OK)
		return er;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return tr_fail(r, TR_ENOTFOUND, "no such API key");
	}
	PQclear(res);
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(kid));
	json_object_object_add(o, "revoked", json_object_new_boolean(1));
	er = tr_reply_json(r, 200, o);
	json_object_put(o);
	return er;
}

static const struct tr_endpoint ep = {
	.path = "/auth/api-keys/*", .methods = TR_DELETE, .auth = TR_AUTH_JWT,
	.handler = handle,
};

int
main(void)
{
	return tr_serve(&ep);
}
