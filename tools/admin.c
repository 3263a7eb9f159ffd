/*
 * trapi-admin: accounts from the shell.
 *
 *   trapi-admin create-user EMAIL [-p password] [-P plan] [-a]
 *   trapi-admin create-key EMAIL [-n name] [-d days]
 *   trapi-admin bootstrap EMAIL
 *
 * bootstrap creates EMAIL as an enterprise admin with a random password
 * and an API key, only if the database has no user yet, and prints
 * both once; "make run" calls it on first start.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tr.h"

static void
usage(void)
{
	fprintf(stderr, "usage: trapi-admin create-user EMAIL [-p password] "
	    "[-P plan] [-a]\n"
	    "       trapi-admin create-key EMAIL [-n name] [-d days]\n"
	    "       trapi-admin bootstrap EMAIL\n");
	exit(2);
}

static long long
create_user(const char *email, const char *pw, const char *plan, int admin)
{
	PGresult	*res = NULL;
	char		*hash = NULL;
	const char	*weak;
	long long	 uid;
	enum tr_err	 er;

	if ((weak = tr_password_weak(pw)) != NULL)
		errx(1, "%s", weak);
	if (tr_password_hash(pw, &hash) != TR_OK)
		errx(1, "cannot hash the password");
	er = tr_db_queryv(tr_db_get(), &res, "INSERT INTO users (email,"
	    " password_hash, plan, is_admin) VALUES ($1, $2, $3, $4)"
	    " RETURNING id", 4, email, hash, plan, admin ? "t" : "f");
	free(hash);
	if (er == TR_ECONFLICT)
		errx(1, "%s already has an account", email);
	if (er != TR_OK)
		errx(1, "cannot create the user: %s", tr_db_errmsg(tr_db_get()));
	if (tr_db_col_ll(res, 0, "id", &uid) != TR_OK)
		errx(1, "the new user has no id");
	PQclear(res);
	return uid;
}

static long long
user_id(const char *email)
{
	PGresult	*res = NULL;
	long long	 uid;

	if (tr_db_queryv(tr_db_get(), &res, "SELECT id FROM users WHERE"
	    " lower(email) = lower($1) AND deleted_at IS NULL", 1, email) != TR_OK)
		errx(1, "database: %s", tr_db_errmsg(tr_db_get()));
	if (PQntuples(res) != 1)
		errx(1, "no user %s", email);
	if (tr_db_col_ll(res, 0, "id", &uid) != TR_OK)
		errx(1, "user %s has no id", email);
	PQclear(res);
	return uid;
}

static const char *
create_key(long long uid, const char *name, long long days)
{
	static char		 key[128];
	struct json_object	*o = NULL;

	if (tr_account_key_new(uid, name, days, &o) != TR_OK)
		errx(1, "cannot create the key: %s", tr_db_errmsg(tr_db_get()));
	snprintf(key, sizeof(key), "%s", tr_json_str(o, "api_key"));
	json_object_put(o);
	return key;
}

int
main(int argc, char *argv[])
{
	const char	*cmd, *email, *pw = NULL, *plan = "free", *name = "default";
	char		*gen = NULL;
	PGresult	*res = NULL;
	long long	 days = 0, uid, users;
	int		 ch, admin = 0;

	tr_log_init("trapi-admin");
	if (argc < 3)
		usage();
	cmd = argv[1];
	email = argv[2];
	optind = 3;
	while ((ch = getopt(argc, argv, "p:P:an:d:")) != -1)
		switch (ch) {
		case 'p': pw = optarg; break;
		case 'P': plan = optarg; break;
		case 'a': admin = 1; break;
		case 'n': name = optarg; break;
		case 'd':
			if (tr_parse_ll(optarg, 0, 36500, &days) != TR_OK)
				errx(1, "-d: days from 0 to 36500");
			break;
		default: usage();
		}
	if (tr_conf_load() != TR_OK)
		errx(1, "configuration failed to load");
	if (strcmp(cmd, "create-user") == 0) {
		if (pw == NULL) {
			if (tr_token_new("p1", 12, &gen) != TR_OK)
				errx(1, "no randomness");
			pw = gen;
		}
		uid = create_user(email, pw, plan, admin);
		printf("user %lld: %s\n", uid, email);
		if (gen != NULL)
			printf("password: %s\n", gen);
	} else if (strcmp(cmd, "create-key") == 0) {
		printf("%s\n", create_key(user_id(email), name, days));
	} else if (strcmp(cmd, "bootstrap") == 0) {
		if (tr_db_queryv(tr_db_get(), &res, "SELECT count(*) AS users"
		    " FROM users", 0) != TR_OK)
			errx(1, "database: %s", tr_db_errmsg(tr_db_get()));
		if (tr_db_col_ll(res, 0, "users", &users) != TR_OK)
			errx(1, "cannot count the users");
		if (users != 0) {
			PQclear(res);
			tr_db_close();
			tr_conf_free();
			return 0;
		}
		PQclear(res);
		if (tr_token_new("p1", 12, &gen) != TR_OK)
			errx(1, "no randomness");
		uid = create_user(email, gen, "enterprise", 1);
		printf("admin user:     %s\n", email);
		printf("admin password: %s\n", gen);
		printf("admin API key:  %s\n", create_key(uid, "bootstrap", 0));
		printf("(shown once: the database keeps only their hashes)\n");
	} else
		usage();
	if (gen != NULL) {
		tr_wipe(gen, strlen(gen));
		free(gen);
	}
	tr_db_close();
	tr_conf_free();
	return 0;
}
