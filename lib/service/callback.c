/*
 * Job callbacks: each account's webhook secret (GET /auth/webhook-secret)
 * and the delivery of the rows of webhook_deliveries that job.c queues
 * when a job with a callback_url ends.  A worker takes one due delivery
 * at a time (SKIP LOCKED, with a lease in next_at so that no other
 * worker sends it meanwhile), makes one signed attempt (net/webhook.c,
 * the owner's secret as it is now), records it in webhook_attempts and
 * sets the next try with doubling backoff (WEBHOOK_RETRY_SECONDS) until
 * the delivery's give_up_at (WEBHOOK_RETRY_HOURS after the job ended).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define CB_PREFIX_LEN	12	/* what later calls show: "whsec_" + 6 */
#define CB_LEASE_S	"600"	/* a taken delivery's hold, past any try */
#define CB_DEF_RETRY_S	30	/* the first wait; it doubles */
#define CB_MAX_WAIT_S	3600	/* the longest wait between tries */

/* A call whose failure changes nothing but a log line. */
static void
best(enum tr_err er)
{
	if (er != TR_OK)
		tr_warnx("callback: %s (ignored)", tr_err_message(er));
}

/* The fields of GET /auth/webhook-secret. */
const struct tr_field tr_whsecret_fields[TR_WHSECRET__MAX] = {
	{ "rotate", tr_valid_bool, 0 },		/* TR_WHSECRET_ROTATE */
};

/*
 * GET /auth/webhook-secret: the caller's secret.  Made on the first
 * call and shown in full then; later calls show its first characters
 * only, unless rotate=true replaces it with a new one, shown in full.
 */
enum tr_err
tr_webhook_secret_get(struct tr_req *r)
{
	const struct tr_pair	*rot = tr_field_get(r, TR_WHSECRET_ROTATE);
	struct json_object	*o;
	PGresult		*res = NULL;
	const char		*s = NULL, *at = NULL;
	char			*fresh = NULL, uid[24], pre[CB_PREFIX_LEN + 1];
	long long		 u;
	int			 full, rotate = rot != NULL && rot->parsed.i;
	enum tr_err		 er;

	if ((er = tr_principal_user(r, &u)) != TR_OK)
		return er;
	if (u <= 0)
		return tr_fail(r, TR_EFORBIDDEN, "a webhook secret belongs to "
		    "an account; the static API_KEY has none");
	snprintf(uid, sizeof(uid), "%lld", u);
	if ((er = tr_webhook_secret_new(&fresh)) != TR_OK)
		return er;
	er = tr_db_queryv(tr_db_get(), &res, rotate ?
	    "INSERT INTO webhook_secrets (user_id, secret) VALUES ($1::bigint,"
	    " $2) ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret,"
	    " created_at = now() RETURNING secret, true AS full, "
	    TR_SQL_ISOTIME("created_at") :
	    "WITH n AS (INSERT INTO webhook_secrets (user_id, secret) VALUES"
	    " ($1::bigint, $2) ON CONFLICT (user_id) DO NOTHING RETURNING"
	    " secret, created_at) SELECT secret, true AS full, "
	    TR_SQL_ISOTIME("created_at") " FROM n UNION ALL SELECT secret,"
	    " false, " TR_SQL_ISOTIME("created_at") " FROM webhook_secrets"
	    " WHERE user_id = $1::bigint AND NOT EXISTS (SELECT 1 FROM n)", 2,
	    uid, fresh);
	tr_wipe(fresh, strlen(fresh));
	free(fresh);
	if (er != TR_OK)
		return er;
	if (PQntuples(res) != 1 || tr_db_col_str(res, 0, "secret", &s) !=
	    TR_OK || s == NULL) {
		PQclear(res);
		return TR_EDB;
	}
	best(tr_db_col_str(res, 0, "created_at", &at));
	full = strcmp(PQgetvalue(res, 0, PQfnumber(res, "full")), "t") == 0;
	snprintf(pre, sizeof(pre), "%s", s);
	o = json_object_new_object();
	json_object_object_add(o, "secret", full ?
	    json_object_new_string(s) : NULL);
	json_object_object_add(o, "prefix", json_object_new_string(pre));
	json_object_object_add(o, "created_at", at != NULL ?
	    json_object_new_string(at) : NULL);
	json_object_object_add(o, "scheme", json_object_new_string(
	    "Standard Webhooks: webhook-signature v1,base64(HMAC-SHA256("
	    "key, webhook-id.webhook-timestamp.body)), key = base64-decoded "
	    "text after whsec_"));
	json_object_object_add(o, "message", json_object_new_string(full ?
	    "store this secret now: it is not shown again (rotate=true "
	    "makes a new one)" : "shown only when made; rotate=true makes "
	    "a new one and shows it"));
	PQclear(res);
	er = tr_reply_json(r, 200, o);
	json_object_put(o);
	return er;
}

