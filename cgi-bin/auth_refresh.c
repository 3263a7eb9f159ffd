/*
 * POST /auth/refresh: a refresh token for a new token pair.  Refresh
 * tokens are single-use; presenting one again (a sign it was stolen)
 * revokes every refresh token of that user (tr_auth_refresh_use()).
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
	long long		 uid;
	enum tr_err		 er;

	if ((er = tr_auth_refresh_use(r, tr_str(r, KEY_REFRESH),
	    &uid)) != TR_OK)
		return er;
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
