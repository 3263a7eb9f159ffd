/*
 * The metrics table: counters and histograms add up across processes
 * sharing one file (fork), labels are escaped, the exposition is
 * well-formed; and the access rules of /metrics (addresses, CIDR blocks,
 * the bearer token).
 */
#include <sys/wait.h>

#include "tr.h"
#include "t.h"

#define KIDS	4
#define ADDS	500

static void
test_access(void)
{
	const char	*l = "127.0.0.0/8, ::1 10.1.0.0/16,2001:db8::/32";

	T(tr_metrics_addr_allowed(l, "127.0.0.1"));
	T(tr_metrics_addr_allowed(l, "127.200.3.4"));
	T(tr_metrics_addr_allowed(l, "::1"));
	T(tr_metrics_addr_allowed(l, "::ffff:127.0.0.1"));
	T(tr_metrics_addr_allowed(l, "10.1.255.1"));
	T(!tr_metrics_addr_allowed(l, "10.2.0.1"));
	T(tr_metrics_addr_allowed(l, "2001:db8::5"));
	T(!tr_metrics_addr_allowed(l, "2001:db9::5"));
	T(!tr_metrics_addr_allowed(l, "192.0.2.1"));
	T(!tr_metrics_addr_allowed(l, NULL));
	T(!tr_metrics_addr_allowed(l, "not an address"));
	T(!tr_metrics_addr_allowed("none", "127.0.0.1"));
	T(!tr_metrics_addr_allowed("", "127.0.0.1"));
	T(!tr_metrics_addr_allowed("10.0.0.0/33", "10.0.0.1"));
	T(tr_metrics_addr_allowed("0.0.0.0/0", "203.0.113.9"));
	T(tr_metrics_addr_allowed("192.0.2.7", "192.0.2.7"));
	T(!tr_metrics_addr_allowed("192.0.2.7", "192.0.2.8"));

	T(tr_metrics_token_ok("s3cret-token", "Bearer s3cret-token"));
	T(tr_metrics_token_ok("s3cret-token", "bearer  s3cret-token"));
	T(!tr_metrics_token_ok("s3cret-token", "Bearer s3cret-tokeN"));
	T(!tr_metrics_token_ok("s3cret-token", "Bearer s3cret-token2"));
	T(!tr_metrics_token_ok("s3cret-token", "Basic s3cret-token"));
	T(!tr_metrics_token_ok("s3cret-token", NULL));
	T(!tr_metrics_token_ok("", "Bearer "));
	T(!tr_metrics_token_ok(NULL, "Bearer x"));
}

static void
test_shared(void)
{
	char		 path[] = "/tmp/trapi-metrics-XXXXXX";
	const char	*kv[4] = { "endpoint", "/a\"b", "status", "200" };
	struct tr_buf	 b;
	pid_t		 pid[KIDS];
	int		 fd, i, j, st;

	T((fd = mkstemp(path)) != -1);
	close(fd);
	for (i = 0; i < KIDS; i++) {
		T((pid[i] = fork()) != -1);
		if (pid[i] == 0) {
			if (tr_metrics_open(path) != 0)
				_exit(2);
			for (j = 0; j < ADDS; j++) {
				tr_metric_add(TR_MET_REQUESTS, 1, kv, 2);
				tr_metric_observe(TR_MET_REQUEST_SECONDS,
				    j % 2 ? 0.003 : 0.2, kv, 1);
				tr_metric_add(TR_MET_USAGE_SECONDS, 0.25,
				    kv + 2, 1);
			}
			_exit(0);
		}
	}
	for (i = 0; i < KIDS; i++) {
		T(waitpid(pid[i], &st, 0) == pid[i]);
		T(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	T(tr_metrics_open(path) == 0);
	tr_buf_init(&b, 1 << 20);
	T(tr_metrics_render(&b) == TR_OK);
	T(strstr(b.ptr, "# TYPE trapi_http_requests_total counter\n") != NULL);
	T(strstr(b.ptr, "trapi_http_requests_total{endpoint=\"/a\\\"b\","
	    "status=\"200\"} 2000\n") != NULL);
	T(strstr(b.ptr, "trapi_http_request_duration_seconds_bucket{endpoint="
	    "\"/a\\\"b\",le=\"0.005\"} 1000\n") != NULL);
	T(strstr(b.ptr, "trapi_http_request_duration_seconds_bucket{endpoint="
	    "\"/a\\\"b\",le=\"0.25\"} 2000\n") != NULL);
	T(strstr(b.ptr, "trapi_http_request_duration_seconds_bucket{endpoint="
	    "\"/a\\\"b\",le=\"+Inf\"} 2000\n") != NULL);
	T(strstr(b.ptr, "trapi_http_request_duration_seconds_count{endpoint="
	    "\"/a\\\"b\"} 2000\n") != NULL);
	T(strstr(b.ptr, "trapi_http_request_duration_seconds_sum{endpoint="
	    "\"/a\\\"b\"} 203.000000\n") != NULL);
	T(strstr(b.ptr, "trapi_usage_audio_seconds_total{status=\"200\"} "
	    "500.000000\n") != NULL);
	T(strstr(b.ptr, "trapi_metrics_dropped_total 0\n") != NULL);
	tr_buf_free(&b);
	unlink(path);
}

int
main(void)
{
	test_access();
	test_shared();
	return 0;
}
