/*
 * lib/core/db.c: an unreachable server is TR_EDBDOWN quickly; columns
 * are read by name, and a missing column, SQL NULL where a number is
 * wanted or a value that does not parse is TR_EDB with a log line that
 * names the column (tried on a result made by hand, with no server).
 * With TEST_DATABASE_URL set (the end-to-end suite sets it), parameters
 * are never spliced into SQL, errors map to codes, a connection killed
 * between queries is re-opened transparently, and the readers take
 * what the server really sends.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"
#include "t.h"

static FILE	*heard_file;
static int	 heard_saved = -1;

/*
 * Sends the log (stderr) to a file until heard() returns what it got;
 * checks wait until then, or their message would go there too.
 */
static void
listen_log(void)
{
	T((heard_file = tmpfile()) != NULL);
	T((heard_saved = dup(STDERR_FILENO)) != -1);
	T(dup2(fileno(heard_file), STDERR_FILENO) != -1);
}

static const char *
heard(void)
{
	static char	 text[2048];
	size_t		 n;

	T(dup2(heard_saved, STDERR_FILENO) != -1);
	close(heard_saved);
	rewind(heard_file);
	n = fread(text, 1, sizeof(text) - 1, heard_file);
	text[n] = '\0';
	fclose(heard_file);
	return text;
}

/*
 * A result made by hand: columns n (int8), x (float8), b (bool), s
 * (text); row 0 good values, row 1 all NULL, row 2 values that do not
 * parse.
 */
static PGresult *
handmade(void)
{
	static const char *const rows[3][4] = {
		{ "-9223372036854775808", "1e+20", "t", "hello" },
		{ NULL, NULL, NULL, NULL },
		{ "12abc", "NaN", "yes", "" },
	};
	PGresAttDesc	 att[4];
	PGresult	*res;
	int		 i, j;

	memset(att, 0, sizeof(att));
	att[0].name = (char *)"n";
	att[1].name = (char *)"x";
	att[2].name = (char *)"b";
	att[3].name = (char *)"s";
	T((res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK)) != NULL);
	T(PQsetResultAttrs(res, 4, att));
	for (i = 0; i < 3; i++)
		for (j = 0; j < 4; j++)
			T(PQsetvalue(res, i, j, (char *)rows[i][j],
			    rows[i][j] != NULL ? (int)strlen(rows[i][j]) : -1));
	return res;
}

static void
columns(void)
{
	PGresult	*res = handmade();
	const char	*s, *log;
	long long	 n;
	double		 x;
	int		 b, k;
	enum tr_err	 er[7];

	/* Good values. */
	T(tr_db_col_ll(res, 0, "n", &n) == TR_OK);
	T(n == LLONG_MIN);
	T(tr_db_col_double(res, 0, "x", &x) == TR_OK);
	T(x == 1e20);
	T(tr_db_col_bool(res, 0, "b", &b) == TR_OK);
	T(b == 1);
	T(tr_db_col_str(res, 0, "s", &s) == TR_OK);
	T_STREQ(s, "hello");
	T(tr_db_col_str(res, 2, "s", &s) == TR_OK);
	T_STREQ(s, "");

	/* SQL NULL: a NULL string, an error for the rest. */
	s = "unchanged";
	T(tr_db_col_str(res, 1, "s", &s) == TR_OK);
	T(s == NULL);
	n = 7;
	listen_log();
	er[0] = tr_db_col_ll(res, 1, "n", &n);
	er[1] = tr_db_col_double(res, 1, "x", &x);
	er[2] = tr_db_col_bool(res, 1, "b", &b);
	log = heard();
	for (k = 0; k < 3; k++)
		T(er[k] == TR_EDB);
	T(n == 7);
	T(strstr(log, "column n is NULL") != NULL);
	T(strstr(log, "column x is NULL") != NULL);
	T(strstr(log, "column b is NULL") != NULL);

	/* A column the query did not name, a row past the end. */
	listen_log();
	er[0] = tr_db_col_ll(res, 0, "nosuch", &n);
	er[1] = tr_db_col_double(res, 0, "nosuch", &x);
	er[2] = tr_db_col_bool(res, 0, "nosuch", &b);
	er[3] = tr_db_col_str(res, 0, "nosuch", &s);
	er[4] = tr_db_col_ll(res, 3, "n", &n);
	er[5] = tr_db_col_ll(res, -1, "n", &n);
	er[6] = tr_db_col_ll(NULL, 0, "n", &n);
	log = heard();
	for (k = 0; k < 7; k++)
		T(er[k] == TR_EDB);
	T(n == 7);
	T(strstr(log, "no column nosuch") != NULL);
	T(strstr(log, "no row 3 for column n") != NULL);

	/* Values that do not parse: the column and the value are logged. */
	listen_log();
	er[0] = tr_db_col_ll(res, 2, "n", &n);
	er[1] = tr_db_col_double(res, 2, "x", &x);
	er[2] = tr_db_col_bool(res, 2, "b", &b);
	log = heard();
	for (k = 0; k < 3; k++)
		T(er[k] == TR_EDB);
	T(n == 7);
	T(strstr(log, "column n is \"12abc\", not an integer") != NULL);
	T(strstr(log, "column x is \"NaN\", not a number") != NULL);
	T(strstr(log, "column b is \"yes\", not a boolean") != NULL);
	PQclear(res);
}

