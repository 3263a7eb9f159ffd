/*
 * Lib-internal declarations: the parsers of untrusted bytes (each in its
 * own file, each with a fuzz target) and the request internals shared by
 * req.c and serve.c.  Programs include tr.h only, where struct tr_req is
 * opaque; a lib file that needs its members includes this header.
 */
#ifndef TR_EXTERN_H
#define TR_EXTERN_H

#include "tr.h"

/*
 * Streaming multipart/form-data parser (RFC 7578, RFC 2046 section 5.1).
 * Bytes are fed in chunks of any size; part data is handed to callbacks
 * as it arrives, never held whole.  Limits: part count, part header
 * block size.
 */
#define TR_MP_WINDOW	(64 * 1024)	/* scan window; > header cap */
#define TR_MP_BOUNDMAX	70		/* RFC 2046 */

struct	tr_mp_cb {
	/* A part begins.  filename is NULL for a plain field. */
	enum tr_err	(*begin)(void *, const char *name,
			    const char *filename, const char *ctype);
	enum tr_err	(*data)(void *, const char *, size_t);
	enum tr_err	(*end)(void *);
};

enum	tr_mp_state {
	TR_MP_PREAMBLE,
	TR_MP_AFTERDELIM,
	TR_MP_HEADERS,
	TR_MP_BODY,
	TR_MP_DONE,
	TR_MP__MAX
};

struct	tr_multipart {
	enum tr_mp_state	 state;
	char			 delim[TR_MP_BOUNDMAX + 5]; /* CRLF "--" b */
	size_t			 delimsz;
	char			*win;		/* scan window */
	size_t			 winsz;		/* bytes in the window */
	size_t			 nparts;	/* parts begun */
	size_t			 maxparts;
	size_t			 hdrmax;	/* header block cap */
	const struct tr_mp_cb	*cb;
	void			*arg;
	char			 err[128];	/* why it failed */
};

enum tr_err	 tr_multipart_boundary(const char *ctype, char *out,
		    size_t outsz) TR_WUR;
enum tr_err	 tr_multipart_init(struct tr_multipart *, const char *boundary,
		    size_t maxparts, size_t hdrmax, const struct tr_mp_cb *,
		    void *) TR_WUR;
enum tr_err	 tr_multipart_feed(struct tr_multipart *, const char *,
		    size_t) TR_WUR;
enum tr_err	 tr_multipart_finish(struct tr_multipart *) TR_WUR;
void		 tr_multipart_free(struct tr_multipart *);

/*
 * application/x-www-form-urlencoded and query strings: calls cb with
 * each decoded key and value (malloced copies the callee may keep).
 */
typedef enum tr_err (*tr_form_cb)(void *, char *key, size_t keysz,
		    char *val, size_t valsz);
enum tr_err	 tr_form_parse(const char *, size_t, size_t maxpairs,
		    tr_form_cb, void *) TR_WUR;

/*
 * JSON Web Tokens (jwt.c).  The caller chooses the algorithm it accepts
 * by the verify function it calls.
 */
#include <openssl/evp.h>
#include <time.h>

struct	tr_jwt {
	struct json_object	*header;
	struct json_object	*claims;
	const char		*alg;	/* in header */
	const char		*kid;	/* in header, or NULL */
	char			*input;	/* header.payload, signed */
	size_t			 inputsz;
	struct tr_buf		 sig;	/* decoded signature */
	const char		*why;	/* reason of the last refusal */
};

enum tr_err	 tr_jwt_parse(const char *, struct tr_jwt *) TR_WUR;
void		 tr_jwt_free(struct tr_jwt *);
enum tr_err	 tr_jwt_verify_hs256(struct tr_jwt *, const void *,
		    size_t) TR_WUR;
enum tr_err	 tr_jwt_verify_rs256(struct tr_jwt *, EVP_PKEY *) TR_WUR;
enum tr_err	 tr_jwt_check(struct tr_jwt *, const char *iss,
		    const char *aud, long leeway, time_t now) TR_WUR;
enum tr_err	 tr_jwt_sign_hs256(struct json_object *, const void *,
		    size_t, char **) TR_WUR;

