/* DELETE /auth/api-keys/{id}: revoke one of the user's keys, at once. */
#include <stdio.h>

#include "tr.h"

static enum tr_err
handle(struct tr_req *r)
{
	struct json_object	*o;
	long long		 kid;
	enum tr_err		 er;

	if (tr_parse_ll(tr_patharg(r), 1, INT64_MAX, &kid) != TR_OK)
		return tr_fail(r, TR_ENOTFOUND, "no such API key");
	er = tr_account_key_revoke(tr_principal(r)->user_id, kid);
	if (er == TR_ENOTFOUND)
		return tr_fail(r, er, "no such API key");
	if (er != TR_OK)
		return er;
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
