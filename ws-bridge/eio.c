/*
 * Engine.IO v4 server over libwebsockets: sessions reached by HTTP
 * long-polling and WebSocket, the upgrade from one to the other, the
 * server-driven heartbeat, and the limits (payload size, queue size,
 * number of sessions).  Hand-written on top of libwebsockets' HTTP and
 * WebSocket roles because no C library implements Engine.IO.
 *
 * A session queues packets to its client; the transport in use drains
 * the queue: a held GET takes everything queued (up to maxPayload) in
 * one payload, a WebSocket writes one frame per writable callback.  A
 * closed session is detached from its connections at once and freed on
 * the next turn of the loop, so callers never see it freed under them.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridge.h"

#define SID_BYTES	15		/* 20 base64url characters */
#define NBUCKETS	1024
#define MAXAPPS		4
#define METRICS_MAX	(1u << 20)	/* bytes of one /metrics answer */

struct	pkt {
	struct pkt	*next;
	int		 binary;
	size_t		 len;		/* bytes at PKT(p) */
	unsigned char	 buf[];		/* LWS_PRE, then the packet */
};
#define PKT(p)	((p)->buf + LWS_PRE)

enum	conn_kind {
	CONN_NONE,
	CONN_GET,		/* a held long-poll */
	CONN_POST,
	CONN_REPLY,		/* any other answer on its way */
	CONN_WS
};

/* libwebsockets' per-connection data. */
struct	eio_conn {
	struct eio		*e;
	enum conn_kind		 kind;
	const struct eio_app	*app;
	struct tr_buf		 in;	/* POST body, WebSocket message */
	int			 toobig;
	unsigned char		*reply;	/* LWS_PRE + body */
	size_t			 replylen;
	int			 status;
	int			 ready;	/* reply complete, write it */
	struct pkt		*direct; /* a frame outside the queue */
	int			 closing; /* close once written */
	const char		*ctype;	/* NULL: by status and app */
};

struct	eio {
	char			 sid[32];
	struct eio		*hnext;
	struct eio		*anext;		/* every session, until freed */
	struct eio		**aprev;
	int			 hashed;
	const struct eio_app	*app;
	void			*data;
	int			 upgraded;	/* WebSocket transport */
	struct lws		*ws;		/* the WebSocket in use */
	struct lws		*get;		/* a held long-poll */
	struct lws		*probe;		/* WebSocket being upgraded to */
	struct pkt		*qhead;
	struct pkt		**qtail;
	size_t			 qbytes;
	lws_sorted_usec_list_t	 ping_sul;
	lws_sorted_usec_list_t	 pong_sul;
	lws_sorted_usec_list_t	 free_sul;
	int			 closed;
	int			 noop_on_get;	/* closed by the client */
	char			*args;		/* "k=v\0k=v\0\0" */
	size_t			 argslen;
	char			 remote[64];
};

static const struct eio_app	*apps[MAXAPPS];
static size_t			 napps;
static const struct eio_doc	*docs[MAXAPPS];
static size_t			 ndocs;
static struct eio		*buckets[NBUCKETS];
static struct eio		*all;
static size_t			 nsessions;

void
eio_register(const struct eio_app *a)
{
	if (napps < MAXAPPS)
		apps[napps++] = a;
}

void
eio_register_doc(const struct eio_doc *d)
{
	if (ndocs < MAXAPPS)
		docs[ndocs++] = d;
}

void *
eio_data(struct eio *e)
{
	return e->data;
}

void
eio_set_data(struct eio *e, void *p)
{
	e->data = p;
}

const char *
eio_remote(const struct eio *e)
{
	return e->remote;
}

const char *
eio_sid(const struct eio *e)
{
	return e->sid;
}

size_t
eio_count(void)
{
	return nsessions;
}

size_t
eio_queued(const struct eio *e)
{
	return e->qbytes;
}


static unsigned int
hash(const char *s)
{
	unsigned int	 h = 5381;

	while (*s != '\0')
		h = h * 33 + (unsigned char)*s++;
	return h % NBUCKETS;
}

static struct eio *
lookup(const char *sid)
{
	struct eio	*e;

	for (e = buckets[hash(sid)]; e != NULL; e = e->hnext)
		if (strcmp(e->sid, sid) == 0)
			return e;
	return NULL;
}

