/*
 * The protocol-test mode: the reference configuration of the official
 * Socket.IO and Engine.IO protocol suites.  On "/" and "/custom" every
 * new socket gets "auth" with its handshake's auth object; "/" answers
 * "message" with "message-back" and acknowledges "message-with-ack"
 * with its own arguments.  "/engine.io/" is a bare Engine.IO server
 * that echoes every message.  Never on in production (main.c).
 */
#include <stdlib.h>
#include <string.h>

#include "bridge.h"

static int
t_connect(struct sio_sock *s, struct json_object *auth, const char **msg)
{
	struct json_object	*args = json_object_new_array();

	sio_accept(s);
	json_object_array_add(args, json_object_get(auth));
	(void)sio_emit(s, "auth", args, NULL, 0);
	return 1;
}

static void
t_event(struct sio_sock *s, const char *name, struct json_object *args,
    const struct sio_bin *bins, size_t nbin, long long ack)
{
	if (strcmp(name, "message") == 0)
		(void)sio_emit(s, "message-back", json_object_get(args), bins,
		    nbin);
	else if (strcmp(name, "message-with-ack") == 0 && ack >= 0)
		(void)sio_ack(s, ack, json_object_get(args), bins, nbin);
}

static const struct sio_nsp	 main_nsp = { "/", t_connect, t_event, NULL };
static const struct sio_nsp	 custom_nsp = { "/custom", t_connect, NULL,
				    NULL };
static const struct sio_nsp *const	 test_nsps[] = { &main_nsp,
					    &custom_nsp };

static void
echo(struct eio *e, const unsigned char *p, size_t len, int binary)
{
	(void)eio_send(e, p, len, binary);
}

static const struct eio_app	 echo_app = { "/engine.io/", NULL, echo,
				    NULL, NULL };

void
testapp_init(void)
{
	sio_init(test_nsps, sizeof(test_nsps) / sizeof(test_nsps[0]));
	eio_register(&sio_app);
	eio_register(&echo_app);
}
