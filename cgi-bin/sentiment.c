/*
 * POST /sentiment: a text, or our transcript JSON, scored by a
 * sentiment engine (the local one by default): overall, per sentence,
 * and per segment and speaker for a transcript with segments.
 */
#include "tr.h"

enum	key { KEY_TEXT, KEY_TRANSCRIPT, KEY_LANG, KEY_ENGINE, KEY__MAX };

static const struct tr_field keys[KEY__MAX] = {
	{ "text", tr_valid_string, 0 },			/* KEY_TEXT */
	{ "transcript", tr_valid_struct, 0 },		/* KEY_TRANSCRIPT */
	{ "language", tr_valid_lang, 0 },		/* KEY_LANG */
	{ "engine", tr_valid_ident, 0 },		/* KEY_ENGINE */
};

static enum tr_err
handle(struct tr_req *r)
{
	return tr_sentiment(r, tr_str(r, KEY_ENGINE), tr_str(r, KEY_LANG),
	    tr_field_get(r, KEY_TEXT), tr_field_get(r, KEY_TRANSCRIPT));
}

static const struct tr_endpoint ep = {
	.path = "/sentiment", .methods = TR_POST, .auth = TR_AUTH_APIKEY,
	.body_max = 1 << 20, .fields = keys, .fieldsz = KEY__MAX,
	.handler = handle,
};

int
main(void)
{
	return tr_serve(&ep);
}
