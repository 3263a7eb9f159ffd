/*
 * The /audio-stream namespace (SPEC section 6, the seed's WebSocket
 * flow).  CONNECT carries auth {token}; the Engine.IO handshake's query
 * carries lang (and, for raw audio, encoding, sample_rate, channels).
 * The token is checked on the database thread, then the upstream
 * (Deepgram live or the local engine) is opened: only then is the
 * socket accepted, so that a refusal from either is a CONNECT_ERROR with
 * its reason.  audio_chunk events feed the upstream; results come back
 * as "transcription" events, later failures as "error" events.  Each
 * stream takes one of its user's concurrency slots (its lease renewed on
 * a timer while it streams) and leaves one usage row (its audio seconds)
 * when it ends, and a log line with those seconds
 * and why it ended (client stop, disconnect, upstream error, idle
 * timeout, shutdown, upstream closed).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"

#define NSP		"/audio-stream"
#define MAX_TOKEN	8192

enum	st_state {
	ST_AUTH,		/* token being checked */
	ST_UPWAIT,		/* upstream being opened */
	ST_OPEN,		/* streaming */
	ST_FINISHING,		/* stop_streaming: waiting for the last results */
	ST_ENDED		/* upstream gone */
};

struct	stream {
	struct sio_sock		*sock;		/* NULL once the client left */
	struct tr_req		*req;		/* caller, request id */
	enum st_state		 state;
	struct up_params	 params;
	char			 lang[16];
	char			 encoding[16];
	const struct up_ops	*ops;
	struct upstream		*up;
	char			*token;		/* until checked */
	enum tr_err		 auth_er;
	char			 why[200];
	char			 end[64];	/* why it ended, for the log */
	long long		 slot;		/* quota slot, 0: none */
	uint64_t		 bytes;		/* audio received */
	int64_t			 first_ms, last_ms;
	double			 decoded;	/* seconds, told by the upstream */
	int			 jobs;		/* jobs not done */
	int			 logged;	/* stream ended, its job queued */
	int			 opened;	/* it streamed: bill it */
	int			 failed;	/* upstream error */
	struct work_job		 auth_job;
	struct work_job		 end_job;
	struct work_job		 renew_job;	/* the slot's lease renewed */
	int			 renewing;	/* renew_job queued */
	int			 end_wanted;	/* st_end() waits for it */
	lws_sorted_usec_list_t	 idle_sul;
	lws_sorted_usec_list_t	 renew_sul;
	struct stream		*next;
};

static struct stream	*streams;
static size_t		 nstreams;
static int		 shutting_down;

static const char *const encodings[] = {
	"linear16", "linear32", "flac", "alaw", "mulaw", "amr-nb", "amr-wb",
	"opus", "ogg-opus", "speex", "g729"
};

size_t
stream_count(void)
{
	return nstreams;
}

static int
in_list(const char *s, const char *const *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(s, v[i]) == 0)
			return 1;
	return 0;
}

static void
st_free(struct stream *st)
{
	struct stream	**pp;

	for (pp = &streams; *pp != NULL; pp = &(*pp)->next)
		if (*pp == st) {
			*pp = st->next;
			nstreams--;
			break;
		}
	lws_sul_cancel(&st->idle_sul);
	lws_sul_cancel(&st->renew_sul);
	if (st->token != NULL) {
		tr_wipe(st->token, strlen(st->token));
		free(st->token);
	}
	if (st->req != NULL)
		tr_req_free(st->req);
	free(st);
}

/* Emits an event whose one argument is the object o (taken). */
static void
emit_obj(struct sio_sock *sock, const char *event, struct json_object *o)
{
	struct json_object	*a = json_object_new_array();

	json_object_array_add(a, o);
	(void)sio_emit(sock, event, a, NULL, 0);
}

static void
emit_error(struct stream *st, const char *msg)
{
	struct json_object	*o;

	if (st->sock == NULL)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "message", json_object_new_string(msg));
	emit_obj(st->sock, "error", o);
}

