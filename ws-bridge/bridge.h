/*
 * ws-bridge: live streaming transcription over Socket.IO v4.
 *
 * One process, one libwebsockets event loop.  The layers, bottom up (a
 * file calls only into those listed before it; tests/layers.py checks):
 *
 *   conf.c    the settings and the clock, which every layer reads
 *   siopkt.c  the Socket.IO v5 packet codec (no lws calls; fuzzed)
 *   work.c    threads for blocking work (database, local decoding),
 *             finishing on the event loop
 *   eio.c     Engine.IO v4 sessions over HTTP long-polling and
 *             WebSocket (with upgrade), heartbeat, payload limits;
 *             GET /metrics (the counters of lib's obs/, in memory)
 *   sio.c     Socket.IO namespaces, binary attachments,
 *             acknowledgements
 *   up_deepgram.c, up_local.c   the upstreams a stream feeds, each a
 *             struct up_ops table that says what it can do
 *   stream.c  the /audio-stream namespace: auth, limits, usage; it
 *             calls its upstream through the table only
 *   testapp.c the protocol-test mode's reference apps
 *   main.c    the program: arguments, settings, the context, threads,
 *             the loop, shutdown; it picks the upstream STREAM_ENGINE
 *             names
 *
 * Everything here runs on the event loop thread unless it says so.
 */
#ifndef BRIDGE_H
#define BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "tr.h"

struct	up_ops;

struct	bridge_conf {
	int		 test;		/* protocol-test mode */
	long long	 ping_interval;	/* ms */
	long long	 ping_timeout;	/* ms */
	long long	 connect_timeout; /* ms: CONNECT after the handshake */
	long long	 max_payload;	/* bytes: a frame, a polling payload */
	long long	 queue_max;	/* bytes queued to one client */
	long long	 max_sessions;	/* Engine.IO sessions */
	long long	 max_streams;	/* /audio-stream sockets */
	long long	 idle_timeout;	/* s without audio on a stream */
	long long	 upstream_timeout; /* s for an upstream to answer */
	const char	*engine;	/* STREAM_ENGINE: an upstream's name */
	const struct up_ops *up;	/* that upstream (main.c sets it) */
};

/* Settings, the context and time (conf.c). */
extern struct bridge_conf	 bconf;
extern struct lws_context	*bctx;

/* Reads the settings into bconf (test: the protocol suites' own). */
void		 conf_load(int test);
int64_t		 bridge_now_ms(void);

/*
 * Engine.IO (eio.c).  An app (Socket.IO, or the bare echo of the
 * protocol-test mode) gets a session's messages and closes.
 */
struct	eio;

struct	eio_app {
	const char	*path;		/* "/socket.io/" */
	void		(*open)(struct eio *);
	void		(*message)(struct eio *, const unsigned char *,
			    size_t, int binary);
	void		(*close)(struct eio *, const char *why);
	/* The session's memory goes: free what eio_data() holds. */
	void		(*release)(struct eio *);
};

void		 eio_register(const struct eio_app *);

/* A JSON document GET of path answers, beside the apps' sessions. */
struct	eio_doc {
	const char	*path;		/* "/socket.io/languages" */
	int		(*write)(struct tr_buf *);	/* -1: a 500 */
};

void		 eio_register_doc(const struct eio_doc *);
/* Queue a message packet ("4..." or a binary one).  -1: session gone. */
int		 eio_send(struct eio *, const void *, size_t, int binary);
void		 eio_close(struct eio *, const char *why);
void		*eio_data(struct eio *);
void		 eio_set_data(struct eio *, void *);
/* A handshake query argument ("lang"), or NULL. */
const char	*eio_query(const struct eio *, const char *name);
const char	*eio_remote(const struct eio *);
const char	*eio_sid(const struct eio *);
size_t		 eio_count(void);
/* Bytes queued to the client and not yet written. */
size_t		 eio_queued(const struct eio *);
/* Closes every session (shutdown), then frees them (exit). */
void		 eio_close_all(const char *why);
void		 eio_free_all(void);
/* The libwebsockets protocol that serves HTTP and WebSocket. */
int		 eio_callback(struct lws *, enum lws_callback_reasons,
		    void *, void *, size_t);
/* libwebsockets' per-connection data size for eio_callback. */
size_t		 eio_pss_size(void);

/* Socket.IO packets (siopkt.c): a pure codec, fuzzed. */
enum	sio_type {
	SIO_CONNECT = 0,
	SIO_DISCONNECT,
	SIO_EVENT,
	SIO_ACK,
	SIO_CONNECT_ERROR,
	SIO_BINARY_EVENT,
	SIO_BINARY_ACK
};

#define SIO_NSP_MAX	128
#define SIO_MAX_ATTACH	16

struct	sio_pkt {
	enum sio_type		 type;
	int			 nattach;	/* binary packets */
	char			 nsp[SIO_NSP_MAX];	/* "/" by default */
	long long		 ack;		/* -1: none */
	struct json_object	*data;		/* NULL if none */
};

/*
 * An Engine.IO v4 polling payload: packets split at \x1e, "b<base64>"
 * a binary one (at most maxbin bytes).  fn gets each packet in order
 * (text: type then data); an empty packet, bad base64 or fn's -1 stop
 * it with -1.
 */
