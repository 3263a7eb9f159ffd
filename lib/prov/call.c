/*
 * What the cloud clients share: one call that sends, parses and maps a
 * provider's failure into our error (502 for its errors, 503 when it is
 * busy or unreachable, 504 when it is slow), with its request id and
 * message but never our key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prov.h"

double
tr__jnum(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return 0;
	return json_object_get_double(v);
}

/*
 * Sets *arr to o's member key and returns its length when it is an
 * array; else 0 (json-c aborts on indexing anything but an array).
 */
size_t
tr__jarray(struct json_object *o, const char *key, struct json_object **arr)
{
	*arr = NULL;
	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, arr) ||
	    !json_object_is_type(*arr, json_type_array)) {
		*arr = NULL;
		return 0;
	}
	return json_object_array_length(*arr);
}

/*
 * o's numeric "speaker", or -1 when it has none or one out of range
 * (a huge number would not fit an int, nor the count of speakers).
 */
int
tr__jspeaker(struct json_object *o)
{
	struct json_object	*v;
	double			 n;

	if (o == NULL || !json_object_object_get_ex(o, "speaker", &v) ||
	    (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double)))
		return -1;
	n = json_object_get_double(v);
	return n >= 0 && n < TR_PROV_MAXSPEAKERS ? (int)n : -1;
}

/*
 * The options every cloud call starts from: its URL and headers, the
 * timeout in the provider's own setting (seconds; timeout_def when it
 * is unset), the response cap, PROVIDER_RETRIES and the header that
 * carries the provider's request id (or NULL).  The caller adds a body.
 */
void
tr__prov_http(struct tr_http_opts *ho, const char *url,
    const char *const *hdrs, const char *timeoutvar, long long timeout_def,
    const char *reqid_header)
{
	memset(ho, 0, sizeof(*ho));
	ho->url = url;
	ho->headers = hdrs;
	ho->timeout_ms = tr_conf_ll(timeoutvar, timeout_def, 1,
	    TR_PROV_MAXSECS) * 1000;
	ho->maxbody = TR_PROV_MAXBODY;
	ho->retries = (int)tr_conf_ll("PROVIDER_RETRIES", 2, 0,
	    TR_PROV_MAXRETRIES);
	ho->reqid_header = reqid_header;
}

/*
 * Fails the request for a provider's answer.  er is the transport
 * result; resp (if the transport worked) the answer; msg what the
 * provider said, if it said anything parseable.
 */
enum tr_err
tr__prov_fail(struct tr_req *r, const char *prov, enum tr_err er,
    const struct tr_http_resp *resp, const char *msg)
{
	char	 ra[24];

	if (er == TR_ETIMEOUT)
		return tr_fail(r, TR_ETIMEOUT, "%s did not answer in time", prov);
	if (er != TR_OK)
		return tr_fail(r, TR_EUNAVAIL, "%s could not be reached", prov);
	if (resp->status == 429 || resp->status == 503) {
		snprintf(ra, sizeof(ra), "%ld",
		    resp->retry_after > 0 ? resp->retry_after : 30);
		if (tr_header(r, "Retry-After", ra) != TR_OK)
			tr_warnx("cannot add Retry-After");
		return tr_fail(r, TR_EUNAVAIL, "%s is busy (HTTP %ld)%s%.200s",
		    prov, resp->status, msg != NULL ? ": " : "",
		    msg != NULL ? msg : "");
	}
	return tr_fail(r, TR_EPROVIDER, "%s failed (HTTP %ld%s%.96s)%s%.200s",
	    prov, resp->status, resp->reqid[0] ? ", request " : "",
	    resp->reqid, msg != NULL ? ": " : "", msg != NULL ? msg : "");
}

/* A failed provider call counts, by the error it became. */
static enum tr_err
failed(struct tr_req *r, const char *prov, enum tr_err er)
{
	const char	*kv[4] = { "provider", prov, "code", tr_err_code(er) };

	tr_metric_add(TR_MET_PROV_FAILURES, 1, kv, 2);
	return er;
}

/* While a provider call runs: the request's quota slot renewed. */
static void
renew(void *arg)
{
	struct tr_req	*r = arg;

	tr_quota_renew(r, r->slot);
}

/*
 * Sends a provider request and reads its JSON answer: the part every
 * cloud client shares.  On TR_OK *doc is the parsed body of a 200 (the
 * caller puts it) and reqid holds the provider's request id, if its
 * header came; otherwise the request's error is set from the transport
 * failure, or from the provider's status and the message errmsg() finds
 * in its error body.
 */
enum tr_err
tr__prov_call(struct tr_req *r, const char *prov, const struct tr_http_opts *ho,
    const char *(*errmsg)(struct json_object *), struct json_object **doc,
    char *reqid, size_t reqidsz)
{
	struct tr_http_opts	 o = *ho;
	struct tr_http_resp	 resp;
	struct timespec		 t0, t1;
	const char		*kv[2];
	enum tr_err		 er;

	*doc = NULL;
	/* A long call (or a poll of many) keeps its quota slot's lease. */
	o.progress = renew;
	o.progress_arg = r;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	er = tr_http_do(&o, &resp);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	kv[0] = "provider";
	kv[1] = prov;
	tr_metric_add(TR_MET_PROV_CALLS, 1, kv, 1);
	tr_metric_observe(TR_MET_PROV_SECONDS, (t1.tv_sec - t0.tv_sec) +
	    (t1.tv_nsec - t0.tv_nsec) / 1e9, kv, 1);
	tr_quota_renew(r, r->slot);
	if (er != TR_OK)
		return failed(r, prov, tr__prov_fail(r, prov, er, NULL, NULL));
	if (reqid != NULL)
		snprintf(reqid, reqidsz, "%s", resp.reqid);
	if (tr_json_parse(tr_buf_str(&resp.body), resp.body.len, ho->maxbody,
	    TR_PROV_JSONDEPTH, doc) != TR_OK || *doc == NULL) {
		json_object_put(*doc);
		*doc = NULL;
		er = tr__prov_fail(r, prov, TR_OK, &resp, resp.status == 200 ?
		    "malformed response" : NULL);
	} else if (resp.status != 200) {
		er = tr__prov_fail(r, prov, TR_OK, &resp, errmsg(*doc));
		json_object_put(*doc);
		*doc = NULL;
	}
	tr_http_resp_free(&resp);
	return er != TR_OK ? failed(r, prov, er) : er;
}

/*
 * The path of the upload, for a provider that reads a file (ffmpeg, a
 * file POSTed by curl); else the request fails (500).
 */
enum tr_err
tr__prov_file(struct tr_req *r, const struct tr_upload *up, const char **path)
{
	if ((*path = tr_upload_path(up)) == NULL)
		return tr_fail(r, TR_ESYSTEM, "the upload cannot be read");
	return TR_OK;
}
