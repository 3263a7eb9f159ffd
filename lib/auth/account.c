/*
 * Accounts shared by the /auth programs and the admin tool: a user as
 * JSON, the token pair handed out at sign-in, and API key creation
 * (random, shown once, stored as SHA-256 with a display prefix).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tr.h"

/*
 * Builds the public JSON of user uid.  Returns TR_ENOTFOUND if there is
 * no such active user.
 */
enum tr_err
tr_account_user(long long uid, struct json_object **out)
{
	static const char *const cols[] = { "email", "first_name",
	    "last_name", "company", "plan", "created_at", "last_login" };
	struct json_object	*o;
	PGresult		*res = NULL;
	char			 id[24];
	size_t			 i;
	enum tr_err		 er;

	snprintf(id, sizeof(id), "%lld", uid);
	if ((er = tr_db_queryv(tr_db_get(), &res, "SELECT email, first_name,"
	    " last_name, company, plan,"
	    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	    " to_char(last_login AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	    " CASE WHEN usage_month = date_trunc('month', now())::date"
	    "  THEN api_calls_month ELSE 0 END,"
	    " CASE WHEN usage_month = date_trunc('month', now())::date"
	    "  THEN audio_minutes_month ELSE 0 END::float8"
	    " FROM users WHERE id = $1 AND is_active AND deleted_at IS NULL",
	    1, id)) != TR_OK)
		return er;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return TR_ENOTFOUND;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(uid));
	for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		json_object_object_add(o, cols[i], PQgetisnull(res, 0, (int)i) ?
		    NULL : json_object_new_string(PQgetvalue(res, 0, (int)i)));
	json_object_object_add(o, "api_calls_month",
	    json_object_new_int64(strtoll(PQgetvalue(res, 0, 7), NULL, 10)));
	json_object_object_add(o, "audio_minutes_month",
	    json_object_new_double(strtod(PQgetvalue(res, 0, 8), NULL)));
	PQclear(res);
	*out = o;
	return TR_OK;
}

/* Adds access_token, refresh_token, token_type and expires_in to o. */
enum tr_err
tr_account_tokens(long long uid, struct json_object *o)
{
	char		*access = NULL, *refresh = NULL;
	long long	 ttl;
	enum tr_err	 er;

	if ((er = tr_auth_issue(uid, &access, &ttl)) != TR_OK ||
	    (er = tr_auth_refresh_new(uid, &refresh)) != TR_OK) {
		free(access);
		return er;
	}
	json_object_object_add(o, "access_token", json_object_new_string(access));
	json_object_object_add(o, "refresh_token",
	    json_object_new_string(refresh));
	json_object_object_add(o, "token_type", json_object_new_string("Bearer"));
	json_object_object_add(o, "expires_in", json_object_new_int64(ttl));
	tr_wipe(access, strlen(access));
	tr_wipe(refresh, strlen(refresh));
	free(access);
	free(refresh);
	return TR_OK;
}

/*
 * Creates an API key for uid (expires_days 0: never).  Returns the
 * key's JSON: "api_key" (the only time it is shown), id, name, prefix,
 * created_at, expires_at.
 */
enum tr_err
tr_account_key_new(long long uid, const char *name, long long expires_days,
    struct json_object **out)
{
	char			*key = NULL, hx[TR_TOKEN_DIGEST], prefix[13];
	char			 id[24], days[24];
	PGresult		*res = NULL;
	struct json_object	*o;
	enum tr_err		 er;

	/* 32 random bytes: 256 bits. */
	if ((er = tr_token_new("trk_", 32, &key)) != TR_OK)
		return er;
	if ((er = tr_token_digest(key, hx)) != TR_OK)
		goto out;
	memcpy(prefix, key, 12);
	prefix[12] = '\0';
	snprintf(id, sizeof(id), "%lld", uid);
	snprintf(days, sizeof(days), "%lld", expires_days);
	if ((er = tr_db_queryv(tr_db_get(), &res, "INSERT INTO api_keys"
	    " (user_id, name, key_hash, key_prefix, expires_at) VALUES ($1, $2,"
	    " $3, $4, CASE WHEN $5::int > 0 THEN now() + make_interval(days =>"
	    " $5::int) END) RETURNING id,"
	    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	    " to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
	    5, id, name, hx, prefix, days)) != TR_OK)
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(
	    strtoll(PQgetvalue(res, 0, 0), NULL, 10)));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "api_key", json_object_new_string(key));
	json_object_object_add(o, "prefix", json_object_new_string(prefix));
	json_object_object_add(o, "created_at",
	    json_object_new_string(PQgetvalue(res, 0, 1)));
	json_object_object_add(o, "expires_at", PQgetisnull(res, 0, 2) ? NULL :
	    json_object_new_string(PQgetvalue(res, 0, 2)));
	PQclear(res);
	*out = o;
out:
	tr_wipe(key, strlen(key));
	free(key);
	return er;
}
