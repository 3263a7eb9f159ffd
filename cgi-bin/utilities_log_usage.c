/* POST /utilities/log-usage: record a usage row for the caller. */
#include "tr.h"

enum	key { KEY_SERVICE, KEY_ENDPOINT, KEY_SECONDS, KEY_TOKENS, KEY_COST,
	KEY_STATUS, KEY__MAX };

static const struct tr_field keys[KEY__MAX] = {
	{ "service", tr_valid_ident, TR_REQUIRED },		/* KEY_SERVICE */
	{ "endpoint", tr_valid_name, 0 },			/* KEY_ENDPOINT */
	{ "audio_duration_seconds", tr_valid_amount, 0 },	/* KEY_SECONDS */
	{ "tokens_used", tr_valid_uint, 0 },			/* KEY_TOKENS */
	{ "cost_usd", tr_valid_amount, 0 },			/* KEY_COST */
	{ "status", tr_valid_ident, 0 },			/* KEY_STATUS */
};

static double
num(struct tr_req *r, size_t k)
{
	const struct tr_pair	*p = tr_field_get(r, k);

	return p != NULL ? p->parsed.d : 0;
}

static enum tr_err
handle(struct tr_req *r)
{
	const struct tr_pair	*tok = tr_field_get(r, KEY_TOKENS);
	struct tr_usage		 u = {
		.service = tr_str(r, KEY_SERVICE),
		.endpoint = tr_str(r, KEY_ENDPOINT),
		.audio_seconds = num(r, KEY_SECONDS),
		.tokens = tok != NULL ? tok->parsed.i : 0,
		.cost_usd = num(r, KEY_COST),
		.status = tr_str(r, KEY_STATUS),
	};
	struct json_object	*o;
	enum tr_err		 er;

	if ((er = tr_usage_log(r, &u)) != TR_OK)
		return er;
	o = json_object_new_object();
	json_object_object_add(o, "logged", json_object_new_boolean(1));
	json_object_object_add(o, "request_id",
	    json_object_new_string(tr_request_id(r)));
	er = tr_reply_json(r, 201, o);
	json_object_put(o);
	return er;
}

static const struct tr_endpoint ep = {
	.path = "/utilities/log-usage", .methods = TR_POST,
	.auth = TR_AUTH_APIKEY, .body_max = 16 * 1024, .fields = keys,
	.fieldsz = KEY__MAX, .handler = handle,
};

int
main(void)
{
	return tr_serve(&ep);
}
