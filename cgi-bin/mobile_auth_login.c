/*
 * POST /mobile-auth/login: the seed's deprecated session login.  It
 * answers 404 unless ALLOW_INSECURE_SESSION_AUTH=true, and unlike the
 * seed it checks the password; sessions live in the database.
 */
#include <stdlib.h>
#include <string.h>

#include "tr.h"


static enum tr_err
handle(struct tr_req *r)
{
	struct json_object	*o, *user = NULL;
	char			*tok = NULL;
	long long		 uid = 0;
	enum tr_err		 er;

	if ((er = tr_auth_login(r, &uid)) != TR_OK)
		return er;
	if ((er = tr_account_user(uid, &user)) != TR_OK)
		return er;
	if ((er = tr_auth_session_new(uid, &tok)) != TR_OK) {
		json_object_put(user);
		return er;
	}
	o = json_object_new_object();
	json_object_object_add(o, "session_token", json_object_new_string(tok));
	json_object_object_add(o, "expires_in", json_object_new_int64(
	    tr_conf_ll("SESSION_TTL", 86400, 60, 86400 * 30)));
	json_object_object_add(o, "user", user);
	json_object_object_add(o, "deprecated", json_object_new_boolean(1));
	tr_wipe(tok, strlen(tok));
	free(tok);
	er = tr_reply_json(r, 200, o);
	json_object_put(o);
	return er;
}

static enum tr_err
gate(struct tr_req *r)
{
	if (!tr_conf_bool("ALLOW_INSECURE_SESSION_AUTH", 0))
		return tr_fail(r, TR_ENOTFOUND, "no endpoint at this path");
	return handle(r);
}

static const struct tr_endpoint ep = {
	.path = "/mobile-auth/login", .methods = TR_POST, .auth = TR_AUTH_NONE,
	.body_max = 16 * 1024, .fields = tr_login_fields,
	.fieldsz = TR_LOGIN__MAX,
	.handler = gate, .throttle = 1,
};

int
main(void)
{
	return tr_serve(&ep);
}
