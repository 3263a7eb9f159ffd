/*
 * POST /translations/google: {"text", "target_language",
 * "source_language"?} translated by Google Cloud Translation v2, long
 * texts in chunks; provider=local (and no key) runs Apertium instead.
 */
#include "tr.h"

static enum tr_err
handle(struct tr_req *r)
{
	return tr_xlate_endpoint(r, "google");
}

static enum tr_err
check(struct tr_req *r)
{
	return tr_xlate_check(r, "google");
}

static const struct tr_endpoint ep = {
	.path = "/translations/google", .methods = TR_POST,
	.auth = TR_AUTH_APIKEY, .body_max = 1024 * 1024,
	.fields = tr_xlate_fields, .fieldsz = TR_XLATE__MAX, .handler = handle,
	.async = 1, .slot = 1, .check = check,
};

int
main(void)
{
	return tr_serve(&ep);
}