int		 eio_payload_split(const char *, size_t, size_t maxbin,
		    int (*fn)(void *, const unsigned char *, size_t,
		    int binary), void *);
/* 0 or -1 for a packet a server must refuse.  Frees nothing on -1. */
int		 sio_decode(const char *, size_t, struct sio_pkt *);
void		 sio_pkt_free(struct sio_pkt *);
/* Appends "<type>[<n>-][<nsp>,][<ack>][json]". */
enum tr_err	 sio_encode(struct tr_buf *, enum sio_type, int nattach,
		    const char *nsp, long long ack,
		    struct json_object *) TR_WUR;

/* Socket.IO (sio.c). */
struct	sio_sock;

struct	sio_bin {
	const unsigned char	*p;
	size_t			 len;
};

/* A namespace's handlers.  connect returns 0 (accept), 1 (pending:
 * call sio_accept or sio_refuse later) or -1 with *msg (refuse). */
struct	sio_nsp {
	const char	*name;
	int		(*connect)(struct sio_sock *, struct json_object *auth,
			    const char **msg);
	void		(*event)(struct sio_sock *, const char *name,
			    struct json_object *args, const struct sio_bin *,
			    size_t nbin, long long ack);
	void		(*disconnect)(struct sio_sock *, const char *why);
};

void		 sio_init(const struct sio_nsp *const *, size_t);
extern const struct eio_app	 sio_app;
void		 sio_accept(struct sio_sock *);
void		 sio_refuse(struct sio_sock *, const char *msg);
/* Emits an event; args is an array (taken) or NULL; bins follow. */
int		 sio_emit(struct sio_sock *, const char *event,
		    struct json_object *args, const struct sio_bin *,
		    size_t nbin);
int		 sio_ack(struct sio_sock *, long long id,
		    struct json_object *args, const struct sio_bin *,
		    size_t nbin);
/* Server-side disconnect: sends DISCONNECT, then calls nsp disconnect. */
void		 sio_disconnect(struct sio_sock *, const char *why);
void		*sio_data(const struct sio_sock *);
void		 sio_set_data(struct sio_sock *, void *);
struct eio	*sio_eio(const struct sio_sock *);
const char	*sio_id(const struct sio_sock *);

/* Protocol-test mode (testapp.c). */
void		 testapp_init(void);

/* The /audio-stream namespace (stream.c). */
extern const struct sio_nsp	 stream_nsp;
/* The languages the upstream transcribes, for the caption page. */
extern const struct eio_doc	 stream_languages;
void		 stream_shutdown(void);
size_t		 stream_count(void);

/*
 * Work off the event loop (work.c).  run() is called on a worker
 * thread, done() later on the event loop; a job whose owner went away
 * is still finished (done() checks).  Jobs of one queue run one at a
 * time in order; the database queue has one thread (the library's
 * connection is per process), the decoding queues one per stream.
 */
struct	work_job {
	void		(*run)(struct work_job *);
	void		(*done)(struct work_job *);
	struct work_job	*next;
};

enum	work_queue {
	WORK_DB,		/* auth, quotas, usage: one thread */
	WORK_CPU		/* decoding: a thread per core */
};

int		 work_init(int ncpu);
void		 work_submit(enum work_queue, struct work_job *);
/* Runs done() of finished jobs; called on LWS_CALLBACK_EVENT_WAIT_CANCELLED. */
void		 work_finish(void);
void		 work_stop(void);

/* Upstreams (up_*.c): where a stream's audio goes. */
struct	upstream;

struct	up_events {
	/* The upstream takes audio now (only if up_ops.wait_ready). */
	void	(*ready)(void *);
	void	(*result)(void *, const char *text, int is_final,
		    double confidence);
	void	(*error)(void *, const char *msg);
	/* The upstream is gone (after finish or an error). */
	void	(*closed)(void *);
	/* Seconds of audio it decoded from what it was sent (container
	 * audio that the stream cannot measure itself). */
	void	(*audio)(void *, double seconds);
};

struct	up_params {
	const char	*lang;
	const char	*encoding;	/* NULL: let the upstream detect */
	long long	 sample_rate;	/* 0: unset */
	long long	 channels;
};

struct	up_ops {
	const char	*name;		/* STREAM_ENGINE, usage rows' service */
	int		 wait_ready;	/* open is done at events.ready */
	unsigned int	 langs;		/* the TR_LANG_* bit of its languages */
	/* Before the daemon serves (-1: it cannot), and at exit after the
	 * context is gone; either may be NULL. */
	int		(*init)(void);
	void		(*free)(void);
	/* NULL or why the upstream cannot take a stream of these settings
	 * (before any check of the client's token). */
	const char	*(*check)(const struct up_params *);
	struct upstream	*(*open)(const struct up_params *,
			    const struct up_events *, void *, const char **why);
	int		(*send)(struct upstream *, const void *, size_t);
	void		(*finish)(struct upstream *);
	/* Drops the upstream at once; no callback afterwards. */
	void		(*abort)(struct upstream *);
};

extern const struct up_ops	 up_deepgram;
extern const struct up_ops	 up_local;
/* main.c's vhost for upstream connections (no listener). */
#define BRIDGE_UPSTREAM_VHOST	"upstream"
int		 up_deepgram_callback(struct lws *, enum lws_callback_reasons,
		    void *, void *, size_t);

#endif /* BRIDGE_H */