/* Outbound HTTP (http.c); libcurl's global init, once. */
int		 tr__curl_ready(void);
struct	tr_http_resp {
	long		 status;	/* HTTP status */
	struct tr_buf	 body;		/* capped */
	long		 retry_after;	/* seconds, or -1 */
	int		 toobig;	/* the body hit the cap */
	char		 reqid[96];	/* the reqid_header's value */
	const char	*reqid_header;	/* e.g. "dg-request-id" */
	int		 attempts;	/* requests sent */
};

/* One part of a multipart/form-data request body. */
struct	tr_http_part {
	const char	*name;
	const char	*value;		/* a field, or */
	const char	*file;		/* a file's path, sent as */
	const char	*filename;	/* this file name */
};

struct	tr_http_opts {
	const char		*url;
	const struct tr_http_part *parts;	/* multipart body, or */
	const char *const	*headers;	/* NULL-terminated */
	const char		*body;		/* POST this, or */
	size_t			 bodysz;
	const char		*bodyfile;	/* POST this file */
	long			 timeout_ms;
	size_t			 maxbody;
	int			 retries;	/* on 429, 5xx, no connection */
	const char		*reqid_header;
	size_t			 nparts;
	/* Called now and then while a transfer runs, and before each try. */
	void			(*progress)(void *);
	void			*progress_arg;
};

enum tr_err	 tr_http_do(const struct tr_http_opts *,
		    struct tr_http_resp *) TR_WUR;

enum tr_err	 tr_http_request(const char *url, const char *const *hdrs,
		    const char *body, size_t bodysz, long timeout_ms,
		    size_t maxbody, struct tr_http_resp *) TR_WUR;
void		 tr_http_resp_free(struct tr_http_resp *);

/* Auth0 signing keys (jwks.c), cached per process. */
enum tr_err	 tr_jwks_key(const char *kid, EVP_PKEY **) TR_WUR;
unsigned int	 tr_jwks_fetches(void);
void		 tr_jwks_free(void);
EVP_PKEY	*tr__jwk_rsa(struct json_object *);
enum tr_err	 tr__auth0_url(char *, size_t, const char *path) TR_WUR;

/* The transcript model (transcript.c). */
struct	tr_word {
	char	*text;
	double	 start, end;	/* seconds */
	double	 confidence;	/* 0..1 */
	int	 speaker;	/* from 0; -1 if not diarized */
};

struct	tr_segment {
	char	*text;
	double	 start, end;
	int	 speaker;
};

struct	tr_transcript {
	char			*text;
	char			 language[16];
	double			 duration;	/* seconds of audio */
	struct tr_word		*words;
	size_t			 nwords, wordcap;
	struct tr_segment	*segs;
	size_t			 nsegs, segcap;
	int			 speakers;	/* 0: not diarized */
	char			 provider[16];
	char			 model[48];
	char			 request_id[96];	/* the provider's */
};

void		 tr_transcript_init(struct tr_transcript *);
void		 tr_transcript_free(struct tr_transcript *);
void		 tr_transcript_word(struct tr_transcript *, const char *,
		    double, double, double, int);
void		 tr_transcript_segment(struct tr_transcript *, const char *,
		    double, double, int);
void		 tr_transcript_finish(struct tr_transcript *);
struct json_object *tr_transcript_words_json(const struct tr_transcript *,
		    int openai);
struct json_object *tr_transcript_json(const struct tr_transcript *,
		    const char *reqid);

/*
 * Output formats (format.c): one row per response_format, with its
 * Content-Type, its renderer and the endpoints that offer it (the
 * families TR_FMT_*, tr.h).
 */
#define TR_RENDER_MAX	(64 * 1024 * 1024)	/* bytes of a rendering */

struct	tr_senti_doc;

/* What a renderer needs besides the transcript. */
struct	tr_render {
	const char	*reqid;		/* our request id, for our JSON */
	int		 translate;	/* OpenAI's task: translate */
	int		 words;		/* timestamp_granularities[] word */
	int		 segments;	/* timestamp_granularities[] segment */
	/* Documents (lib/doc/): */
	const char	*title;		/* a heading, or NULL */
	struct json_object *meta;	/* an object of scalars, or NULL */
	const char	*tmpdir;	/* the request's, for a writer's files */
	int		 timed;		/* the segments have times */
	/* Reports: the sentiment of the segments, or NULL (no engine for
	 * the transcript's language); sentiment/sentiment.h. */
	const struct tr_senti_doc *senti;
};

