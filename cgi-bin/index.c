/*
 * GET /: service metadata and the list of endpoints.  It is also the
 * catch-all program: every path no other program claims comes here and
 * gets a JSON 404, and the web server sends its own errors here to be
 * answered in JSON (lighttpd error-handler, Apache ErrorDocument).
 */
#include "tr.h"

static const struct {
	const char	*path;
	const char	*methods;
	const char	*auth;
	const char	*description;
} routes[] = {
#include "routes.h"
};

static enum tr_err
handle(struct tr_req *r)
{
	struct json_object	*o, *list, *e;
	enum tr_err		 er;
	size_t			 i;

	o = json_object_new_object();
	json_object_object_add(o, "service", json_object_new_string(TR_SERVICE));
	json_object_object_add(o, "version", json_object_new_string(TR_VERSION));
	json_object_object_add(o, "description", json_object_new_string(
	    "Audio and video transcription, translation and documents; "
	    "FastCGI programs behind lighttpd or Apache"));
	list = json_object_new_array();
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		e = json_object_new_object();
		json_object_object_add(e, "path",
		    json_object_new_string(routes[i].path));
		json_object_object_add(e, "methods",
		    json_object_new_string(routes[i].methods));
		json_object_object_add(e, "auth",
		    json_object_new_string(routes[i].auth));
		json_object_object_add(e, "description",
		    json_object_new_string(routes[i].description));
		json_object_array_add(list, e);
	}
	json_object_object_add(o, "endpoints", list);
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
