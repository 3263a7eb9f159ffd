/*
 * The one error table: each enum tr_err maps to an HTTP status, a stable
 * code string and a default message (kcgi's khttps[] and
 * kcgi_strerror()).  Handlers return codes; only tr_serve() writes them.
 */
#include <stdlib.h>

#include "tr.h"

static const struct {
	int		 status;
	const char	*code;
	const char	*msg;
} errs[TR__MAX] = {
	{ 200, "ok", "success" },					/* TR_OK */
	{ 400, "invalid_request", "the request is malformed" },	/* TR_EINVAL */
	{ 400, "invalid_json", "the body is not valid JSON" },		/* TR_EJSON */
	{ 401, "unauthorized", "missing or invalid credentials" },	/* TR_EUNAUTH */
	{ 403, "forbidden", "not allowed" },				/* TR_EFORBIDDEN */
	{ 404, "not_found", "no such resource" },			/* TR_ENOTFOUND */
	{ 405, "method_not_allowed", "method not allowed" },		/* TR_EMETHOD */
	{ 409, "conflict", "the resource already exists" },		/* TR_ECONFLICT */
	{ 413, "payload_too_large", "the request is too large" },	/* TR_ETOOBIG */
	{ 415, "unsupported_media_type", "unsupported media type" },	/* TR_EMEDIA */
	{ 422, "unprocessable_entity", "invalid fields" },		/* TR_EFIELD */
	{ 429, "rate_limited", "too many requests" },			/* TR_ERATE */
	{ 500, "internal_error", "internal error" },			/* TR_ESYSTEM */
	{ 500, "internal_error", "out of memory" },			/* TR_ENOMEM */
	{ 500, "database_error", "database error" },			/* TR_EDB */
	{ 502, "provider_error", "the provider failed" },		/* TR_EPROVIDER */
	{ 503, "database_unavailable", "the database is unavailable" }, /* TR_EDBDOWN */
	{ 503, "service_unavailable", "the service is unavailable" },	/* TR_EUNAVAIL */
	{ 504, "provider_timeout", "the provider timed out" },		/* TR_ETIMEOUT */
	{ 411, "length_required", "Content-Length is required "	/* TR_ELENGTH */
	    "(for no body, Content-Length: 0; with curl, -d '')" },
	{ 431, "headers_too_large", "request headers too large" },	/* TR_EHEADER */
};

static int
valid(enum tr_err er)
{
	return (int)er >= 0 && er < TR__MAX;
}

int
tr_err_status(enum tr_err er)
{
	return valid(er) ? errs[er].status : 500;
}

const char *
tr_err_code(enum tr_err er)
{
	return valid(er) ? errs[er].code : "internal_error";
}

const char *
tr_err_message(enum tr_err er)
{
	return valid(er) ? errs[er].msg : "internal error";
}

/*
 * Maps a status that a web server redirected to us (its own error, such
 * as a body over its limit or a backend that would not start) back to
 * the closest code.  Unknown 4xx become TR_EINVAL, unknown 5xx
 * TR_EUNAVAIL when 503-like, else TR_ESYSTEM.
 */
enum tr_err
tr_err_from_status(int status)
{
	int	 i;

	for (i = 1; i < TR__MAX; i++) {
		/* Codes that name a cause the server cannot know. */
		if (i == TR_EJSON || i == TR_ENOMEM || i == TR_EDB ||
		    i == TR_EDBDOWN)
			continue;
		if (errs[i].status == status)
			return (enum tr_err)i;
	}
	if (status >= 400 && status < 500)
		return TR_EINVAL;
	return TR_ESYSTEM;
}

/*
 * Builds {"error":{"code","message","request_id"}}.  Returns a new
 * json-c object the caller puts.
 */
struct json_object *
tr_err_body(enum tr_err er, const char *msg, const char *reqid)
{
	struct json_object	*o, *e;

	e = json_object_new_object();
	json_object_object_add(e, "code",
	    json_object_new_string(tr_err_code(er)));
	json_object_object_add(e, "message", json_object_new_string(
	    msg != NULL && *msg != '\0' ? msg : tr_err_message(er)));
	json_object_object_add(e, "request_id",
	    json_object_new_string(reqid != NULL ? reqid : ""));
	o = json_object_new_object();
	json_object_object_add(o, "error", e);
	return o;
}
