/* POST /auth/register: create an account and sign it in. */
#include <stdlib.h>
#include <string.h>

#include "tr.h"

enum	key { KEY_EMAIL, KEY_PASSWORD, KEY_FIRST, KEY_LAST, KEY_COMPANY,
	KEY__MAX };

static const struct tr_field keys[KEY__MAX] = {
	{ "email", tr_valid_email, TR_REQUIRED },	/* KEY_EMAIL */
	{ "password", tr_valid_string, TR_REQUIRED },	/* KEY_PASSWORD */
	{ "first_name", tr_valid_name, 0 },		/* KEY_FIRST */
	{ "last_name", tr_valid_name, 0 },		/* KEY_LAST */
	{ "company", tr_valid_name, 0 },		/* KEY_COMPANY */
};

static enum tr_err
handle(struct tr_req *r)
{
	struct json_object	*o, *user = NULL;
	const char		*weak;
	long long		 uid;
	enum tr_err		 er;

	if ((weak = tr_password_weak(tr_str(r, KEY_PASSWORD))) != NULL)
		return tr_fail(r, TR_EFIELD, "field 'password': %s", weak);
	er = tr_account_create(tr_str(r, KEY_EMAIL), tr_str(r, KEY_PASSWORD),
	    tr_str(r, KEY_FIRST), tr_str(r, KEY_LAST), tr_str(r, KEY_COMPANY),
	    &uid);
	if (er == TR_ECONFLICT)
		return tr_fail(r, er, "an account with this email already exists");
	if (er != TR_OK)
		return er;
	if ((er = tr_account_user(uid, &user)) != TR_OK)
		return er;
	o = json_object_new_object();
	json_object_object_add(o, "message",
	    json_object_new_string("account created"));
	json_object_object_add(o, "user", user);
	if ((er = tr_account_tokens(uid, o)) == TR_OK)
		er = tr_reply_json(r, 201, o);
	json_object_put(o);
	return er;
}

static const struct tr_endpoint ep = {
	.path = "/auth/register", .methods = TR_POST, .auth = TR_AUTH_NONE,
	.body_max = 64 * 1024, .fields = keys, .fieldsz = KEY__MAX,
	.handler = handle, .throttle = 1,
};

int
main(void)
{
	return tr_serve(&ep);
}
