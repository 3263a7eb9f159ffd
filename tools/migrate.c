/*
 * trapi-migrate: applies the pending numbered migrations of sql/ in
 * order, each in its own transaction together with its row in
 * schema_migrations, so that a failing migration leaves the schema as it
 * was and running twice changes nothing.  An advisory lock keeps two
 * migrators from racing.
 *
 * usage: trapi-migrate [-n] [-d sqldir]
 */
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tr.h"

#ifndef SQLDIR
#define SQLDIR	"/usr/local/share/trapi/sql"
#endif
#define MAXFILES	1000
#define MAXSQL		(4 * 1024 * 1024)
#define LOCKID		"7263001"

static const char	*bootstrap =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version text PRIMARY KEY,"
    " name text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

/* A migration file name: four digits, "_", [a-z0-9_]+, ".sql". */
static int
migname(const char *s)
{
	size_t	 i, n = strlen(s);

	if (n < 10 || strcmp(s + n - 4, ".sql") != 0 || s[4] != '_')
		return 0;
	for (i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	for (i = 5; i < n - 4; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
slurp(const char *dir, const char *name, size_t *lenp)
{
	struct tr_buf	 b;
	char		 path[2 * PATH_MAX], chunk[8192];
	ssize_t		 n;
	int		 fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		err(1, "%s", path);
	tr_buf_init(&b, MAXSQL);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (tr_buf_add(&b, chunk, (size_t)n) != TR_OK)
			errx(1, "%s: too large", path);
	if (n < 0)
		err(1, "%s", path);
	close(fd);
	return tr_buf_take(&b, lenp);
}

static void
sha256hex(const char *p, size_t n, char out[65])
{
	unsigned char	 md[32];
	unsigned int	 mdlen = sizeof(md);

	if (!EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL))
		errx(1, "sha256 failed");
	tr_hex(md, 32, out);
}

/* Runs a statement that returns no rows we need; dies on error. */
static int
exec_ok(PGconn *c, const char *sql)
{
	PGresult	*r = PQexec(c, sql);
	int		 ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
			    PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "trapi-migrate: %s", PQresultErrorMessage(r));
	PQclear(r);
	return ok;
}

static const char *
default_dir(const char *argv0)
{
	static char	 buf[PATH_MAX + 64];
	char		 self[PATH_MAX];
	ssize_t		 n;
	struct stat	 st;
	const char	*s;

	if ((s = tr_conf("SQL_DIR")) != NULL)
		return s;
	/* An installed tool finds ../share/trapi/sql beside itself. */
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		snprintf(buf, sizeof(buf), "%s/../share/trapi/sql",
		    dirname(self));
		if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
			return buf;
	}
	(void)argv0;
	return SQLDIR;
}

int
main(int argc, char *argv[])
{
	const char	*dir = NULL, *params[3], *have;
	char		*files[MAXFILES], *sql, sum[65], version[5];
	struct dirent	*de;
	DIR		*d;
	PGconn		*c;
	PGresult	*r;
	size_t		 nfiles = 0, i, len;
	int		 ch, dry = 0, applied = 0;

	tr_log_init("trapi-migrate");
	while ((ch = getopt(argc, argv, "d:n")) != -1)
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'n':
			dry = 1;
			break;
		default:
			fprintf(stderr, "usage: trapi-migrate [-n] [-d sqldir]\n");
			return 2;
		}
	if (tr_conf_load() != TR_OK)
		errx(1, "configuration failed to load");
	if (dir == NULL)
		dir = default_dir(argv[0]);
	if ((d = opendir(dir)) == NULL)
		err(1, "%s", dir);
	while ((de = readdir(d)) != NULL)
		if (migname(de->d_name)) {
			if (nfiles == MAXFILES)
				errx(1, "%s: too many migrations", dir);
			files[nfiles++] = tr_xstrdup(de->d_name);
		}
	closedir(d);
	qsort(files, nfiles, sizeof(files[0]), cmp);
	for (i = 1; i < nfiles; i++)
		if (strncmp(files[i - 1], files[i], 4) == 0)
			errx(1, "%s and %s share a version number",
			    files[i - 1], files[i]);

	if ((c = tr_db_conn(tr_db_get())) == NULL)
		errx(1, "database unreachable: %s", tr_db_errmsg(tr_db_get()));
	PQsetNoticeProcessor(c, NULL, NULL);
	if (!exec_ok(c, bootstrap))
		errx(1, "cannot create schema_migrations");

	for (i = 0; i < nfiles; i++) {
		memcpy(version, files[i], 4);
		version[4] = '\0';
		sql = slurp(dir, files[i], &len);
		sha256hex(sql, len, sum);
		if (!exec_ok(c, "BEGIN") ||
		    !exec_ok(c, "SELECT pg_advisory_xact_lock(" LOCKID ")"))
			errx(1, "cannot start a transaction");
		params[0] = version;
		r = PQexecParams(c, "SELECT checksum FROM schema_migrations "
		    "WHERE version = $1", 1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			errx(1, "%s", PQresultErrorMessage(r));
		if (PQntuples(r) > 0) {
			if (tr_db_col_str(r, 0, "checksum", &have) != TR_OK)
				errx(1, "schema_migrations has no checksum");
			if (have == NULL || strcmp(have, sum) != 0)
				warnx("%s was changed after it was applied; "
				    "write a new migration instead", files[i]);
			PQclear(r);
			free(sql);
			(void)exec_ok(c, "ROLLBACK");
			continue;
		}
		PQclear(r);
		if (dry) {
			printf("pending %s\n", files[i]);
			free(sql);
			(void)exec_ok(c, "ROLLBACK");
			continue;
		}
		/* The file is trusted code from the release, not input:
		 * it may hold several statements, hence PQexec. */
		if (!exec_ok(c, sql)) {
			(void)exec_ok(c, "ROLLBACK");
			errx(1, "migration %s failed; nothing of it was "
			    "applied", files[i]);
		}
		params[1] = files[i];
		params[2] = sum;
		r = PQexecParams(c, "INSERT INTO schema_migrations "
		    "(version, name, checksum) VALUES ($1, $2, $3)", 3, NULL,
		    params, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			fprintf(stderr, "trapi-migrate: %s",
			    PQresultErrorMessage(r));
			PQclear(r);
			(void)exec_ok(c, "ROLLBACK");
			errx(1, "migration %s not recorded", files[i]);
		}
		PQclear(r);
		if (!exec_ok(c, "COMMIT"))
			errx(1, "migration %s: commit failed", files[i]);
		printf("applied %s\n", files[i]);
		applied++;
		free(sql);
	}
	if (applied == 0 && !dry)
		printf("schema up to date (%zu migrations)\n", nfiles);
	for (i = 0; i < nfiles; i++)
		free(files[i]);
	tr_db_close();
	tr_conf_free();
	return 0;
}
