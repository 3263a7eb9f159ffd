/*
 * Deepgram live streaming (provider-protocols.md section 2) as a
 * libwebsockets client: wss://api.deepgram.com/v1/listen (the base URL
 * is DEEPGRAM_BASE_URL; http:// means ws://), "Authorization: Token",
 * nova-2 with interim results.  Audio goes as binary frames in order;
 * KeepAlive while the client is quiet; CloseStream on finish.  Results
 * become transcriptions; a refused handshake, a close other than 1000,
 * a dropped connection or silence past WS_UPSTREAM_TIMEOUT become
 * errors.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"

#define KEEPALIVE_MS	4000
#define DEFAULT_BASE	"https://api.deepgram.com"

struct	frame {
	struct frame	*next;
	int		 text;
	size_t		 len;
	unsigned char	 buf[];		/* LWS_PRE, then the data */
};

struct	upstream {
	struct lws		*wsi;
	const struct up_events	*ev;
	void			*arg;
	struct frame		*qhead;
	struct frame		**qtail;
	size_t			 qbytes;
	struct tr_buf		 rx;
	int			 connecting;	/* inside dg_open's connect */
	int			 established;
	int			 finishing;
	int			 aborted;	/* no more callbacks */
	int			 reported;	/* an error went out */
	int			 closecode;
	int64_t			 last_sent;	/* audio or KeepAlive */
	int64_t			 last_rx;	/* a message from Deepgram */
	int64_t			 pending_since;	/* audio unanswered since */
	int64_t			 opened;
	int64_t			 finish_at;
	lws_sorted_usec_list_t	 tick;
	struct upstream		*next;		/* every live upstream */
	struct upstream		**prevp;
};

/*
 * Every upstream until freed.  An aborted one waits for its connection's
 * close callback: CLIENT_CONNECTION_ERROR before the upgrade is sent,
 * CLOSED_CLIENT_HTTP while it is unanswered, CLIENT_CLOSED after.
 */
static struct upstream	*ups;

