/*
 * GET /metrics: the host's counters (every process of every program,
 * through the shared metrics file) and the job queue's gauges, in the
 * Prometheus text format, to the addresses of METRICS_ALLOW (loopback
 * unless set) or a caller with METRICS_TOKEN; 403 for anyone else.
 */
#include "tr.h"

#define METRICS_MAX	(4u << 20)	/* bytes of one exposition */

static enum tr_err
handle(struct tr_req *r)
{
	struct tr_buf	 b;
	enum tr_err	 er;

	if (!tr_metrics_allowed(tr_remote(r),
	    tr_header_in(r, "Authorization")))
		return tr_fail(r, TR_EFORBIDDEN, "metrics are open to the "
		    "addresses of METRICS_ALLOW or a bearer METRICS_TOKEN");
	tr_buf_init(&b, METRICS_MAX);
	if ((er = tr_metrics_render(&b)) == TR_OK &&
	    (er = tr_metrics_jobs(&b)) == TR_OK)
		er = tr_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8",
		    b.ptr, b.len);
	tr_buf_free(&b);
	return er;
}

static const struct tr_endpoint ep = {
	.path = "/metrics", .methods = TR_GET, .auth = TR_AUTH_NONE,
	.handler = handle,
};

int
main(void)
{
	return tr_serve(&ep);
}