static void
unhash(struct eio *e)
{
	struct eio	**pp;

	if (!e->hashed)
		return;
	for (pp = &buckets[hash(e->sid)]; *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	e->hashed = 0;
}

static struct pkt *
pkt_new(char type, const void *data, size_t len, int binary)
{
	struct pkt	*p;
	size_t		 n = len + (binary ? 0 : 1);

	p = tr_xmalloc(sizeof(*p) + LWS_PRE + n);
	p->next = NULL;
	p->binary = binary;
	p->len = n;
	if (!binary)
		PKT(p)[0] = (unsigned char)type;
	if (len > 0)
		memcpy(PKT(p) + (binary ? 0 : 1), data, len);
	return p;
}

static struct eio_conn *
conn_of(struct lws *wsi)
{
	return wsi == NULL ? NULL : lws_wsi_user(wsi);
}

/* Sets the answer of an HTTP connection and asks to write it. */
static void
http_answer(struct lws *wsi, struct eio_conn *c, int status,
    const void *body, size_t len)
{
	free(c->reply);
	c->reply = tr_xmalloc(LWS_PRE + len + 1);
	memcpy(c->reply + LWS_PRE, body, len);
	c->replylen = len;
	c->status = status;
	c->ready = 1;
	c->kind = CONN_REPLY;
	lws_callback_on_writable(wsi);
}

/* Answers the session's held poll, if any, with one packet. */
static void
end_poll(struct eio *e, const char *pkt)
{
	struct eio_conn	*c = conn_of(e->get);

	if (c != NULL) {
		c->e = NULL;
		http_answer(e->get, c, 200, pkt, strlen(pkt));
	}
	e->get = NULL;
}

/* A 400 in the reference's shape: {"code":N,"message":"..."}. */
static void
http_error(struct lws *wsi, struct eio_conn *c, int status, int code,
    const char *msg)
{
	char	 b[128];
	int	 n;

	n = snprintf(b, sizeof(b), "{\"code\":%d,\"message\":\"%s\"}",
	    code, msg);
	http_answer(wsi, c, status, b, (size_t)n);
}

static void
queue_pkt(struct eio *e, struct pkt *p)
{
	p->next = NULL;
	*e->qtail = p;
	e->qtail = &p->next;
	e->qbytes += p->len;
	if (e->upgraded && e->ws != NULL)
		lws_callback_on_writable(e->ws);
	else if (!e->upgraded && e->get != NULL && e->probe == NULL)
		lws_callback_on_writable(e->get);
}

static void
free_cb(lws_sorted_usec_list_t *sul)
{
	struct eio	*e = lws_container_of(sul, struct eio, free_sul);
	struct pkt	*p;

	unhash(e);
	lws_sul_cancel(&e->free_sul);
	if ((*e->aprev = e->anext) != NULL)
		e->anext->aprev = e->aprev;
	if (e->app->release != NULL)
		e->app->release(e);
	while ((p = e->qhead) != NULL) {
		e->qhead = p->next;
		free(p);
	}
	free(e->args);
	free(e);
}

static void
detach_ws(struct lws *wsi)
{
	struct eio_conn	*c = conn_of(wsi);

	if (c == NULL)
		return;
	c->e = NULL;
	c->closing = 1;
	lws_callback_on_writable(wsi);
}

void
eio_close(struct eio *e, const char *why)
{
	if (e->closed)
		return;
	e->closed = 1;
	nsessions--;
	lws_sul_cancel(&e->ping_sul);
	lws_sul_cancel(&e->pong_sul);
	tr_debug("eio %s: closed (%s)", e->sid, why);
	if (e->app->close != NULL)
		e->app->close(e, why);
	if (e->get != NULL) {
		end_poll(e, e->noop_on_get ? "6" : "1");
		e->noop_on_get = 0;
	}
	if (e->ws != NULL)
		detach_ws(e->ws);
	if (e->probe != NULL)
		detach_ws(e->probe);
	e->ws = e->probe = NULL;
	/* A client that closed over polling gets "6" on its next poll,
	 * then 400 (the reference's order). */
	if (e->noop_on_get)
		lws_sul_schedule(bctx, 0, &e->free_sul, free_cb,
		    (lws_usec_t)bconf.ping_timeout * 1000 + 200000);
	else {
		unhash(e);
		lws_sul_schedule(bctx, 0, &e->free_sul, free_cb, 1);
	}
}

/* At exit: frees the sessions closed but not yet freed. */
void
eio_free_all(void)
{
	while (all != NULL)
		free_cb(&all->free_sul);
}

void
eio_close_all(const char *why)
{
	struct eio	*e, *next;
	size_t		 i;

	for (i = 0; i < NBUCKETS; i++)
		for (e = buckets[i]; e != NULL; e = next) {
			next = e->hnext;
			if (!e->closed)
				eio_close(e, why);
		}
}

static void
pong_cb(lws_sorted_usec_list_t *sul)
{
	struct eio	*e = lws_container_of(sul, struct eio, pong_sul);

	eio_close(e, "ping timeout");
}

static void
ping_cb(lws_sorted_usec_list_t *sul)
{
	struct eio	*e = lws_container_of(sul, struct eio, ping_sul);

	queue_pkt(e, pkt_new('2', NULL, 0, 0));
	lws_sul_schedule(bctx, 0, &e->pong_sul, pong_cb,
	    (lws_usec_t)bconf.ping_timeout * 1000);
}

int
eio_send(struct eio *e, const void *data, size_t len, int binary)
{
	if (e->closed)
		return -1;
	if (e->qbytes + len > (size_t)bconf.queue_max) {
		tr_warnx("eio %s: client does not keep up (%zu bytes queued)",
		    e->sid, e->qbytes);
		eio_close(e, "output queue full");
		return -1;
	}
	queue_pkt(e, pkt_new('4', data, len, binary));
	return 0;
}

/* Copies the URI arguments ("k=v", URL-decoded by libwebsockets). */
static void
copy_args(struct lws *wsi, char **out, size_t *outlen)
{
	struct tr_buf	 b;
	char		 frag[1024];
	int		 i, n;

	tr_buf_init(&b, 8192);
	for (i = 0; i < 32; i++) {
		n = lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
		    WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n < 0)
			break;
		if (n == 0 || memchr(frag, '\0', (size_t)n) != NULL)
			continue;
		if (tr_buf_add(&b, frag, (size_t)n + 1) != TR_OK)
			break;
	}
	if (tr_buf_add(&b, "\0", 2) != TR_OK) {
		*out = tr_xcalloc(1, 2);
		*outlen = 2;
		return;
	}
	*out = tr_buf_take(&b, outlen);
}

