/*
 * GET /api/userinfo: the caller's Auth0 profile, fetched from the
 * tenant's /userinfo with the caller's own token.
 */
#include "tr.h"

static enum tr_err
handle(struct tr_req *r)
{
	struct json_object	*o;
	enum tr_err		 er;

	if ((er = tr_auth0_userinfo(r, &o)) != TR_OK)
		return er;
	er = tr_reply_json(r, 200, o);
	json_object_put(o);
	return er;
}

static const struct tr_endpoint ep = {
	.path = "/api/userinfo", .methods = TR_GET, .auth = TR_AUTH_AUTH0,
	.handler = handle,
};

int
main(void)
{
	return tr_serve(&ep);
}
