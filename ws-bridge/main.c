/*
 * ws-bridge: the live-streaming daemon.  Foreground by default (logs on
 * stderr, for systemd and tests); -d detaches and logs to syslog.  -t
 * starts the protocol-test mode of the official Socket.IO suites, which
 * production settings refuse.  SIGTERM or SIGINT: stop taking new
 * sessions, finish every stream (its last results and a final event),
 * then exit.
 */
#include <sys/resource.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"

struct bridge_conf	 bconf;
struct lws_context	*bctx;

static volatile sig_atomic_t	 stopsig;
static lws_sorted_usec_list_t	 stop_sul;
static int			 stopping;
static int64_t			 stop_deadline;

int64_t
bridge_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
onsig(int sig)
{
	stopsig = sig;
	if (bctx != NULL)
		lws_cancel_service(bctx);
}

static void
lwslog(int lvl, const char *line)
{
	size_t	 n = strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	tr_log(lvl & LLL_ERR ? TR_LOG_ERR : lvl & LLL_WARN ? TR_LOG_WARN :
	    TR_LOG_DEBUG, "lws: %.*s", (int)n, line);
}

static void
usage(void)
{
	fprintf(stderr, "usage: ws-bridge [-dt] [-h host] [-p port]\n");
	exit(2);
}

static void
settings(int test)
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

/* Sockets for every stream and its upstream: raise the soft limit. */
static void
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			tr_warn("setrlimit");
	}
}

/* After SIGTERM: streams get their last results, then everything ends. */
static void
stop_check(lws_sorted_usec_list_t *sul)
{
	if (stream_count() == 0 || bridge_now_ms() >= stop_deadline) {
		eio_close_all("server shutting down");
		stopping = 2;
		lws_cancel_service(bctx);
		return;
	}
	lws_sul_schedule(bctx, 0, &stop_sul, stop_check, 50 * 1000);
}

int
main(int argc, char *argv[])
{
	struct lws_context_creation_info	 info;
	struct lws_protocols			 protocols[3];
	const char				*host, *unsafe;
	long long				 port;
	int					 ch, daemonize = 0, test = 0;
	int					 ncpu;

	tr_log_init("ws-bridge");
	if (tr_conf_load() != TR_OK)
		return 1;
	host = tr_conf_def("WS_BRIDGE_HOST", "127.0.0.1");
	port = tr_conf_ll("WS_BRIDGE_PORT", 8090, 1, 65535);
	while ((ch = getopt(argc, argv, "dth:p:")) != -1)
		switch (ch) {
		case 'd':
			daemonize = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'h':
			host = optarg;
			break;
		case 'p':
			if (tr_parse_ll(optarg, 1, 65535, &port) != TR_OK)
				usage();
			break;
		default:
			usage();
		}
	if (tr_conf_production()) {
		if (test) {
			tr_errx("the protocol-test mode is not for production");
			return 1;
		}
		if ((unsafe = tr_conf_unsafe()) != NULL) {
			tr_errx("refusing to start in production: %s", unsafe);
			return 1;
		}
	}
	settings(test);
	if (strcmp(bconf.engine, "deepgram") != 0 &&
	    strcmp(bconf.engine, "local") != 0) {
		tr_errx("STREAM_ENGINE must be deepgram or local");
		return 1;
	}
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, onsig);
	signal(SIGINT, onsig);
	lws_set_log_level(LLL_ERR | LLL_WARN, lwslog);

	if (test)
		testapp_init();
	else {
		static const struct sio_nsp *const	 app_nsps[] = {
			&stream_nsp
		};
		sio_init(app_nsps, 1);
		eio_register(&sio_app);
	}

	memset(protocols, 0, sizeof(protocols));
	protocols[0].name = "trapi-eio";
	protocols[0].callback = eio_callback;
	protocols[0].per_session_data_size = eio_pss_size();
	protocols[0].rx_buffer_size = 65536;
	protocols[1].name = "deepgram-live";
	protocols[1].callback = up_deepgram_callback;
	protocols[1].rx_buffer_size = 65536;

	memset(&info, 0, sizeof(info));
	info.port = (int)port;
	info.iface = host != NULL && *host != '\0' && strcmp(host, "*") != 0 ?
	    host : NULL;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
	    LWS_SERVER_OPTION_VALIDATE_UTF8 |
	    LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	/*
	 * Deepgram's certificate is checked against DEEPGRAM_CA_FILE when
	 * set, else against the system's store (OpenSSL's default paths).
	 */
	info.client_ssl_ca_filepath = tr_conf("DEEPGRAM_CA_FILE");
	if (info.client_ssl_ca_filepath != NULL &&
	    access(info.client_ssl_ca_filepath, R_OK) == -1) {
		tr_warn("DEEPGRAM_CA_FILE %s", info.client_ssl_ca_filepath);
		return 1;
	}
	info.timeout_secs = 20;
	info.keepalive_timeout = 60;
	info.ka_time = 0;

	if ((bctx = lws_create_context(&info)) == NULL) {
		tr_errx("cannot listen on %s:%lld", host, port);
		return 1;
	}
	ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (work_init(ncpu) == -1 ||
	    (strcmp(bconf.engine, "local") == 0 && !test &&
	    up_local_init() == -1)) {
		lws_context_destroy(bctx);
		return 1;
	}
	if (daemonize) {
		tr_log_syslog();
		if (daemon(0, 0) == -1) {
			tr_warn("daemon");
			return 1;
		}
	}
	tr_info("listening on %s:%lld (%s%s)", host, port,
	    test ? "protocol-test mode" : "engine ", test ? "" :
	    bconf.engine);

	while (stopping < 2) {
		if (stopsig && !stopping) {
			tr_info("signal %d: finishing %zu streams",
			    (int)stopsig, stream_count());
			stopping = 1;
			bconf.max_sessions = 0;
			stop_deadline = bridge_now_ms() +
			    tr_conf_ll("WS_SHUTDOWN_GRACE", 5000, 0, 600000);
			stream_shutdown();
			stop_check(&stop_sul);
		}
		if (lws_service(bctx, 0) < 0)
			break;
	}
	/* Let the closes go out, then stop. */
	{
		int64_t	 end = bridge_now_ms() + 300;

		while (bridge_now_ms() < end && eio_count() > 0)
			if (lws_service(bctx, 0) < 0)
				break;
	}
	work_stop();
	eio_free_all();
	if (strcmp(bconf.engine, "local") == 0 && !test)
		up_local_free();
	lws_context_destroy(bctx);
	up_deepgram_free();
	tr_conf_free();
	tr_db_close();
	tr_info("stopped");
	return 0;
}
