/*
 * POST /translations/openai: {"text", "target_language",
 * "source_language"?} translated by openai (chat completions), long
 * texts in chunks; provider=local (and no key) runs Apertium instead.
 */
#include "tr.h"

static enum tr_err
handle(struct tr_req *r)
{
	return tr_xlate_endpoint(r, "openai");
}

static enum tr_err
check(struct tr_req *r)
{
	return tr_xlate_check(r, "openai");
}

static const struct tr_endpoint ep = {
	.path = "/translations/openai", .methods = TR_POST,
	.auth = TR_AUTH_APIKEY, .body_max = 1024 * 1024,
	.fields = tr_xlate_fields, .fieldsz = TR_XLATE__MAX, .handler = handle,
	.async = 1, .slot = 1, .check = check,
};

int
main(void)
{
	return tr_serve(&ep);
}