typedef enum tr_err (*tr_renderer)(const struct tr_transcript *,
		    const struct tr_render *, struct tr_buf *);

/* A file format's writer: the document at path. */
typedef enum tr_err (*tr_writer)(const struct tr_transcript *,
		    const struct tr_render *, const char *path);

struct	tr_format {
	const char	*name;		/* response_format: "srt" */
	const char	*ctype;		/* the reply's Content-Type */
	unsigned int	 offered;	/* TR_FMT_*: who offers it */
	tr_renderer	 render;	/* appends the rendering, or NULL */
	tr_writer	 write;		/* or writes a file (docx, pdf, xlsx) */
	const char	*ext;		/* a download's file name extension */
};

const struct tr_format *tr_format(const char *, unsigned int family);
enum tr_err	 tr_format_names(unsigned int family, struct tr_buf *) TR_WUR;
const struct tr_format *tr_format_at(size_t);
const char	*tr_format_family(unsigned int bit);
/* The renderers of subtitle.c. */
enum tr_err	 tr_subtitle_srt(const struct tr_transcript *,
		    const struct tr_render *, struct tr_buf *) TR_WUR;
enum tr_err	 tr_subtitle_vtt(const struct tr_transcript *,
		    const struct tr_render *, struct tr_buf *) TR_WUR;

/*
 * Documents (lib/doc/): one writer a file, rows of format.c's table.
 * Speakers and times appear when the transcript has them; a plain
 * text's segments are its paragraphs, untimed (tr_render.timed 0).
 */
#define TR_DOC_FONT	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define TR_DOC_FONT_BOLD "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
enum tr_err	 tr_doc_txt(const struct tr_transcript *,
		    const struct tr_render *, struct tr_buf *) TR_WUR;
enum tr_err	 tr_doc_docx(const struct tr_transcript *,
		    const struct tr_render *, const char *) TR_WUR;
enum tr_err	 tr_doc_pdf(const struct tr_transcript *,
		    const struct tr_render *, const char *) TR_WUR;
enum tr_err	 tr_doc_xlsx(const struct tr_transcript *,
		    const struct tr_render *, const char *) TR_WUR;
/*
 * Reports (report.c): the figures every report writer shows.  Sentiment
 * is left out until its engine lands.
 */
#define TR_REPORT_SPEAKERS	32	/* speakers counted (the rest: none) */
#define TR_REPORT_TOP		15	/* most frequent content words */
struct	tr_report_speaker {
	int		 speaker;	/* -1: segments without one */
	double		 seconds;	/* talk time */
	double		 share;		/* of all talk time, 0..1 */
	size_t		 words, turns;
};
struct	tr_report_word {
	char		*word;		/* lowercased; NULL: empty slot */
	size_t		 count;
};
struct	tr_report {
	double		 duration, talk, wpm;
	size_t		 words;
	struct tr_report_speaker speakers[TR_REPORT_SPEAKERS];
	size_t		 nspeakers;
	struct tr_report_word *tab;	/* after make: by count, top first */
	size_t		 cap, nuniq, ntop;
};
void		 tr_report_make(const struct tr_transcript *, struct tr_report *);
void		 tr_report_free(struct tr_report *);
void		 tr__report_name(const struct tr_report_speaker *, char *, size_t);
enum tr_err	 tr_report_json(const struct tr_transcript *,
		    const struct tr_render *, struct tr_buf *) TR_WUR;
enum tr_err	 tr_report_docx(const struct tr_transcript *,
		    const struct tr_render *, const char *) TR_WUR;
enum tr_err	 tr_report_pdf(const struct tr_transcript *,
		    const struct tr_render *, const char *) TR_WUR;
enum tr_err	 tr_report_xlsx(const struct tr_transcript *,
		    const struct tr_render *, const char *) TR_WUR;
/* "01:02:03" into a buffer of TR_DOC_CLOCK bytes (doc.c). */
#define TR_DOC_CLOCK	24
void		 tr__doc_clock(double secs, char [TR_DOC_CLOCK]);
/* A segment's heading, "Speaker 1  00:00:03", into b ("" if neither). */
enum tr_err	 tr__doc_heading(const struct tr_segment *,
		    const struct tr_render *, struct tr_buf *) TR_WUR;
/* A metadata value as text (strings as they are). */
const char	*tr__doc_value(struct json_object *);

