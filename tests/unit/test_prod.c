/*
 * Unit tests of lib/core/prod.c: what counts as production, and which
 * settings it refuses, named without their values.  The settings come
 * from the environment over an empty config file, then over a file.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tr.h"
#include "t.h"

#define JWT_SAFE	"jwt-7f3a9c1e5b2d4f6081a3c5e7092b4d6f"
#define SECRET_SAFE	"sec-0c1d2e3f405162738495a6b7c8d9eafb"
#define JWT_DEFAULT	"your-jwt-secret-key-change-in-production"
#define SECRET_DEFAULT	"your-secret-key-change-in-production"

static const char *const vars[] = {
	"APP_ENV", "FLASK_ENV", "JWT_SECRET_KEY", "SECRET_KEY",
	"ALLOW_INSECURE_SESSION_AUTH", "CORS_ORIGINS", "ALLOWED_ORIGINS",
};

/* The safe production settings every case starts from. */
static const char *const safe[] = {
	"APP_ENV", "production",
	"JWT_SECRET_KEY", JWT_SAFE,
	"SECRET_KEY", SECRET_SAFE,
	"CORS_ORIGINS", "https://app.example.com,https://admin.example.com",
};

/*
 * Changes to the safe settings ("name", "value"; a NULL value unsets),
 * and the message expected: NULL for none, else a text it contains.
 */
static const struct {
	const char	*set[6];
	const char	*want;
} cases[] = {
	{ { NULL }, NULL },
	/* not production */
	{ { "APP_ENV", NULL }, NULL },
	{ { "APP_ENV", "" }, NULL },
	{ { "APP_ENV", "development" }, NULL },
	/* an environment that is none of the known ones is refused */
	{ { "APP_ENV", "staging" }, "APP_ENV is not one of" },
	{ { "APP_ENV", "production " }, "APP_ENV is not one of" },
	{ { "APP_ENV", "prod" }, "APP_ENV is not one of" },
	{ { "APP_ENV", NULL, "FLASK_ENV", "prod" }, "APP_ENV is not one of" },
	{ { "APP_ENV", "test", "JWT_SECRET_KEY", NULL }, NULL },
	{ { "APP_ENV", "development", "FLASK_ENV", "production" }, NULL },
	{ { "APP_ENV", "development", "JWT_SECRET_KEY", NULL }, NULL },
	{ { "APP_ENV", NULL, "FLASK_ENV", "development",
	    "JWT_SECRET_KEY", JWT_DEFAULT }, NULL },
	/* production, spelt either way */
	{ { "APP_ENV", "PRODUCTION" }, NULL },
	{ { "APP_ENV", "Production", "JWT_SECRET_KEY", NULL },
	  "JWT_SECRET_KEY" },
	{ { "APP_ENV", NULL, "FLASK_ENV", "production" }, NULL },
	{ { "APP_ENV", NULL, "FLASK_ENV", "production",
	    "JWT_SECRET_KEY", NULL }, "JWT_SECRET_KEY is missing" },
	{ { "APP_ENV", "", "FLASK_ENV", "production",
	    "SECRET_KEY", SECRET_DEFAULT }, "SECRET_KEY is a default value" },
	/* JWT_SECRET_KEY */
	{ { "JWT_SECRET_KEY", NULL }, "JWT_SECRET_KEY is missing" },
	{ { "JWT_SECRET_KEY", "" }, "JWT_SECRET_KEY is missing" },
	{ { "JWT_SECRET_KEY", JWT_DEFAULT },
	  "JWT_SECRET_KEY is a default value" },
	{ { "JWT_SECRET_KEY", "your-own-jwt-secret-that-is-long-enough-9" },
	  "JWT_SECRET_KEY is a default value" },
	{ { "JWT_SECRET_KEY", "changeme" },
	  "JWT_SECRET_KEY is a default value" },
	{ { "JWT_SECRET_KEY", "ChangeMe" },
	  "JWT_SECRET_KEY is a default value" },
	{ { "JWT_SECRET_KEY", "secret" },
	  "JWT_SECRET_KEY is a default value" },
	{ { "JWT_SECRET_KEY", "short-jwt-secret" },
	  "JWT_SECRET_KEY is shorter than 32 characters" },
	{ { "JWT_SECRET_KEY", "a" },
	  "JWT_SECRET_KEY is shorter than 32 characters" },
	{ { "JWT_SECRET_KEY", "0123456789abcdef0123456789abcde" },
	  "JWT_SECRET_KEY is shorter than 32 characters" },
	{ { "JWT_SECRET_KEY", "0123456789abcdef0123456789abcdef" }, NULL },
	/* JWT_SECRET_KEY is reported first */
	{ { "JWT_SECRET_KEY", NULL, "SECRET_KEY", NULL,
	    "CORS_ORIGINS", "*" }, "JWT_SECRET_KEY" },
	/* SECRET_KEY */
	{ { "SECRET_KEY", NULL }, "SECRET_KEY is missing" },
	{ { "SECRET_KEY", "" }, "SECRET_KEY is missing" },
	{ { "SECRET_KEY", SECRET_DEFAULT }, "SECRET_KEY is a default value" },
	{ { "SECRET_KEY", "SECRET" }, "SECRET_KEY is a default value" },
	{ { "SECRET_KEY", "tiny-flask-secret" },
	  "SECRET_KEY is shorter than 32 characters" },
	{ { "SECRET_KEY", "fedcba9876543210fedcba9876543210" }, NULL },
	/* session auth */
	{ { "ALLOW_INSECURE_SESSION_AUTH", "true" },
	  "ALLOW_INSECURE_SESSION_AUTH" },
	{ { "ALLOW_INSECURE_SESSION_AUTH", "1" },
	  "ALLOW_INSECURE_SESSION_AUTH" },
	{ { "ALLOW_INSECURE_SESSION_AUTH", "yes" },
	  "ALLOW_INSECURE_SESSION_AUTH" },
	{ { "ALLOW_INSECURE_SESSION_AUTH", "false" }, NULL },
	{ { "ALLOW_INSECURE_SESSION_AUTH", "0" }, NULL },
	{ { "ALLOW_INSECURE_SESSION_AUTH", "" }, NULL },
	/* CORS */
	{ { "CORS_ORIGINS", "*" }, "CORS_ORIGINS" },
	{ { "CORS_ORIGINS", "https://app.example.com,*" }, "CORS_ORIGINS" },
	{ { "CORS_ORIGINS", " * " }, "CORS_ORIGINS" },
	{ { "CORS_ORIGINS", NULL }, NULL },
	{ { "CORS_ORIGINS", NULL, "ALLOWED_ORIGINS", "*" },
	  "ALLOWED_ORIGINS" },
	{ { "CORS_ORIGINS", "", "ALLOWED_ORIGINS", "https://a.example,*" },
	  "ALLOWED_ORIGINS" },
	{ { "CORS_ORIGINS", NULL, "ALLOWED_ORIGINS", "https://a.example" },
	  NULL },
	{ { "ALLOWED_ORIGINS", "*" }, NULL },	/* CORS_ORIGINS wins */
};

