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

/* PostgreSQL: one connection per process, parameterised queries only. */
struct	tr_db;

struct tr_db	*tr_db_get(void);
enum tr_err	 tr_db_query(struct tr_db *, PGresult **, const char *sql,
		    int nparams, const char *const *params) TR_WUR;
enum tr_err	 tr_db_queryv(struct tr_db *, PGresult **, const char *sql,
		    int nparams, ...) TR_WUR;
enum tr_err	 tr_db_ping(struct tr_db *) TR_WUR;
void		 tr_db_close(void);
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

/* A file part of a multipart body, spooled to the request's temp dir. */
struct	tr_upload {
	char		*field;		/* form field name */
	char		*filename;	/* client's file name, may be "" */
	char		*ctype;		/* part Content-Type, may be "" */
	char		*path;		/* spool file, removed after request */
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
};

const struct tr_lang *tr_lang(const char *code);
const struct tr_lang *tr_lang_primary(const char *tag);
const struct tr_lang *tr_lang_openai(const char *name);
int		 tr_lang_has(const char *code, unsigned int engines);
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
};

/* Run the FastCGI (or one-shot CGI) loop.  Returns the exit status. */
int		 tr_serve(const struct tr_endpoint *);

/* Request accessors, valid while the handler runs. */
const char	*tr_param(const struct tr_req *, const char *name);
const char	*tr_str(const struct tr_req *, size_t field);
const struct tr_pair *tr_field_get(const struct tr_req *, size_t field);
const struct tr_upload *tr_upload_get(const struct tr_req *, size_t field);
const struct tr_upload *tr_uploads(const struct tr_req *);
struct json_object *tr_body_json(const struct tr_req *);
const char	*tr_request_id(const struct tr_req *);
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
	double		 cost_usd;
	const char	*status;	/* NULL: "success" */
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
enum	tr_whisper_key { TR_WHISPER_AUDIO, TR_WHISPER_LANG, TR_WHISPER_PROMPT,
	TR_WHISPER_TEMP, TR_WHISPER_FORMAT, TR_WHISPER_PROVIDER,
	TR_WHISPER__MAX };
extern const struct tr_field tr_whisper_fields[TR_WHISPER__MAX];
enum tr_err	 tr_whisper_transcribe(struct tr_req *);
struct json_object *tr_oai_models(void);
struct json_object *tr_oai_model(const char *id);
enum	tr_oai_key { TR_OAI_FILE, TR_OAI_MODEL, TR_OAI_LANG, TR_OAI_PROMPT,
	TR_OAI_FORMAT, TR_OAI_TEMP, TR_OAI__MAX };
extern const struct tr_field tr_oai_fields[TR_OAI__MAX];
enum tr_err	 tr_oai_transcriptions(struct tr_req *);
enum tr_err	 tr_oai_translations(struct tr_req *);

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

/* Responses.  The handler writes at most one; tr_serve() writes errors. */
enum tr_err	 tr_header(struct tr_req *, const char *, const char *) TR_WUR;
enum tr_err	 tr_reply(struct tr_req *, int status, const char *ctype,
		    const void *, size_t) TR_WUR;
enum tr_err	 tr_reply_json(struct tr_req *, int status,
		    struct json_object *) TR_WUR;
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
