/*
 * GET /openapi.json: the OpenAPI 3.1 description of every endpoint,
 * made at build time by tools/openapi.py from each program's endpoint
 * declaration (its describe mode) and httpd-conf/routes.
 */
#include "tr.h"

#include "openapi.h"

static enum tr_err
handle(struct tr_req *r)
{
	return tr_reply(r, 200, "application/json", openapi_doc,
	    sizeof(openapi_doc) - 1);
}

static const struct tr_endpoint ep = {
	.path = "/openapi.json", .methods = TR_GET, .auth = TR_AUTH_NONE,
	.handler = handle,
};

int
main(void)
{
	return tr_serve(&ep);
}