static void
offline(void)
{
	struct tr_db	*db;
	time_t		 t0 = time(NULL);

	T(setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none", 1) == 0);
	T(setenv("DB_CONNECT_TIMEOUT", "2", 1) == 0);
	db = tr_db_get();
	T(db == tr_db_get());
	T(tr_db_ping(db, 0) == TR_EDBDOWN);
	T(strstr(tr_db_errmsg(db), "connect") != NULL);
	T(time(NULL) - t0 < 10);
	T(tr_db_queryv(db, NULL, "SELECT 1", 33) == TR_ESYSTEM);
	T(tr_db_queryv(db, NULL, "SELECT 1", -1) == TR_ESYSTEM);
	tr_db_close();
}

static void
online(const char *url)
{
	struct tr_db	*db;
	PGresult	*res = NULL;
	const char	*evil = "x'); DROP TABLE t; --";

	T(setenv("DATABASE_URL", url, 1) == 0);
	db = tr_db_get();
	T(tr_db_ping(db, 0) == TR_OK);
	T(tr_db_queryv(db, NULL, "CREATE TEMP TABLE t (k text UNIQUE)", 0) == TR_OK);
	T(tr_db_queryv(db, NULL, "INSERT INTO t VALUES ($1)", 1, evil) == TR_OK);
	T(tr_db_queryv(db, &res, "SELECT k FROM t WHERE k = $1", 1, evil) == TR_OK);
	T(PQntuples(res) == 1);
	T_STREQ(PQgetvalue(res, 0, 0), evil);
	PQclear(res);
	T(tr_db_queryv(db, NULL, "INSERT INTO t VALUES ($1)", 1, evil) ==
	    TR_ECONFLICT);
	T(tr_db_queryv(db, NULL, "SELEC 1", 0) == TR_EDB);
	T(strstr(tr_db_errmsg(db), "syntax error") != NULL);
	T(tr_db_queryv(db, &res, "SELECT $1::text IS NULL", 1, NULL) == TR_OK);
	T_STREQ(PQgetvalue(res, 0, 0), "t");
	PQclear(res);

	/* The server drops the connection between two requests. */
	T(tr_db_queryv(db, NULL, "SELECT pg_terminate_backend(pg_backend_pid())",
	    0) != TR_OK);
	T(tr_db_queryv(db, &res, "SELECT 41 + 1", 0) == TR_OK);
	T_STREQ(PQgetvalue(res, 0, 0), "42");
	PQclear(res);
	tr_db_close();
}

/* What the backend of db last ran, as another connection sees it. */
static char *
last_query(PGconn *other, struct tr_db *db)
{
	PGresult	*res;
	char		 pid[16], *q;
	const char	*params[1] = { pid };

	snprintf(pid, sizeof(pid), "%d", PQbackendPID(tr_db_conn(db)));
	res = PQexecParams(other, "SELECT query FROM pg_stat_activity WHERE"
	    " pid = $1::int", 1, NULL, params, NULL, NULL, 0);
	T(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1);
	q = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return q;
}

/*
 * A ping within its age after a success makes no round trip; one after
 * the server ended the backend sees it, and connects again.
 */
static void
online_ping(const char *url)
{
	struct tr_db	*db;
	PGconn		*other;
	char		*q;
	int		 pid;

	T(setenv("DATABASE_URL", url, 1) == 0);
	db = tr_db_get();
	other = PQconnectdb(url);
	T(PQstatus(other) == CONNECTION_OK);
	T(tr_db_queryv(db, NULL, "SELECT 'marker'", 0) == TR_OK);
	T(tr_db_ping(db, 60000) == TR_OK);
	T_STREQ((q = last_query(other, db)), "SELECT 'marker'");
	free(q);
	T(tr_db_ping(db, 0) == TR_OK);
	T_STREQ((q = last_query(other, db)), "SELECT 1");
	free(q);
	pid = PQbackendPID(tr_db_conn(db));
	{
		char		 p[16];
		const char	*params[1] = { p };
		PGresult	*res;

		snprintf(p, sizeof(p), "%d", pid);
		res = PQexecParams(other, "SELECT pg_terminate_backend($1::int,"
		    " 5000)", 1, NULL, params, NULL, NULL, 0);
		T(PQresultStatus(res) == PGRES_TUPLES_OK);
		PQclear(res);
	}
	T(tr_db_ping(db, 60000) == TR_OK);
	T(PQbackendPID(tr_db_conn(db)) != pid);
	PQfinish(other);
	tr_db_close();
}

/* The readers on what the server sends for each type. */
static void
online_columns(const char *url)
{
	struct tr_db	*db;
	PGresult	*res = NULL;
	const char	*s, *log;
	long long	 n;
	double		 x;
	int		 b, k;
	enum tr_err	 er[4];

	T(setenv("DATABASE_URL", url, 1) == 0);
	db = tr_db_get();
	T(tr_db_queryv(db, &res, "SELECT 9007199254740993::bigint AS n,"
	    " 0.1::float8 AS x, 1e300::float8 AS big, 12.3400::numeric(14, 4)"
	    "::float8 AS minutes, false AS b, now() > now() - interval '1 s'"
	    " AS later, 'hi'::text AS s, NULL::text AS z, NULL::bigint AS nn,"
	    " " TR_SQL_ISOTIME("at") " FROM (SELECT timestamptz"
	    " '2024-05-01 14:00:00+02' AS at) t", 0) == TR_OK);
	T(tr_db_col_ll(res, 0, "n", &n) == TR_OK);
	T(n == 9007199254740993LL);
	T(tr_db_col_double(res, 0, "x", &x) == TR_OK);
	T(x == 0.1);
	T(tr_db_col_double(res, 0, "big", &x) == TR_OK);
	T(x == 1e300);
	T(tr_db_col_double(res, 0, "minutes", &x) == TR_OK);
	T(x == 12.34);
	T(tr_db_col_bool(res, 0, "b", &b) == TR_OK);
	T(b == 0);
	T(tr_db_col_bool(res, 0, "later", &b) == TR_OK);
	T(b == 1);
	T(tr_db_col_str(res, 0, "s", &s) == TR_OK);
	T_STREQ(s, "hi");
	T(tr_db_col_str(res, 0, "z", &s) == TR_OK);
	T(s == NULL);
	T(tr_db_col_str(res, 0, "at", &s) == TR_OK);
	T_STREQ(s, "2024-05-01T12:00:00Z");
	listen_log();
	er[0] = tr_db_col_ll(res, 0, "nn", &n);
	er[1] = tr_db_col_ll(res, 0, "s", &n);
	er[2] = tr_db_col_bool(res, 0, "n", &b);
	er[3] = tr_db_col_str(res, 0, "?column?", &s);
	log = heard();
	for (k = 0; k < 4; k++)
		T(er[k] == TR_EDB);
	T(strstr(log, "column s is \"hi\", not an integer") != NULL);
	PQclear(res);
	tr_db_close();
}

int
main(void)
{
	const char	*url = getenv("TEST_DATABASE_URL");

	T(setenv("APP_CONFIG", "", 1) == 0);
	T(tr_conf_load() == TR_OK);
	offline();
	columns();
	if (url != NULL && *url != '\0') {
		online(url);
		online_ping(url);
		online_columns(url);
	} else
		fprintf(stderr, "test_db: TEST_DATABASE_URL unset; "
		    "only the offline cases ran\n");
	tr_conf_free();
	return 0;
}
