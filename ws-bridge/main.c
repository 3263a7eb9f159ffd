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
#include <sys/socket.h>
#include <netinet/in.h>

#include <net/if.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge.h"

struct	opts {
	const char	*host;
	long long	 port;
	/* Where it listens: "127.0.0.1", "[::1]". */
	char		 bound[INET6_ADDRSTRLEN + IF_NAMESIZE + 3];
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

	if (tr_conf_production() && o->test) {
		tr_errx("the protocol-test mode is not for production");
		return -1;
	}
	/* Production's unsafe settings, or an APP_ENV that names none. */
	if ((unsafe = tr_conf_unsafe()) != NULL) {
		tr_errx("refusing to start: %s", unsafe);
		return -1;
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

/* An address as text: "127.0.0.1", "[::1]". */
static int
addr_text(const struct sockaddr *sa, socklen_t len, char *buf, size_t sz)
{
	char	 num[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];	/* "fe80::1%x" */

	if (getnameinfo(sa, len, num, sizeof(num), NULL, 0,
	    NI_NUMERICHOST) != 0)
		return -1;
	snprintf(buf, sz, sa->sa_family == AF_INET6 ? "[%s]" : "%s", num);
	return 0;
}

/*
 * Where -h says to listen: "*" every address (dual-stack, the protocol
 * test mode's), else the address host is or resolves to first, as text
 * in *want and as a literal in *iface ("" both for "*").  lws gets the
 * literal, an IPv4 one on a vhost without IPv6 and an IPv6 one with
 * IPV6_V6ONLY: given anything else it binds the any-address.
 */
static int
listen_addr(const char *host, char *want, char *iface, size_t sz,
    uint64_t *options)
{
	struct addrinfo		 hints, *res;
	int			 rc;

	*want = *iface = '\0';
	if (strcmp(host, "*") == 0)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) == 0) {
		if (addr_text(res->ai_addr, res->ai_addrlen, want, sz) == -1)
			rc = EAI_FAIL;
		*options |= res->ai_family == AF_INET6 ?
		    LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY |
		    LWS_SERVER_OPTION_IPV6_V6ONLY_VALUE :
		    LWS_SERVER_OPTION_DISABLE_IPV6;
		freeaddrinfo(res);
	}
	if (rc != 0) {
		tr_errx("-h or WS_BRIDGE_HOST '%s' is not an address: %s",
		    host, gai_strerror(rc));
		return -1;
	}
	snprintf(iface, sz, "%.*s", (int)strlen(want) - (*want == '[' ?
	    2 : 0), want + (*want == '['));
	return 0;
}

/* The address of this process's socket listening on port, as text:
 * lws does not hand its listening socket out, so the descriptors are
 * looked through. */
static int
bound_addr(int port, char *buf, size_t sz)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 fd, on;

	for (fd = 0; fd < 1024; fd++) {
		len = sizeof(on);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on,
		    &len) == -1 || !on)
			continue;
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
		    (ss.ss_family == AF_INET ?
		    ((struct sockaddr_in *)&ss)->sin_port :
		    ((struct sockaddr_in6 *)&ss)->sin6_port) != htons(port))
			continue;
		return addr_text((struct sockaddr *)&ss, len, buf, sz);
	}
	return -1;
}

/*
 * The vhost that listens where -h says, and nowhere else: what it is
 * bound to is read back from its socket (*o->bound).
 */
static int
create_listener(struct opts *o, struct lws_context_creation_info *info)
{
	char		 want[sizeof(o->bound)], iface[sizeof(o->bound)];
	uint64_t	 listen_opts = 0;

	if (listen_addr(o->host, want, iface, sizeof(want),
	    &listen_opts) == -1)
		return -1;
	info->vhost_name = "listen";
	info->port = (int)o->port;
	info->iface = *iface != '\0' ? iface : NULL;
	info->options |= listen_opts |
	    LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	if (lws_create_vhost(bctx, info) == NULL ||
	    bound_addr((int)o->port, o->bound, sizeof(o->bound)) == -1) {
		tr_errx("cannot listen on %s port %lld", o->host, o->port);
		return -1;
	}
	if (*want != '\0' && strcmp(o->bound, want) != 0) {
		tr_errx("asked to listen on %s, bound %s", o->host, o->bound);
		return -1;
	}
	return 0;
}

/*
 * The apps, then the context: the upstreams' vhost (no listener, so
 * that how the listener is bound changes nothing for them), then the
 * listener.
 */
static int
create_context(struct opts *o)
{
	static const struct sio_nsp *const	 app_nsps[] = { &stream_nsp };
	static struct lws_protocols		 protocols[3];
	struct lws_context_creation_info	 info;

	if (o->test)
		testapp_init();
	else {
		sio_init(app_nsps, 1);
		eio_register(&sio_app);
		eio_register_doc(&stream_languages);
	}

	protocols[0].name = "trapi-eio";
	protocols[0].callback = eio_callback;
	protocols[0].per_session_data_size = eio_pss_size();
	protocols[0].rx_buffer_size = 65536;
	protocols[1].name = "deepgram-live";
	protocols[1].callback = up_deepgram_callback;
	protocols[1].rx_buffer_size = 65536;

	memset(&info, 0, sizeof(info));
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
	    LWS_SERVER_OPTION_VALIDATE_UTF8 |
	    LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
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
		tr_errx("cannot create the libwebsockets context");
		return -1;
	}
	info.vhost_name = BRIDGE_UPSTREAM_VHOST;
	info.port = CONTEXT_PORT_NO_LISTEN;
	if (lws_create_vhost(bctx, &info) == NULL) {
		tr_errx("cannot create the upstreams' vhost");
		return -1;
	}
	return create_listener(o, &info);
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
	/* Its /metrics are its own (one process), in memory, mapped
	 * before any thread could add to them. */
	if (tr_metrics_open(NULL) != 0)
		tr_warnx("metrics unavailable");
	parse_args(argc, argv, &o);
	if (load_settings(&o) == -1)
		return 1;
	setup_process();
	if (create_context(&o) == -1 || start_threads(&o) == -1) {
		if (bctx != NULL)
			lws_context_destroy(bctx);
		return 1;
	}
	if (detach(&o) == -1)
		return 1;
	tr_info("listening on %s:%lld (%s%s)", o.bound, o.port,
	    o.test ? "protocol-test mode" : "engine ", o.test ? "" :
	    bconf.up->name);
	run();
	shut_down(&o);
	return 0;
}
