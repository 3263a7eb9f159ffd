/*
 * Production safety (SPEC section 3): with APP_ENV=production the
 * programs refuse settings that the seed shipped as insecure defaults,
 * say which one on stderr, and answer 503 to clients until fixed.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tr.h"

#define MIN_SECRET	32

int
tr_conf_production(void)
{
	const char	*env = tr_conf("APP_ENV");

	if (env == NULL)
		env = tr_conf("FLASK_ENV");
	return env != NULL && strcasecmp(env, "production") == 0;
}

static const char *
weak_secret(const char *key, const char *seed_default)
{
	const char	*v = tr_conf(key);

	if (v == NULL)
		return "is missing";
	if (strcmp(v, seed_default) == 0 || strncmp(v, "your-", 5) == 0 ||
	    strcasecmp(v, "changeme") == 0 || strcasecmp(v, "secret") == 0)
		return "is a default value";
	if (strlen(v) < MIN_SECRET)
		return "is shorter than 32 characters";
	return NULL;
}

/*
 * Returns a description of the first unsafe setting in production, or
 * NULL when the settings are safe (or this is not production).  The
 * description names the setting, never its value.
 */
const char *
tr_conf_unsafe(void)
{
	static char	 msg[128];
	const char	*why, *cors, *name = "CORS_ORIGINS";

	if (!tr_conf_production())
		return NULL;
	if ((why = weak_secret("JWT_SECRET_KEY",
	    "your-jwt-secret-key-change-in-production")) != NULL) {
		snprintf(msg, sizeof(msg), "JWT_SECRET_KEY %s", why);
		return msg;
	}
	if ((why = weak_secret("SECRET_KEY",
	    "your-secret-key-change-in-production")) != NULL) {
		snprintf(msg, sizeof(msg), "SECRET_KEY %s", why);
		return msg;
	}
	if (tr_conf_bool("ALLOW_INSECURE_SESSION_AUTH", 0))
		return "ALLOW_INSECURE_SESSION_AUTH=true is not allowed";
	if ((cors = tr_conf(name)) == NULL)
		cors = tr_conf(name = "ALLOWED_ORIGINS");
	if (cors != NULL && strstr(cors, "*") != NULL) {
		snprintf(msg, sizeof(msg), "%s=* is not allowed; list the "
		    "origins", name);
		return msg;
	}
	return NULL;
}
