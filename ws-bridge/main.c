/*
 * ws-bridge: the live-streaming daemon.  Foreground by default (logs on
 * stderr, for systemd and tests); -d detaches and logs to syslog.  -t
 * starts the protocol-test mode of the official Socket.IO suites, which
 * production settings refuse.  SIGTERM or SIGINT: stop taking new
 * sessions, finish every stream (its last results and a final event),
 * then exit.  This file is only the program: its steps, in order, each
 * a function below; the work is in the other files.
 */
#include <sys/resource.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge.h"

struct	opts {
	const char	*host;
	long long	 port;
	int		 daemonize;
	int		 test;
};

/* What STREAM_ENGINE may name. */
static const struct up_ops *const upstreams[] = {
	&up_deepgram, &up_local
};

static volatile sig_atomic_t	 stopsig;
static lws_sorted_usec_list_t	 stop_sul;
static int			 stopping;
static int64_t			 stop_deadline;

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

/* The arguments, over WS_BRIDGE_HOST and WS_BRIDGE_PORT. */
static void
parse_args(int argc, char *argv[], struct opts *o)
{
	int	 ch;

	memset(o, 0, sizeof(*o));
	o->host = tr_conf_def("WS_BRIDGE_HOST", "127.0.0.1");
	o->port = tr_conf_ll("WS_BRIDGE_PORT", 8090, 1, 65535);
	while ((ch = getopt(argc, argv, "dth:p:")) != -1)
		switch (ch) {
		case 'd':
			o->daemonize = 1;
			break;
		case 't':
			o->test = 1;
			break;
		case 'h':
			o->host = optarg;
			break;
		case 'p':
			if (tr_parse_ll(optarg, 1, 65535, &o->port) != TR_OK)
				usage();
			break;
		default:
			usage();
		}
}

/* The settings and the upstream they name; -1 for what must not run. */
static int
load_settings(const struct opts *o)
{
	const char	*unsafe;
	size_t		 i;

	if (tr_conf_production()) {
		if (o->test) {
			tr_errx("the protocol-test mode is not for production");
			return -1;
		}
		if ((unsafe = tr_conf_unsafe()) != NULL) {
			tr_errx("refusing to start in production: %s", unsafe);
			return -1;
		}
	}
	conf_load(o->test);
	for (i = 0; i < sizeof(upstreams) / sizeof(upstreams[0]); i++)
		if (strcmp(bconf.engine, upstreams[i]->name) == 0)
			bconf.up = upstreams[i];
	if (bconf.up == NULL) {
		tr_errx("STREAM_ENGINE must be deepgram or local");
		return -1;
	}
	return 0;
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

/* File limit, signals, and libwebsockets' log into ours. */
static void
setup_process(void)
{
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, onsig);
	signal(SIGINT, onsig);
	lws_set_log_level(LLL_ERR | LLL_WARN, lwslog);
}

/* The apps, then the context that listens and serves them. */
static int
create_context(const struct opts *o)
{
	static const struct sio_nsp *const	 app_nsps[] = { &stream_nsp };
	static struct lws_protocols		 protocols[3];
	struct lws_context_creation_info	 info;

	if (o->test)
		testapp_init();
	else {
		sio_init(app_nsps, 1);
		eio_register(&sio_app);
	}

	protocols[0].name = "trapi-eio";
	protocols[0].callback = eio_callback;
	protocols[0].per_session_data_size = eio_pss_size();
	protocols[0].rx_buffer_size = 65536;
	protocols[1].name = "deepgram-live";
	protocols[1].callback = up_deepgram_callback;
	protocols[1].rx_buffer_size = 65536;

	memset(&info, 0, sizeof(info));
	info.port = (int)o->port;
	info.iface = o->host != NULL && *o->host != '\0' &&
	    strcmp(o->host, "*") != 0 ? o->host : NULL;
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
		return -1;
	}
	info.timeout_secs = 20;
	info.keepalive_timeout = 60;
	info.ka_time = 0;

	if ((bctx = lws_create_context(&info)) == NULL) {
		tr_errx("cannot listen on %s:%lld", o->host, o->port);
		return -1;
	}
	return 0;
}

/* Worker threads, and the upstream's own start (a stream's decoders). */
static int
start_threads(const struct opts *o)
{
	if (work_init((int)sysconf(_SC_NPROCESSORS_ONLN)) == -1)
		return -1;
	if (!o->test && bconf.up->init != NULL && bconf.up->init() == -1)
		return -1;
	return 0;
}

/* -d: into the background, logging to syslog from now on. */
static int
detach(const struct opts *o)
{
	if (!o->daemonize)
		return 0;
	tr_log_syslog();
	if (daemon(0, 0) == -1) {
		tr_warn("daemon");
		return -1;
	}
	return 0;
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

/* The event loop, until a signal's shutdown is over. */
static void
run(void)
{
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
}

/* Lets the closes go out, then frees everything. */
static void
shut_down(const struct opts *o)
{
	int64_t	 end = bridge_now_ms() + 300;

	while (bridge_now_ms() < end && eio_count() > 0)
		if (lws_service(bctx, 0) < 0)
			break;
	work_stop();
	eio_free_all();
	lws_context_destroy(bctx);
	if (!o->test && bconf.up->free != NULL)
		bconf.up->free();
	tr_conf_free();
	tr_db_close();
	tr_info("stopped");
}

int
main(int argc, char *argv[])
{
	struct opts	 o;

	tr_log_init("ws-bridge");
	if (tr_conf_load() != TR_OK)
		return 1;
	parse_args(argc, argv, &o);
	if (load_settings(&o) == -1)
		return 1;
	setup_process();
	if (create_context(&o) == -1)
		return 1;
	if (start_threads(&o) == -1) {
		lws_context_destroy(bctx);
		return 1;
	}
	if (detach(&o) == -1)
		return 1;
	tr_info("listening on %s:%lld (%s%s)", o.host, o.port,
	    o.test ? "protocol-test mode" : "engine ", o.test ? "" :
	    bconf.up->name);
	run();
	shut_down(&o);
	return 0;
}
