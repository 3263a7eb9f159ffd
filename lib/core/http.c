/*
 * Outbound HTTP through libcurl: connect and total timeouts, a cap on
 * the response size, only http and https, and errors mapped to codes
 * (TR_ETIMEOUT, TR_EUNAVAIL for a peer that cannot be reached,
 * TR_EPROVIDER for a response over the cap).  One curl handle per
 * thread and origin (scheme, host and port: in practice, per provider)
 * lives as long as the process, so that its connection cache and DNS
 * cache carry keep-alive across the requests a FastCGI process serves.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "extern.h"

#define HTTP_ORIGINS	8	/* handles kept per thread */
#define HTTP_ORIGINMAX	256	/* longest origin kept */

static pthread_once_t	 curl_once = PTHREAD_ONCE_INIT;
static int		 curl_ready;

/* A handle kept for one origin. */
struct	origin {
	char	 name[HTTP_ORIGINMAX];	/* "https://api.deepgram.com:443" */
	CURL	*c;
	int	 warm;			/* a transfer left a connection */
};

static __thread struct origin	 origins[HTTP_ORIGINS];
static __thread size_t		 norigins;

/*
 * The handle for url's origin, reset to no options but with its
 * connections and DNS cache; a new one when the origin is new (the
 * oldest one goes when all are taken).  NULL when out of memory.
 */
static CURL *
handle_for(const char *url, int **warm)
{
	CURLU		*u;
	char		*scheme = NULL, *host = NULL, *port = NULL;
	char		 name[HTTP_ORIGINMAX];
	struct origin	*o;
	size_t		 i;

	name[0] = '\0';
	if ((u = curl_url()) != NULL &&
	    curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
	    CURLUE_OK)
		snprintf(name, sizeof(name), "%s://%s:%s", scheme, host, port);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	*warm = NULL;
	/* A URL curl cannot split gets a handle of its own, used once. */
	if (name[0] == '\0')
		return curl_easy_init();
	for (i = 0; i < norigins; i++)
		if (strcmp(origins[i].name, name) == 0) {
			curl_easy_reset(origins[i].c);
			*warm = &origins[i].warm;
			return origins[i].c;
		}
	if (norigins == HTTP_ORIGINS) {
		curl_easy_cleanup(origins[0].c);
		memmove(&origins[0], &origins[1],
		    (HTTP_ORIGINS - 1) * sizeof(origins[0]));
		norigins--;
	}
	o = &origins[norigins];
	if ((o->c = curl_easy_init()) == NULL)
		return NULL;
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->warm = 0;
	*warm = &o->warm;
	norigins++;
	return o->c;
}

/* Is c one of the kept handles (else it is cleaned up after use)? */
static int
kept(const CURL *c)
{
	size_t	 i;

	for (i = 0; i < norigins; i++)
		if (origins[i].c == c)
			return 1;
	return 0;
}

/* Closes this thread's kept connections (before a thread ends). */
void
tr_http_close(void)
{
	size_t	 i;

	for (i = 0; i < norigins; i++)
		curl_easy_cleanup(origins[i].c);
	norigins = 0;
}

static void
curl_init(void)
{
	curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

/* libcurl's global init, once per process, whichever thread comes
 * first (net/guard.c's fetches too); whether it succeeded. */
int
tr__curl_ready(void)
{
	pthread_once(&curl_once, curl_init);
	return curl_ready;
}

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct tr_http_resp	*resp = arg;

	if (tr_buf_add(&resp->body, p, sz * n) != TR_OK) {
		resp->toobig = 1;
		return 0;
	}
	return sz * n;
}

static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct tr_http_resp	*resp = arg;
	size_t			 len = sz * n, vlen;
	const char		*v;
	long long		 secs;
	char			 tmp[32];

	if (resp->reqid_header != NULL &&
	    len > strlen(resp->reqid_header) + 1 &&
	    strncasecmp(p, resp->reqid_header, strlen(resp->reqid_header)) == 0 &&
	    p[strlen(resp->reqid_header)] == ':') {
		for (v = p + strlen(resp->reqid_header) + 1; *v == ' '; v++)
			continue;
		vlen = len - (size_t)(v - p);
		while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
			vlen--;
		if (vlen >= sizeof(resp->reqid))
			vlen = sizeof(resp->reqid) - 1;
		memcpy(resp->reqid, v, vlen);
		resp->reqid[vlen] = '\0';
	}
	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		for (v = p + 12; *v == ' ' || *v == '\t'; v++)
			continue;
		vlen = len - (size_t)(v - p);
		while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
			vlen--;
		if (vlen < sizeof(tmp)) {
			memcpy(tmp, v, vlen);
			tmp[vlen] = '\0';
			if (tr_parse_ll(tmp, 0, 86400, &secs) == TR_OK)
				resp->retry_after = (long)secs;
		}
	}
	return len;
}

void
tr_http_resp_free(struct tr_http_resp *resp)
{
	tr_buf_free(&resp->body);
}