/*
 * Our transcript JSON back into the model (parse.c), for documents:
 * the shape the transcription endpoints answer (transcript,
 * diarization.segments, words, processing_info) or OpenAI's
 * verbose_json (text, segments).  Limits: segments, words and bytes of
 * text.  On failure why holds the field and what is wrong with it, and
 * the error is TR_EFIELD (shape) or TR_ETOOBIG (a limit); t is freed.
 */
struct	tr_tlimits {
	size_t		 segs, words, text;
};
enum tr_err	 tr_transcript_parse(struct json_object *,
		    const struct tr_tlimits *, struct tr_transcript *,
		    char *why, size_t whysz) TR_WUR;
/* Makes the paragraphs of t->text its untimed segments. */
void		 tr_transcript_paragraphs(struct tr_transcript *);

/*
 * A forward proxy on loopback (net/proxy.c) for a helper that opens its
 * own connections (yt-dlp): each address it would reach is held to
 * tr_net_addr_allowed(), and the bytes from upstreams to maxbytes.
 * tr_proxy_start() gives its URL ("http://127.0.0.1:port");
 * tr_proxy_stop() ends it, why gets the first refusal ("" if none),
 * and it returns 1 if the cap was passed.
 */
struct	tr_proxy;
enum tr_err	 tr_proxy_start(struct tr_proxy **, unsigned long long maxbytes,
		    char *url, size_t urlsz) TR_WUR;
int		 tr_proxy_stop(struct tr_proxy *, char *why, size_t whysz);
/* A request head's first line, as the proxy reads it (for tests). */
struct	tr_proxy_req {
	int		 connect;	/* CONNECT host:port */
	char		 method[16];
	char		 host[256];	/* without brackets */
	char		 port[8];
	const char	*path;		/* origin form, in the head; NULL: CONNECT */
	size_t		 pathlen;
	const char	*version;	/* "HTTP/1.1", in the head */
	size_t		 versionlen;
	const char	*rest;		/* the head from the line's CRLF on */
};
enum tr_err	 tr__proxy_parse(const char *, size_t,
		    struct tr_proxy_req *) TR_WUR;

/* Helper programs by argv (proc.c) and media files (media.c). */
enum tr_err	 tr_proc_run(char *const [], long timeout_ms, struct tr_buf *,
		    int *status) TR_WUR;
enum tr_err	 tr_proc_run2(char *const [], long timeout_ms, struct tr_buf *,
		    int *status, int errout) TR_WUR;
enum tr_err	 tr_proc_runenv(char *const [], char *const envp[],
		    long timeout_ms, struct tr_buf *, int *status,
		    int errout) TR_WUR;

struct	tr_media {
	char	 format[64];	/* ffprobe's format_name */
	double	 duration;	/* seconds, 0 if unknown */
	int	 has_audio;
	int	 channels;
	int	 rate;
	char	 codec[32];	/* the audio stream's codec: "pcm_s16le" */
	long long bit_rate;	/* bits per second, 0 if unknown */
};

enum tr_err	 tr_media_probe(const char *, struct tr_media *) TR_WUR;
/* A PCM WAV by its first len bytes, of a file of size bytes. */
enum tr_err	 tr_media_wav(const unsigned char *, size_t len,
		    unsigned long long size, struct tr_media *) TR_WUR;
enum tr_err	 tr_media_pcm16k(const char *in, const char *out) TR_WUR;
enum tr_err	 tr_media_silences(const char *, double **, size_t *) TR_WUR;
enum tr_err	 tr_media_audio(const char *in, const char *out) TR_WUR;
enum tr_err	 tr_media_cut(const char *in, double start, double end,
		    const char *out) TR_WUR;

/* The local engine (engine/sphinx.c): raw 16 kHz mono s16le. */
enum tr_err	 tr_sphinx_decode(const char *, struct tr_transcript *) TR_WUR;

/* Does r's path match ep's (req.c)?  Sets r's path argument. */
int		 tr__path_match(struct tr_req *, const struct tr_endpoint *);

/* Transcription around a provider (transcribe.c). */
struct	tr_prov_opts;
enum tr_err	 tr_upload_probe(const struct tr_upload *,
		    struct tr_media *) TR_WUR;
