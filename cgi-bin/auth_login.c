/* POST /auth/login: email and password for an access and refresh token. */
#include <stdlib.h>
#include <string.h>

#include "tr.h"

static enum tr_err
handle(struct tr_req *r)
{
	struct json_object	*o, *user = NULL;
	long long		 uid = 0;
	enum tr_err		 er;

	if ((er = tr_auth_login(r, &uid)) != TR_OK)
		return er;
	if ((er = tr_account_user(uid, &user)) != TR_OK)
		return er;
	o = json_object_new_object();
	json_object_object_add(o, "user", user);
	if ((er = tr_account_tokens(uid, o)) == TR_OK &&
	    (er = tr_account_login(uid)) == TR_OK)
		er = tr_reply_json(r, 200, o);
	json_object_put(o);
	return er;
}

static const struct tr_endpoint ep = {
	.path = "/auth/login", .methods = TR_POST, .auth = TR_AUTH_NONE,
	.body_max = 64 * 1024, .fields = tr_login_fields,
	.fieldsz = TR_LOGIN__MAX,
	.handler = handle, .throttle = 1,
};

int
main(void)
{
	return tr_serve(&ep);
}
