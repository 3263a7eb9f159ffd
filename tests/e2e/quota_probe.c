/*
 * Test-only endpoint, POST /test/quota: does what a transcription
 * endpoint does around its work, without a provider: takes a quota slot
 * for `seconds` of audio, holds it `hold_ms` (renewing its lease every
 * 100 ms, as long work does, when `renew` is true), writes the usage row,
 * and gives the slot back.  Not installed.
 */
#include <time.h>

#include "tr.h"

enum	key { KEY_SECONDS, KEY_HOLD, KEY_RENEW, KEY__MAX };

static const struct tr_field keys[KEY__MAX] = {
	{ "seconds", tr_valid_amount, TR_REQUIRED },	/* KEY_SECONDS */
	{ "hold_ms", tr_valid_uint, 0 },		/* KEY_HOLD */
	{ "renew", tr_valid_bool, 0 },			/* KEY_RENEW */
};

static enum tr_err
handle(struct tr_req *r)
{
	const struct tr_pair	*hold = tr_field_get(r, KEY_HOLD);
	const struct tr_pair	*renew = tr_field_get(r, KEY_RENEW);
	struct tr_usage		 u = { .service = "test" };
	struct json_object	*o;
	struct timespec		 ts;
	long long		 slot, ms;
	enum tr_err		 er;

	u.audio_seconds = tr_field_get(r, KEY_SECONDS)->parsed.d;
	if ((er = tr_quota_begin(r, u.audio_seconds, &slot)) != TR_OK)
		return er;
	if (hold != NULL && renew != NULL && renew->parsed.i) {
		ts.tv_sec = 0;
		ts.tv_nsec = 100 * 1000000L;
		for (ms = 0; ms < hold->parsed.i; ms += 100) {
			nanosleep(&ts, NULL);
			tr_quota_renew(r, slot);
		}
	} else if (hold != NULL) {
		ts.tv_sec = hold->parsed.i / 1000;
		ts.tv_nsec = (hold->parsed.i % 1000) * 1000000L;
		nanosleep(&ts, NULL);
	}
	er = tr_usage_log(r, &u);
	tr_quota_end(r, slot);
	if (er != TR_OK)
		return er;
	o = json_object_new_object();
	json_object_object_add(o, "done", json_object_new_boolean(1));
	er = tr_reply_json(r, 200, o);
	json_object_put(o);
	return er;
}

static const struct tr_endpoint ep = {
	.path = "/test/quota", .methods = TR_POST, .auth = TR_AUTH_ANY,
	.body_max = 4096, .fields = keys, .fieldsz = KEY__MAX,
	.handler = handle,
};

int
main(void)
{
	return tr_serve(&ep);
}
