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
list(struct tr_req *r, const char *id)
{
	static const char *const cols[] = { "name", "prefix", "created_at",
	    "last_used", "expires_at", "revoked_at" };
	struct json_object	*o, *arr, *k;
	PGresult		*res = NULL;
	int			 i;
	size_t			 c;
	enum tr_err		 er;

	if ((er = tr_db_queryv(tr_db_get(), &res, "SELECT id, name, key_prefix,"
#define TS(x) " to_char(" x " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	    TS("created_at") TS("last_used") TS("expires_at") TS("revoked_at")
#undef TS
	    " usage_count, is_active AND revoked_at IS NULL AND"
	    " (expires_at IS NULL OR expires_at > now())"
	    " FROM api_keys WHERE user_id = $1 ORDER BY id", 1, id)) != TR_OK)
		return er;
	arr = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		k = json_object_new_object();
		json_object_object_add(k, "id", json_object_new_int64(
		    strtoll(PQgetvalue(res, i, 0), NULL, 10)));
		for (c = 0; c < sizeof(cols) / sizeof(cols[0]); c++)
			json_object_object_add(k, cols[c],
			    PQgetisnull(res, i, (int)c + 1) ? NULL :
			    json_object_new_string(PQgetvalue(res, i, (int)c + 1)));
		json_object_object_add(k, "usage_count", json_object_new_int64(
		    strtoll(PQgetvalue(res, i, 7), NULL, 10)));
		json_object_object_add(k, "active", json_object_new_boolean(
		    *PQgetvalue(res, i, 8) == 't'));
		json_object_array_add(arr, k);
	}
	PQclear(res);
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
	char			 id[24];
	enum tr_err		 er;

	snprintf(id, sizeof(id), "%lld", tr_principal(r)->user_id);
	if (tr_method(r) != TR_METHOD_POST)
		return list(r, id);
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