/* Audio seconds: from the byte count for raw PCM, else what the
 * upstream decoded, else wall time. */
static double
audio_seconds(const struct stream *st)
{
	double	 bps;

	if (strcmp(st->encoding, "linear16") == 0 ||
	    strcmp(st->encoding, "linear32") == 0) {
		bps = (double)st->params.sample_rate * st->params.channels *
		    (strcmp(st->encoding, "linear16") == 0 ? 2 : 4);
		return bps > 0 ? (double)st->bytes / bps : 0;
	}
	if (st->bytes == 0)
		return 0;
	if (st->decoded > 0)
		return st->decoded;
	return (double)(st->last_ms - st->first_ms) / 1000.0;
}

/* On the database thread: the quota slot back, and the usage row of a
 * stream that streamed. */
static void
end_run(struct work_job *j)
{
	struct stream	*st = lws_container_of(j, struct stream, end_job);
	struct tr_usage	 u;

	if (st->slot > 0)
		tr_quota_end(st->req, st->slot);
	st->slot = 0;
	if (!st->opened)
		return;		/* refused: a slot to give back, no usage */
	memset(&u, 0, sizeof(u));
	u.service = st->ops->name;
	u.endpoint = NSP;
	u.audio_seconds = audio_seconds(st);
	u.status = st->failed ? "error" : "success";
	if (tr_usage_log(st->req, &u) != TR_OK)
		tr_errx("stream %s: usage not recorded", tr_request_id(st->req));
}

/* Freed once ended and billed, with no client, upstream or job left. */
static void
st_release(struct stream *st)
{
	if (st->logged && st->jobs == 0 && !st->renewing && st->sock == NULL &&
	    st->up == NULL)
		st_free(st);
}

static void
end_done(struct work_job *j)
{
	struct stream	*st = lws_container_of(j, struct stream, end_job);

	st->jobs--;
	st_release(st);
}

/* Why an open stream ends, the first reason given (or a later upstream
 * error: see on_uperror). */
