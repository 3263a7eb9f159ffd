/*
 * Google Cloud Translation v2 (provider-protocols section 6): with
 * GOOGLE_API_KEY as ?key=, or with the service account that
 * GOOGLE_APPLICATION_CREDENTIALS names: an RS256 JWT (signed with
 * OpenSSL) exchanged at its token_uri for an access token, cached per
 * process until a minute before it expires, and fetched again once
 * when Google answers 401.
 */
#include <openssl/pem.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xlate.h"

#define G_MAXFILE	(64 * 1024)	/* the service-account JSON */
#define G_SCOPE		"https://www.googleapis.com/auth/cloud-translation"

static pthread_mutex_t	 tok_mu = PTHREAD_MUTEX_INITIALIZER;
static char		 tok[2048];	/* the cached access token */
static time_t		 tok_exp;

/* The JWT assertion for the service account in doc. */
static enum tr_err
assertion(struct json_object *doc, struct tr_buf *out)
{
	struct json_object	*h, *c;
	const char		*pem = tr_json_str(doc, "private_key"), *s;
	struct tr_buf		 in, sig;
	unsigned char		 raw[1024];
	size_t			 rawsz = sizeof(raw);
	EVP_PKEY		*k = NULL;
	EVP_MD_CTX		*md = NULL;
	BIO			*bio;
	time_t			 now = time(NULL);
	enum tr_err		 er = TR_ESYSTEM;

	if (pem == NULL || tr_json_str(doc, "client_email") == NULL ||
	    tr_json_str(doc, "token_uri") == NULL)
		return TR_EINVAL;
	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL)
		return TR_ENOMEM;
	k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (k == NULL)
		return TR_EINVAL;
	h = json_object_new_object();
	json_object_object_add(h, "alg", json_object_new_string("RS256"));
	json_object_object_add(h, "typ", json_object_new_string("JWT"));
	if ((s = tr_json_str(doc, "private_key_id")) != NULL)
		json_object_object_add(h, "kid", json_object_new_string(s));
	c = json_object_new_object();
	json_object_object_add(c, "iss",
	    json_object_new_string(tr_json_str(doc, "client_email")));
	json_object_object_add(c, "scope", json_object_new_string(G_SCOPE));
	json_object_object_add(c, "aud",
	    json_object_new_string(tr_json_str(doc, "token_uri")));
	json_object_object_add(c, "iat", json_object_new_int64(now));
	json_object_object_add(c, "exp", json_object_new_int64(now + 3600));
	tr_buf_init(&in, 16384);
	tr_buf_init(&sig, 4096);
	s = json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN);
	if (tr_b64url_encode(&in, s, strlen(s)) != TR_OK ||
	    tr_buf_add(&in, ".", 1) != TR_OK)
		goto out;
	s = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN);
	if (tr_b64url_encode(&in, s, strlen(s)) != TR_OK)
		goto out;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) != 1 ||
	    EVP_DigestSign(md, raw, &rawsz, (unsigned char *)in.ptr,
	    in.len) != 1)
		goto out;
	if (tr_b64url_encode(&sig, raw, rawsz) != TR_OK ||
	    tr_buf_add(out, in.ptr, in.len) != TR_OK ||
	    tr_buf_add(out, ".", 1) != TR_OK ||
	    tr_buf_add(out, sig.ptr, sig.len) != TR_OK)
		goto out;
	er = TR_OK;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	json_object_put(h);
	json_object_put(c);
	tr_buf_free(&in);
	tr_buf_free(&sig);
	return er;
}