static void
unset_all(void)
{
	size_t	 i;

	for (i = 0; i < T_NELEM(vars); i++)
		T(unsetenv(vars[i]) == 0);
}

static void
setvar(const char *name, const char *val)
{
	if (val == NULL)
		T(unsetenv(name) == 0);
	else
		T(setenv(name, val, 1) == 0);
}

/*
 * The message must not hold the value of any secret that is set (of 8
 * characters or more: "a" or "SECRET" are in any message).
 */
static void
no_secrets(const char *msg)
{
	static const char *const secrets[] = {
		"JWT_SECRET_KEY", "SECRET_KEY",
	};
	const char	*v;
	size_t		 i;

	for (i = 0; i < T_NELEM(secrets); i++)
		if ((v = getenv(secrets[i])) != NULL && strlen(v) >= 8 &&
		    strstr(msg, v) != NULL) {
			fprintf(stderr, "\"%s\" shows %s\n", msg, secrets[i]);
			T(0);
		}
}

static void
test_env(void)
{
	const char	*msg;
	size_t		 i, j;

	/* Nothing set: not production, nothing unsafe. */
	unset_all();
	T(tr_conf_load() == TR_OK);
	T(tr_conf_production() == 0);
	T(tr_conf_unsafe() == NULL);

	/* Insecure as can be, but not production. */
	setvar("JWT_SECRET_KEY", JWT_DEFAULT);
	setvar("SECRET_KEY", SECRET_DEFAULT);
	setvar("ALLOW_INSECURE_SESSION_AUTH", "true");
	setvar("CORS_ORIGINS", "*");
	T(tr_conf_load() == TR_OK);
	T(tr_conf_production() == 0);
	T(tr_conf_unsafe() == NULL);

	for (i = 0; i < T_NELEM(cases); i++) {
		unset_all();
		for (j = 0; j < T_NELEM(safe); j += 2)
			setvar(safe[j], safe[j + 1]);
		for (j = 0; j < T_NELEM(cases[i].set) &&
		    cases[i].set[j] != NULL; j += 2)
			setvar(cases[i].set[j], cases[i].set[j + 1]);
		T(tr_conf_load() == TR_OK);
		msg = tr_conf_unsafe();
		if (cases[i].want == NULL ? msg != NULL : msg == NULL ||
		    strstr(msg, cases[i].want) == NULL) {
			fprintf(stderr, "case %zu: \"%s\", want \"%s\"\n", i,
			    msg != NULL ? msg : "(null)",
			    cases[i].want != NULL ? cases[i].want : "(null)");
			T(0);
		}
		if (msg != NULL) {
			T(tr_conf_production() == 1 ||
			    strstr(msg, "APP_ENV") != NULL);
			no_secrets(msg);
			T(strstr(msg, JWT_DEFAULT) == NULL);
			T(strstr(msg, SECRET_DEFAULT) == NULL);
			T(strstr(msg, "changeme") == NULL);
			T(strstr(msg, "ChangeMe") == NULL);
		}
		tr_conf_free();
	}
	unset_all();
}