static const char *
arg(const char *args, const char *name)
{
	const char	*p;
	size_t		 n = strlen(name);

	for (p = args; *p != '\0'; p += strlen(p) + 1)
		if (strncmp(p, name, n) == 0 && p[n] == '=')
			return p + n + 1;
	return NULL;
}

const char *
eio_query(const struct eio *e, const char *name)
{
	return e->args != NULL ? arg(e->args, name) : NULL;
}

static void
peer(struct lws *wsi, char *out, size_t outsz)
{
	char	 fwd[64];
	int	 n;

	n = lws_hdr_copy(wsi, fwd, sizeof(fwd), WSI_TOKEN_X_FORWARDED_FOR);
	if (n > 0) {
		fwd[strcspn(fwd, ", ")] = '\0';
		snprintf(out, outsz, "%s", fwd);
	} else if (lws_get_peer_simple(wsi, out, outsz) == NULL)
		snprintf(out, outsz, "-");
}

static struct eio *
session_new(const struct eio_app *app, struct lws *wsi, char *args,
    size_t argslen)
{
	struct eio	*e;
	unsigned char	 raw[SID_BYTES];
	struct tr_buf	 b;
	unsigned int	 h;

	if (tr_random(raw, sizeof(raw)) != TR_OK)
		return NULL;
	e = tr_xcalloc(1, sizeof(*e));
	tr_buf_init(&b, sizeof(e->sid));
	if (tr_b64url_encode(&b, raw, sizeof(raw)) != TR_OK) {
		free(e);
		return NULL;
	}
	snprintf(e->sid, sizeof(e->sid), "%s", tr_buf_str(&b));
	tr_buf_free(&b);
	e->app = app;
	e->qtail = &e->qhead;
	e->args = args;
	e->argslen = argslen;
	peer(wsi, e->remote, sizeof(e->remote));
	h = hash(e->sid);
	e->hnext = buckets[h];
	buckets[h] = e;
	e->hashed = 1;
	if ((e->anext = all) != NULL)
		all->aprev = &e->anext;
	e->aprev = &all;
	all = e;
	nsessions++;
	lws_sul_schedule(bctx, 0, &e->ping_sul, ping_cb,
	    (lws_usec_t)bconf.ping_interval * 1000);
	return e;
}