/* A valid access token into t (cached, or fetched when fresh is set). */
static enum tr_err
token(struct tr_xjob *job, int fresh, char *t, size_t tsz)
{
	struct json_object	*doc = NULL, *ans = NULL;
	struct tr_http_opts	 ho;
	struct tr_http_resp	 resp;
	struct tr_buf		 file, body;
	const char		*path, *s;
	const char		*hdrs[] = {
	    "Content-Type: application/x-www-form-urlencoded", NULL };
	FILE			*f;
	char			 chunk[4096];
	size_t			 n;
	double			 exp;
	enum tr_err		 er;

	pthread_mutex_lock(&tok_mu);
	if (!fresh && tok[0] != '\0' && time(NULL) < tok_exp - 60) {
		snprintf(t, tsz, "%s", tok);
		pthread_mutex_unlock(&tok_mu);
		return TR_OK;
	}
	tr_buf_init(&file, G_MAXFILE);
	tr_buf_init(&body, 32768);
	er = TR_ESYSTEM;
	snprintf(job->msg, sizeof(job->msg), "the service account in "
	    "GOOGLE_APPLICATION_CREDENTIALS cannot be read");
	if ((path = tr_conf("GOOGLE_APPLICATION_CREDENTIALS")) == NULL ||
	    (f = fopen(path, "re")) == NULL)
		goto out;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (tr_buf_add(&file, chunk, n) != TR_OK)
			break;
	fclose(f);
	if (file.ptr == NULL || tr_json_parse(file.ptr, file.len, G_MAXFILE, 8,
	    &doc) != TR_OK || doc == NULL ||
	    tr_buf_adds(&body, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3A"
	    "grant-type%3Ajwt-bearer&assertion=") != TR_OK ||
	    assertion(doc, &body) != TR_OK)
		goto out;
	job->msg[0] = '\0';
	tr__prov_http(&ho, tr_json_str(doc, "token_uri"), hdrs, "GOOGLE_TIMEOUT",
	    60, NULL);
	ho.maxbody = 65536;
	ho.body = body.ptr;
	ho.bodysz = body.len;
	if ((job->er = er = tr_http_do(&ho, &resp)) != TR_OK)
		goto out;
	job->resp.status = resp.status;
	job->resp.retry_after = resp.retry_after;
	er = TR_EPROVIDER;
	if (tr_json_parse(tr_buf_str(&resp.body), resp.body.len, 65536, 8,
	    &ans) == TR_OK && ans != NULL && resp.status == 200 &&
	    (s = tr_json_str(ans, "access_token")) != NULL &&
	    strlen(s) < sizeof(tok)) {
		exp = tr__jnum(ans, "expires_in");
		snprintf(tok, sizeof(tok), "%s", s);
		tok_exp = time(NULL) + (exp > 0 && exp < 86400 ? (time_t)exp : 300);
		snprintf(t, tsz, "%s", tok);
		er = TR_OK;
	} else
		snprintf(job->msg, sizeof(job->msg), "token: %.200s",
		    ans != NULL && tr_json_str(ans, "error_description") ?
		    tr_json_str(ans, "error_description") : "no access token");
	tr_http_resp_free(&resp);
out:
	pthread_mutex_unlock(&tok_mu);
	json_object_put(doc);
	json_object_put(ans);
	tr_wipe(body.ptr, body.len);
	tr_buf_free(&file);
	tr_buf_free(&body);
	return er;
}

/* Reads data.translations[0]; else TR_EPROVIDER. */
enum tr_err
tr__google_parse(struct json_object *doc, char **out, char *det, size_t dsz)
{
	struct json_object	*d, *arr, *e;
	const char		*s;

	if (!json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "data", &d) ||
	    tr__jarray(d, "translations", &arr) == 0)
		return TR_EPROVIDER;
	e = json_object_array_get_idx(arr, 0);
	if ((s = tr_json_str(e, "translatedText")) == NULL)
		return TR_EPROVIDER;
	*out = tr_xstrdup(s);
	if ((s = tr_json_str(e, "detectedSourceLanguage")) != NULL)
		snprintf(det, dsz, "%s", s);
	return TR_OK;
}