static char	 path[] = "/tmp/test_prod.XXXXXX";

static void
writeconf(const char *text)
{
	int	 fd;

	T((fd = open(path, O_WRONLY | O_TRUNC)) != -1);
	T(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	T(close(fd) == 0);
}

/* The file is read too; the environment wins unless empty. */
static void
test_file(void)
{
	const char	*msg;

	unset_all();
	writeconf("APP_ENV=production\n"
	    "JWT_SECRET_KEY=" JWT_DEFAULT "\n"
	    "SECRET_KEY=" SECRET_SAFE "\n"
	    "CORS_ORIGINS=https://app.example.com\n");
	T(tr_conf_load() == TR_OK);
	T(tr_conf_production() == 1);
	T((msg = tr_conf_unsafe()) != NULL);
	T_STREQ(msg, "JWT_SECRET_KEY is a default value");

	/* The environment overrides the file's secret... */
	setvar("JWT_SECRET_KEY", JWT_SAFE);
	T(tr_conf_unsafe() == NULL);
	/* ...unless it is empty. */
	setvar("JWT_SECRET_KEY", "");
	T((msg = tr_conf_unsafe()) != NULL);
	T(strstr(msg, "JWT_SECRET_KEY") != NULL);
	/* The environment can make it development. */
	setvar("APP_ENV", "development");
	T(tr_conf_production() == 0);
	T(tr_conf_unsafe() == NULL);
	unset_all();

	/* Unsafe settings from the file alone. */
	writeconf("FLASK_ENV=production\n"
	    "JWT_SECRET_KEY=" JWT_SAFE "\n"
	    "SECRET_KEY=" SECRET_SAFE "\n"
	    "ALLOW_INSECURE_SESSION_AUTH=on\n");
	T(tr_conf_load() == TR_OK);
	T((msg = tr_conf_unsafe()) != NULL);
	T(strstr(msg, "ALLOW_INSECURE_SESSION_AUTH") != NULL);
	setvar("ALLOW_INSECURE_SESSION_AUTH", "off");
	T(tr_conf_unsafe() == NULL);
	unset_all();

	writeconf("APP_ENV=production\n"
	    "JWT_SECRET_KEY=" JWT_SAFE "\n"
	    "SECRET_KEY=" SECRET_SAFE "\n"
	    "ALLOWED_ORIGINS=*\n");
	T(tr_conf_load() == TR_OK);
	T((msg = tr_conf_unsafe()) != NULL);
	T(strstr(msg, "ALLOWED_ORIGINS") != NULL);
	setvar("CORS_ORIGINS", "https://app.example.com");
	T(tr_conf_unsafe() == NULL);
	unset_all();

	writeconf("");
	tr_conf_free();
}

int
main(void)
{
	int	 fd;

	T((fd = mkstemp(path)) != -1);
	T(fchmod(fd, 0600) == 0);
	T(close(fd) == 0);
	T(setenv("APP_CONFIG", path, 1) == 0);
	T(unsetenv("LOG_LEVEL") == 0);

	test_env();
	test_file();

	T(unlink(path) == 0);
	T(unsetenv("APP_CONFIG") == 0);
	return 0;
}
