/*
 * Test-only endpoint, POST /test/quota: does what a transcription
 * endpoint does around its work, without a provider: takes a quota slot
 * for `seconds` of audio, holds it `hold_ms`, writes the usage row, and
 * gives the slot back.  Not installed.
 */
#include <time.h>

#include "tr.h"

enum	key { KEY_SECONDS, KEY_HOLD, KEY__MAX };

static const struct tr_field keys[KEY__MAX] = {
	{ "seconds", tr_valid_amount, TR_REQUIRED },	/* KEY_SECONDS */
	{ "hold_ms", tr_valid_uint, 0 },		/* KEY_HOLD */
};

static enum tr_err
handle(struct tr_req *r)
{
	const struct tr_pair	*hold = tr_field_get(r, KEY_HOLD);
	struct tr_usage		 u = { .service = "test" };
	struct json_object	*o;
	struct timespec		 ts;
	long long		 slot;
	enum tr_err		 er;

	u.audio_seconds = tr_field_get(r, KEY_SECONDS)->parsed.d;
	if ((er = tr_quota_begin(r, u.audio_seconds, &slot)) != TR_OK)
		return er;
	if (hold != NULL) {
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
