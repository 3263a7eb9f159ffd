/*
 * PostgreSQL through libpq: one connection per process (per thread in a
 * daemon: tr_db_close() before a thread ends), opened on first
 * use and kept between requests, re-established transparently when the
 * server restarts.  Queries go through PQexecParams with $n parameters
 * only; no query text is ever built from input.  The statements of the
 * hot path (struct tr_db_stmt) are PQprepare'd once per connection and
 * prepared again on the next use after a reconnect.  Rows are read by
 * column name, each value checked as it is parsed.
 */
#include <float.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extern.h"

#define DB_MAXPARAMS	32
#define DB_MAXPREPARED	16	/* named statements kept per connection */
#define DB_DEFAULT_URL	"postgresql:///trapi"

struct	tr_db {
	PGconn	*conn;
	char	 err[256];	/* last error, for logs; never has params */
	/* Statements prepared on this connection; emptied on connect. */
	const struct tr_db_stmt *prepared[DB_MAXPREPARED];
	size_t	 npre;
	struct timespec	 ok_at;	/* the last statement that succeeded */
};

static __thread struct tr_db	*the_db;

/* Returns the thread's database handle, which connects lazily. */
struct tr_db *
tr_db_get(void)
{
	if (the_db == NULL)
		the_db = tr_xcalloc(1, sizeof(*the_db));
	return the_db;
}

static void
seterr(struct tr_db *db, const char *what, const char *msg)
{
	size_t	 n;

	snprintf(db->err, sizeof(db->err), "%s: %s", what,
	    msg != NULL ? msg : "unknown error");
	n = strlen(db->err);
	while (n > 0 && (db->err[n - 1] == '\n' || db->err[n - 1] == ' '))
		db->err[--n] = '\0';
}

const char *
tr_db_errmsg(const struct tr_db *db)
{
	return db->err;
}

/*
 * (Re)connects.  DATABASE_URL may be a URI or a key=value string; a
 * connect timeout is added unless it sets one, so that a dead server
 * makes requests fail fast with 503 instead of hanging.
 */
static enum tr_err
connect_db(struct tr_db *db)
{
	const char	*keys[] = { "connect_timeout", "fallback_application_name",
			    "dbname", NULL };
	const char	*vals[4];
	char		 timeout[16];

	if (db->conn != NULL) {
		PQfinish(db->conn);
		db->conn = NULL;
	}
	db->npre = 0;
	snprintf(timeout, sizeof(timeout), "%lld",
	    tr_conf_ll("DB_CONNECT_TIMEOUT", 3, 1, 600));
	vals[0] = timeout;
	vals[1] = "trapi";
	vals[2] = tr_conf_def("DATABASE_URL", DB_DEFAULT_URL);
	vals[3] = NULL;
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		seterr(db, "connect", db->conn != NULL ?
		    PQerrorMessage(db->conn) : "out of memory");
		tr_warnx("database: %s", db->err);
		PQfinish(db->conn);
		db->conn = NULL;
		return TR_EDBDOWN;
	}
	return TR_OK;
}

/* The connection, connecting if needed; NULL if the server is down. */
PGconn *
tr_db_conn(struct tr_db *db)
{
	if ((db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) &&
	    connect_db(db) != TR_OK)
		return NULL;
	return db->conn;
}

/*
 * Does the error say the connection is gone, whatever libpq's status
 * says yet?  Class 08 (connection exception), and the server shutting
 * down, crashed or still starting up: the backend will not answer
 * again, a new connection may.
 */
static int
conn_lost(const char *state)
{
	return state != NULL && (strncmp(state, "08", 2) == 0 ||
	    strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
	    strcmp(state, "57P03") == 0);
}

/*
 * Runs one parameterised statement.  On success *res holds the result
 * (the caller PQclear()s it; it may pass NULL for res to discard it).
 * A connection lost between requests is re-opened and the statement
 * sent once more, unless a transaction was open.  Returns TR_EDBDOWN if
 * the server cannot be reached, TR_ECONFLICT on a unique violation,
 * TR_EDB on other errors; *res is untouched then.
 */
