/*
 * libFuzzer target for tr__jwk_rsa() (lib/auth/jwks.c): a JWKS document (or
 * a single JWK) as the tenant might serve it.  Every key made must be
 * an RSA key, and verifying a real RS256 token with it, whatever its
 * size or exponent, must succeed or be refused with a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define MAXBODY	(256 * 1024)

/* An RS256 token signed by the RSA key of the seed corpus (jwks_rsa_ec). */
static const char	 rs256[] =
	"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InJzYS0xIn0.eyJzdWIi"
	"OiI0MiIsImlzcyI6Imh0dHBzOi8vaXNzdWVyLmV4YW1wbGUvIiwiYXVkIjoidHJh"
	"cGktYXBpIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDA5MDB9.KdKgnG7"
	"hbfjnqRPMF7j6FkfB7TRJQ_B53hd3bLO0d48njy5c4B_Hb5swRVzK5JqAzasxttT"
	"ONyJwKdz-_w6MqMEH1wu0oqqlwTEFRyTtX5G8owId-VwQ4vLfF9ylG6mOB5k4tad"
	"f79ip3_TAXaUD8rwa6ckiZSbhgYH9Avig2pWL8D3kVRm5tZDyYP2O5Tulyl4birK"
	"Hmqs7gGiwPTPFTfG8rzddHNuPicSoHgUAC6ZxYYJe1c1CBZ5mCjoA41BNGYXWTxW"
	"TQNIFxb5WZcEAx_RbBjmuvz4K5Kj8FjJ8Zohio8cH-RhjjQUwPGYNtWf2Qj7I79-"
	"9aTnK1uEuIW-ffA";

static void
jwk(struct json_object *o)
{
	struct tr_jwt	 jwt;
	EVP_PKEY	*pkey;
	enum tr_err	 er;

	if ((pkey = tr__jwk_rsa(o)) == NULL)
		return;
	if (!EVP_PKEY_is_a(pkey, "RSA"))
		abort();
	if (tr_jwt_parse(rs256, &jwt) != TR_OK)
		abort();
	er = tr_jwt_verify_rs256(&jwt, pkey);
	if (er == TR_OK ? jwt.why != NULL : er != TR_EUNAUTH || jwt.why == NULL)
		abort();
	tr_jwt_free(&jwt);
	EVP_PKEY_free(pkey);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*doc = NULL, *arr;
	size_t			 i, n;

	if (tr_json_parse((const char *)data, size, MAXBODY, 8, &doc) !=
	    TR_OK)
		return 0;
	jwk(doc);
	if (json_object_is_type(doc, json_type_object) &&
	    json_object_object_get_ex(doc, "keys", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		n = json_object_array_length(arr);
		for (i = 0; i < n; i++)
			jwk(json_object_array_get_idx(arr, i));
	}
	json_object_put(doc);
	return 0;
}
