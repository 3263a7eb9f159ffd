/*
 * Test-only endpoint, GET /test/session: checks the session token in
 * the X-Session-Token header with tr_auth_session_check(), the call
 * ws-bridge makes, and answers the user id.  Not installed.
 */
#include "tr.h"

static enum tr_err
handle(struct tr_req *r)
{
	struct json_object	*o;
	const char		*tok = tr_header_in(r, "X-Session-Token");
	long long		 uid;
	enum tr_err		 er;

	if (tok == NULL)
		return tr_fail(r, TR_EUNAUTH, "no session token");
	if ((er = tr_auth_session_check(tok, &uid)) != TR_OK)
		return tr_fail(r, er, "session refused");
	o = json_object_new_object();
	json_object_object_add(o, "user_id", json_object_new_int64(uid));
	er = tr_reply_json(r, 200, o);
	json_object_put(o);
	return er;
}

static const struct tr_endpoint ep = {
	.path = "/test/session", .methods = TR_GET, .handler = handle,
};

int
main(void)
{
	return tr_serve(&ep);
}