/*
 * Is st prepared on db's connection?  If not, prepares it (a failure
 * is the caller's to read from the result of the execution).
 */
static void
prepare(struct tr_db *db, const struct tr_db_stmt *st)
{
	PGresult	*r;
	size_t		 i;

	for (i = 0; i < db->npre; i++)
		if (db->prepared[i] == st)
			return;
	r = PQprepare(db->conn, st->name, st->sql, st->nparams, NULL);
	if (PQresultStatus(r) == PGRES_COMMAND_OK &&
	    db->npre < DB_MAXPREPARED)
		db->prepared[db->npre++] = st;
	PQclear(r);
}

/* Runs sql, or the prepared st when sql is NULL. */
static enum tr_err
run(struct tr_db *db, PGresult **res, const char *sql,
    const struct tr_db_stmt *stp, int n, const char *const *params)
{
	PGresult	*r;
	ExecStatusType	 st;
	const char	*state;
	char		 primary[200];
	int		 attempt, intx, conflict;

	for (attempt = 0; attempt < 2; attempt++) {
		if (tr_db_conn(db) == NULL)
			return TR_EDBDOWN;
		intx = PQtransactionStatus(db->conn) != PQTRANS_IDLE;
		if (sql != NULL)
			r = PQexecParams(db->conn, sql, n, NULL, params, NULL,
			    NULL, 0);
		else {
			prepare(db, stp);
			r = PQexecPrepared(db->conn, stp->name, n, params,
			    NULL, NULL, 0);
		}
		st = PQresultStatus(r);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
			clock_gettime(CLOCK_MONOTONIC, &db->ok_at);
			if (res != NULL)
				*res = r;
			else
				PQclear(r);
			return TR_OK;
		}
		state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		/* The server forgot the statement (DISCARD ALL, a pooler
		 * that changed backends): prepare it again, once. */
		if (sql == NULL && state != NULL &&
		    strcmp(state, "26000") == 0 && !intx && attempt == 0) {
			PQclear(r);
			db->npre = 0;
			continue;
		}
		if (PQstatus(db->conn) == CONNECTION_BAD || conn_lost(state)) {
			seterr(db, "lost connection", PQerrorMessage(db->conn));
			PQclear(r);
			PQfinish(db->conn);
			db->conn = NULL;
			if (intx)
				return TR_EDBDOWN;
			continue;
		}
		/*
		 * Only the primary message and the SQLSTATE: the DETAIL of
		 * a constraint violation quotes the row, which may hold a
		 * password hash or a token hash.
		 */
		snprintf(primary, sizeof(primary), "%s (SQLSTATE %s)",
		    r != NULL && PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) ?
		    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) :
		    PQerrorMessage(db->conn), state != NULL ? state : "?");
		seterr(db, "query", primary);
		conflict = state != NULL && strcmp(state, "23505") == 0;
		PQclear(r);
		if (conflict)
			return TR_ECONFLICT;
		tr_warnx("database: %s", db->err);
		return TR_EDB;
	}
	tr_warnx("database: %s", db->err);
	return TR_EDBDOWN;
}

enum tr_err
tr_db_query(struct tr_db *db, PGresult **res, const char *sql, int n,
    const char *const *params)
{
	return run(db, res, sql, NULL, n, params);
}

/*
 * Runs a named statement of the hot path: prepared on first use on
 * each connection (parsed and planned once, not per request), else as
 * tr_db_query().
 */
enum tr_err
tr_db_exec(struct tr_db *db, PGresult **res, const struct tr_db_stmt *st,
    const char *const *params)
{
	return run(db, res, NULL, st, st->nparams, params);
}

/* tr_db_query() with the parameters as variadic strings (NULL for SQL
 * NULL). */
enum tr_err
tr_db_queryv(struct tr_db *db, PGresult **res, const char *sql, int n, ...)
{
	const char	*params[DB_MAXPARAMS];
	va_list		 ap;
	int		 i;

	if (n < 0 || n > DB_MAXPARAMS)
		return TR_ESYSTEM;
	va_start(ap, n);
	for (i = 0; i < n; i++)
		params[i] = va_arg(ap, const char *);
	va_end(ap);
	return tr_db_query(db, res, sql, n, params);
}

