/*
 * The one header every program of the Audio Transcription API includes.
 * It declares the request layer, the endpoint table that a program fills
 * in, the error codes, and the helpers (buffers, JSON, database, config,
 * logging) that handlers use.  Anything lib-internal lives in extern.h.
 */
#ifndef TR_H
#define TR_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#define TR_SERVICE	"Audio Transcription API"
#define TR_VERSION	"1.0.0"

#define TR_WUR		__attribute__((warn_unused_result))
#define TR_LIT(s)	(s), sizeof(s) - 1
#define TR_FREE(p)	do { free(p); (p) = NULL; } while (0)

/*
 * Error codes.  The numbers are part of the contract (they index the
 * status table in err.c and appear in logs): append only, never renumber.
 */
enum	tr_err {
	TR_OK = 0,
	TR_EINVAL = 1,		/* 400 invalid_request */
	TR_EJSON = 2,		/* 400 invalid_json */
	TR_EUNAUTH = 3,		/* 401 unauthorized */
	TR_EFORBIDDEN = 4,	/* 403 forbidden */
	TR_ENOTFOUND = 5,	/* 404 not_found */
	TR_EMETHOD = 6,		/* 405 method_not_allowed */
	TR_ECONFLICT = 7,	/* 409 conflict */
	TR_ETOOBIG = 8,		/* 413 payload_too_large */
	TR_EMEDIA = 9,		/* 415 unsupported_media_type */
	TR_EFIELD = 10,		/* 422 unprocessable_entity */
	TR_ERATE = 11,		/* 429 rate_limited */
	TR_ESYSTEM = 12,	/* 500 internal_error */
	TR_ENOMEM = 13,		/* 500 internal_error (allocation) */
	TR_EDB = 14,		/* 500 database_error */
	TR_EPROVIDER = 15,	/* 502 provider_error */
	TR_EDBDOWN = 16,	/* 503 database_unavailable */
	TR_EUNAVAIL = 17,	/* 503 service_unavailable */
	TR_ETIMEOUT = 18,	/* 504 provider_timeout */
	TR_ELENGTH = 19,	/* 411 length_required */
	TR_EHEADER = 20,	/* 431 headers_too_large */
	TR__MAX
};

/* HTTP status, stable code string and default message of an error. */
int		 tr_err_status(enum tr_err);
const char	*tr_err_code(enum tr_err);
const char	*tr_err_message(enum tr_err);
/* The error whose status is the given one, for web server redirects. */
enum tr_err	 tr_err_from_status(int);

/*
 * Growable, capped, always NUL-terminated byte buffer (curl's dynbuf).
 * A failed append frees the buffer: TR_ETOOBIG past max, TR_ENOMEM when
 * malloc fails.
 */
struct	tr_buf {
	char	*ptr;	/* NUL-terminated; may contain NULs; NULL if empty */
	size_t	 len;	/* bytes used, excluding the NUL */
	size_t	 cap;	/* bytes allocated */
	size_t	 max;	/* an append past this fails with TR_ETOOBIG */
};

void		 tr_buf_init(struct tr_buf *, size_t max);
enum tr_err	 tr_buf_add(struct tr_buf *, const void *, size_t) TR_WUR;
enum tr_err	 tr_buf_adds(struct tr_buf *, const char *) TR_WUR;
enum tr_err	 tr_buf_addf(struct tr_buf *, const char *, ...)
		    __attribute__((format(printf, 2, 3))) TR_WUR;
const char	*tr_buf_str(const struct tr_buf *);
void		 tr_buf_reset(struct tr_buf *);
char		*tr_buf_take(struct tr_buf *, size_t *lenp);
void		 tr_buf_free(struct tr_buf *);

/* Allocators that log and abort on failure, for small fixed sizes. */
void		*tr_xmalloc(size_t);
void		*tr_xcalloc(size_t, size_t);
char		*tr_xstrdup(const char *);
char		*tr_xstrndup(const char *, size_t);

/*
 * Number parsing in the manner of strtonum(3): the whole string must be a
 * decimal integer within [min, max].  Returns TR_OK or TR_EINVAL.
 */
enum tr_err	 tr_parse_ll(const char *, long long min, long long max,
		    long long *out) TR_WUR;
enum tr_err	 tr_parse_double(const char *, double min, double max,
		    double *out) TR_WUR;

/* Logging: stderr, one line each, client text escaped. */
enum	tr_loglevel {
	TR_LOG_ERR,
	TR_LOG_WARN,
	TR_LOG_INFO,
	TR_LOG_DEBUG,
	TR_LOG__MAX
};