static void
st_ending(struct stream *st, const char *why, const char *detail)
{
	if (st->end[0] == '\0')
		snprintf(st->end, sizeof(st->end), "%s%s%s", why,
		    detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

/* The stream is over (upstream closed, client gone or refused): give
 * back its slot and bill it, once. */
static void
st_end(struct stream *st)
{
	const char	*kv[4];

	/* One job of a stream at a time (work.c): after the renewal. */
	if (!st->logged && st->renewing) {
		st->end_wanted = 1;
		return;
	}
	if (st->logged || st->jobs > 0) {
		st_release(st);
		return;
	}
	st->logged = 1;
	lws_sul_cancel(&st->renew_sul);
	if (st->opened) {
		tr_info("stream %s: ended (%s), %.3f s of audio",
		    tr_request_id(st->req), st->end, audio_seconds(st));
		kv[0] = "engine";
		kv[1] = st->ops->name;
		kv[2] = "outcome";
		kv[3] = st->failed ? "failed" : "ok";
		tr_metric_add(TR_MET_WS_ENDED, 1, kv, 2);
	}
	if (st->req == NULL || tr_principal(st->req)->kind == TR_PRIN_NONE) {
		st_release(st);
		return;
	}
	st->end_job.run = end_run;
	st->end_job.done = end_done;
	st->jobs++;
	work_submit(WORK_DB, &st->end_job);
}

/* A stream that never opened: the client's CONNECT is refused with why. */
static void
st_refuse(struct stream *st, const char *why)
{
	st->state = ST_ENDED;
	if (st->sock != NULL)
		sio_refuse(st->sock, why);
	st->sock = NULL;
	st_end(st);
}

static void
idle_cb(lws_sorted_usec_list_t *sul)
{
	struct stream	*st = lws_container_of(sul, struct stream, idle_sul);
	int64_t		 quiet = bridge_now_ms() - st->last_ms;

	if (st->sock == NULL || st->state != ST_OPEN)
		return;
	if (quiet < bconf.idle_timeout * 1000) {
		lws_sul_schedule(bctx, 0, &st->idle_sul, idle_cb,
		    (lws_usec_t)(bconf.idle_timeout * 1000 - quiet) * 1000);
		return;
	}
	emit_error(st, "no audio for too long: stream closed");
	st_ending(st, "idle timeout", NULL);
	sio_disconnect(st->sock, "idle timeout");
}

/* On a database thread: the slot's lease renewed.  No other job of the
 * stream runs meanwhile (renew_cb, st_end). */
static void
renew_run(struct work_job *j)
{
	struct stream	*st = lws_container_of(j, struct stream, renew_job);

	tr_quota_renew(st->req, st->slot);
}

static void
renew_done(struct work_job *j)
{
	struct stream	*st = lws_container_of(j, struct stream, renew_job);

	st->renewing = 0;
	if (st->end_wanted)
		st_end(st);
	else
		st_release(st);
}

/* Four times a lease, while the stream lasts. */
static void
renew_cb(lws_sorted_usec_list_t *sul)
{
	struct stream	*st = lws_container_of(sul, struct stream, renew_sul);

	if (st->logged)
		return;
	if (!st->renewing && st->jobs == 0) {
		st->renewing = 1;
		st->renew_job.run = renew_run;
		st->renew_job.done = renew_done;
		work_submit(WORK_DB, &st->renew_job);
	}
	lws_sul_schedule(bctx, 0, &st->renew_sul, renew_cb,
	    (lws_usec_t)tr_quota_lease() * 1000000 / 4);
}

/* Upstream events. */
static void
on_ready(void *arg)
{
	struct stream	*st = arg;
	const char	*kv[2];

	if (st->state != ST_UPWAIT || st->sock == NULL)
		return;
	st->state = ST_OPEN;
	st->opened = 1;
	st->last_ms = bridge_now_ms();
	lws_sul_schedule(bctx, 0, &st->idle_sul, idle_cb,
	    (lws_usec_t)bconf.idle_timeout * 1000000);
	lws_sul_schedule(bctx, 0, &st->renew_sul, renew_cb,
	    (lws_usec_t)tr_quota_lease() * 1000000 / 4);
	sio_accept(st->sock);
	kv[0] = "engine";
	kv[1] = st->ops->name;
	tr_metric_add(TR_MET_WS_STREAMS, 1, kv, 1);
	tr_info("stream %s: user %lld, %s, lang %s", tr_request_id(st->req),
	    tr_principal(st->req)->user_id, st->ops->name, st->lang);
}

static void
on_result(void *arg, const char *text, int is_final, double conf)
{
	struct stream		*st = arg;
	struct json_object	*o;
	const char		*kv[4];

	if (st->sock == NULL || *text == '\0')
		return;
	o = json_object_new_object();
	json_object_object_add(o, "transcript", json_object_new_string(text));
	json_object_object_add(o, "is_final", json_object_new_boolean(
	    is_final));
	/* An upstream that has none (the local engine's interims) says -1:
	 * no number rather than a made-up one. */
	if (conf >= 0)
		json_object_object_add(o, "confidence",
		    json_object_new_double(conf));
	emit_obj(st->sock, "transcription", o);
	kv[0] = "engine";
	kv[1] = st->ops->name;
	kv[2] = "final";
	kv[3] = is_final ? "true" : "false";
	tr_metric_observe(TR_MET_WS_LATENCY, (bridge_now_ms() - st->last_ms) /
	    1e3, kv, 2);
}

static void
on_uperror(void *arg, const char *msg)
{
	struct stream	*st = arg;

	st->failed = 1;
	tr_warnx("stream %s: %s", st->req != NULL ? tr_request_id(st->req) :
	    "-", msg);
	st->end[0] = '\0';	/* it ended the stream, whatever else did */
	st_ending(st, "upstream error", msg);
	if (st->state == ST_UPWAIT)
		snprintf(st->why, sizeof(st->why), "%s", msg);
	else
		emit_error(st, msg);
}

static void
on_closed(void *arg)
{
	struct stream		*st = arg;
	struct json_object	*o;

	st->up = NULL;
	if (st->state == ST_UPWAIT) {
		/* It never opened: the connection is refused. */
		st_refuse(st, st->failed ? st->why :
		    "transcription service unavailable");
		return;
	}
	st->state = ST_ENDED;
	st_ending(st, "upstream closed", NULL);
	if (st->sock != NULL) {
		if (st->failed)
			sio_disconnect(st->sock, "upstream failed");
		else {
			o = json_object_new_object();
			/* To the millisecond: 6.965, not 6.964999999999994. */
			json_object_object_add(o, "audio_seconds",
			    json_object_new_double(round(audio_seconds(st) *
			    1000) / 1000));
			emit_obj(st->sock, "stream_stopped", o);
		}
	}
	st_end(st);
}

static void
on_audio(void *arg, double seconds)
{
	struct stream	*st = arg;

	st->decoded += seconds;
}

static const struct up_events	 events = { on_ready, on_result,
				    on_uperror, on_closed, on_audio };

/* On the database thread: who is it, and may they stream now? */
static void
auth_run(struct work_job *j)
{
	struct stream	*st = lws_container_of(j, struct stream, auth_job);
	enum tr_err	 er;

	if ((st->req = tr_req_new(NSP)) == NULL) {
		st->auth_er = TR_ESYSTEM;
		snprintf(st->why, sizeof(st->why), "internal error");
		return;
	}
	er = tr_auth_token(st->req, st->token);
	tr_wipe(st->token, strlen(st->token));
	if (er == TR_OK)
		er = tr_quota_begin(st->req, 0, &st->slot);
	st->auth_er = er;
	snprintf(st->why, sizeof(st->why), "%s",
	    *tr_req_message(st->req) != '\0' ? tr_req_message(st->req) :
	    tr_err_message(er));
}

static void
auth_done(struct work_job *j)
{
	struct stream	*st = lws_container_of(j, struct stream, auth_job);
	const char	*why = NULL;

	st->jobs--;
	if (st->sock == NULL) {
		/* Left while we checked. */
		st_end(st);
		return;
	}
	if (st->auth_er != TR_OK) {
		tr_info("stream refused: %s", st->why);
		st_refuse(st, st->why);
		return;
	}
	if (shutting_down) {
		st_refuse(st, "server shutting down");
		return;
	}
	st->state = ST_UPWAIT;
	st->up = st->ops->open(&st->params, &events, st, &why);
	if (st->up == NULL) {
		st->failed = 1;
		st_refuse(st, why != NULL ? why :
		    "transcription service unavailable");
		return;
	}
	if (!st->ops->wait_ready)
		on_ready(st);
}

/* The query's stream settings; NULL or the reason they are refused. */
static const char *
params(struct stream *st, struct eio *e)
{
	const char	*lang, *enc, *rate, *ch;
	long long	 n;

	lang = eio_query(e, "lang");
	if (lang == NULL || *lang == '\0')
		lang = eio_query(e, "language");
	if (lang == NULL || *lang == '\0')
		lang = "en";
	if (!tr_lang_has(lang, TR_LANG_LIVE))
		return "Unsupported language";
	snprintf(st->lang, sizeof(st->lang), "%s", lang);
	st->params.lang = st->lang;
	enc = eio_query(e, "encoding");
	rate = eio_query(e, "sample_rate");
	ch = eio_query(e, "channels");
	if (enc != NULL && *enc != '\0') {
		if (!in_list(enc, encodings, sizeof(encodings) /
		    sizeof(encodings[0])))
			return "Unsupported encoding";
		snprintf(st->encoding, sizeof(st->encoding), "%s", enc);
		st->params.encoding = st->encoding;
	}
	if (rate != NULL && *rate != '\0') {
		if (tr_parse_ll(rate, 8000, 192000, &n) != TR_OK)
			return "Invalid sample_rate";
		st->params.sample_rate = n;
	}
	st->params.channels = 1;
	if (ch != NULL && *ch != '\0') {
		if (tr_parse_ll(ch, 1, 8, &n) != TR_OK)
			return "Invalid channels";
		st->params.channels = n;
	}
	if (st->params.encoding != NULL && st->params.sample_rate == 0)
		st->params.sample_rate = strcmp(st->encoding, "amr-nb") == 0 ?
		    8000 : 16000;
	return st->ops->check != NULL ? st->ops->check(&st->params) : NULL;
}

static int
st_connect(struct sio_sock *sock, struct json_object *auth, const char **msg)
{
	struct stream		*st;
	struct json_object	*t;
	const char		*tok = NULL, *why;

	if (shutting_down) {
		*msg = "server shutting down";
		return -1;
	}
	if ((long long)nstreams >= bconf.max_streams) {
		*msg = "too many streams: try again later";
		return -1;
	}
	if (json_object_object_get_ex(auth, "token", &t) &&
	    json_object_is_type(t, json_type_string))
		tok = json_object_get_string(t);
	if (tok == NULL || *tok == '\0') {
		*msg = "authentication required: auth {token}";
		return -1;
	}
	if (strlen(tok) > MAX_TOKEN) {
		*msg = "invalid token";
		return -1;
	}
	st = tr_xcalloc(1, sizeof(*st));
	st->ops = bconf.up;
	if ((why = params(st, sio_eio(sock))) != NULL) {
		free(st);
		*msg = why;
		return -1;
	}
	st->sock = sock;
	st->token = tr_xstrdup(tok);
	st->state = ST_AUTH;
	st->next = streams;
	streams = st;
	nstreams++;
	sio_set_data(sock, st);
	st->auth_job.run = auth_run;
	st->auth_job.done = auth_done;
	st->jobs++;
	work_submit(WORK_DB, &st->auth_job);
	return 1;
}

/* The bytes of an audio_chunk: base64 text or a binary attachment. */
static int
chunk_bytes(struct json_object *v, const struct sio_bin *bins, size_t nbin,
    struct tr_buf *b, const unsigned char **p, size_t *len)
{
	struct json_object	*x;
	int64_t			 num;

	if (json_object_is_type(v, json_type_object) &&
	    json_object_object_get_ex(v, "audio_chunk", &x))
		v = x;
	if (json_object_is_type(v, json_type_string)) {
		if (tr_b64_decode(b, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v), 0) != TR_OK)
			return -1;
		*p = (const unsigned char *)(b->ptr != NULL ? b->ptr : "");
		*len = b->len;
		return 0;
	}
	if (json_object_is_type(v, json_type_object) &&
	    json_object_object_get_ex(v, "_placeholder", &x) &&
	    json_object_get_boolean(x) &&
	    json_object_object_get_ex(v, "num", &x) &&
	    json_object_is_type(x, json_type_int) &&
	    (num = json_object_get_int64(x)) >= 0 && (size_t)num < nbin) {
		*p = bins[num].p;
		*len = bins[num].len;
		return 0;
	}
	return -1;
}

static void
ack(struct sio_sock *sock, long long id, int ok, const char *err)
{
	struct json_object	*a, *o;

	if (id < 0)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	if (err != NULL)
		json_object_object_add(o, "error", json_object_new_string(err));
	a = json_object_new_array();
	json_object_array_add(a, o);
	(void)sio_ack(sock, id, a, NULL, 0);
}

static void
st_event(struct sio_sock *sock, const char *name, struct json_object *args,
    const struct sio_bin *bins, size_t nbin, long long ackid)
{
	struct stream	*st = sio_data(sock);
	struct tr_buf	 b;
	const unsigned char *p;
	size_t		 len;

	if (st == NULL)
		return;
	if (strcmp(name, "audio_chunk") == 0) {
		if (st->state != ST_OPEN || st->up == NULL) {
			emit_error(st, "the stream is not open");
			ack(sock, ackid, 0, "the stream is not open");
			return;
		}
		tr_buf_init(&b, (size_t)bconf.max_payload);
		if (json_object_array_length(args) < 1 ||
		    chunk_bytes(json_object_array_get_idx(args, 0), bins,
		    nbin, &b, &p, &len) == -1) {
			tr_buf_free(&b);
			emit_error(st, "audio_chunk must be {audio_chunk:"
			    " base64} or binary");
			ack(sock, ackid, 0, "bad audio_chunk");
			return;
		}
		if (len > 0) {
			if (st->bytes == 0)
				st->first_ms = bridge_now_ms();
			st->bytes += len;
			st->last_ms = bridge_now_ms();
			if (st->ops->send(st->up, p, len) == -1) {
				tr_buf_free(&b);
				ack(sock, ackid, 0, "upstream failed");
				return;
			}
		}
		tr_buf_free(&b);
		ack(sock, ackid, 1, NULL);
	} else if (strcmp(name, "stop_streaming") == 0) {
		if (st->state == ST_OPEN && st->up != NULL) {
			st->state = ST_FINISHING;
			st_ending(st, "client stop", NULL);
			lws_sul_cancel(&st->idle_sul);
			st->ops->finish(st->up);
		}
		ack(sock, ackid, 1, NULL);
	}
}

static void
st_disconnect(struct sio_sock *sock, const char *why)
{
	struct stream	*st = sio_data(sock);

	if (st == NULL)
		return;
	st->sock = NULL;
	lws_sul_cancel(&st->idle_sul);
	if (st->state == ST_AUTH)
		return;		/* auth_done cleans up */
	st_ending(st, "disconnect", why);
	if (st->up != NULL) {
		st->ops->abort(st->up);
		st->up = NULL;
	}
	st->state = ST_ENDED;
	st_end(st);
}

/* SIGTERM: every open stream flushes its upstream, then ends. */
void
stream_shutdown(void)
{
	struct stream	*st, *next;

	shutting_down = 1;
	for (st = streams; st != NULL; st = next) {
		next = st->next;
		if (st->state == ST_UPWAIT && st->up != NULL) {
			st->ops->abort(st->up);
			st->up = NULL;
			st_refuse(st, "server shutting down");
		} else if (st->state == ST_OPEN && st->up != NULL) {
			emit_error(st, "server shutting down");
			st_ending(st, "shutdown", NULL);
			st->state = ST_FINISHING;
			lws_sul_cancel(&st->idle_sul);
			st->ops->finish(st->up);
		}
	}
}

/*
 * {"engine": "local", "languages": [{"code": "en", "name": "English"},
 * ...]}: the tags /audio-stream takes with this upstream.
 */
static int
write_languages(struct tr_buf *b)
{
	const struct tr_lang	*l;
	size_t			 i, n = 0;

	if (tr_buf_addf(b, "{\"engine\":\"%s\",\"languages\":[",
	    bconf.up->name) != TR_OK)
		return -1;
	for (i = 0; (l = tr_lang_at(i)) != NULL; i++) {
		if ((l->engines & bconf.up->langs) == 0)
			continue;
		/* The table's tags and names are plain ASCII. */
		if (tr_buf_addf(b, "%s{\"code\":\"%s\",\"name\":\"%s\"}",
		    n++ > 0 ? "," : "", l->code, l->name) != TR_OK)
			return -1;
	}
	return tr_buf_adds(b, "]}") == TR_OK ? 0 : -1;
}

const struct eio_doc stream_languages = {
	"/socket.io/languages", write_languages
};

const struct sio_nsp stream_nsp = {
	NSP, st_connect, st_event, st_disconnect
};
