/* GET /jobs: the caller's async jobs, newest first (limit, cursor). */
#include "tr.h"

static const struct tr_endpoint ep = {
	.path = "/jobs", .methods = TR_GET, .auth = TR_AUTH_ANY,
	.fields = tr_jobs_fields, .fieldsz = TR_JOBS__MAX,
	.handler = tr_jobs_list,
};

int
main(void)
{
	return tr_serve(&ep);
}
