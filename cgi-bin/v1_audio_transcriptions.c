/* POST /v1/audio/transcriptions: OpenAI's audio API, ours underneath. */
#include "tr.h"

static const struct tr_endpoint ep = {
	.path = "/v1/audio/transcriptions", .methods = TR_POST,
	.auth = TR_AUTH_APIKEY, .body_max = TR_BODY_UPLOAD,
	.fields = tr_oai_fields, .fieldsz = TR_OAI__MAX,
	.async = 1, .formats = TR_FMT_OPENAI, .slot = 1, .check = tr_oai_check,
	.handler = tr_oai_transcriptions, .openai_errors = 1,
};

int
main(void)
{
	return tr_serve(&ep);
}
