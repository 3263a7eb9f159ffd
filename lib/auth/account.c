/*
 * Accounts shared by the /auth programs and the admin tool, and the SQL
 * of the users and api_keys tables they use: a user as JSON, sign-up,
 * sign-in and profile updates, the token pair handed out at sign-in,
 * and API keys (random, shown once, stored as SHA-256 with a display
 * prefix; listed and revoked by their owner).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

/* Adds the text columns cols of a row to o, SQL NULL as JSON null. */
static enum tr_err
addstrs(struct json_object *o, const PGresult *res, int row,
    const char *const *cols, size_t n)
{
	const char	*v;
	size_t		 i;
	enum tr_err	 er;

	for (i = 0; i < n; i++) {
		if ((er = tr_db_col_str(res, row, cols[i], &v)) != TR_OK)
			return er;
		json_object_object_add(o, cols[i], v == NULL ? NULL :
		    json_object_new_string(v));
	}
	return TR_OK;
}

/* Adds the whole-number column col of a row to o. */
static enum tr_err
addll(struct json_object *o, const PGresult *res, int row, const char *col)
{
	long long	 v;
	enum tr_err	 er;

	if ((er = tr_db_col_ll(res, row, col, &v)) != TR_OK)
		return er;
	json_object_object_add(o, col, json_object_new_int64(v));
	return TR_OK;
}

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
	double			 minutes;
	enum tr_err		 er;

	snprintf(id, sizeof(id), "%lld", uid);
	if ((er = tr_db_queryv(tr_db_get(), &res, "SELECT email, first_name,"
	    " last_name, company, plan, " TR_SQL_ISOTIME("created_at") ", "
	    TR_SQL_ISOTIME("last_login") ","
	    " COALESCE(m.api_calls_month, 0) AS api_calls_month,"
	    " COALESCE(m.audio_minutes_month, 0)::float8"
	    " AS audio_minutes_month"
	    " FROM users u LEFT JOIN usage_month m ON m.user_id = u.id"
	    " WHERE u.id = $1 AND is_active AND deleted_at IS NULL",
	    1, id)) != TR_OK)
		return er;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return TR_ENOTFOUND;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(uid));
	if ((er = addstrs(o, res, 0, cols, sizeof(cols) / sizeof(cols[0]))) !=
	    TR_OK || (er = addll(o, res, 0, "api_calls_month")) != TR_OK ||
	    (er = tr_db_col_double(res, 0, "audio_minutes_month",
	    &minutes)) != TR_OK) {
		PQclear(res);
		json_object_put(o);
		return er;
	}
	json_object_object_add(o, "audio_minutes_month",
	    json_object_new_double(minutes));
	PQclear(res);
	*out = o;
	return TR_OK;
}

/*
 * Creates a user with the default plan and a password the caller has
 * checked with tr_password_weak(); first, last and company may be NULL.
 * Returns TR_ECONFLICT if the e-mail address has an account already.
 */
enum tr_err
tr_account_create(const char *email, const char *pw, const char *first,
    const char *last, const char *company, long long *uid)
{
	PGresult	*res = NULL;
	char		*hash = NULL;
	enum tr_err	 er;

	if ((er = tr_password_hash(pw, &hash)) != TR_OK)
		return er;
	er = tr_db_queryv(tr_db_get(), &res, "INSERT INTO users (email,"
	    " password_hash, first_name, last_name, company) VALUES ($1, $2,"
	    " $3, $4, $5) RETURNING id", 5, email, hash, first, last, company);
	free(hash);
	if (er != TR_OK)
		return er;
	er = tr_db_col_ll(res, 0, "id", uid);
	PQclear(res);
	return er;
}

/* Records that user uid has just signed in. */
enum tr_err
tr_account_login(long long uid)
{
	char	 id[24];

	snprintf(id, sizeof(id), "%lld", uid);
	return tr_db_queryv(tr_db_get(), NULL, "UPDATE users SET last_login"
	    " = now() WHERE id = $1", 1, id);
}