void		 tr_log_init(const char *prog);
void		 tr_log_setlevel(enum tr_loglevel);
void		 tr_log_syslog(void);
void		 tr_log_context(const char *remote, const char *reqid);
void		 tr_log(enum tr_loglevel, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
#define tr_errx(...)	tr_log(TR_LOG_ERR, __VA_ARGS__)
#define tr_warnx(...)	tr_log(TR_LOG_WARN, __VA_ARGS__)
#define tr_info(...)	tr_log(TR_LOG_INFO, __VA_ARGS__)
#define tr_debug(...)	tr_log(TR_LOG_DEBUG, __VA_ARGS__)
void		 tr_warn(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
/* Escape control bytes and non-ASCII of untrusted text into a buffer. */
enum tr_err	 tr_log_escape(struct tr_buf *, const char *, size_t) TR_WUR;

/*
 * Configuration: the environment first, then the config file named by
 * APP_CONFIG (default /etc/trapi.conf), then the built-in default.
 * Returned strings live until tr_conf_free().
 */
enum tr_err	 tr_conf_load(void) TR_WUR;
const char	*tr_conf(const char *key);
const char	*tr_conf_def(const char *key, const char *def);
long long	 tr_conf_ll(const char *key, long long def, long long min,
		    long long max);
int		 tr_conf_bool(const char *key, int def);
void		 tr_conf_free(void);
/* APP_ENV (or FLASK_ENV) is "production". */
int		 tr_conf_production(void);
/* What makes the settings unsafe (production, or an unknown APP_ENV). */
const char	*tr_conf_unsafe(void);
/* Parse a KEY=VALUE config text; for the file loader and the fuzzer. */
enum tr_err	 tr_conf_parse(const char *, size_t,
		    void (*)(void *, const char *, const char *), void *) TR_WUR;

/* JSON bodies with json-c: bounded size and nesting depth. */
#define TR_JSON_DEPTH	32
enum tr_err	 tr_json_parse(const char *, size_t, size_t max, int depth,
		    struct json_object **) TR_WUR;
/* Returns a member's string value or NULL if absent or not a string. */
const char	*tr_json_str(struct json_object *, const char *key);
/* s[0..len) escaped as the inside of a JSON string, appended to b. */
enum tr_err	 tr_json_escape(struct tr_buf *, const char *, size_t) TR_WUR;

/* PostgreSQL: one connection per process, parameterised queries only. */
struct	tr_db;

struct tr_db	*tr_db_get(void);
enum tr_err	 tr_db_query(struct tr_db *, PGresult **, const char *sql,
		    int nparams, const char *const *params) TR_WUR;
enum tr_err	 tr_db_queryv(struct tr_db *, PGresult **, const char *sql,
		    int nparams, ...) TR_WUR;
/* A statement prepared once per connection: its name, text, $n count. */
struct	tr_db_stmt {
	const char	*name;
	const char	*sql;
	int		 nparams;
};
enum tr_err	 tr_db_exec(struct tr_db *, PGresult **,
		    const struct tr_db_stmt *, const char *const *params)
		    TR_WUR;
/* A round trip, unless one succeeded within maxage_ms on a connection
 * the server has not closed since (a health check's flood). */
enum tr_err	 tr_db_ping(struct tr_db *, long maxage_ms) TR_WUR;
void		 tr_db_close(void);
/* Closes the thread's kept HTTP connections (before it ends). */
void		 tr_http_close(void);
const char	*tr_db_errmsg(const struct tr_db *);
/*
 * The connection itself, connecting if needed (NULL if the server is
 * down), for tools that run whole scripts (migrate).
 */
PGconn		*tr_db_conn(struct tr_db *);
/*
 * A column of a result row, by name.  TR_EDB (logged with the column
 * and, but for strings, the value) when the result has no such column
 * or row or the value does not parse; the numbers and booleans refuse
 * SQL NULL, a string is NULL for it.
 */
enum tr_err	 tr_db_col_ll(const PGresult *, int row, const char *col,
		    long long *) TR_WUR;
enum tr_err	 tr_db_col_double(const PGresult *, int row, const char *col,
		    double *) TR_WUR;
enum tr_err	 tr_db_col_bool(const PGresult *, int row, const char *col,
		    int *) TR_WUR;
enum tr_err	 tr_db_col_str(const PGresult *, int row, const char *col,
		    const char **) TR_WUR;

/* An input field after validation (kcgi's struct kpair). */
struct	tr_pair {
	const char	*key;	/* field name */
	char		*val;	/* raw value, NUL-terminated */
	size_t		 valsz;	/* bytes in val, may be < strlen if NULs */
	union {
		long long	 i;
		double		 d;
		const char	*s;
	} parsed;		/* set by the validator */
};

/*
 * A file part of a multipart body, kept in the heap while it is small
 * (UPLOAD_MEMORY_BYTES), else spooled to the request's temp dir.  What
 * reads it from memory (the WAV probe, a provider's POST) takes mem;
 * what needs a file asks tr_upload_path(), which opens it, in this
 * process and in a child that tr_proc_run() starts with it in its argv.
 */
struct	tr_upload {
	char		*field;		/* form field name */
	char		*filename;	/* client's file name, may be "" */
	char		*ctype;		/* part Content-Type, may be "" */
	struct tr_buf	 mem;		/* the bytes; ptr NULL: on disk */
	char		*path;		/* spool file, removed after request;
					 * in memory: NULL until asked for */
	int		 memfd;		/* path's memory, -1: none */
	uint64_t	 size;		/* bytes written */
	struct tr_upload *next;
};

/* Returns 1 if the value is acceptable and sets p->parsed, else 0. */
typedef int	(*tr_validator)(struct tr_pair *);

/*
 * What a value is: text from a form or query string (any validator may
 * read it), or a member of a JSON body with its JSON type, which must
 * be the one the field's validator expects (tr_valid_kind()).
 */
enum	tr_kind {
	TR_KIND_TEXT,
	TR_KIND_STRING,
	TR_KIND_NUMBER,
	TR_KIND_BOOL,
	TR_KIND_STRUCT,		/* a JSON object or array, as JSON text */
	TR_KIND__MAX
};
enum tr_kind	 tr_valid_kind(tr_validator);
const char	*tr_valid_schema(tr_validator);
const char	*tr_kind_name(enum tr_kind);

int		 tr_valid_string(struct tr_pair *);	/* UTF-8, no NUL */
int		 tr_valid_int(struct tr_pair *);
int		 tr_valid_bool(struct tr_pair *);
int		 tr_valid_email(struct tr_pair *);
int		 tr_valid_utf8(const char *, size_t);
int		 tr_valid_name(struct tr_pair *);	/* text, <= 200 bytes */
int		 tr_valid_ident(struct tr_pair *);	/* [a-z0-9_.-]{1,64} */
int		 tr_valid_uint(struct tr_pair *);	/* integer >= 0 */
int		 tr_valid_amount(struct tr_pair *);	/* finite number >= 0 */
int		 tr_valid_lang(struct tr_pair *);	/* "en", "pt-BR" */
int		 tr_valid_struct(struct tr_pair *);	/* JSON object, array */

/* Spoken languages (lang.c): one row each, and who transcribes it. */
#define TR_LANG_DEEPGRAM	0x01	/* nova-2, pre-recorded and live */
#define TR_LANG_OPENAI		0x02	/* Whisper */
#define TR_LANG_ASSEMBLYAI	0x04
#define TR_LANG_LOCAL		0x08	/* the local engine (English) */
/* The engines behind /audio-stream: Deepgram live, the local engine. */
#define TR_LANG_LIVE		(TR_LANG_DEEPGRAM | TR_LANG_LOCAL)

struct	tr_lang {
	const char	*code;		/* our tag: "en", "pt-BR" */
	const char	*name;		/* in English: "Portuguese (Brazil)" */
	const char	*openai;	/* Whisper's name, "english"; or NULL */
	unsigned int	 engines;	/* TR_LANG_* */
	const char	*iso3;		/* ISO 639-2, Apertium's: "eng"; or NULL */
};

const struct tr_lang *tr_lang(const char *code);
const struct tr_lang *tr_lang_primary(const char *tag);
const struct tr_lang *tr_lang_openai(const char *name);
const struct tr_lang *tr_lang_iso3(const char *code);
const struct tr_lang *tr_lang_find(const char *code_or_name);
int		 tr_lang_has(const char *code, unsigned int engines);
/* The table's rows in order: i from 0 until NULL. */
const struct tr_lang *tr_lang_at(size_t i);
int		 tr_lang_wellformed(const char *, size_t);

#define TR_REQUIRED	0x01	/* a missing field is a 400 */
#define TR_FILE		0x02	/* the field is a file upload */

struct	tr_field {
	const char	*name;
	tr_validator	 valid;	/* NULL for TR_FILE fields */
	int		 flags;
};

enum	tr_method {
	TR_METHOD_GET,
	TR_METHOD_POST,
	TR_METHOD_PUT,
	TR_METHOD_DELETE,
	TR_METHOD_PATCH,
	TR_METHOD_HEAD,
	TR_METHOD_OPTIONS,
	TR_METHOD__MAX
};

#define TR_GET		(1u << TR_METHOD_GET)
#define TR_POST		(1u << TR_METHOD_POST)
#define TR_PUT		(1u << TR_METHOD_PUT)
#define TR_DELETE	(1u << TR_METHOD_DELETE)
#define TR_PATCH	(1u << TR_METHOD_PATCH)

/* What credentials an endpoint takes (SPEC section 5). */
enum	tr_authkind {
	TR_AUTH_NONE,		/* anyone */
	TR_AUTH_APIKEY,		/* x-api-key (or Bearer with one of our keys) */
	TR_AUTH_JWT,		/* Bearer: our own HS256 access token */
	TR_AUTH_AUTH0,		/* Bearer: an Auth0 RS256 access token */
	TR_AUTH_ANY,		/* any of the three */
	TR_AUTH__MAX
};

/* Who is calling, once tr_serve() has authenticated the request. */
enum	tr_prinkind {
	TR_PRIN_NONE,
	TR_PRIN_APIKEY,		/* a user's API key */
	TR_PRIN_LEGACY,		/* the static API_KEY of the seed */
	TR_PRIN_JWT,		/* our own access token */
	TR_PRIN_AUTH0,		/* an Auth0 access token */
	TR_PRIN_SESSION,	/* a session token (ws-bridge, deprecated) */
	TR_PRIN__MAX
};

struct	tr_principal {
	enum tr_prinkind	 kind;
	long long		 user_id;	/* 0: no user row (yet) */
	long long		 key_id;	/* 0: not an API key */
	char			 plan[16];	/* free, pro, enterprise */
	char			 bucket[80];	/* rate-limit key */
	struct json_object	*claims;	/* Auth0/JWT claims, owned */
	char			*token;		/* Auth0 bearer token, wiped */
};

struct	tr_req;
typedef enum tr_err (*tr_handler)(struct tr_req *);

/*
 * What a program declares: its path (a trailing "*" matches one more
 * path segment, available as tr_patharg()), methods, auth kind, body
 * limit, fields and handler.  tr_serve() does everything else.
 */
/*
 * The families of response formats (model/format.c): an endpoint
 * offers one, and its handler picks response_format (or the path's
 * {fmt}) among them.
 */
#define TR_FMT_SEED	0x01	/* /transcriptions/deepgram, /assemblyai */
#define TR_FMT_WHISPER	0x02	/* /transcriptions/whisper */
#define TR_FMT_OPENAI	0x04	/* /v1/audio/transcriptions, /translations */
#define TR_FMT_DOC	0x08	/* /documents/{fmt}: files for download */
#define TR_FMT_REPORT	0x10	/* /reports/{fmt}: an analysis as a file */

struct	tr_endpoint {
	const char		*path;
	unsigned int		 methods;	/* TR_GET | TR_POST ... */
	enum tr_authkind	 auth;
	size_t			 body_max;	/* 0: no body accepted */
#define TR_BODY_UPLOAD	SIZE_MAX	/* body_max: MAX_UPLOAD_BYTES */
	const struct tr_field	*fields;
	size_t			 fieldsz;
	tr_handler		 handler;
	/* Serve web server error redirects (REDIRECT_STATUS) and unknown
	 * paths: the catch-all program sets this. */
	int			 catchall;
	/* An open endpoint that checks a secret (a password, a refresh
	 * token): rate limited per client address, as the free plan. */
	int			 throttle;
	/* Errors in OpenAI's shape, {"error":{"message","type","param",
	 * "code"}}, for the OpenAI-compatible endpoints. */
	int			 openai_errors;
	/* The endpoint may be handed over as an async job ("Prefer:
	 * respond-async" or async=true: 202 and /jobs/{id}), run later
	 * by trapi-worker (service/job.c). */
	int			 async;
	/* The handler's checks of its input that need no work (formats,
	 * languages, what goes with what), run before a request is handed
	 * over as a job, so that bad input is refused now as the
	 * synchronous call refuses it; the handler makes them itself. */
	tr_handler		 check;
	/* The work takes one of the plan's concurrent slots
	 * (tr_quota_begin()): an API key's is taken in the statement that
	 * admits the key, and given back at the end if the work never
	 * began. */
	int			 slot;
	/* A path argument ("/jobs/" "*") may hold more than one segment
	 * ("{id}/result"): the handler checks what follows. */
	int			 subpaths;
	/* The family of response formats it answers in (TR_FMT_*), or
	 * 0 for its own JSON only. */
	unsigned int		 formats;
};

/* Run the FastCGI (or one-shot CGI) loop.  Returns the exit status. */
int		 tr_serve(const struct tr_endpoint *);

/* Request accessors, valid while the handler runs. */
const char	*tr_param(const struct tr_req *, const char *name);
const char	*tr_str(const struct tr_req *, size_t field);
const struct tr_pair *tr_field_get(const struct tr_req *, size_t field);
const struct tr_upload *tr_upload_get(const struct tr_req *, size_t field);
const struct tr_upload *tr_uploads(const struct tr_req *);
const char	*tr_upload_path(const struct tr_upload *);
struct json_object *tr_body_json(const struct tr_req *);
const char	*tr_request_id(const struct tr_req *);
const char	*tr_remote(const struct tr_req *);
const char	*tr_path(const struct tr_req *);
const char	*tr_patharg(const struct tr_req *);
enum tr_method	 tr_method(const struct tr_req *);
const char	*tr_method_name(enum tr_method);

/* The authenticated caller (never NULL; kind TR_PRIN_NONE if none). */
const struct tr_principal *tr_principal(const struct tr_req *);
/* The caller's users row, created for an Auth0 subject on first use. */
enum tr_err	 tr_principal_user(struct tr_req *, long long *) TR_WUR;
/* A request header by name ("X-Api-Key"), or NULL. */
const char	*tr_header_in(const struct tr_req *, const char *);

/*
 * Usage metering (usage.c): one usage_logs row per billable call and
 * the user's monthly counters, or a durable spool line while the
 * database is down, replayed later and never written twice.
 */
struct	tr_usage {
	const char	*service;	/* "deepgram", "openai", ... */
	const char	*endpoint;	/* NULL: the request path */
	double		 audio_seconds;
	long long	 tokens;
	long long	 characters;	/* of text translated; 0: none */
	double		 cost_usd;
	const char	*status;	/* NULL: "success" */
	long long	 slot;		/* quota slot given back with the row */
};

enum tr_err	 tr_usage_log(struct tr_req *, const struct tr_usage *) TR_WUR;
void		 tr_usage_replay(void);

/*
 * Plan quotas (quota.c): monthly audio minutes, concurrent work.
 * tr_quota_begin() refuses with TR_ERATE (and a Retry-After header) a
 * user whose minutes this month plus audio_seconds would pass the plan's,
 * or who has all the plan's concurrent slots taken; else it takes a slot
 * that tr_quota_end() gives back.  A slot is a lease of
 * SLOT_LEASE_SECONDS (default 300) that long work renews with
 * tr_quota_renew() (provider calls do); a lost one stops counting when
 * its lease runs out.
 * A stream does not know its length when it starts: with audio_seconds
 * 0 it checks only that the month's minutes are not already used up
 * (used < plan), and takes a concurrency slot.  The minutes a stream
 * then uses are counted by its tr_usage_log() row, not checked while it
 * runs.  The legacy key has no minutes quota (only slots); while the
 * database is down neither is checked and the call goes through.
 */
enum tr_err	 tr_quota_begin(struct tr_req *, double audio_seconds,
		    long long *slot) TR_WUR;
void		 tr_quota_renew(struct tr_req *, long long slot);
long long	 tr_quota_lease(void);	/* SLOT_LEASE_SECONDS */
void		 tr_quota_end(struct tr_req *, long long slot);

/*
 * Metrics (obs/): counters and histograms shared by every process of the
 * host through the file METRICS_FILE (default USAGE_SPOOL_DIR/metrics),
 * rendered in the Prometheus text format.  kv holds npairs label names
 * and values.  tr_metrics_open(NULL) keeps them in this process only.
 */
enum	tr_metric {
	TR_MET_REQUESTS,	/* endpoint, method, status */
	TR_MET_REQUEST_SECONDS,	/* histogram: endpoint */
	TR_MET_PROV_CALLS,	/* provider */
	TR_MET_PROV_FAILURES,	/* provider, code */
	TR_MET_PROV_SECONDS,	/* histogram: provider */
	TR_MET_USAGE_SECONDS,	/* service */
	TR_MET_USAGE_ROWS,	/* service */
	TR_MET_WS_STREAMS,	/* ws-bridge: engine */
	TR_MET_WS_ENDED,	/* ws-bridge: engine, outcome */
	TR_MET_WS_LATENCY,	/* histogram: engine, final */
	TR_MET_JOB_SECONDS,	/* histogram: state (how a job ended) */
	TR_MET__MAX
};

int		 tr_metrics_open(const char *path);
void		 tr_metric_add(enum tr_metric, double, const char *const *kv,
		    size_t npairs);
void		 tr_metric_observe(enum tr_metric, double secs,
		    const char *const *kv, size_t npairs);
enum tr_err	 tr_metrics_render(struct tr_buf *) TR_WUR;
/* METRICS_ALLOW (default loopback) or METRICS_TOKEN lets the caller in. */
int		 tr_metrics_allowed(const char *remote, const char *authz);
int		 tr_metrics_addr_allowed(const char *list, const char *remote);
int		 tr_metrics_token_ok(const char *token, const char *authz);
/* The job queue's gauges, from the database, if it has a jobs table. */
enum tr_err	 tr_metrics_jobs(struct tr_buf *) TR_WUR;

/* Own access tokens (auth.c): issue for a user, HS256. */
enum tr_err	 tr_auth_issue(long long user_id, char **access,
		    long long *expires_in) TR_WUR;
/*
 * Checks an e-mail and password (as long for an unknown address as for
 * a wrong password).  Returns the user id, or TR_EUNAUTH.
 */
enum tr_err	 tr_auth_password(const char *email, const char *pw,
		    long long *uid) TR_WUR;
/*
 * The same for a sign-in request's fields, limited per account: 429
 * (Retry-After) after LOGIN_FAILURES_PER_MINUTE failed checks of one
 * address from anywhere, else 401 "invalid email or password".
 */
enum tr_err	 tr_auth_login(struct tr_req *, long long *uid) TR_WUR;
/* The fields of a sign-in by password (/auth/login, /mobile-auth/login). */
enum	tr_login_key { TR_LOGIN_EMAIL, TR_LOGIN_PASSWORD, TR_LOGIN__MAX };
extern const struct tr_field tr_login_fields[TR_LOGIN__MAX];
/* Refresh tokens and session tokens: opaque, stored hashed. */
enum tr_err	 tr_auth_refresh_new(long long user_id, char **) TR_WUR;
/* Spends a refresh token: TR_OK with its user, or TR_EUNAUTH with why. */
enum tr_err	 tr_auth_refresh_use(struct tr_req *, const char *token,
		    long long *uid) TR_WUR;
enum tr_err	 tr_auth_session_new(long long user_id, char **) TR_WUR;
enum tr_err	 tr_auth_session_check(const char *token, long long *uid) TR_WUR;

/*
 * A caller that did not come through the web server (ws-bridge): a
 * request with no I/O that carries a principal, a request id and a path,
 * for tr_auth_token(), tr_usage_log() and tr_quota_begin()/end().
 * It never reads the environment or stdin, and tr_reply() on it fails
 * without writing anything.
 */
struct tr_req	*tr_req_new(const char *path);	/* random request id */
void		 tr_req_free(struct tr_req *);
/* The message of the last error set on the request (tr_fail), or "". */
const char	*tr_req_message(const struct tr_req *);
/*
 * Authenticates a bare token in the order of SPEC section 6: an Auth0
 * RS256 JWT (when AUTH0_DOMAIN is configured), else our own HS256
 * access token, else an API key (trk_... or the legacy API_KEY), else a
 * session token (trs_...) only when ALLOW_INSECURE_SESSION_AUTH is on.
 * TR_EUNAUTH with a reason in tr_req_message(), TR_EDBDOWN/TR_EUNAVAIL
 * when it cannot be checked, else TR_OK with tr_principal() set.
 */
enum tr_err	 tr_auth_token(struct tr_req *, const char *token) TR_WUR;

/*
 * The caller's Auth0 profile (userinfo.c), fetched from the tenant's
 * /userinfo with the caller's own token.  On TR_OK *out is a new object
 * the caller puts; else the request's message (and Retry-After when the
 * tenant rate limits) is set.
 */
enum tr_err	 tr_auth0_userinfo(struct tr_req *,
		    struct json_object **out) TR_WUR;

/* Accounts (account.c). */
enum tr_err	 tr_account_user(long long, struct json_object **) TR_WUR;
enum tr_err	 tr_account_tokens(long long, struct json_object *) TR_WUR;
enum tr_err	 tr_account_key_new(long long, const char *name,
		    long long expires_days, struct json_object **) TR_WUR;
enum tr_err	 tr_account_key_list(long long, struct json_object **) TR_WUR;
enum tr_err	 tr_account_key_revoke(long long, long long key_id) TR_WUR;
enum tr_err	 tr_account_create(const char *email, const char *pw,
		    const char *first, const char *last, const char *company,
		    long long *) TR_WUR;
enum tr_err	 tr_account_login(long long) TR_WUR;
enum tr_err	 tr_account_profile_set(long long, const char *first,
		    const char *last, const char *company) TR_WUR;

/*
 * Handlers and field tables that transcription programs share
 * (service/): the seed's /transcriptions/deepgram and /assemblyai
 * (transcribe.c), /transcriptions/whisper (whisper.c), and the
 * OpenAI-compatible audio endpoints (oai.c).
 */
enum	tr_seed_key { TR_SEED_AUDIO, TR_SEED_LANG, TR_SEED_DIARIZE,
	TR_SEED_PROVIDER, TR_SEED_FORMAT, TR_SEED_MODEL, TR_SEED__MAX };
extern const struct tr_field tr_seed_fields[TR_SEED__MAX];
enum tr_err	 tr_seed_transcribe(struct tr_req *, const char *want);
enum tr_err	 tr_seed_check(struct tr_req *);
enum	tr_whisper_key { TR_WHISPER_AUDIO, TR_WHISPER_LANG, TR_WHISPER_PROMPT,
	TR_WHISPER_TEMP, TR_WHISPER_FORMAT, TR_WHISPER_PROVIDER,
	TR_WHISPER__MAX };
extern const struct tr_field tr_whisper_fields[TR_WHISPER__MAX];
enum tr_err	 tr_whisper_transcribe(struct tr_req *);
enum tr_err	 tr_whisper_check(struct tr_req *);
/* /transcriptions/video (video.c): a "video" upload or a "url". */
enum	tr_video_key { TR_VIDEO_FILE, TR_VIDEO_URL, TR_VIDEO_LANG,
	TR_VIDEO_DIARIZE, TR_VIDEO_PROVIDER, TR_VIDEO_FORMAT, TR_VIDEO_MODEL,
	TR_VIDEO__MAX };
extern const struct tr_field tr_video_fields[TR_VIDEO__MAX];
enum tr_err	 tr_video_transcribe(struct tr_req *);
enum tr_err	 tr_video_check(struct tr_req *);
struct json_object *tr_oai_models(void);
struct json_object *tr_oai_model(const char *id);
enum	tr_oai_key { TR_OAI_FILE, TR_OAI_MODEL, TR_OAI_LANG, TR_OAI_PROMPT,
	TR_OAI_FORMAT, TR_OAI_TEMP, TR_OAI__MAX };
extern const struct tr_field tr_oai_fields[TR_OAI__MAX];
enum tr_err	 tr_oai_transcriptions(struct tr_req *);
enum tr_err	 tr_oai_translations(struct tr_req *);
enum tr_err	 tr_oai_check(struct tr_req *);

/*
 * POST /documents/{fmt} (service/document.c): a transcript or a text
 * as a file for download in a format of format.c's table.
 */
#define TR_DOC_BODY_MAX	(8 * 1024 * 1024)	/* bytes of a request */
enum	tr_doc_key { TR_DOC_TEXT, TR_DOC_TRANSCRIPT, TR_DOC_TITLE,
	TR_DOC_META, TR_DOC_FILENAME, TR_DOC__MAX };
extern const struct tr_field tr_doc_fields[TR_DOC__MAX];
enum tr_err	 tr_document(struct tr_req *);
/* POST /reports/{fmt}: the same input; duration, words, speakers... */
enum tr_err	 tr_report(struct tr_req *);
/* Their checks (the endpoints' .check). */
enum tr_err	 tr_document_check(struct tr_req *);
enum tr_err	 tr_report_check(struct tr_req *);

/*
 * Post-processing and utilities (service/post.c): POST /sentiment, a
 * text or our transcript JSON (a form field's text or a JSON body's
 * member) scored by the named engine (NULL: local); POST
 * /utilities/audio-duration, an upload probed; POST
 * /utilities/text-file, text as a download.  Each writes its usage row.
 */
enum tr_err	 tr_sentiment(struct tr_req *, const char *engine,
		    const char *language, const struct tr_pair *text,
		    const struct tr_pair *transcript);
enum tr_err	 tr_audio_duration(struct tr_req *, const struct tr_upload *);
enum tr_err	 tr_text_file(struct tr_req *, const struct tr_pair *text,
		    const char *filename);

/*
 * Outbound requests to URLs that users give (net/guard.c).  A user URL
 * is http or https, at most TR_URL_MAX bytes, with a host and without
 * credentials; tr_url_check() says so (TR_OK, or TR_EFIELD with the
 * reason in why) and refuses an IP literal of a blocked class at once.
 * tr_net_fetch() checks the URL, then every address it connects to
 * (libcurl's socket callback, so DNS answers and redirects cannot lead
 * elsewhere) against loopback, private (RFC 1918, ULA), link-local,
 * multicast, unspecified, CGNAT 100.64/10, reserved, and IPv6 forms
 * embedding those (IPv4-mapped, NAT64, 6to4), unless ALLOW_PRIVATE_URLS
 * is true or the address is one of URL_ALLOW_ADDRS ("127.0.0.1:8080");
 * it follows up to o->redirects redirects itself, checking each URL
 * (a GET only: a POST follows none).
 * Returns TR_OK with resp->status whatever it is; TR_EFIELD refused
 * (why says what; nothing was sent to a refused address), TR_ETOOBIG
 * past maxbytes, TR_ETIMEOUT, TR_EUNAVAIL not reached.  The caller
 * frees resp with tr_net_resp_free().
 */
#define TR_URL_MAX	2048
struct	sockaddr;

struct	tr_net_opts {
	const char		*url;
	const char *const	*headers;	/* NULL-terminated, or NULL */
	const char		*body;		/* POST this; NULL: GET */
	size_t			 bodysz;
	long			 timeout_ms;	/* the whole transfer */
	uint64_t		 maxbytes;	/* the answer's body, at most */
	int			 fd;		/* write the body here; -1: resp->body */
	int			 redirects;	/* most to follow; 0: none */
};

struct	tr_net_resp {
	long		 status;		/* HTTP status of the last answer */
	char		 ctype[128];		/* its Content-Type, or "" */
	char		 url[TR_URL_MAX + 1];	/* the URL that answered */
	uint64_t	 bytes;			/* body bytes received */
	struct tr_buf	 body;			/* when o->fd is -1 */
	int		 redirects;		/* followed */
	char		 why[192];		/* why it failed, for messages */
};

enum tr_err	 tr_url_check(const char *url, char *why, size_t whysz) TR_WUR;
/* ref resolved against base (both URLs), into out; TR_EFIELD if not. */
enum tr_err	 tr_url_join(const char *base, const char *ref, char *out,
		    size_t outsz) TR_WUR;
/* The class of a blocked address ("loopback"), NULL if public. */
const char	*tr_net_addr_class(const struct sockaddr *);
/* May we connect there (the settings above)?  If not, why says why. */
int		 tr_net_addr_allowed(const struct sockaddr *, char *why,
		    size_t whysz);
enum tr_err	 tr_net_fetch(const struct tr_net_opts *,
		    struct tr_net_resp *) TR_WUR;
void		 tr_net_resp_free(struct tr_net_resp *);

/*
 * The first video or audio URL of an HTML page (net/html.c): <video
 * src>, <audio src>, <source src> or <meta property="og:video"
 * (":url", ":secure_url") or "og:audio" content>, in document order,
 * entities decoded, not yet resolved against the page's URL.  TR_OK
 * with out set; TR_ENOTFOUND if there is none; TR_ETOOBIG if it does
 * not fit outsz.
 */
enum tr_err	 tr_html_media_url(const char *html, size_t len, char *out,
		    size_t outsz) TR_WUR;

/*
 * Signed webhooks (net/webhook.c), the Standard Webhooks convention:
 * a POST of the JSON body with "webhook-id", "webhook-timestamp" (Unix
 * seconds) and "webhook-signature: v1,<base64 of HMAC-SHA256 over
 * id.timestamp.body>", keyed with the secret ("whsec_" + base64 of the
 * key bytes; any other string is used as its bytes).  Delivered through
 * tr_net_fetch() (the same address rule; no redirects followed), at most
 * `attempts` tries, each within timeout_ms, with backoff between them,
 * all within budget_ms; any 2xx is delivered.  Zero fields take the
 * settings WEBHOOK_ATTEMPTS (3), WEBHOOK_TIMEOUT_MS (5000) and
 * WEBHOOK_BUDGET_MS (15000).  Returns TR_OK when delivered; TR_EFIELD
 * when the URL or its address is refused (not retried); else the last
 * failure (TR_EPROVIDER for a non-2xx answer, TR_ETIMEOUT, TR_EUNAVAIL).
 * res says what happened either way.
 */
struct	tr_webhook {
	const char	*url;
	const char	*secret;
	const char	*id;		/* webhook-id; NULL: a new "msg_..." */
	const char	*body;		/* JSON */
	size_t		 bodysz;
	int		 attempts;
	long		 timeout_ms;
	long		 budget_ms;
};

struct	tr_webhook_result {
	int		 delivered;	/* a 2xx came back */
	int		 attempts;	/* requests sent (or tried) */
	long		 status;	/* the last HTTP status, 0: none */
	char		 id[64];	/* the webhook-id sent */
	char		 why[192];	/* why not delivered, or "" */
};

enum tr_err	 tr_webhook_send(const struct tr_webhook *,
		    struct tr_webhook_result *) TR_WUR;
/* A new secret, "whsec_" + base64 of 32 random bytes; the caller frees. */
enum tr_err	 tr_webhook_secret_new(char **) TR_WUR;
/* The header value "v1,<base64>" for one message, appended to out. */
enum tr_err	 tr_webhook_sign(const char *secret, const char *id,
		    long long timestamp, const char *body, size_t bodysz,
		    struct tr_buf *out) TR_WUR;

/*
 * Translation (service/translate.c): the handler of
 * /translations/{openai,google,deepseek} for its engine, and what
 * GET /translations/languages lists.
 */
enum	tr_xlate_key { TR_XLATE_TEXT, TR_XLATE_TARGET, TR_XLATE_SOURCE,
	TR_XLATE_PROVIDER, TR_XLATE_MODEL, TR_XLATE_WEBHOOK, TR_XLATE__MAX };
extern const struct tr_field tr_xlate_fields[TR_XLATE__MAX];
enum tr_err	 tr_xlate_endpoint(struct tr_req *, const char *engine);
enum tr_err	 tr_xlate_check(struct tr_req *, const char *engine);
struct json_object *tr_xlate_languages(void);
/* POST /transcriptions/transcribe-and-translate. */
enum	tr_tt_key { TR_TT_AUDIO, TR_TT_LANG, TR_TT_PROVIDER, TR_TT_FORMAT,
	TR_TT_MODEL, TR_TT_TARGET, TR_TT_SOURCE, TR_TT_ENGINE, TR_TT__MAX };
extern const struct tr_field tr_tt_fields[TR_TT__MAX];
enum tr_err	 tr_xlate_transcribe(struct tr_req *);
enum tr_err	 tr_xlate_transcribe_check(struct tr_req *);

/*
 * Async jobs (service/job.c).  tr_job_progress() records a running
 * job's stage ("probing", "transcribing") and percent; it returns TR_EUNAVAIL with the message "canceled" when the owner
 * canceled the job, and the handler stops.  On a request that is not a
 * job's run it does nothing.
 */
enum tr_err	 tr_job_progress(struct tr_req *, const char *stage,
		    int percent) TR_WUR;
/* GET /jobs, GET and DELETE /jobs/{id}: the caller's own jobs. */
enum tr_err	 tr_jobs_list(struct tr_req *);
enum tr_err	 tr_job_one(struct tr_req *);
enum	tr_jobs_key { TR_JOBS_LIMIT, TR_JOBS_CURSOR, TR_JOBS__MAX };
extern const struct tr_field tr_jobs_fields[TR_JOBS__MAX];
/*
 * The worker (worker/): claims the next ready job (SKIP LOCKED) with a
 * lease of lease seconds; 1 with its id, attempt and program, 0 if
 * none is ready.  Renews a claim: 1 held, 0 lost, 2 cancel asked.
 * Ends a run whose child ended without writing its end (a crash).
 */
int		 tr_job_claim(const char *worker, long long lease,
		    char id[37], char attempt[16], char program[65]);
int		 tr_job_renew(const char *id, const char *attempt,
		    long long lease);
void		 tr_job_abandon(const char *id, const char *attempt,
		    const char *why, int retry);
void		 tr_job_cancel_done(const char *id, const char *attempt);
void		 tr_job_sweep(void);
const char	*tr_job_channel(void);	/* LISTEN on it */
/*
 * Job callbacks (service/callback.c).  An async request's callback_url
 * (checked with tr_url_check() at submit; the account must have a
 * webhook secret) gets the finished or failed job, as GET /jobs/{id}
 * shows it, signed with the owner's secret (tr_webhook_send(), one try
 * each time): tr_callback_deliver() makes one due attempt (1), finds
 * none due (0) or fails on the database (-1); the worker calls it in its
 * loop.  Tries back off from WEBHOOK_RETRY_SECONDS (30, doubling, at
 * most an hour apart) for WEBHOOK_RETRY_HOURS (24) after the job ended.
 */
int		 tr_callback_deliver(void);
/* GET /auth/webhook-secret ("rotate"): shown in full when made only. */
enum	tr_whsecret_key { TR_WHSECRET_ROTATE, TR_WHSECRET__MAX };
extern const struct tr_field tr_whsecret_fields[TR_WHSECRET__MAX];
enum tr_err	 tr_webhook_secret_get(struct tr_req *);

/* Responses.  The handler writes at most one; tr_serve() writes errors. */
enum tr_err	 tr_header(struct tr_req *, const char *, const char *) TR_WUR;
enum tr_err	 tr_reply(struct tr_req *, int status, const char *ctype,
		    const void *, size_t) TR_WUR;
enum tr_err	 tr_reply_json(struct tr_req *, int status,
		    struct json_object *) TR_WUR;
/* The file at path as the response (read in chunks). */
enum tr_err	 tr_reply_file(struct tr_req *, int status, const char *ctype,
		    const char *path) TR_WUR;
/* Set the message of the error the handler is about to return. */
enum tr_err	 tr_fail_param(struct tr_req *, enum tr_err, const char *param,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
enum tr_err	 tr_fail(struct tr_req *, enum tr_err, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
/* The JSON error body for a request (err.c); the caller frees it. */
struct json_object *tr_err_body(enum tr_err, const char *msg,
		    const char *reqid);

/* Secrets (crypto.c): digests, base64url, random tokens, wiping. */
#define TR_SHA256_LEN	32
enum tr_err	 tr_sha256(const void *, size_t,
		    unsigned char [TR_SHA256_LEN]) TR_WUR;
enum tr_err	 tr_hmac_sha256(const void *, size_t, const void *, size_t,
		    unsigned char [TR_SHA256_LEN]) TR_WUR;
enum tr_err	 tr_b64url_encode(struct tr_buf *, const void *, size_t) TR_WUR;
enum tr_err	 tr_b64_encode(struct tr_buf *, const void *, size_t) TR_WUR;
enum tr_err	 tr_b64_decode(struct tr_buf *, const char *, size_t,
		    int url) TR_WUR;
enum tr_err	 tr_token_new(const char *prefix, size_t nbytes,
		    char **) TR_WUR;
#define TR_TOKEN_DIGEST	(2 + 2 * TR_SHA256_LEN + 1)
enum tr_err	 tr_token_digest(const char *, char [TR_TOKEN_DIGEST]) TR_WUR;
void		 tr_wipe(void *, size_t);

/* Passwords (password.c): the seed's rules, yescrypt via libcrypt. */
const char	*tr_password_weak(const char *);
enum tr_err	 tr_password_hash(const char *, char **) TR_WUR;
int		 tr_password_check(const char *, const char *hash);

/* Random bytes from the kernel, hex-encoded ids, constant-time compare. */
enum tr_err	 tr_random(void *, size_t) TR_WUR;
void		 tr_hex(const unsigned char *, size_t, char *out);
int		 tr_memeq_ct(const void *, const void *, size_t);

/*
 * Live decoding with the local engine (engine/sphinx.c): one decoder per
 * stream, fed 16 kHz mono signed 16-bit samples in any chunk sizes.  A
 * decoder is used by one thread at a time; different decoders may be
 * used on different threads at once.  Results come through the callback:
 * interim ones whenever the hypothesis of the current utterance changes,
 * a final one when the speaker pauses (PocketSphinx's voice activity
 * detection) and on finish.  A final's confidence is the mean posterior
 * of its words, in [0, 1]; an interim has none (-1).
 */
struct tr_sphinx_stream;
typedef void	(*tr_sphinx_cb)(void *arg, const char *text, int is_final,
		    double confidence, double start, double end);
enum tr_err	 tr_sphinx_stream_new(struct tr_sphinx_stream **) TR_WUR;
enum tr_err	 tr_sphinx_stream_feed(struct tr_sphinx_stream *,
		    const int16_t *, size_t nsamples, tr_sphinx_cb, void *) TR_WUR;
enum tr_err	 tr_sphinx_stream_finish(struct tr_sphinx_stream *,
		    tr_sphinx_cb, void *) TR_WUR;
/* Ready for a new stream (the decoder is kept: loading costs ~1 s). */
void		 tr_sphinx_stream_reset(struct tr_sphinx_stream *);
void		 tr_sphinx_stream_free(struct tr_sphinx_stream *);

/*
 * Live decoding of container audio (media.c): an ffmpeg child that turns
 * the bytes written to *wfd (webm, ogg, mp3, wav... from the same list
 * as uploads) into 16 kHz mono s16le read from *rfd.  Both ends are
 * non-blocking and close-on-exec; the caller closes them and reaps *pid.
 */
enum tr_err	 tr_media_pcm16k_pipe(int *pid, int *wfd, int *rfd) TR_WUR;

#endif /* TR_H */
