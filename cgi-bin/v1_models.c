/* GET /v1/models: the models the OpenAI-compatible endpoints serve. */
#include "tr.h"

static enum tr_err
handle(struct tr_req *r)
{
	struct json_object	*o = tr_oai_models();
	enum tr_err		 er;

	er = tr_reply_json(r, 200, o);
	json_object_put(o);
	return er;
}

static const struct tr_endpoint ep = {
	.path = "/v1/models", .methods = TR_GET, .auth = TR_AUTH_APIKEY,
	.handler = handle, .openai_errors = 1,
};

int
main(void)
{
	return tr_serve(&ep);
}