/* Sets the profile fields of user uid that are not NULL. */
enum tr_err
tr_account_profile_set(long long uid, const char *first, const char *last,
    const char *company)
{
	char	 id[24];

	snprintf(id, sizeof(id), "%lld", uid);
	return tr_db_queryv(tr_db_get(), NULL, "UPDATE users SET"
	    " first_name = COALESCE($2, first_name),"
	    " last_name = COALESCE($3, last_name),"
	    " company = COALESCE($4, company), updated_at = now()"
	    " WHERE id = $1", 4, id, first, last, company);
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
	static const char *const times[] = { "created_at", "expires_at" };
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
	    " $5::int) END) RETURNING id, " TR_SQL_ISOTIME("created_at") ", "
	    TR_SQL_ISOTIME("expires_at"), 5, id, name, hx, prefix,
	    days)) != TR_OK)
		goto out;
	o = json_object_new_object();
	if ((er = addll(o, res, 0, "id")) == TR_OK) {
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "api_key",
		    json_object_new_string(key));
		json_object_object_add(o, "prefix",
		    json_object_new_string(prefix));
		er = addstrs(o, res, 0, times, sizeof(times) / sizeof(times[0]));
	}
	PQclear(res);
	if (er != TR_OK)
		json_object_put(o);
	else
		*out = o;
out:
	tr_wipe(key, strlen(key));
	free(key);
	return er;
}

/*
 * The JSON array of user uid's API keys, oldest first: id, name,
 * prefix, the times (null when not yet), usage_count and whether the
 * key is active (not revoked, not expired).
 */
enum tr_err
tr_account_key_list(long long uid, struct json_object **out)
{
	static const char *const cols[] = { "name", "prefix", "created_at",
	    "last_used", "expires_at", "revoked_at" };
	struct json_object	*arr, *k;
	PGresult		*res = NULL;
	char			 id[24];
	int			 i, active;
	enum tr_err		 er;

	snprintf(id, sizeof(id), "%lld", uid);
	if ((er = tr_db_queryv(tr_db_get(), &res, "SELECT id, name,"
	    " key_prefix AS prefix, " TR_SQL_ISOTIME("created_at") ", "
	    TR_SQL_ISOTIME("last_used") ", " TR_SQL_ISOTIME("expires_at") ", "
	    TR_SQL_ISOTIME("revoked_at") ", usage_count,"
	    " is_active AND revoked_at IS NULL AND"
	    " (expires_at IS NULL OR expires_at > now()) AS active"
	    " FROM api_keys WHERE user_id = $1 ORDER BY id", 1, id)) != TR_OK)
		return er;
	arr = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		k = json_object_new_object();
		json_object_array_add(arr, k);
		if ((er = addll(k, res, i, "id")) != TR_OK ||
		    (er = addstrs(k, res, i, cols,
		    sizeof(cols) / sizeof(cols[0]))) != TR_OK ||
		    (er = addll(k, res, i, "usage_count")) != TR_OK ||
		    (er = tr_db_col_bool(res, i, "active", &active)) != TR_OK)
			break;
		json_object_object_add(k, "active",
		    json_object_new_boolean(active));
	}
	PQclear(res);
	if (er != TR_OK)
		json_object_put(arr);
	else
		*out = arr;
	return er;
}

/*
 * Revokes API key kid of user uid, at once.  Returns TR_ENOTFOUND if
 * the user has no such key not yet revoked.
 */
enum tr_err
tr_account_key_revoke(long long uid, long long kid)
{
	PGresult	*res = NULL;
	char		 id[24], key[24];
	int		 n;
	enum tr_err	 er;

	snprintf(id, sizeof(id), "%lld", uid);
	snprintf(key, sizeof(key), "%lld", kid);
	if ((er = tr_db_queryv(tr_db_get(), &res, "UPDATE api_keys SET"
	    " is_active = false, revoked_at = now() WHERE id = $1 AND"
	    " user_id = $2 AND revoked_at IS NULL RETURNING id", 2,
	    key, id)) != TR_OK)
		return er;
	n = PQntuples(res);
	PQclear(res);
	return n == 1 ? TR_OK : TR_ENOTFOUND;
}
