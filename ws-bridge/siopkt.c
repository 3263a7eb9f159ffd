/*
 * Engine.IO v4 polling payloads and the Socket.IO v5 packet codec:
 * "<type>[<n>-][<nsp>,][<ack>][<json>]".  No lws calls: the unit test
 * and the fuzz targets compile it alone.
 * Hand-written because no Debian library speaks Socket.IO from C; the
 * JSON is json-c's, with the library's size and depth limits.  Decoding
 * refuses what the reference server closes a connection for: an
 * unknown type, a payload of the wrong shape for its type, a bad ack
 * id, trailing garbage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"

#define SIO_JSON_MAX	(16 * 1024 * 1024)
#define ACK_DIGITS	15

static int
isdigit_(char c)
{
	return c >= '0' && c <= '9';
}

int
eio_payload_split(const char *s, size_t len, size_t maxbin,
    int (*fn)(void *, const unsigned char *, size_t, int), void *arg)
{
	const char	*end = s + len, *q;
	struct tr_buf	 bin;
	int		 rc = 0;

	if (len == 0)
		return -1;
	while (s <= end && rc == 0) {
		if ((q = memchr(s, '\x1e', (size_t)(end - s))) == NULL)
			q = end;
		if (q == s)
			rc = -1;	/* an empty packet */
		else if (s[0] == 'b') {
			tr_buf_init(&bin, maxbin);
			if (tr_b64_decode(&bin, s + 1, (size_t)(q - s - 1),
			    0) != TR_OK)
				rc = -1;
			else
				rc = fn(arg, (const unsigned char *)
				    (bin.ptr != NULL ? bin.ptr : ""), bin.len,
				    1);
			tr_buf_free(&bin);
		} else
			rc = fn(arg, (const unsigned char *)s, (size_t)(q - s),
			    0);
		s = q + 1;
	}
	return rc;
}

void
sio_pkt_free(struct sio_pkt *p)
{
	json_object_put(p->data);
	p->data = NULL;
}

/* The payload's shape for the packet type. */
static int
shape_ok(const struct sio_pkt *p)
{
	struct json_object	*first;

	switch (p->type) {
	case SIO_CONNECT:
		return p->data == NULL ||
		    json_object_is_type(p->data, json_type_object);
	case SIO_DISCONNECT:
		return p->data == NULL;
	case SIO_EVENT:
	case SIO_BINARY_EVENT:
		if (p->data == NULL ||
		    !json_object_is_type(p->data, json_type_array) ||
		    json_object_array_length(p->data) == 0)
			return 0;
		first = json_object_array_get_idx(p->data, 0);
		return json_object_is_type(first, json_type_string);
	case SIO_ACK:
	case SIO_BINARY_ACK:
		return p->ack >= 0 && p->data != NULL &&
		    json_object_is_type(p->data, json_type_array);
	default:
		return 0;
	}
}

int
sio_decode(const char *s, size_t len, struct sio_pkt *p)
{
	size_t		 i = 0, n;
	long long	 v;

	memset(p, 0, sizeof(*p));
	p->ack = -1;
	snprintf(p->nsp, sizeof(p->nsp), "/");
	if (len == 0 || !isdigit_(s[0]) || s[0] > '6')
		return -1;
	p->type = (enum sio_type)(s[i++] - '0');
	/* A client never sends CONNECT_ERROR. */
	if (p->type == SIO_CONNECT_ERROR)
		return -1;
	if (p->type == SIO_BINARY_EVENT || p->type == SIO_BINARY_ACK) {
		for (v = 0, n = 0; i < len && isdigit_(s[i]); i++, n++) {
			if (n >= 3)
				return -1;
			v = v * 10 + (s[i] - '0');
		}
		if (n == 0 || i >= len || s[i] != '-' || v > SIO_MAX_ATTACH)
			return -1;
		p->nattach = (int)v;
		i++;
	}
	if (i < len && s[i] == '/') {
		for (n = i; n < len && s[n] != ','; n++)
			if (s[n] == '\0')
				return -1;
		if (n - i >= sizeof(p->nsp))
			return -1;
		memcpy(p->nsp, s + i, n - i);
		p->nsp[n - i] = '\0';
		i = n < len ? n + 1 : n;
	}
	if (i < len && isdigit_(s[i])) {
		for (v = 0, n = 0; i < len && isdigit_(s[i]); i++, n++) {
			if (n >= ACK_DIGITS)
				return -1;
			v = v * 10 + (s[i] - '0');
		}
		p->ack = v;
	}
	/* A payload, when there is one, is not the JSON text null. */
	if (i < len && (tr_json_parse(s + i, len - i, SIO_JSON_MAX,
	    TR_JSON_DEPTH, &p->data) != TR_OK || p->data == NULL)) {
		p->data = NULL;
		return -1;
	}
	if (p->ack >= 0 && p->type != SIO_EVENT && p->type != SIO_ACK &&
	    p->type != SIO_BINARY_EVENT && p->type != SIO_BINARY_ACK) {
		sio_pkt_free(p);
		return -1;
	}
	if (!shape_ok(p)) {
		sio_pkt_free(p);
		return -1;
	}
	return 0;
}

enum tr_err
sio_encode(struct tr_buf *b, enum sio_type type, int nattach,
    const char *nsp, long long ack, struct json_object *data)
{
	enum tr_err	 er;
	const char	*js;

	if ((er = tr_buf_addf(b, "%d", (int)type)) != TR_OK)
		return er;
	if ((type == SIO_BINARY_EVENT || type == SIO_BINARY_ACK) &&
	    (er = tr_buf_addf(b, "%d-", nattach)) != TR_OK)
		return er;
	if (nsp != NULL && strcmp(nsp, "/") != 0 &&
	    (er = tr_buf_addf(b, "%s,", nsp)) != TR_OK)
		return er;
	if (ack >= 0 && (er = tr_buf_addf(b, "%lld", ack)) != TR_OK)
		return er;
	if (data == NULL)
		return TR_OK;
	js = json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (js == NULL)
		return TR_ENOMEM;
	return tr_buf_adds(b, js);
}
