/*
 * The caller's Auth0 profile: the tenant's /userinfo asked with the
 * caller's own bearer token, its refusals and rate limits passed on as
 * ours (401, 429 with Retry-After), anything else it says as a 502.
 */
#include <stdio.h>

#include "extern.h"

#define USERINFO_MAXBODY	(256 * 1024)
#define USERINFO_DEPTH		16

/*
 * Fetches the profile of the Auth0 caller of r.  On TR_OK *out is a new
 * JSON object the caller puts; else the request's message is set.
 */
enum tr_err
tr_auth0_userinfo(struct tr_req *r, struct json_object **out)
{
	const struct tr_principal	*p = tr_principal(r);
	struct tr_http_resp		 resp;
	struct json_object		*o = NULL;
	struct tr_buf			 authz;
	const char			*hdrs[3];
	char				 url[1024], ra[24];
	enum tr_err			 er;

	if (tr__auth0_url(url, sizeof(url), "/userinfo") != TR_OK)
		return tr_fail(r, TR_EPROVIDER,
		    "the identity provider could not be reached");
	tr_buf_init(&authz, 16384);
	if ((er = tr_buf_addf(&authz, "Authorization: Bearer %s",
	    p->token)) != TR_OK)
		return er;
	hdrs[0] = authz.ptr;
	hdrs[1] = "Accept: application/json";
	hdrs[2] = NULL;
	er = tr_http_request(url, hdrs, NULL, 0,
	    tr_conf_ll("AUTH0_REQUEST_TIMEOUT", 30, 1, 300) * 1000,
	    USERINFO_MAXBODY, &resp);
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
	    tr_json_parse(tr_buf_str(&resp.body), resp.body.len,
	    USERINFO_MAXBODY, USERINFO_DEPTH, &o) != TR_OK ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		er = tr_fail(r, TR_EPROVIDER,
		    "the identity provider answered %ld", resp.status);
	} else
		*out = o;
	tr_http_resp_free(&resp);
	return er;
}