static void
report(struct upstream *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
report(struct upstream *u, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[256];

	if (u->aborted || u->reported)
		return;
	u->reported = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	u->ev->error(u->arg, msg);
}

/* Frees u; its timer must be cancelled already (or gone with bctx). */
static void
up_release(struct upstream *u)
{
	struct frame	*f;

	if ((*u->prevp = u->next) != NULL)
		u->next->prevp = u->prevp;
	while ((f = u->qhead) != NULL) {
		u->qhead = f->next;
		free(f);
	}
	tr_buf_free(&u->rx);
	free(u);
}

static void
up_free(struct upstream *u)
{
	lws_sul_cancel(&u->tick);
	up_release(u);
}

/* The upstream is over: tell the stream once, then forget it. */
static void
finished(struct upstream *u)
{
	int	 aborted = u->aborted;

	u->aborted = 1;
	if (!aborted)
		u->ev->closed(u->arg);
}

/* Gives up on Deepgram: the connection goes, the stream is told. */
static void
kill_up(struct upstream *u)
{
	if (u->wsi != NULL)
		lws_set_timeout(u->wsi, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
	finished(u);
}

static void
push(struct upstream *u, const void *p, size_t len, int text)
{
	struct frame	*f;

	f = tr_xmalloc(sizeof(*f) + LWS_PRE + len);
	f->next = NULL;
	f->text = text;
	f->len = len;
	memcpy(f->buf + LWS_PRE, p, len);
	*u->qtail = f;
	u->qtail = &f->next;
	u->qbytes += len;
	if (u->established && u->wsi != NULL)
		lws_callback_on_writable(u->wsi);
}

static void
tick_cb(lws_sorted_usec_list_t *sul)
{
	struct upstream	*u = lws_container_of(sul, struct upstream, tick);
	int64_t		 now = bridge_now_ms();
	int64_t		 limit = bconf.upstream_timeout * 1000;

	if (u->aborted)
		return;
	if (!u->established && now - u->opened > limit) {
		report(u, "Deepgram did not accept the stream in time");
		goto kill;
	}
	if (u->finishing && now > u->finish_at) {
		report(u, "Deepgram did not finish the stream in time");
		goto kill;
	}
	if (u->pending_since > 0 && now - u->pending_since > limit) {
		report(u, "Deepgram is not answering");
		goto kill;
	}
	if (u->established && !u->finishing &&
	    now - u->last_sent >= KEEPALIVE_MS) {
		push(u, TR_LIT("{\"type\":\"KeepAlive\"}"), 1);
		u->last_sent = now;
	}
	lws_sul_schedule(bctx, 0, &u->tick, tick_cb, 500 * 1000);
	return;
kill:
	kill_up(u);
}

/* Splits DEEPGRAM_BASE_URL into TLS, host, port and path prefix. */
static int
parse_base(const char *base, int *tls, char *host, size_t hostsz, int *port,
    char *prefix, size_t prefixsz)
{
	const char	*p, *slash, *colon;
	long long	 n;
	char		 num[8];

	if (strncmp(base, "https://", 8) == 0 || strncmp(base, "wss://", 6)
	    == 0) {
		*tls = 1;
		*port = 443;
	} else if (strncmp(base, "http://", 7) == 0 ||
	    strncmp(base, "ws://", 5) == 0) {
		*tls = 0;
		*port = 80;
	} else
		return -1;
	p = strstr(base, "://") + 3;
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = p + strlen(p);
	colon = memchr(p, ':', (size_t)(slash - p));
	if ((colon != NULL ? colon : slash) - p <= 0 ||
	    (size_t)((colon != NULL ? colon : slash) - p) >= hostsz)
		return -1;
	snprintf(host, hostsz, "%.*s", (int)((colon != NULL ? colon : slash) -
	    p), p);
	if (colon != NULL) {
		if (slash - colon - 1 <= 0 || slash - colon - 1 >= 6)
			return -1;
		snprintf(num, sizeof(num), "%.*s", (int)(slash - colon - 1),
		    colon + 1);
		if (tr_parse_ll(num, 1, 65535, &n) != TR_OK)
			return -1;
		*port = (int)n;
	}
	snprintf(prefix, prefixsz, "%s", slash);
	n = (long long)strlen(prefix);
	while (n > 0 && prefix[n - 1] == '/')
		prefix[--n] = '\0';
	return 0;
}

static struct upstream *
dg_open(const struct up_params *pr, const struct up_events *ev, void *arg,
    const char **why)
{
	struct lws_client_connect_info	 ci;
	struct upstream			*u;
	const char			*base;
	char				 host[256], prefix[256], path[1024];
	int				 tls, port;

	if (tr_conf("DEEPGRAM_API_KEY") == NULL) {
		*why = "Deepgram is not configured";
		return NULL;
	}
	base = tr_conf_def("DEEPGRAM_BASE_URL", DEFAULT_BASE);
	if (parse_base(base, &tls, host, sizeof(host), &port, prefix,
	    sizeof(prefix)) == -1) {
		tr_errx("deepgram: bad DEEPGRAM_BASE_URL");
		*why = "transcription service misconfigured";
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/v1/listen?model=%s&language=%s"
	    "&interim_results=true&punctuate=true&smart_format=true",
	    prefix, tr_conf_def("DEEPGRAM_LIVE_MODEL", "nova-2"), pr->lang);
	if (pr->encoding != NULL)
		snprintf(path + strlen(path), sizeof(path) - strlen(path),
		    "&encoding=%s&sample_rate=%lld&channels=%lld",
		    pr->encoding, pr->sample_rate, pr->channels);
	u = tr_xcalloc(1, sizeof(*u));
	if ((u->next = ups) != NULL)
		ups->prevp = &u->next;
	u->prevp = &ups;
	ups = u;
	u->ev = ev;
	u->arg = arg;
	u->qtail = &u->qhead;
	tr_buf_init(&u->rx, 4 * 1024 * 1024);
	u->opened = u->last_sent = bridge_now_ms();

	memset(&ci, 0, sizeof(ci));
	ci.context = bctx;
	ci.vhost = lws_get_vhost_by_name(bctx, BRIDGE_UPSTREAM_VHOST);
	ci.address = host;
	ci.port = port;
	ci.path = path;
	ci.host = host;
	ci.origin = host;
	ci.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
	ci.local_protocol_name = "deepgram-live";
	ci.opaque_user_data = u;
	ci.pwsi = &u->wsi;
	u->connecting = 1;
	if (lws_client_connect_via_info(&ci) == NULL || u->wsi == NULL) {
		up_free(u);
		*why = "cannot reach Deepgram";
		return NULL;
	}
	u->connecting = 0;
	lws_sul_schedule(bctx, 0, &u->tick, tick_cb, 500 * 1000);
	return u;
}

static int
dg_send(struct upstream *u, const void *p, size_t len)
{
	if (u->aborted || u->finishing)
		return -1;
	if (u->qbytes + len > (size_t)bconf.queue_max) {
		report(u, "Deepgram is not keeping up with the audio");
		kill_up(u);
		return -1;
	}
	push(u, p, len, 0);
	u->last_sent = bridge_now_ms();
	if (u->pending_since == 0)
		u->pending_since = u->last_sent;
	return 0;
}

static void
dg_finish(struct upstream *u)
{
	if (u->aborted || u->finishing)
		return;
	u->finishing = 1;
	u->finish_at = bridge_now_ms() + bconf.upstream_timeout * 1000;
	push(u, TR_LIT("{\"type\":\"CloseStream\"}"), 1);
}

static void
dg_abort(struct upstream *u)
{
	u->aborted = 1;
	if (u->wsi != NULL) {
		lws_set_timeout(u->wsi, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
		return;		/* freed when the connection closes */
	}
	up_free(u);
}

/* One JSON message from Deepgram. */
static void
on_message(struct upstream *u, const char *s, size_t len)
{
	struct json_object	*o = NULL, *ch, *alts, *alt, *x;
	const char		*type, *text;
	int			 is_final;
	double			 conf = 0;

	u->last_rx = bridge_now_ms();
	u->pending_since = 0;
	if (tr_json_parse(s, len, 4 * 1024 * 1024, TR_JSON_DEPTH, &o) !=
	    TR_OK || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		tr_warnx("deepgram: a message that is not JSON");
		if (!u->aborted && !u->reported)
			u->ev->error(u->arg, "Deepgram sent a malformed message");
		return;
	}
	type = tr_json_str(o, "type");
	if (type == NULL || strcmp(type, "Results") != 0) {
		json_object_put(o);
		return;		/* Metadata, UtteranceEnd, SpeechStarted */
	}
	if (!json_object_object_get_ex(o, "channel", &ch) ||
	    !json_object_object_get_ex(ch, "alternatives", &alts) ||
	    !json_object_is_type(alts, json_type_array) ||
	    (alt = json_object_array_get_idx(alts, 0)) == NULL ||
	    (text = tr_json_str(alt, "transcript")) == NULL) {
		json_object_put(o);
		return;
	}
	is_final = json_object_object_get_ex(o, "is_final", &x) &&
	    json_object_get_boolean(x);
	if (json_object_object_get_ex(alt, "confidence", &x))
		conf = json_object_get_double(x);
	if (!u->aborted)
		u->ev->result(u->arg, text, is_final, conf);
	json_object_put(o);
}

static int
writable(struct upstream *u)
{
	struct frame	*f;
	int		 n;

	if ((f = u->qhead) == NULL)
		return 0;
	if ((u->qhead = f->next) == NULL)
		u->qtail = &u->qhead;
	u->qbytes -= f->len;
	/* Never a zero-length binary frame: Deepgram takes it as the end. */
	if (f->len == 0) {
		free(f);
		return 0;
	}
	n = lws_write(u->wsi, f->buf + LWS_PRE, f->len, f->text ?
	    LWS_WRITE_TEXT : LWS_WRITE_BINARY);
	free(f);
	if (n < 0)
		return -1;
	if (u->qhead != NULL)
		lws_callback_on_writable(u->wsi);
	return 0;
}

int
up_deepgram_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct upstream	*u = lws_get_opaque_user_data(wsi);
	unsigned char	**p = in, *end;
	char		 auth[600];
	const char	*key;
	int		 status;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		key = tr_conf("DEEPGRAM_API_KEY");
		end = *p + len;
		snprintf(auth, sizeof(auth), "Token %s", key != NULL ? key : "");
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)
		    "authorization:", (const unsigned char *)auth,
		    (int)strlen(auth), p, end))
			return -1;
		tr_wipe(auth, sizeof(auth));
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (u == NULL)
			return -1;
		u->established = 1;
		if (u->aborted)
			return -1;
		u->ev->ready(u->arg);
		if (u->qhead != NULL)
			lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		/*
		 * Until the 101 the connection is an HTTP client: closed
		 * then (killed while the upgrade is unanswered, or at
		 * exit) it gets CLOSED_CLIENT_HTTP, not CLIENT_CLOSED.
		 */
		if (u == NULL)
			return 0;
		if (u->connecting) {
			/* Inside dg_open: it frees u itself. */
			u->wsi = NULL;
			lws_set_opaque_user_data(wsi, NULL);
			return 0;
		}
		status = (int)lws_http_client_http_response(wsi);
		u->wsi = NULL;
		/* The reason (TLS, DNS, refused) is for the log only; an
		 * upstream given up on has nothing to report. */
		if (!u->aborted)
			tr_warnx("deepgram: connection failed: %.*s",
			    in != NULL ? (int)(len > 200 ? 200 : len) : 4,
			    in != NULL ? (const char *)in : "none");
		if (status > 0)
			report(u, "Deepgram refused the stream (HTTP %d)",
			    status);
		else
			report(u, "cannot connect to Deepgram");
		finished(u);
		up_free(u);
		lws_set_opaque_user_data(wsi, NULL);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (u == NULL || u->aborted)
			return 0;
		if (tr_buf_add(&u->rx, in, len) != TR_OK) {
			report(u, "Deepgram sent an oversized message");
			finished(u);
			return -1;
		}
		if (!lws_is_final_fragment(wsi) ||
		    lws_remaining_packet_payload(wsi))
			return 0;
		if (!lws_frame_is_binary(wsi))
			on_message(u, u->rx.ptr != NULL ? u->rx.ptr : "",
			    u->rx.len);
		tr_buf_reset(&u->rx);
		return 0;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (u == NULL || u->aborted)
			return -1;
		return writable(u);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (u != NULL && len >= 2)
			u->closecode = ((unsigned char *)in)[0] << 8 |
			    ((unsigned char *)in)[1];
		if (u != NULL && u->closecode != 1000)
			report(u, "Deepgram closed the stream (%d%s%.*s)",
			    u->closecode, len > 2 ? " " : "",
			    len > 2 ? (int)(len - 2 > 64 ? 64 : len - 2) : 0,
			    len > 2 ? (char *)in + 2 : "");
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (u == NULL)
			return 0;
		u->wsi = NULL;
		if (u->closecode == 0 && !u->finishing)
			report(u, "lost the connection to Deepgram");
		else if (u->closecode == 0 && u->finishing)
			report(u, "Deepgram closed the stream before its"
			    " last results");
		finished(u);
		up_free(u);
		lws_set_opaque_user_data(wsi, NULL);
		return 0;
	default:
		break;
	}
	return 0;
}

/*
 * At exit, after the context (and its timers) are gone.  Every upstream
 * has had its close callback by then; one left is a bug, said and freed.
 */
static void
dg_free(void)
{
	size_t	 n = 0;

	while (ups != NULL) {
		up_release(ups);
		n++;
	}
	if (n > 0)
		tr_errx("deepgram: %zu upstreams left at exit", n);
}

const struct up_ops up_deepgram = {
	.name = "deepgram", .wait_ready = 1, .langs = TR_LANG_DEEPGRAM,
	.free = dg_free, .open = dg_open, .send = dg_send,
	.finish = dg_finish, .abort = dg_abort
};
