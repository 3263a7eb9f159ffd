/*
 * The job queue's gauges for /metrics, read from PostgreSQL when
 * /metrics is asked (not per request): jobs by state.  The jobs table
 * is another module's; until it exists (or while it has no "state"
 * column, or the database is down) nothing is rendered but a comment.
 * Every state is rendered, 0 included, so that a series does not
 * vanish when its last job moves on.
 */
#include <stdio.h>

#include "extern.h"

static const char sql_has[] =
    "SELECT count(*) AS n FROM information_schema.columns "
    "WHERE table_schema = current_schema() AND table_name = 'jobs' "
    "AND column_name = 'state'";
static const char sql_jobs[] =
    "SELECT s.state, count(j.id) AS n FROM unnest(ARRAY['queued', "
    "'running', 'succeeded', 'failed', 'canceled']) AS s(state) "
    "LEFT JOIN jobs j ON j.state = s.state GROUP BY 1 ORDER BY 1";

enum tr_err
tr_metrics_jobs(struct tr_buf *b)
{
	PGresult	*res = NULL;
	const char	*st;
	long long	 n;
	int		 i;
	enum tr_err	 er;

	if (tr_db_query(tr_db_get(), &res, sql_has, 0, NULL) != TR_OK ||
	    tr_db_col_ll(res, 0, "n", &n) != TR_OK || n == 0) {
		PQclear(res);
		return tr_buf_adds(b, "# no job queue\n");
	}
	PQclear(res);
	res = NULL;
	if (tr_db_query(tr_db_get(), &res, sql_jobs, 0, NULL) != TR_OK) {
		PQclear(res);
		return tr_buf_adds(b, "# job queue unreadable\n");
	}
	er = tr_buf_adds(b, "# HELP trapi_jobs Jobs in the queue, by state\n"
	    "# TYPE trapi_jobs gauge\n");
	for (i = 0; er == TR_OK && i < PQntuples(res); i++) {
		if (tr_db_col_str(res, i, "state", &st) != TR_OK ||
		    st == NULL || tr_db_col_ll(res, i, "n", &n) != TR_OK)
			continue;
		er = tr_buf_addf(b, "trapi_jobs{state=\"%.32s\"} %lld\n", st, n);
	}
	PQclear(res);
	return er;
}
