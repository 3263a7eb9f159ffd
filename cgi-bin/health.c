/* GET /health: the service's health, with database reachability. */
#include "tr.h"

static struct json_object *
status_body(const char *status, const char *db)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "service", json_object_new_string(TR_SERVICE));
	json_object_object_add(o, "version", json_object_new_string(TR_VERSION));
	json_object_object_add(o, "database", json_object_new_string(db));
	return o;
}

/*
 * How old a successful round trip may be to stand for the database's
 * health: a load balancer's or a monitor's flood of checks costs the
 * database one statement a second per process, and a server that shuts
 * down or drops the connection is still seen at once (db.c).
 */
#define HEALTH_DB_MAXAGE_MS	1000

/*
 * 200 with the seed's body while PostgreSQL answers; 503 with the same
 * fields and the standard error object while it does not.
 */
static enum tr_err
handle(struct tr_req *r)
{
	struct json_object	*o, *e, *err;
	enum tr_err		 er, wr;

	if ((er = tr_db_ping(tr_db_get(), HEALTH_DB_MAXAGE_MS)) == TR_OK) {
		o = status_body("healthy", "ok");
		wr = tr_reply_json(r, 200, o);
	} else {
		o = status_body("unhealthy", "unreachable");
		e = tr_err_body(TR_EDBDOWN, "the database is unavailable",
		    tr_request_id(r));
		if (json_object_object_get_ex(e, "error", &err))
			json_object_object_add(o, "error", json_object_get(err));
		json_object_put(e);
		wr = tr_reply_json(r, 503, o);
	}
	json_object_put(o);
	return wr;
}

static const struct tr_endpoint ep = {
	.path = "/health", .methods = TR_GET, .auth = TR_AUTH_NONE,
	.handler = handle,
};

int
main(void)
{
	return tr_serve(&ep);
}