/* curl's progress callback: the caller's, never an abort. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	const struct tr_http_opts	*o = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	o->progress(o->progress_arg);
	return 0;
}

/* One attempt.  resp is (re)initialised. */
static enum tr_err
attempt(const struct tr_http_opts *o, struct tr_http_resp *resp)
{
	CURL			*c;
	struct curl_slist	*hl = NULL, *nl;
	const char *const	*h;
	FILE			*f = NULL;
	curl_mime		*mime = NULL;
	CURLcode		 cc;
	char			 errbuf[CURL_ERROR_SIZE] = "";
	enum tr_err		 er = TR_OK;
	int			 tries = resp->attempts, *warm;
	long			 conns = 0;

	tr_buf_free(&resp->body);
	memset(resp, 0, sizeof(*resp));
	tr_buf_init(&resp->body, o->maxbody);
	resp->retry_after = -1;
	resp->reqid_header = o->reqid_header;
	resp->attempts = tries + 1;
	if (!tr__curl_ready())
		return TR_ESYSTEM;
	if ((c = handle_for(o->url, &warm)) == NULL)
		return TR_ENOMEM;
	/* An empty Expect: large bodies go at once, without a 100 round. */
	if ((hl = curl_slist_append(NULL, "Expect:")) == NULL) {
		er = TR_ENOMEM;
		goto out;
	}
	for (h = o->headers; h != NULL && *h != NULL; h++) {
		if ((nl = curl_slist_append(hl, *h)) == NULL) {
			er = TR_ENOMEM;
			goto out;
		}
		hl = nl;
	}
	curl_easy_setopt(c, CURLOPT_URL, o->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    o->timeout_ms < 10000 ? o->timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "trapi/" TR_VERSION);
	if (o->progress != NULL) {
		o->progress(o->progress_arg);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)o);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	if (o->parts != NULL) {
		curl_mimepart	*mp;
		size_t		 i;

		if ((mime = curl_mime_init(c)) == NULL) {
			er = TR_ENOMEM;
			goto out;
		}
		for (i = 0; i < o->nparts; i++) {
			if ((mp = curl_mime_addpart(mime)) == NULL ||
			    curl_mime_name(mp, o->parts[i].name) != CURLE_OK ||
			    (o->parts[i].file != NULL ?
			    curl_mime_filedata(mp, o->parts[i].file) != CURLE_OK ||
			    curl_mime_filename(mp, o->parts[i].filename) != CURLE_OK :
			    curl_mime_data(mp, o->parts[i].value,
			    CURL_ZERO_TERMINATED) != CURLE_OK)) {
				er = TR_ESYSTEM;
				goto out;
			}
		}
		curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	} else if (o->bodyfile != NULL) {
		struct stat	 st;

		if ((f = fopen(o->bodyfile, "rb")) == NULL ||
		    fstat(fileno(f), &st) == -1) {
			er = TR_ESYSTEM;
			goto out;
		}
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READDATA, f);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)st.st_size);
	} else if (o->body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, o->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)o->bodysz);
	}
	cc = curl_easy_perform(c);
	/*
	 * A kept connection the peer had closed makes curl send the
	 * request again on a new one: the peer may have seen it twice, so
	 * that counts as two attempts (retries stay bounded as they were).
	 */
	if (warm != NULL) {
		if (*warm && curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS,
		    &conns) == CURLE_OK && conns > 0 && cc != CURLE_OK)
			resp->attempts++;
		*warm = cc == CURLE_OK;
	}
	if (resp->toobig) {
		tr_warnx("http: %s: response over %zu bytes", o->url, o->maxbody);
		er = TR_EPROVIDER;
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		tr_warnx("http: %s: timed out", o->url);
		er = TR_ETIMEOUT;
	} else if (cc != CURLE_OK) {
		tr_warnx("http: %s: %s", o->url, errbuf[0] ? errbuf :
		    curl_easy_strerror(cc));
		er = TR_EUNAVAIL;
	} else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
out:
	if (f != NULL)
		fclose(f);
	/* The handle lets go of what this request set on it first. */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c, CURLOPT_MIMEPOST, NULL);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hl);
	curl_mime_free(mime);
	if (!kept(c))
		curl_easy_cleanup(c);
	return er;
}

/*
 * Sends a request (POST when a body or body file is given, else GET)
 * and retries, up to o->retries times, when the peer could not be
 * reached or answered 429 or 5xx: exponential backoff with jitter,
 * or the Retry-After it asked for (capped).  A timeout is not retried.
 * On TR_OK resp holds the last status and body, whatever the status;
 * the caller frees it with tr_http_resp_free().  The URL (which may
 * carry no secret) is logged on failure; header values never are.
 */
enum tr_err
tr_http_do(const struct tr_http_opts *o, struct tr_http_resp *resp)
{
	struct timespec	 ts;
	unsigned int	 jitter;
	long		 wait_ms;
	int		 n;
	enum tr_err	 er;

	memset(resp, 0, sizeof(*resp));
	tr_buf_init(&resp->body, o->maxbody);
	for (n = 0;; n++) {
		er = attempt(o, resp);
		if (resp->attempts > o->retries || er == TR_ETIMEOUT ||
		    (er == TR_OK && resp->status != 429 && resp->status < 500) ||
		    (er != TR_OK && er != TR_EUNAVAIL))
			break;
		if (tr_random(&jitter, sizeof(jitter)) != TR_OK)
			jitter = 0;
		wait_ms = (200L << n) + (long)(jitter % 200);
		if (er == TR_OK && resp->retry_after >= 0)
			wait_ms = resp->retry_after * 1000L;
		if (wait_ms > 10000)
			wait_ms = 10000;
		tr_info("http: %s: %s; retry %d in %ld ms", o->url,
		    er == TR_OK ? "busy" : "unreachable", n + 1, wait_ms);
		ts.tv_sec = wait_ms / 1000;
		ts.tv_nsec = wait_ms % 1000 * 1000000L;
		nanosleep(&ts, NULL);
	}
	if (er != TR_OK)
		tr_buf_free(&resp->body);
	return er;
}

/* A request without retries; see tr_http_do(). */
enum tr_err
tr_http_request(const char *url, const char *const *headers,
    const char *body, size_t bodysz, long timeout_ms, size_t maxbody,
    struct tr_http_resp *resp)
{
	struct tr_http_opts	 o = {
		.url = url, .headers = headers, .body = body, .bodysz = bodysz,
		.timeout_ms = timeout_ms, .maxbody = maxbody,
	};

	return tr_http_do(&o, resp);
}