static int
open_packet(struct tr_buf *b, const struct eio *e, int upgrades)
{
	return tr_buf_addf(b, "0{\"sid\":\"%s\",\"upgrades\":[%s],"
	    "\"pingInterval\":%lld,\"pingTimeout\":%lld,\"maxPayload\":%lld}",
	    e->sid, upgrades ? "\"websocket\"" : "", bconf.ping_interval,
	    bconf.ping_timeout, bconf.max_payload) == TR_OK ? 0 : -1;
}

/*
 * One packet from the client (text: type then data).  Returns -1 when
 * the packet is invalid: the session is then closed.
 */
static int
on_packet(struct eio *e, const unsigned char *p, size_t len, int binary)
{
	if (binary) {
		if (e->app->message != NULL)
			e->app->message(e, p, len, 1);
		return 0;
	}
	if (len == 0)
		return -1;
	switch (p[0]) {
	case '1':
		e->noop_on_get = !e->upgraded;
		eio_close(e, "client close");
		return 0;
	case '2':
		/* Not in v4 outside the probe: answer it anyway. */
		queue_pkt(e, pkt_new('3', p + 1, len - 1, 0));
		return 0;
	case '3':
		lws_sul_cancel(&e->pong_sul);
		lws_sul_schedule(bctx, 0, &e->ping_sul, ping_cb,
		    (lws_usec_t)bconf.ping_interval * 1000);
		return 0;
	case '4':
		if (e->app->message != NULL)
			e->app->message(e, p + 1, len - 1, 0);
		return 0;
	case '6':
		return 0;
	default:
		return -1;
	}
}

/* One packet of a polling payload; a closed session takes no more. */
static int
payload_pkt(void *arg, const unsigned char *p, size_t len, int binary)
{
	struct eio	*e = arg;

	if (e->closed)
		return 1;
	return on_packet(e, p, len, binary);
}

static int
on_payload(struct eio *e, const char *s, size_t len)
{
	return eio_payload_split(s, len, (size_t)bconf.max_payload,
	    payload_pkt, e) == -1 ? -1 : 0;
}

/* Everything queued, as one polling payload, up to maxPayload. */
static void
answer_poll(struct eio *e)
{
	struct eio_conn	*c = conn_of(e->get);
	struct tr_buf	 b;
	struct pkt	*p;
	char		*b64;
	size_t		 n;
	int		 ok = 1;

	tr_buf_init(&b, (size_t)bconf.max_payload + 4096);
	while ((p = e->qhead) != NULL && ok) {
		n = p->binary ? 1 + (p->len + 2) / 3 * 4 : p->len;
		if (b.len > 0 && b.len + 1 + n > (size_t)bconf.max_payload)
			break;
		if (b.len > 0)
			ok = tr_buf_add(&b, "\x1e", 1) == TR_OK;
		if (ok && p->binary) {
			b64 = tr_xmalloc(n + 4);
			lws_b64_encode_string((const char *)PKT(p),
			    (int)p->len, b64, (int)n + 4);
			ok = tr_buf_adds(&b, "b") == TR_OK &&
			    tr_buf_adds(&b, b64) == TR_OK;
			free(b64);
		} else if (ok)
			ok = tr_buf_add(&b, PKT(p), p->len) == TR_OK;
		e->qhead = p->next;
		if (e->qhead == NULL)
			e->qtail = &e->qhead;
		e->qbytes -= p->len;
		free(p);
	}
	if (!ok) {
		tr_errx("eio %s: cannot build a payload", e->sid);
		tr_buf_free(&b);
		eio_close(e, "internal error");
		return;
	}
	c->e = NULL;
	http_answer(e->get, c, 200, b.ptr != NULL ? b.ptr : "", b.len);
	tr_buf_free(&b);
	e->get = NULL;
}

