/*
 * Socket.IO v5 on top of Engine.IO: namespaces (a socket per namespace
 * a client connects to), events and acknowledgements, binary
 * attachments gathered from the packets that follow their event, the
 * connect timeout.  A packet the reference server would refuse closes
 * the whole Engine.IO session, and only it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"

enum	sock_state {
	SOCK_PENDING,		/* the namespace is deciding */
	SOCK_CONNECTED
};

struct	sio_conn;

struct	sio_sock {
	struct sio_sock		*next;
	struct sio_conn		*conn;
	const struct sio_nsp	*nsp;
	char			 id[32];
	enum sock_state		 state;
	void			*data;
};

struct	sio_conn {
	struct eio		*e;
	struct sio_sock		*socks;
	int			 dead;
	lws_sorted_usec_list_t	 connect_sul;
	/* A binary packet waiting for its attachments. */
	struct sio_pkt		 pend;
	int			 havepend;
	unsigned char		*bin[SIO_MAX_ATTACH];
	struct sio_bin		 bins[SIO_MAX_ATTACH];
	int			 nbin;
};

static const struct sio_nsp *const	*nsps;
static size_t				 nnsps;

void
sio_init(const struct sio_nsp *const *v, size_t n)
{
	nsps = v;
	nnsps = n;
}

void *
sio_data(const struct sio_sock *s)
{
	return s->data;
}

void
sio_set_data(struct sio_sock *s, void *p)
{
	s->data = p;
}

struct eio *
sio_eio(const struct sio_sock *s)
{
	return s->conn->e;
}

const char *
sio_id(const struct sio_sock *s)
{
	return s->id;
}

static void
pend_clear(struct sio_conn *c)
{
	int	 i;

	if (c->havepend)
		sio_pkt_free(&c->pend);
	c->havepend = 0;
	for (i = 0; i < c->nbin; i++)
		TR_FREE(c->bin[i]);
	c->nbin = 0;
}

/* Sends one Socket.IO packet and its attachments. */
static int
send_pkt(struct sio_conn *c, enum sio_type type, const char *nsp,
    long long ack, struct json_object *data, const struct sio_bin *bins,
    size_t nbin)
{
	struct tr_buf	 b;
	size_t		 i;
	int		 rc = 0;

	if (c->dead)
		return -1;
	if (nbin > 0)
		type = type == SIO_ACK ? SIO_BINARY_ACK : SIO_BINARY_EVENT;
	tr_buf_init(&b, (size_t)bconf.max_payload);
	if (sio_encode(&b, type, (int)nbin, nsp, ack, data) != TR_OK) {
		tr_errx("sio: cannot encode a packet");
		return -1;
	}
	rc = eio_send(c->e, b.ptr, b.len, 0);
	tr_buf_free(&b);
	for (i = 0; i < nbin && rc == 0; i++)
		rc = eio_send(c->e, bins[i].p, bins[i].len, 1);
	return rc;
}

static void
sock_unlink(struct sio_sock *s)
{
	struct sio_sock	**pp;

	for (pp = &s->conn->socks; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
}

void
sio_accept(struct sio_sock *s)
{
	struct json_object	*o;

	if (s->state != SOCK_PENDING)
		return;
	s->state = SOCK_CONNECTED;
	lws_sul_cancel(&s->conn->connect_sul);
	o = json_object_new_object();
	json_object_object_add(o, "sid", json_object_new_string(s->id));
	(void)send_pkt(s->conn, SIO_CONNECT, s->nsp->name, -1, o, NULL, 0);
	json_object_put(o);
}

static void
refuse(struct sio_conn *c, const char *nsp, const char *msg)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "message", json_object_new_string(msg));
	(void)send_pkt(c, SIO_CONNECT_ERROR, nsp, -1, o, NULL, 0);
	json_object_put(o);
}

void
sio_refuse(struct sio_sock *s, const char *msg)
{
	refuse(s->conn, s->nsp->name, msg);
	sock_unlink(s);
	free(s);
}

int
sio_emit(struct sio_sock *s, const char *event, struct json_object *args,
    const struct sio_bin *bins, size_t nbin)
{
	struct json_object	*a;
	size_t			 i, n;
	int			 rc;

	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string(event));
	n = args != NULL ? json_object_array_length(args) : 0;
	for (i = 0; i < n; i++)
		json_object_array_add(a,
		    json_object_get(json_object_array_get_idx(args, i)));
	json_object_put(args);
	rc = send_pkt(s->conn, SIO_EVENT, s->nsp->name, -1, a, bins, nbin);
	json_object_put(a);
	return rc;
}

int
sio_ack(struct sio_sock *s, long long id, struct json_object *args,
    const struct sio_bin *bins, size_t nbin)
{
	int	 rc;

	if (args == NULL)
		args = json_object_new_array();
	rc = send_pkt(s->conn, SIO_ACK, s->nsp->name, id, args, bins, nbin);
	json_object_put(args);
	return rc;
}

void
sio_disconnect(struct sio_sock *s, const char *why)
{
	(void)send_pkt(s->conn, SIO_DISCONNECT, s->nsp->name, -1, NULL,
	    NULL, 0);
	sock_unlink(s);
	if (s->nsp->disconnect != NULL)
		s->nsp->disconnect(s, why);
	free(s);
}

static struct sio_sock *
sock_find(struct sio_conn *c, const char *nsp)
{
	struct sio_sock	*s;

	for (s = c->socks; s != NULL; s = s->next)
		if (strcmp(s->nsp->name, nsp) == 0)
			return s;
	return NULL;
}

