/*
 * lib/core/db.c: an unreachable server is TR_EDBDOWN quickly; with
 * TEST_DATABASE_URL set (the end-to-end suite sets it), parameters are
 * never spliced into SQL, errors map to codes, and a connection killed
 * between queries is re-opened transparently.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tr.h"
#include "t.h"

static void
offline(void)
{
	struct tr_db	*db;
	time_t		 t0 = time(NULL);

	T(setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none", 1) == 0);
	T(setenv("DB_CONNECT_TIMEOUT", "2", 1) == 0);
	db = tr_db_get();
	T(db == tr_db_get());
	T(tr_db_ping(db) == TR_EDBDOWN);
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
	T(tr_db_ping(db) == TR_OK);
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

int
main(void)
{
	const char	*url = getenv("TEST_DATABASE_URL");

	T(setenv("APP_CONFIG", "", 1) == 0);
	T(tr_conf_load() == TR_OK);
	offline();
	if (url != NULL && *url != '\0')
		online(url);
	else
		fprintf(stderr, "test_db: TEST_DATABASE_URL unset; "
		    "only the offline cases ran\n");
	tr_conf_free();
	return 0;
}
