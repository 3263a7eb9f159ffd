/* GET /translations/languages: per engine, the pairs it can translate. */
#include "tr.h"

static enum tr_err
handle(struct tr_req *r)
{
	struct json_object	*o = tr_xlate_languages();
	enum tr_err		 er;

	er = tr_reply_json(r, 200, o);
	json_object_put(o);
	return er;
}

static const struct tr_endpoint ep = {
	.path = "/translations/languages", .methods = TR_GET,
	.auth = TR_AUTH_APIKEY, .handler = handle,
};

int
main(void)
{
	return tr_serve(&ep);
}
