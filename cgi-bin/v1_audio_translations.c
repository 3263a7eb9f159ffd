/* POST /v1/audio/translations: OpenAI's audio translation API (to English). */
#include "tr.h"

static const struct tr_endpoint ep = {
	.path = "/v1/audio/translations", .methods = TR_POST,
	.auth = TR_AUTH_APIKEY, .body_max = TR_BODY_UPLOAD,
	.fields = tr_oai_fields, .fieldsz = TR_OAI__MAX,
	.handler = tr_oai_translations, .openai_errors = 1, .async = 1, .formats = TR_FMT_OPENAI, .slot = 1,
	.check = tr_oai_check,
};

int
main(void)
{
	return tr_serve(&ep);
}
