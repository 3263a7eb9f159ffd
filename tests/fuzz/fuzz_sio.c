/*
 * libFuzzer target for sio_decode() and sio_encode() (ws-bridge/siopkt.c).
 * What is accepted must be well formed (a known type other than
 * CONNECT_ERROR, a namespace that starts with "/" and has no comma, an
 * attachment count and an ack id in range, a payload of the type's
 * shape) and must survive a round trip: encoded and decoded again it is
 * the same packet, and encoding that gives the same bytes.  The legit
 * differences are in the text only: the namespace "/" is not written
 * ("0/," comes back as "0"), leading zeros of counts and ids go, and so
 * does white space in the JSON; the packets compare equal.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"

static const char *
js(struct json_object *o)
{
	const char	*s;

	if (o == NULL)
		return NULL;
	if ((s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE)) == NULL)
		abort();
	return s;
}

static void
check(const struct sio_pkt *p)
{
	size_t	 n;

	if (p->type == SIO_CONNECT_ERROR || p->type > SIO_BINARY_ACK)
		abort();
	n = strnlen(p->nsp, sizeof(p->nsp));
	if (n == 0 || n >= sizeof(p->nsp) || p->nsp[0] != '/' ||
	    strchr(p->nsp, ',') != NULL)
		abort();
	if (p->nattach < 0 || p->nattach > SIO_MAX_ATTACH ||
	    (p->nattach > 0 && p->type != SIO_BINARY_EVENT &&
	    p->type != SIO_BINARY_ACK))
		abort();
	if (p->ack < -1 || p->ack > 999999999999999LL)
		abort();
	switch (p->type) {
	case SIO_CONNECT:
		if (p->ack != -1 || (p->data != NULL &&
		    !json_object_is_type(p->data, json_type_object)))
			abort();
		break;
	case SIO_DISCONNECT:
		if (p->ack != -1 || p->data != NULL)
			abort();
		break;
	case SIO_EVENT:
	case SIO_BINARY_EVENT:
		if (!json_object_is_type(p->data, json_type_array) ||
		    json_object_array_length(p->data) == 0 ||
		    !json_object_is_type(json_object_array_get_idx(p->data, 0),
		    json_type_string))
			abort();
		break;
	case SIO_ACK:
	case SIO_BINARY_ACK:
		if (p->ack < 0 ||
		    !json_object_is_type(p->data, json_type_array))
			abort();
		break;
	default:
		abort();
	}
}

static void
encode(struct tr_buf *b, const struct sio_pkt *p)
{
	tr_buf_init(b, SIZE_MAX);
	if (sio_encode(b, p->type, p->nattach, p->nsp, p->ack, p->data) !=
	    TR_OK || b->ptr == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sio_pkt	 p, q;
	struct tr_buf	 b, b2;
	const char	*a, *c;

	p.data = NULL;
	if (sio_decode((const char *)data, size, &p) == -1) {
		/* Frees nothing on -1: there must be nothing to free. */
		if (p.data != NULL)
			abort();
		return 0;
	}
	check(&p);

	encode(&b, &p);
	if (sio_decode(b.ptr, b.len, &q) == -1)
		abort();
	check(&q);
	if (q.type != p.type || q.nattach != p.nattach ||
	    strcmp(q.nsp, p.nsp) != 0 || q.ack != p.ack)
		abort();
	a = js(p.data);
	c = js(q.data);
	if ((a == NULL) != (c == NULL) || (a != NULL && strcmp(a, c) != 0))
		abort();

	/* The encoder's output is a fixed point. */
	encode(&b2, &q);
	if (b2.len != b.len || memcmp(b2.ptr, b.ptr, b.len) != 0)
		abort();

	tr_buf_free(&b2);
	tr_buf_free(&b);
	sio_pkt_free(&q);
	sio_pkt_free(&p);
	return 0;
}
