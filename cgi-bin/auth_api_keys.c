/* GET /auth/api-keys: the user's keys.  POST: a new key, shown once. */
#include <stdio.h>
#include <stdlib.h>

#include "tr.h"

enum	key { KEY_NAME, KEY_DAYS, KEY__MAX };

static const struct tr_field keys[KEY__MAX] = {
	{ "name", tr_valid_name, 0 },		/* KEY_NAME */
	{ "expires_in_days", tr_valid_uint, 0 },	/* KEY_DAYS */
};

static enum tr_err
list(struct tr_req *r)
{
	struct json_object	*o, *arr = NULL;
	enum tr_err		 er;

	if ((er = tr_account_key_list(tr_principal(r)->user_id, &arr)) != TR_OK)
		return er;
	o = json_object_new_object();
	json_object_object_add(o, "api_keys", arr);
	er = tr_reply_json(r, 200, o);
	json_object_put(o);
	return er;
}

static enum tr_err
handle(struct tr_req *r)
{
	const struct tr_pair	*days = tr_field_get(r, KEY_DAYS);
	struct json_object	*o = NULL;
	enum tr_err		 er;

	if (tr_method(r) != TR_METHOD_POST)
		return list(r);
	if ((er = tr_account_key_new(tr_principal(r)->user_id,
	    tr_str(r, KEY_NAME) != NULL ? tr_str(r, KEY_NAME) : "default",
	    days != NULL ? days->parsed.i : 0, &o)) != TR_OK)
		return er;
	json_object_object_add(o, "message", json_object_new_string(
	    "store this key now: it is not shown again"));
	er = tr_reply_json(r, 201, o);
	json_object_put(o);
	return er;
}

static const struct tr_endpoint ep = {
	.path = "/auth/api-keys", .methods = TR_GET | TR_POST,
	.auth = TR_AUTH_JWT, .body_max = 16 * 1024, .fields = keys,
	.fieldsz = KEY__MAX, .handler = handle,
};

int
main(void)
{
	return tr_serve(&ep);
}
