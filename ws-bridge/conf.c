/*
 * The daemon's settings and its clock, which every layer reads: the
 * settings are read once at start-up (the protocol-test mode has the
 * fixed ones of the official suites), then only the shutdown changes
 * one of them (no new sessions).  Nothing here calls up into the other
 * files of ws-bridge.
 */
#include <time.h>

#include "bridge.h"

struct bridge_conf	 bconf;
struct lws_context	*bctx;

int64_t
bridge_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
conf_load(int test)
{
	bconf.test = test;
	if (test) {
		/* The reference configuration of the protocol suites. */
		bconf.ping_interval = 300;
		bconf.ping_timeout = 200;
		bconf.connect_timeout = 1000;
		bconf.max_payload = 1000000;
	} else {
		bconf.ping_interval = tr_conf_ll("WS_PING_INTERVAL", 25000,
		    100, 600000);
		bconf.ping_timeout = tr_conf_ll("WS_PING_TIMEOUT", 20000, 100,
		    600000);
		bconf.connect_timeout = tr_conf_ll("WS_CONNECT_TIMEOUT", 45000,
		    100, 600000);
		bconf.max_payload = tr_conf_ll("WS_MAX_PAYLOAD", 1000000,
		    1024, 64 * 1024 * 1024);
	}
	bconf.queue_max = tr_conf_ll("WS_QUEUE_MAX", 4 * 1024 * 1024, 65536,
	    1024LL * 1024 * 1024);
	if (bconf.queue_max < bconf.max_payload * 2)
		bconf.queue_max = bconf.max_payload * 2;
	bconf.max_sessions = tr_conf_ll("WS_MAX_SESSIONS", 2000, 1, 1000000);
	bconf.max_streams = tr_conf_ll("WS_MAX_STREAMS", 500, 1, 1000000);
	bconf.idle_timeout = tr_conf_ll("WS_IDLE_TIMEOUT", 60, 1, 86400);
	bconf.upstream_timeout = tr_conf_ll("WS_UPSTREAM_TIMEOUT", 15, 1,
	    3600);
	bconf.engine = tr_conf("STREAM_ENGINE");
	if (bconf.engine == NULL)
		bconf.engine = tr_conf("DEEPGRAM_API_KEY") != NULL ?
		    "deepgram" : "local";
}