static void
on_connect(struct sio_conn *c, struct sio_pkt *p)
{
	const struct sio_nsp	*nsp = NULL;
	struct sio_sock		*s;
	struct tr_buf		 b;
	unsigned char		 raw[15];
	const char		*msg = NULL;
	struct json_object	*auth;
	size_t			 i;
	int			 rc;

	for (i = 0; i < nnsps; i++)
		if (strcmp(nsps[i]->name, p->nsp) == 0)
			nsp = nsps[i];
	if (nsp == NULL) {
		refuse(c, p->nsp, "Invalid namespace");
		return;
	}
	if (sock_find(c, p->nsp) != NULL)
		return;
	s = tr_xcalloc(1, sizeof(*s));
	s->conn = c;
	s->nsp = nsp;
	s->state = SOCK_PENDING;
	tr_buf_init(&b, sizeof(s->id));
	if (tr_random(raw, sizeof(raw)) != TR_OK ||
	    tr_b64url_encode(&b, raw, sizeof(raw)) != TR_OK) {
		free(s);
		refuse(c, p->nsp, "internal error");
		return;
	}
	snprintf(s->id, sizeof(s->id), "%s", tr_buf_str(&b));
	tr_buf_free(&b);
	s->next = c->socks;
	c->socks = s;
	auth = p->data != NULL ? p->data : json_object_new_object();
	if (p->data == NULL)
		p->data = auth;
	rc = nsp->connect(s, auth, &msg);
	if (rc == 0)
		sio_accept(s);
	else if (rc < 0)
		sio_refuse(s, msg != NULL ? msg : "Not authorized");
}

static void
dispatch(struct sio_conn *c, struct sio_pkt *p)
{
	struct sio_sock		*s;
	struct json_object	*args;
	const char		*name;
	size_t			 i, n;

	switch (p->type) {
	case SIO_CONNECT:
		on_connect(c, p);
		return;
	case SIO_DISCONNECT:
		if ((s = sock_find(c, p->nsp)) == NULL)
			return;
		sock_unlink(s);
		if (s->nsp->disconnect != NULL)
			s->nsp->disconnect(s, "client namespace disconnect");
		free(s);
		return;
	case SIO_EVENT:
	case SIO_BINARY_EVENT:
		if ((s = sock_find(c, p->nsp)) == NULL ||
		    s->state != SOCK_CONNECTED || s->nsp->event == NULL)
			return;
		name = json_object_get_string(
		    json_object_array_get_idx(p->data, 0));
		args = json_object_new_array();
		n = json_object_array_length(p->data);
		for (i = 1; i < n; i++)
			json_object_array_add(args, json_object_get(
			    json_object_array_get_idx(p->data, i)));
		s->nsp->event(s, name, args, c->bins, (size_t)c->nbin, p->ack);
		json_object_put(args);
		return;
	default:
		/* Acknowledgements of ours: we ask for none. */
		return;
	}
}

static void
sio_release(struct eio *e)
{
	free(eio_data(e));
	eio_set_data(e, NULL);
}

static void
connect_timeout(lws_sorted_usec_list_t *sul)
{
	struct sio_conn	*c = lws_container_of(sul, struct sio_conn,
			    connect_sul);

	if (c->socks == NULL)
		eio_close(c->e, "connect timeout");
}

static void
sio_open(struct eio *e)
{
	struct sio_conn	*c;

	c = tr_xcalloc(1, sizeof(*c));
	c->e = e;
	eio_set_data(e, c);
	lws_sul_schedule(bctx, 0, &c->connect_sul, connect_timeout,
	    (lws_usec_t)bconf.connect_timeout * 1000);
}

static void
sio_message(struct eio *e, const unsigned char *data, size_t len,
    int binary)
{
	struct sio_conn	*c = eio_data(e);
	struct sio_pkt	 p;

	if (c == NULL || c->dead)
		return;
	if (binary) {
		if (!c->havepend) {
			eio_close(e, "unexpected binary packet");
			return;
		}
		c->bin[c->nbin] = tr_xmalloc(len + 1);
		memcpy(c->bin[c->nbin], data, len);
		c->bins[c->nbin].p = c->bin[c->nbin];
		c->bins[c->nbin].len = len;
		if (++c->nbin < c->pend.nattach)
			return;
		dispatch(c, &c->pend);
		if (!c->dead)
			pend_clear(c);
		return;
	}
	if (c->havepend) {
		eio_close(e, "missing binary attachments");
		return;
	}
	if (sio_decode((const char *)data, len, &p) == -1) {
		eio_close(e, "invalid packet");
		return;
	}
	if (p.nattach > 0) {
		c->pend = p;
		c->havepend = 1;
		return;
	}
	dispatch(c, &p);
	sio_pkt_free(&p);
}

static void
sio_close(struct eio *e, const char *why)
{
	struct sio_conn	*c = eio_data(e);
	struct sio_sock	*s;

	if (c == NULL || c->dead)
		return;
	c->dead = 1;
	lws_sul_cancel(&c->connect_sul);
	while ((s = c->socks) != NULL) {
		c->socks = s->next;
		if (s->nsp->disconnect != NULL)
			s->nsp->disconnect(s, why);
		free(s);
	}
	pend_clear(c);
}

const struct eio_app sio_app = {
	"/socket.io/", sio_open, sio_message, sio_close, sio_release
};
