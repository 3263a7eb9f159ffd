/*
 * GET /jobs/{id}: an async job of the caller's, its progress and, when
 * done, its result; DELETE cancels it.  GET /jobs/{id}/result: a
 * finished job's answer as it is (a document's file).
 */
#include "tr.h"

static const struct tr_endpoint ep = {
	.path = "/jobs/*", .methods = TR_GET | TR_DELETE, .auth = TR_AUTH_ANY,
	.handler = tr_job_one, .subpaths = 1,
};

int
main(void)
{
	return tr_serve(&ep);
}