/* Answers GET of a registered document.  0: path is none of them. */
static int
answer_doc(struct lws *wsi, struct eio_conn *c, int meth, const char *path)
{
	struct tr_buf	 b;
	size_t		 i;

	for (i = 0; i < ndocs; i++)
		if (strcmp(path, docs[i]->path) == 0)
			break;
	if (i == ndocs)
		return 0;
	if (meth != LWSHUMETH_GET) {
		http_answer(wsi, c, 405, TR_LIT("{\"error\":{\"code\":"
		    "\"method_not_allowed\",\"message\":\"only GET\"}}"));
		return 1;
	}
	tr_buf_init(&b, 1024 * 1024);
	if (docs[i]->write(&b) == -1 || b.ptr == NULL) {
		tr_errx("eio: cannot write %s", path);
		http_answer(wsi, c, 500, TR_LIT("{\"error\":{\"code\":"
		    "\"internal_error\",\"message\":\"internal error\"}}"));
	} else
		http_answer(wsi, c, 200, b.ptr, b.len);
	tr_buf_free(&b);
	return 1;
}

static const struct eio_app *
app_for(const char *path)
{
	size_t	 i, n;

	for (i = 0; i < napps; i++) {
		n = strlen(apps[i]->path);
		if (strcmp(path, apps[i]->path) == 0 ||
		    (strncmp(path, apps[i]->path, n - 1) == 0 &&
		    path[n - 1] == '\0'))
			return apps[i];
	}
	return NULL;
}

/* Checks EIO and transport.  Returns 0 or answers 400 and returns -1. */
static int
check_query(struct lws *wsi, struct eio_conn *c, const char *args,
    const char *want)
{
	const char	*eiov = arg(args, "EIO"), *tr = arg(args, "transport");

	if (eiov == NULL || strcmp(eiov, "4") != 0) {
		http_error(wsi, c, 400, 5, "Unsupported protocol version");
		return -1;
	}
	if (tr == NULL || (strcmp(tr, "polling") != 0 &&
	    strcmp(tr, "websocket") != 0)) {
		http_error(wsi, c, 400, 0, "Transport unknown");
		return -1;
	}
	if (strcmp(tr, want) != 0) {
		http_error(wsi, c, 400, 3, "Bad request");
		return -1;
	}
	return 0;
}

/*
 * GET /metrics: this process's counters (streams, their results'
 * latency, usage) and sessions now, in the Prometheus text format, to
 * the callers the programs' /metrics admits (METRICS_ALLOW, by the
 * connected address, not a forwarded one; or METRICS_TOKEN).
 */
static void
metrics(struct lws *wsi, struct eio_conn *c, int meth)
{
	struct tr_buf	 b;
	char		 addr[64], authz[256];

	if (lws_get_peer_simple(wsi, addr, sizeof(addr)) == NULL)
		addr[0] = '\0';
	if (lws_hdr_copy(wsi, authz, sizeof(authz),
	    WSI_TOKEN_HTTP_AUTHORIZATION) <= 0)
		authz[0] = '\0';
	if (!tr_metrics_allowed(addr, authz)) {
		http_answer(wsi, c, 403, TR_LIT("{\"error\":{\"code\":"
		    "\"forbidden\",\"message\":\"metrics are open to the "
		    "addresses of METRICS_ALLOW or a bearer METRICS_TOKEN\"}}"));
		return;
	}
	if (meth != LWSHUMETH_GET) {
		http_answer(wsi, c, 405, TR_LIT("{\"error\":{\"code\":"
		    "\"method_not_allowed\",\"message\":\"GET only\"}}"));
		return;
	}
	tr_buf_init(&b, METRICS_MAX);
	if (tr_metrics_render(&b) != TR_OK ||
	    tr_buf_addf(&b, "# HELP trapi_ws_sessions Engine.IO sessions now\n"
	    "# TYPE trapi_ws_sessions gauge\ntrapi_ws_sessions %zu\n",
	    nsessions) != TR_OK) {
		http_answer(wsi, c, 500, TR_LIT("{\"error\":{\"code\":"
		    "\"internal_error\",\"message\":\"metrics too large\"}}"));
		return;
	}
	c->ctype = "text/plain; version=0.0.4; charset=utf-8";
	http_answer(wsi, c, 200, b.ptr, b.len);
	tr_buf_free(&b);
}

