/* GET and PUT /auth/profile: the signed-in user's profile. */
#include <stdio.h>

#include "tr.h"

enum	key { KEY_FIRST, KEY_LAST, KEY_COMPANY, KEY__MAX };

static const struct tr_field keys[KEY__MAX] = {
	{ "first_name", tr_valid_name, 0 },	/* KEY_FIRST */
	{ "last_name", tr_valid_name, 0 },	/* KEY_LAST */
	{ "company", tr_valid_name, 0 },	/* KEY_COMPANY */
};

static enum tr_err
handle(struct tr_req *r)
{
	struct json_object	*user = NULL, *o;
	long long		 uid = tr_principal(r)->user_id;
	enum tr_err		 er;

	if (tr_method(r) == TR_METHOD_PUT &&
	    (er = tr_account_profile_set(uid, tr_str(r, KEY_FIRST),
	    tr_str(r, KEY_LAST), tr_str(r, KEY_COMPANY))) != TR_OK)
		return er;
	if ((er = tr_account_user(uid, &user)) != TR_OK)
		return er;
	o = json_object_new_object();
	json_object_object_add(o, "user", user);
	er = tr_reply_json(r, 200, o);
	json_object_put(o);
	return er;
}

static const struct tr_endpoint ep = {
	.path = "/auth/profile", .methods = TR_GET | TR_PUT,
	.auth = TR_AUTH_JWT, .body_max = 64 * 1024, .fields = keys,
	.fieldsz = KEY__MAX, .handler = handle,
};

int
main(void)
{
	return tr_serve(&ep);
}
