/*
 * POST /utilities/text-file: {"text", "filename"?} as a UTF-8 .txt
 * download under a safe file name.
 */
#include "tr.h"

enum	key { KEY_TEXT, KEY_FILENAME, KEY__MAX };

static const struct tr_field keys[KEY__MAX] = {
	{ "text", tr_valid_string, TR_REQUIRED },	/* KEY_TEXT */
	{ "filename", tr_valid_string, 0 },		/* KEY_FILENAME */
};

static enum tr_err
handle(struct tr_req *r)
{
	return tr_text_file(r, tr_field_get(r, KEY_TEXT),
	    tr_str(r, KEY_FILENAME));
}

static const struct tr_endpoint ep = {
	.path = "/utilities/text-file", .methods = TR_POST,
	.auth = TR_AUTH_APIKEY, .body_max = 1 << 20, .fields = keys,
	.fieldsz = KEY__MAX, .handler = handle,
};

int
main(void)
{
	return tr_serve(&ep);
}