enum tr_err	 tr_transcribe(struct tr_req *, const struct tr_upload *,
		    const char *provider, const char *want,
		    const struct tr_prov_opts *, struct tr_transcript *) TR_WUR;
/* The same; a success's usage row (and its slot) left in held, for
 * work that goes on in the same call to bill with it. */
struct	tr_usage;
enum tr_err	 tr_transcribe_held(struct tr_req *, const struct tr_upload *,
		    const char *provider, const char *want,
		    const struct tr_prov_opts *, struct tr_transcript *,
		    struct tr_usage *held) TR_WUR;
enum tr_err	 tr_transcript_format(struct tr_req *, const char *name,
		    unsigned int family, enum tr_err,
		    const struct tr_format **) TR_WUR;
enum tr_err	 tr_transcript_reply(struct tr_req *,
		    const struct tr_transcript *, const struct tr_format *,
		    int translate) TR_WUR;

/* OpenAI-compatible audio endpoints (oai.c). */
const char	*tr_oai_model_provider(const char *);

/*
 * A timestamptz column as ISO 8601 UTC text ("2024-05-01T12:00:00Z")
 * under the column's own name, for the row readers of db.c:
 * "SELECT " TR_SQL_ISOTIME("created_at") " FROM ...".
 */
#define TR_SQL_ISOTIME(col)	"to_char(" col " AT TIME ZONE 'UTC'," \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS " col

/*
 * The request itself, opaque to programs: req.c and serve.c own it, and
 * the lib files that act on a request (auth, metering, providers) read
 * its members.
 */
#include <fcgiapp.h>

/* A query or body parameter, before validation. */
struct	tr_kv {
	char	*key;
	char	*val;
	size_t	 valsz;
	enum tr_kind kind;	/* its JSON type; TR_KIND_TEXT if not JSON */
};

/* Requests per minute for a plan missing from the plans table. */
#define TR_RATE_DEFAULT	"60"

/* A call counted against a rate limit: rate_take()'s answer. */
struct	tr_rate {
	int		 counted;	/* this request was counted */
	int		 admitted;	/* and let through */
	long long	 lim;		/* the limit */
	long long	 left;		/* calls left */
	long long	 reset;		/* epoch seconds: all of it back */
	long long	 in;		/* seconds until one more call */
};

/* What quota_take() said (meter/quota.c): the month's minutes, a slot. */
struct	tr_quota {
	int		 read;		/* by the key's admission, unused yet */
	int		 minutes_ok;	/* some left (for the seconds asked) */
	int		 known;		/* used and quota are the plan's */
	double		 used, quota;	/* minutes this month, and allowed */
	long long	 until;		/* seconds until the next month */
	long long	 slot;		/* the slot taken, 0: none free */
};

/*
 * One request: everything it allocates hangs off this struct and is
 * released by tr__req_free() at the end of each loop iteration.
 */
struct	tr_req {
	FCGX_Request		*fcgi;		/* NULL in plain CGI mode */
	const struct tr_endpoint *ep;
	enum tr_method		 method;
	const char		*methodstr;	/* as received */
	char			*path;		/* URI path, no query */
	const char		*patharg;	/* segment matched by "*" */
	const char		*query;
	const char		*ctype;		/* Content-Type or "" */
	const char		*remote;
	unsigned long long	 clen;		/* Content-Length */
	unsigned long long	 consumed;	/* body bytes read */
	int			 hasclen;
	char			 reqid[33];
	struct tr_kv		*kvs;		/* query, then body */
	size_t			 kvsz;
	size_t			 kvcap;
	struct tr_pair		*fields;	/* ep->fieldsz, validated */
	const struct tr_upload	**files;	/* ep->fieldsz */
	struct tr_upload	*uploads;	/* spooled file parts */
	struct tr_upload	**uptail;
	struct json_object	*json;		/* parsed JSON body */
	char			*tmpdir;	/* created on first file */
	int			 tmpfd;		/* holds tmpdir's lock */
	struct tr_buf		 hdrs;		/* extra response headers */
	struct tr_buf		 msg;		/* error message */
	const char		*errparam;	/* the field it is about */
	struct tr_principal	 prin;		/* who is calling */
	int			 replied;	/* a response was written */
	int			 status;	/* its status */
	int			 bare;		/* tr_req_new(): no I/O */
	long long		 slot;		/* quota slot held, 0: none */
	long long		 slot_renewed;	/* its lease, monotonic secs */
	struct tr_rate		 rate;		/* counted with the key */
	struct tr_quota		 quota;		/* taken with the key */
	/* An async job's run (service/job.c): the reply is kept, not
	 * written, and the usage row waits for the run's final write. */
	struct tr_jobrun	*job;
	/* multipart: the part being read */
	int			 curfd;
	struct tr_upload	*curup;
	char			*curname;
	struct tr_buf		 curval;
};