static enum tr_err
once(struct tr_xjob *job, const char *s, size_t n, const char *bearer,
    char **out)
{
	struct json_object	*req, *q, *doc = NULL, *e;
	struct tr_http_opts	 ho;
	struct tr_http_resp	 resp;
	struct tr_buf		 url, auth;
	const char		*hdrs[3], *body, *key = tr_conf("GOOGLE_API_KEY");
	enum tr_err		 er;

	req = json_object_new_object();
	q = json_object_new_array();
	json_object_array_add(q, json_object_new_string_len(s, (int)n));
	json_object_object_add(req, "q", q);
	json_object_object_add(req, "target", json_object_new_string(job->target));
	if (job->source != NULL)
		json_object_object_add(req, "source",
		    json_object_new_string(job->source));
	json_object_object_add(req, "format", json_object_new_string("text"));
	body = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	tr_buf_init(&url, 4096);
	tr_buf_init(&auth, 4096);
	if ((er = tr_buf_addf(&url, "%s/language/translate/v2%s%s",
	    tr_conf_def("GOOGLE_TRANSLATE_BASE_URL",
	    "https://translation.googleapis.com"), bearer == NULL ? "?key=" : "",
	    bearer == NULL ? key : "")) != TR_OK ||
	    (er = tr_buf_addf(&auth, "Authorization: Bearer %s",
	    bearer != NULL ? bearer : "")) != TR_OK)
		goto out;
	hdrs[0] = "Content-Type: application/json; charset=utf-8";
	hdrs[1] = bearer != NULL ? auth.ptr : NULL;
	hdrs[2] = NULL;
	tr__prov_http(&ho, url.ptr, hdrs, "GOOGLE_TIMEOUT", 60, NULL);
	ho.body = body;
	ho.bodysz = strlen(body);
	if ((job->er = er = tr_http_do(&ho, &resp)) != TR_OK)
		goto out;
	job->resp.status = resp.status;
	job->resp.retry_after = resp.retry_after;
	er = TR_EPROVIDER;
	if (tr_json_parse(tr_buf_str(&resp.body), resp.body.len, TR_PROV_MAXBODY,
	    TR_PROV_JSONDEPTH, &doc) != TR_OK || doc == NULL)
		snprintf(job->msg, sizeof(job->msg), resp.status == 200 ?
		    "malformed response" : "");
	else if (resp.status != 200) {
		if (json_object_is_type(doc, json_type_object) &&
		    json_object_object_get_ex(doc, "error", &e) &&
		    tr_json_str(e, "message") != NULL)
			snprintf(job->msg, sizeof(job->msg), "%.200s",
			    tr_json_str(e, "message"));
	} else if ((er = tr__google_parse(doc, out, job->detected,
	    sizeof(job->detected))) != TR_OK)
		snprintf(job->msg, sizeof(job->msg), "unexpected response shape");
	else
		job->characters += (long long)tr_split_cost(s, n, TR_UNIT_CHARS);
	tr_http_resp_free(&resp);
out:
	json_object_put(doc);
	json_object_put(req);
	tr_wipe(auth.ptr, auth.len);
	tr_wipe(url.ptr, url.len);
	tr_buf_free(&url);
	tr_buf_free(&auth);
	return er;
}

static enum tr_err
translate(struct tr_xjob *job, const char *s, size_t n, char **out)
{
	char		 t[2048];
	enum tr_err	 er;

	if (tr_conf("GOOGLE_API_KEY") != NULL)
		return once(job, s, n, NULL, out);
	if ((er = token(job, 0, t, sizeof(t))) != TR_OK)
		return er;
	er = once(job, s, n, t, out);
	/* An expired or revoked token: a new one, once. */
	if (er != TR_OK && job->er == TR_OK && job->resp.status == 401 &&
	    (er = token(job, 1, t, sizeof(t))) == TR_OK)
		er = once(job, s, n, t, out);
	tr_wipe(t, sizeof(t));
	return er;
}

static enum tr_err
any_pair(struct tr_xjob *job, char *why, size_t sz)
{
	return TR_OK;
}

static struct json_object *
any_languages(void)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "pairs", json_object_new_string("any"));
	return o;
}

const struct tr_engine tr_xl_google = {
	.name = "google", .model = "nmt", .keyvar = "GOOGLE_API_KEY",
	.altkeyvar = "GOOGLE_APPLICATION_CREDENTIALS",
	.costvar = "TRANSLATE_COST_GOOGLE", .cost = 0.02,
	.unit = TR_UNIT_CHARS, .limitvar = "GOOGLE_TRANSLATE_CHUNK_CHARS",
	.limit = 5000, .pair = any_pair, .languages = any_languages,
	.translate = translate,
};
