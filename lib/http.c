/*
 * Outbound HTTP through libcurl: connect and total timeouts, a cap on
 * the response size, only http and https, and errors mapped to codes
 * (TR_ETIMEOUT, TR_EUNAVAIL for a peer that cannot be reached,
 * TR_EPROVIDER for a response over the cap).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "extern.h"

static int	 curl_ready;

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

/*
 * Sends a request (GET when body is NULL, else POST with that body) with
 * extra headers (a NULL-terminated list).  On TR_OK, resp holds the
 * status and body, whatever the status; the caller frees it with
 * tr_http_resp_free().  The URL, which may carry no secret, is logged
 * on failure; header values never are.
 */
enum tr_err
tr_http_request(const char *url, const char *const *headers,
    const char *body, size_t bodysz, long timeout_ms, size_t maxbody,
    struct tr_http_resp *resp)
{
	CURL			*c;
	struct curl_slist	*hl = NULL, *nl;
	CURLcode		 cc;
	char			 errbuf[CURL_ERROR_SIZE] = "";
	enum tr_err		 er = TR_OK;

	memset(resp, 0, sizeof(*resp));
	tr_buf_init(&resp->body, maxbody);
	resp->retry_after = -1;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return TR_ESYSTEM;
		curl_ready = 1;
	}
	if ((c = curl_easy_init()) == NULL)
		return TR_ENOMEM;
	for (; headers != NULL && *headers != NULL; headers++) {
		if ((nl = curl_slist_append(hl, *headers)) == NULL) {
			er = TR_ENOMEM;
			goto out;
		}
		hl = nl;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    timeout_ms < 10000 ? timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "trapi/" TR_VERSION);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)bodysz);
	}
	cc = curl_easy_perform(c);
	if (resp->toobig) {
		tr_warnx("http: %s: response over %zu bytes", url, maxbody);
		er = TR_EPROVIDER;
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		tr_warnx("http: %s: timed out", url);
		er = TR_ETIMEOUT;
	} else if (cc != CURLE_OK) {
		tr_warnx("http: %s: %s", url, errbuf[0] ? errbuf :
		    curl_easy_strerror(cc));
		er = TR_EUNAVAIL;
	} else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
out:
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	if (er != TR_OK)
		tr_buf_free(&resp->body);
	return er;
}