static int
on_http(struct lws *wsi, struct eio_conn *c, const char *path)
{
	const struct eio_app	*app;
	struct eio		*e;
	struct tr_buf		 b;
	char			*args, *uri;
	const char		*sid;
	size_t			 argslen;
	int			 meth, urilen;
	char			 clen[24];
	long long		 n;

	memset(c, 0, sizeof(*c));
	meth = lws_http_get_uri_and_method(wsi, &uri, &urilen);
	if (answer_doc(wsi, c, meth, path))
		return 0;
	if (strcmp(path, "/metrics") == 0) {
		metrics(wsi, c, meth);
		return 0;
	}
	if ((app = app_for(path)) == NULL) {
		http_answer(wsi, c, 404, TR_LIT("{\"error\":{\"code\":"
		    "\"not_found\",\"message\":\"no such endpoint\"}}"));
		return 0;
	}
	c->app = app;
	if (meth == LWSHUMETH_OPTIONS) {
		http_answer(wsi, c, 204, "", 0);
		return 0;
	}
	copy_args(wsi, &args, &argslen);
	if (check_query(wsi, c, args, "polling") == -1) {
		free(args);
		return 0;
	}
	sid = arg(args, "sid");
	if (sid == NULL) {
		if (meth != LWSHUMETH_GET) {
			http_error(wsi, c, 400, 2, "Bad handshake method");
			free(args);
			return 0;
		}
		if ((long long)nsessions >= bconf.max_sessions) {
			http_error(wsi, c, 503, 3, "Server full");
			free(args);
			return 0;
		}
		if ((e = session_new(app, wsi, args, argslen)) == NULL) {
			http_error(wsi, c, 500, 3, "Internal error");
			free(args);
			return 0;
		}
		tr_buf_init(&b, 1024);
		if (open_packet(&b, e, 1) == -1) {
			tr_buf_free(&b);
			eio_close(e, "internal error");
			http_error(wsi, c, 500, 3, "Internal error");
			return 0;
		}
		http_answer(wsi, c, 200, b.ptr, b.len);
		tr_buf_free(&b);
		if (app->open != NULL)
			app->open(e);
		return 0;
	}
	e = lookup(sid);
	free(args);
	if (e != NULL && e->closed && e->noop_on_get && meth == LWSHUMETH_GET) {
		/* The client closed it: one noop, then it is gone. */
		unhash(e);
		http_answer(wsi, c, 200, "6", 1);
		return 0;
	}
	if (e == NULL || e->closed) {
		http_error(wsi, c, 400, 1, "Session ID unknown");
		return 0;
	}
	if (e->upgraded) {
		http_error(wsi, c, 400, 3, "Bad request");
		return 0;
	}
	if (meth == LWSHUMETH_GET) {
		if (e->get != NULL) {
			/* Two polls at once: the first gets a close. */
			http_error(wsi, c, 400, 3, "Bad request");
			eio_close(e, "duplicate poll");
			return 0;
		}
		if (e->probe != NULL) {
			http_answer(wsi, c, 200, "6", 1);
			return 0;
		}
		c->kind = CONN_GET;
		c->e = e;
		e->get = wsi;
		/* Held: no lws timeout while it waits. */
		lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
		if (e->qhead != NULL)
			lws_callback_on_writable(wsi);
		return 0;
	}
	if (meth != LWSHUMETH_POST) {
		http_error(wsi, c, 400, 2, "Bad request method");
		return 0;
	}
	if (lws_hdr_copy(wsi, clen, sizeof(clen),
	    WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 &&
	    tr_parse_ll(clen, 0, INT64_MAX, &n) == TR_OK &&
	    n > bconf.max_payload) {
		http_answer(wsi, c, 413, TR_LIT("{\"code\":3,\"message\":"
		    "\"Payload too large\"}"));
		eio_close(e, "payload too large");
		return 0;
	}
	c->kind = CONN_POST;
	c->e = e;
	tr_buf_init(&c->in, (size_t)bconf.max_payload);
	return 0;
}

static void
on_post_body(struct lws *wsi, struct eio_conn *c, const void *in, size_t len)
{
	if (c->kind != CONN_POST || c->toobig)
		return;
	if (tr_buf_add(&c->in, in, len) != TR_OK)
		c->toobig = 1;
}

static void
on_post_done(struct lws *wsi, struct eio_conn *c)
{
	struct eio	*e = c->e;

	if (c->kind != CONN_POST)
		return;
	c->e = NULL;
	if (e == NULL || e->closed) {
		tr_buf_free(&c->in);
		http_error(wsi, c, 400, 1, "Session ID unknown");
		return;
	}
	if (c->toobig) {
		tr_buf_free(&c->in);
		http_answer(wsi, c, 413, TR_LIT("{\"code\":3,\"message\":"
		    "\"Payload too large\"}"));
		eio_close(e, "payload too large");
		return;
	}
	if (on_payload(e, c->in.ptr != NULL ? c->in.ptr : "", c->in.len)
	    == -1) {
		tr_buf_free(&c->in);
		http_error(wsi, c, 400, 3, "Bad request");
		eio_close(e, "invalid packet");
		return;
	}
	tr_buf_free(&c->in);
	http_answer(wsi, c, 200, "ok", 2);
}

static int
write_reply(struct lws *wsi, struct eio_conn *c)
{
	unsigned char	 hdr[LWS_PRE + 1024], *p, *end;
	const char	*ctype;
	char		 conn[64];
	int		 close = 0;

	if (!c->ready)
		return 0;
	c->ready = 0;
	p = hdr + LWS_PRE;
	end = hdr + sizeof(hdr) - 1;
	ctype = c->ctype != NULL ? c->ctype : c->status == 200 &&
	    c->app != NULL ? "text/plain; charset=UTF-8" : "application/json";
	if (lws_add_http_common_headers(wsi, (unsigned int)c->status, ctype,
	    c->replylen, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)
	    "cache-control:", (const unsigned char *)"no-store", 8, &p, end))
		return -1;
	if (bconf.test && (lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"access-control-allow-origin:",
	    (const unsigned char *)"*", 1, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)
	    "access-control-allow-headers:", (const unsigned char *)
	    "content-type", 12, &p, end)))
		return -1;
	/* Say so when the client asked to close: some keep-alive agents
	 * reuse the connection otherwise. */
	if (lws_hdr_copy(wsi, conn, sizeof(conn), WSI_TOKEN_CONNECTION) > 0 &&
	    strcasestr(conn, "close") != NULL) {
		close = 1;
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)
		    "connection:", (const unsigned char *)"close", 5, &p, end))
			return -1;
	}
	if (lws_finalize_write_http_header(wsi, hdr + LWS_PRE, &p, end))
		return -1;
	if (c->replylen > 0 && lws_write(wsi, c->reply + LWS_PRE,
	    c->replylen, LWS_WRITE_HTTP_FINAL) != (int)c->replylen)
		return -1;
	TR_FREE(c->reply);
	if (close || lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

static int
ws_established(struct lws *wsi, struct eio_conn *c)
{
	const struct eio_app	*app;
	struct eio		*e;
	struct tr_buf		 b;
	char			 path[256], *args;
	const char		*sid;
	size_t			 argslen;

	memset(c, 0, sizeof(*c));
	c->kind = CONN_WS;
	if (lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) <= 0 ||
	    (app = app_for(path)) == NULL)
		return -1;
	c->app = app;
	copy_args(wsi, &args, &argslen);
	if (arg(args, "EIO") == NULL || strcmp(arg(args, "EIO"), "4") != 0 ||
	    arg(args, "transport") == NULL ||
	    strcmp(arg(args, "transport"), "websocket") != 0) {
		free(args);
		return -1;
	}
	tr_buf_init(&c->in, (size_t)bconf.max_payload);
	if ((sid = arg(args, "sid")) != NULL) {
		/* An upgrade.  A second WebSocket for the same session is
		 * accepted and then closed, as the reference does. */
		e = lookup(sid);
		free(args);
		if (e == NULL || e->closed || e->upgraded || e->probe != NULL) {
			c->closing = 1;
			lws_callback_on_writable(wsi);
			return 0;
		}
		c->e = e;
		e->probe = wsi;
		return 0;
	}
	if ((long long)nsessions >= bconf.max_sessions) {
		free(args);
		lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY,
		    (unsigned char *)"server full", 11);
		return -1;
	}
	if ((e = session_new(app, wsi, args, argslen)) == NULL) {
		free(args);
		return -1;
	}
	e->upgraded = 1;
	e->ws = wsi;
	c->e = e;
	tr_buf_init(&b, 1024);
	if (open_packet(&b, e, 0) == -1) {
		tr_buf_free(&b);
		eio_close(e, "internal error");
		return 0;
	}
	/* The open packet goes first, outside the message queue. */
	c->direct = pkt_new(b.ptr[0], b.ptr + 1, b.len - 1, 0);
	tr_buf_free(&b);
	lws_callback_on_writable(wsi);
	if (app->open != NULL)
		app->open(e);
	return 0;
}

