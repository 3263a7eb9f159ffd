/*
 * Production safety (SPEC section 3): with APP_ENV=production the
 * programs refuse settings that the seed shipped as insecure defaults,
 * say which one on stderr, and answer 503 to clients until fixed.  An
 * APP_ENV that names no known environment ("prod", "production ") is
 * refused the same way: guessing would run it as development, with
 * default secrets and any origin.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tr.h"

#define MIN_SECRET	32

/* The environments APP_ENV may name; the first is the one checked. */
static const char *const envs[] = { "production", "development", "test" };

static const char *
app_env(void)
{
	const char	*env = tr_conf("APP_ENV");

	return env != NULL ? env : tr_conf("FLASK_ENV");
}

int
tr_conf_production(void)
{
	const char	*env = app_env();

	return env != NULL && strcasecmp(env, envs[0]) == 0;
}

/* Is APP_ENV unset or one of envs[]? */
static int
known_env(void)
{
	const char	*env = app_env();
	size_t		 i;

	if (env == NULL)
		return 1;
	for (i = 0; i < sizeof(envs) / sizeof(envs[0]); i++)
		if (strcasecmp(env, envs[i]) == 0)
			return 1;
	return 0;
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
 * Returns a description of the first unsafe setting in production (or
 * of an unknown APP_ENV), or NULL when the settings are safe (or this is
 * not production).  The description names the setting, never its value.
 */
const char *
tr_conf_unsafe(void)
{
	static char	 msg[128];
	const char	*why, *cors, *name = "CORS_ORIGINS";

	if (!known_env())
		return "APP_ENV is not one of production, development, test";
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
