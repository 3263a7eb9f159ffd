/* GET /v1/models/{id}: one model, as OpenAI's models.retrieve() reads it. */
#include "tr.h"

static enum tr_err
handle(struct tr_req *r)
{
	struct json_object	*o;
	enum tr_err		 er;

	if ((o = tr_oai_model(tr_patharg(r))) == NULL)
		return tr_fail_param(r, TR_ENOTFOUND, "model", "The model "
		    "'%.64s' does not exist", tr_patharg(r));
	er = tr_reply_json(r, 200, o);
	json_object_put(o);
	return er;
}

static const struct tr_endpoint ep = {
	.path = "/v1/models/*", .methods = TR_GET, .auth = TR_AUTH_APIKEY,
	.handler = handle, .openai_errors = 1,
};

int
main(void)
{
	return tr_serve(&ep);
}
