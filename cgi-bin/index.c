/*
 * GET /: service metadata and the list of endpoints.  It is also the
 * catch-all program: every path no other program claims comes here and
 * gets a JSON 404, and the web server sends its own errors here to be
 * answered in JSON (lighttpd error-handler, Apache ErrorDocument).
 */
#include "tr.h"

struct	route {
	const char	*path;
	const char	*methods;
	const char	*auth;
	const char	*description;
};

static const struct route routes[] = {
#include "routes.h"
}, live[] = {
	/* What the ws configs of httpd-conf send to ws-bridge; its page. */
	{ "/socket.io/", "Socket.IO v4", "any",
	    "Live transcription: namespace /audio-stream, auth {token}, "
	    "query lang, encoding, sample_rate; events audio_chunk, "
	    "stop_streaming, transcription, stream_stopped, error" },
	{ "/live/", "GET", "none", "Live-caption page: microphone to "
	    "captions through /socket.io/" },
};

/* The rows as GET / lists them. */
static struct json_object *
list(const struct route *rt, size_t n)
{
	struct json_object	*arr, *e;
	size_t			 i;

	arr = json_object_new_array();
	for (i = 0; i < n; i++) {
		e = json_object_new_object();
		json_object_object_add(e, "path",
		    json_object_new_string(rt[i].path));
		json_object_object_add(e, "methods",
		    json_object_new_string(rt[i].methods));
		json_object_object_add(e, "auth",
		    json_object_new_string(rt[i].auth));
		json_object_object_add(e, "description",
		    json_object_new_string(rt[i].description));
		json_object_array_add(arr, e);
	}
	return arr;
}

static enum tr_err
handle(struct tr_req *r)
{
	struct json_object	*o;
	enum tr_err		 er;

	o = json_object_new_object();
	json_object_object_add(o, "service", json_object_new_string(TR_SERVICE));
	json_object_object_add(o, "version", json_object_new_string(TR_VERSION));
	json_object_object_add(o, "description", json_object_new_string(
	    "Audio and video transcription, translation and documents; "
	    "FastCGI programs behind lighttpd or Apache"));
	json_object_object_add(o, "endpoints",
	    list(routes, sizeof(routes) / sizeof(routes[0])));
	json_object_object_add(o, "streaming",
	    list(live, sizeof(live) / sizeof(live[0])));
	json_object_object_add(o, "documentation", json_object_new_string(
	    "README.md (the API, with curl examples) and INSTALL of the "
	    "source distribution; every error body says what to send "
	    "instead"));
	er = tr_reply_json(r, 200, o);
	json_object_put(o);
	return er;
}

static const struct tr_endpoint ep = {
	.path = "/", .methods = TR_GET, .auth = TR_AUTH_NONE,
	.handler = handle, .catchall = 1,
};

int
main(void)
{
	return tr_serve(&ep);
}