/*
 * A round trip to the server, or none if one succeeded within maxage_ms
 * and nothing has come from the server since: a server that shuts down
 * or ends the backend says so on the socket, which is seen at once.
 * Returns TR_OK or TR_EDBDOWN/TR_EDB.
 */
enum tr_err
tr_db_ping(struct tr_db *db, long maxage_ms)
{
	struct timespec	 now;
	struct pollfd	 pfd;
	long long	 ms;

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK &&
	    PQtransactionStatus(db->conn) == PQTRANS_IDLE &&
	    (pfd.fd = PQsocket(db->conn)) >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (long long)(now.tv_sec - db->ok_at.tv_sec) * 1000 +
		    (now.tv_nsec - db->ok_at.tv_nsec) / 1000000;
		pfd.events = POLLIN;
		if (ms >= 0 && ms < maxage_ms && poll(&pfd, 1, 0) == 0)
			return TR_OK;
	}
	return tr_db_query(db, NULL, "SELECT 1", 0, NULL);
}

/*
 * The text of a column in a row of res, or NULL for SQL NULL.  A column
 * the query did not name, or a row past the end, is a bug in the query:
 * TR_EDB, logged.
 */
static enum tr_err
cell(const PGresult *res, int row, const char *col, const char **out)
{
	int	 c;

	if (res == NULL || (c = PQfnumber(res, col)) < 0) {
		tr_warnx("database: no column %s in the result", col);
		return TR_EDB;
	}
	if (row < 0 || row >= PQntuples(res)) {
		tr_warnx("database: no row %d for column %s", row, col);
		return TR_EDB;
	}
	*out = PQgetisnull(res, row, c) ? NULL : PQgetvalue(res, row, c);
	return TR_OK;
}

/*
 * A value that is not what its reader wants: a column read as the
 * wrong type, never a secret (those are read as strings, never logged).
 */
static enum tr_err
badcell(const char *col, const char *val, const char *want)
{
	if (val == NULL)
		tr_warnx("database: column %s is NULL, not %s", col, want);
	else
		tr_warnx("database: column %s is \"%.40s\", not %s", col, val,
		    want);
	return TR_EDB;
}

/* A column read as a whole number.  SQL NULL is an error. */
enum tr_err
tr_db_col_ll(const PGresult *res, int row, const char *col, long long *out)
{
	const char	*v;
	enum tr_err	 er;

	if ((er = cell(res, row, col, &v)) != TR_OK)
		return er;
	if (tr_parse_ll(v, LLONG_MIN, LLONG_MAX, out) != TR_OK)
		return badcell(col, v, "an integer");
	return TR_OK;
}

/* A column read as a finite number.  SQL NULL is an error. */
enum tr_err
tr_db_col_double(const PGresult *res, int row, const char *col, double *out)
{
	const char	*v;
	enum tr_err	 er;

	if ((er = cell(res, row, col, &v)) != TR_OK)
		return er;
	if (tr_parse_double(v, -DBL_MAX, DBL_MAX, out) != TR_OK)
		return badcell(col, v, "a number");
	return TR_OK;
}

/* A boolean column ("t" or "f") as 1 or 0.  SQL NULL is an error. */
enum tr_err
tr_db_col_bool(const PGresult *res, int row, const char *col, int *out)
{
	const char	*v;
	enum tr_err	 er;

	if ((er = cell(res, row, col, &v)) != TR_OK)
		return er;
	if (v == NULL || (strcmp(v, "t") != 0 && strcmp(v, "f") != 0))
		return badcell(col, v, "a boolean");
	*out = *v == 't';
	return TR_OK;
}

/*
 * A column as text, NULL for SQL NULL; it lives as long as res.  Its
 * value is never logged: this is how secrets and hashes are read.
 */
enum tr_err
tr_db_col_str(const PGresult *res, int row, const char *col, const char **out)
{
	return cell(res, row, col, out);
}

/* Closes the process's connection and frees the handle. */
void
tr_db_close(void)
{
	if (the_db == NULL)
		return;
	PQfinish(the_db->conn);
	TR_FREE(the_db);
}