void		 tr__req_init(struct tr_req *, FCGX_Request *,
		    const struct tr_endpoint *);
void		 tr__req_free(struct tr_req *);

/* The path that opens a descriptor of this process again: a request's
 * part in memory (cgi/req.c), kept open in a child that names it in its
 * argv (core/proc.c). */
#define TR_PROC_FD	"/proc/self/fd/"

/* Requests' temp dirs (cgi/tmpdir.c). */
enum tr_err	 tr__tmpdir_new(char **path, int *lockfd) TR_WUR;
void		 tr__tmpdir_remove(const char *path, int lockfd);
int		 tr__tmpdir_sweep(int force);
const char	*tr__req_env(const struct tr_req *, const char *);
enum tr_err	 tr__req_body(struct tr_req *) TR_WUR;
enum tr_err	 tr__req_query(struct tr_req *) TR_WUR;
enum tr_err	 tr__req_error(struct tr_req *, enum tr_err);
void		 tr__req_drain(struct tr_req *);
enum tr_err	 tr__req_tmpfile(struct tr_req *, const char *, char **) TR_WUR;
enum tr_err	 tr__auth(struct tr_req *) TR_WUR;
void		 tr__principal_free(struct tr_principal *);
enum tr_err	 tr__ratelimit(struct tr_req *) TR_WUR;
enum tr_err	 tr__rate_col(const PGresult *, struct tr_rate *) TR_WUR;
enum tr_err	 tr__quota_col(const PGresult *, struct tr_quota *) TR_WUR;
enum tr_err	 tr__throttle(struct tr_req *) TR_WUR;
enum tr_err	 tr__throttle_account(struct tr_req *, const char *email)
		    TR_WUR;
void		 tr__throttle_account_ok(const char *email);
enum tr_err	 tr__cors(struct tr_req *, int *preflight) TR_WUR;
/* A parameter (copies of key and val) or a file (path moved in). */
enum tr_err	 tr__req_addkv(struct tr_req *, const char *key,
		    const char *val, size_t valsz, enum tr_kind) TR_WUR;
void		 tr__req_addupload(struct tr_req *, const char *field,
		    const char *filename, const char *ctype, char *path,
		    uint64_t size);

/*
 * An async job's run (service/job.c), hung off the request that the
 * worker's child rebuilds from the job: what the handler replied, and
 * the usage row it would have written, held for the run's last write.
 */
#define TR_USAGE_NPARAMS 13	/* usage_row's: the row, its slot, characters */
struct	tr_jobrun {
	char		 id[37];		/* the job's uuid */
	char		 attempt[16];		/* the fencing token */
	int		 status;		/* the reply's */
	char		*ctype;
	char		*disposition;		/* Content-Disposition or NULL */
	struct tr_buf	 body;
	char		*usage[TR_USAGE_NPARAMS]; /* the deferred row, or NULLs */
	int		 canceled;		/* seen at a progress check */
};
/* Keeps the usage row of a job's run (usage.c). */
void		 tr__usage_defer(struct tr_req *, const char *const *);
/* Writes it: inside the run's final transaction (usage.c). */
enum tr_err	 tr__usage_flush(struct tr_req *) TR_WUR;
/* The async part of dispatch (job.c): 0 if the request wants none. */
enum tr_err	 tr__job_wanted(struct tr_req *, int *) TR_WUR;
enum tr_err	 tr__job_submit(struct tr_req *) TR_WUR;
/* 422 naming callback_url unless the account has a webhook secret. */
enum tr_err	 tr__callback_ready(struct tr_req *, long long uid) TR_WUR;
/* The worker's child: the job's request rebuilt, run, its end written. */
int		 tr__job_child(const struct tr_endpoint *, const char *id,
		    const char *attempt,
		    enum tr_err (*run)(struct tr_req *));

#endif /* TR_EXTERN_H */