/* The probe WebSocket of an upgrading polling session. */
static void
on_probe(struct lws *wsi, struct eio_conn *c, struct eio *e,
    const unsigned char *p, size_t len, int binary)
{
	if (!binary && len == 6 && memcmp(p, "2probe", 6) == 0) {
		free(c->direct);
		c->direct = pkt_new('3', "probe", 5, 0);
		lws_callback_on_writable(wsi);
		/* Ends a held poll, so the client can upgrade. */
		end_poll(e, "6");
		return;
	}
	if (!binary && len == 1 && p[0] == '5') {
		e->probe = NULL;
		e->upgraded = 1;
		e->ws = wsi;
		end_poll(e, "6");
		if (e->qhead != NULL)
			lws_callback_on_writable(wsi);
		return;
	}
	/* Anything else during the upgrade: drop the probe. */
	e->probe = NULL;
	c->e = NULL;
	c->closing = 1;
	lws_callback_on_writable(wsi);
}

static int
ws_receive(struct lws *wsi, struct eio_conn *c, const void *in, size_t len)
{
	struct eio	*e = c->e;
	int		 binary;

	if (e == NULL || e->closed)
		return 0;
	if (c->toobig || tr_buf_add(&c->in, in, len) != TR_OK) {
		c->toobig = 1;
		tr_warnx("eio %s: message over %lld bytes", e->sid,
		    bconf.max_payload);
		eio_close(e, "message too big");
		return 0;
	}
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return 0;
	binary = lws_frame_is_binary(wsi);
	if (e->probe == wsi)
		on_probe(wsi, c, e, (const unsigned char *)(c->in.ptr != NULL ?
		    c->in.ptr : ""), c->in.len, binary);
	else if (e->ws == wsi && on_packet(e, (const unsigned char *)
	    (c->in.ptr != NULL ? c->in.ptr : ""), c->in.len, binary) == -1)
		eio_close(e, "invalid packet");
	tr_buf_reset(&c->in);
	return 0;
}

