/*
 * GET /api/userinfo: the caller's Auth0 profile, fetched from the
 * tenant's /userinfo with the caller's own token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

static enum tr_err
handle(struct tr_req *r)
{
	const struct tr_principal	*p = tr_principal(r);
	struct tr_http_resp		 resp;
	struct json_object		*o = NULL;
	struct tr_buf			 authz;
	const char			*base, *hdrs[3];
	char				 url[1024], ra[24];
	enum tr_err			 er;

	if ((base = tr_conf("AUTH0_BASE_URL")) != NULL)
		snprintf(url, sizeof(url), "%s/userinfo", base);
	else
		snprintf(url, sizeof(url), "https://%s/userinfo",
		    tr_conf_def("AUTH0_DOMAIN", ""));
	tr_buf_init(&authz, 16384);
	if ((er = tr_buf_addf(&authz, "Authorization: Bearer %s",
	    p->token)) != TR_OK)
		return er;
	hdrs[0] = authz.ptr;
	hdrs[1] = "Accept: application/json";
	hdrs[2] = NULL;
	er = tr_http_request(url, hdrs, NULL, 0,
	    tr_conf_ll("AUTH0_REQUEST_TIMEOUT", 30, 1, 300) * 1000,
	    256 * 1024, &resp);
	tr_wipe(authz.ptr, authz.len);
	tr_buf_free(&authz);
	if (er == TR_ETIMEOUT)
		return tr_fail(r, er, "the identity provider timed out");
	if (er != TR_OK)
		return tr_fail(r, TR_EPROVIDER,
		    "the identity provider could not be reached");
	if (resp.status == 401 || resp.status == 403)
		er = tr_fail(r, TR_EUNAUTH,
		    "the identity provider refused the token");
	else if (resp.status == 429) {
		snprintf(ra, sizeof(ra), "%ld",
		    resp.retry_after > 0 ? resp.retry_after : 60);
		er = tr_header(r, "Retry-After", ra);
		if (er == TR_OK)
			er = tr_fail(r, TR_ERATE,
			    "the identity provider is rate limiting");
	} else if (resp.status != 200 ||
	    tr_json_parse(tr_buf_str(&resp.body), resp.body.len, 256 * 1024,
	    16, &o) != TR_OK || !json_object_is_type(o, json_type_object))
		er = tr_fail(r, TR_EPROVIDER,
		    "the identity provider answered %ld", resp.status);
	else
		er = tr_reply_json(r, 200, o);
	json_object_put(o);
	tr_http_resp_free(&resp);
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