/* Does the account have a secret (a callback could not be signed)? */
enum tr_err
tr__callback_ready(struct tr_req *r, long long uid)
{
	PGresult	*res;
	char		 s[24];
	int		 n;
	enum tr_err	 er;

	snprintf(s, sizeof(s), "%lld", uid);
	if ((er = tr_db_queryv(tr_db_get(), &res, "SELECT 1 FROM"
	    " webhook_secrets WHERE user_id = $1::bigint", 1, s)) != TR_OK)
		return er;
	n = PQntuples(res);
	PQclear(res);
	if (n == 0)
		return tr_fail_param(r, TR_EFIELD, "callback_url", "callback_url "
		    "needs the account's webhook secret: make it first with "
		    "GET /auth/webhook-secret");
	return TR_OK;
}

/*
 * One due delivery, one attempt: 1 if one was tried, 0 if none was due,
 * -1 when the database failed.
 */
int
tr_callback_deliver(void)
{
	struct tr_db			*db = tr_db_get();
	struct tr_webhook		 w;
	struct tr_webhook_result	 res;
	PGresult			*d = NULL, *k = NULL;
	const char			*id, *url, *msg, *body, *uid, *n;
	const char			*secret = NULL;
	char				 st[24], wait[24], why[256];
	long long			 att = 1, base, sec;
	enum tr_err			 er;

	if (tr_db_queryv(db, &d, "UPDATE webhook_deliveries SET attempts ="
	    " attempts + 1, next_at = now() + interval '" CB_LEASE_S " s'"
	    " WHERE id = (SELECT id FROM webhook_deliveries WHERE state ="
	    " 'pending' AND next_at <= now() ORDER BY next_at LIMIT 1 FOR"
	    " UPDATE SKIP LOCKED) RETURNING id::text AS id, url, msg_id, body,"
	    " user_id::text AS user_id, attempts", 0) != TR_OK)
		return -1;
	if (PQntuples(d) != 1) {
		PQclear(d);
		return 0;
	}
	id = PQgetvalue(d, 0, 0);
	url = PQgetvalue(d, 0, 1);
	msg = PQgetvalue(d, 0, 2);
	body = PQgetvalue(d, 0, 3);
	uid = PQgetvalue(d, 0, 4);
	n = PQgetvalue(d, 0, 5);
	best(tr_db_col_ll(d, 0, "attempts", &att));
	memset(&res, 0, sizeof(res));
	/* Always the owner's own secret, as it is now (after a rotation). */
	if (tr_db_queryv(db, &k, "SELECT secret FROM webhook_secrets WHERE"
	    " user_id = $1::bigint", 1, uid) == TR_OK && PQntuples(k) == 1)
		secret = PQgetvalue(k, 0, 0);
	if (secret == NULL) {
		er = TR_EUNAVAIL;
		snprintf(res.why, sizeof(res.why), "the account has no webhook "
		    "secret");
	} else {
		memset(&w, 0, sizeof(w));
		w.url = url;
		w.secret = secret;
		w.id = msg;
		w.body = body;
		w.bodysz = strlen(body);
		w.attempts = 1;
		er = tr_webhook_send(&w, &res);
	}
	PQclear(k);
	snprintf(st, sizeof(st), "%ld", res.status);
	snprintf(why, sizeof(why), "%s", res.why);
	base = tr_conf_ll("WEBHOOK_RETRY_SECONDS", CB_DEF_RETRY_S, 1,
	    CB_MAX_WAIT_S);
	for (sec = base; att > 1 && sec < CB_MAX_WAIT_S; att--)
		sec *= 2;
	snprintf(wait, sizeof(wait), "%lld", sec < CB_MAX_WAIT_S ? sec :
	    CB_MAX_WAIT_S);
	/* The attempt and what follows from it, together. */
	if (tr_db_queryv(db, NULL, "WITH a AS (INSERT INTO webhook_attempts"
	    " (delivery_id, n, status, error) VALUES ($1::bigint, $2::integer,"
	    " NULLIF($3, '0')::integer, NULLIF($4, '')) RETURNING 1)"
	    " UPDATE webhook_deliveries SET state = CASE WHEN $5::text = 'ok' THEN"
	    " 'delivered' WHEN $5::text = 'refused' OR now() + make_interval(secs =>"
	    " $6::double precision) > give_up_at THEN 'failed' ELSE 'pending'"
	    " END, next_at = now() + make_interval(secs => $6::double"
	    " precision), done_at = CASE WHEN $5::text = 'ok' OR $5::text = 'refused' OR"
	    " now() + make_interval(secs => $6::double precision) > give_up_at"
	    " THEN now() END WHERE id = $1::bigint AND EXISTS (SELECT 1 FROM"
	    " a)", 6, id, n, st, why, er == TR_OK ? "ok" : er == TR_EFIELD ?
	    "refused" : "retry", wait) != TR_OK) {
		PQclear(d);
		return -1;
	}
	if (er == TR_OK)
		tr_info("callback %s: delivered (attempt %s)", msg, n);
	else
		tr_warnx("callback %s: attempt %s failed: %s", msg, n, why);
	PQclear(d);
	return 1;
}