static int
ws_writable(struct lws *wsi, struct eio_conn *c)
{
	struct eio	*e = c->e;
	struct pkt	*p;
	int		 n;

	if ((p = c->direct) != NULL) {
		c->direct = NULL;
		n = lws_write(wsi, PKT(p), p->len, p->binary ?
		    LWS_WRITE_BINARY : LWS_WRITE_TEXT);
		free(p);
		if (n < 0)
			return -1;
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (e != NULL && !e->closed && e->ws == wsi &&
	    (p = e->qhead) != NULL) {
		e->qhead = p->next;
		if (e->qhead == NULL)
			e->qtail = &e->qhead;
		e->qbytes -= p->len;
		n = lws_write(wsi, PKT(p), p->len, p->binary ?
		    LWS_WRITE_BINARY : LWS_WRITE_TEXT);
		free(p);
		if (n < 0)
			return -1;
		if (e->qhead != NULL)
			lws_callback_on_writable(wsi);
		return 0;
	}
	if (c->closing) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
		return -1;
	}
	return 0;
}

static void
conn_free(struct eio_conn *c)
{
	tr_buf_free(&c->in);
	TR_FREE(c->reply);
	TR_FREE(c->direct);
}

int
eio_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct eio_conn	*c = user;
	struct eio	*e;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return on_http(wsi, c, in != NULL ? in : "");
	case LWS_CALLBACK_HTTP_BODY:
		on_post_body(wsi, c, in, len);
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		on_post_done(wsi, c);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (c->kind == CONN_GET && (e = c->e) != NULL &&
		    e->get == wsi && e->qhead != NULL)
			answer_poll(e);
		return write_reply(wsi, c);
	case LWS_CALLBACK_CLOSED_HTTP:
		if (c != NULL && c->kind == CONN_GET && (e = c->e) != NULL &&
		    e->get == wsi)
			e->get = NULL;
		if (c != NULL) {
			conn_free(c);
			c->e = NULL;
		}
		return 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		return ws_established(wsi, c);
	case LWS_CALLBACK_RECEIVE:
		return ws_receive(wsi, c, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return ws_writable(wsi, c);
	case LWS_CALLBACK_CLOSED:
		if ((e = c->e) != NULL) {
			c->e = NULL;
			if (e->probe == wsi)
				e->probe = NULL;
			else if (e->ws == wsi) {
				e->ws = NULL;
				eio_close(e, "transport close");
			}
		}
		conn_free(c);
		return 0;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		work_finish();
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

size_t
eio_pss_size(void)
{
	return sizeof(struct eio_conn);
}
