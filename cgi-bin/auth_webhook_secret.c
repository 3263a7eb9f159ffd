/*
 * GET /auth/webhook-secret: the secret that signs the account's job
 * callbacks (callback_url), shown in full when it is made; rotate=true
 * replaces it.
 */
#include "tr.h"

static const struct tr_endpoint ep = {
	.path = "/auth/webhook-secret", .methods = TR_GET,
	.auth = TR_AUTH_ANY, .body_max = 1024, .fields = tr_whsecret_fields,
	.fieldsz = TR_WHSECRET__MAX, .handler = tr_webhook_secret_get,
};

int
main(void)
{
	return tr_serve(&ep);
}
