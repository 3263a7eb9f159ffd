/* GET /api/me: the claims of the caller's Auth0 access token. */
#include "tr.h"

static enum tr_err
handle(struct tr_req *r)
{
	const struct tr_principal	*p = tr_principal(r);
	struct json_object		*o;
	enum tr_err			 er;

	o = json_object_new_object();
	json_object_object_add(o, "sub",
	    json_object_new_string(tr_json_str(p->claims, "sub")));
	json_object_object_add(o, "claims", json_object_get(p->claims));
	er = tr_reply_json(r, 200, o);
	json_object_put(o);
	return er;
}

static const struct tr_endpoint ep = {
	.path = "/api/me", .methods = TR_GET, .auth = TR_AUTH_AUTH0,
	.handler = handle,
};

int
main(void)
{
	return tr_serve(&ep);
}
