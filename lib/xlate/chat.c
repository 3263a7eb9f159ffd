/*
 * A client of OpenAI's chat completions (provider-protocols sections 4
 * and 7), shared by every engine that speaks it (OpenAI, DeepSeek; a
 * sentiment engine later): a system and a user message in, the reply's
 * text and token usage out.  It touches no request, so worker threads
 * may call it; a failure is left in the job for the caller to map.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlate.h"

#define CHAT_MAXBODY	(8 * 1024 * 1024)	/* one reply */
#define CHAT_MAXTOKENS	16384			/* gpt-4o-mini's output */

/* Reads a chat.completion: the first choice's text, usage, model. */
enum tr_err
tr__chat_parse(struct json_object *doc, struct tr_chat_reply *out)
{
	struct json_object	*arr, *c, *m, *u;
	const char		*s;

	memset(out, 0, sizeof(*out));
	if (tr__jarray(doc, "choices", &arr) == 0)
		return TR_EPROVIDER;
	c = json_object_array_get_idx(arr, 0);
	if (!json_object_is_type(c, json_type_object) ||
	    !json_object_object_get_ex(c, "message", &m) ||
	    !json_object_is_type(m, json_type_object) ||
	    (s = tr_json_str(m, "content")) == NULL)
		return TR_EPROVIDER;
	out->content = tr_xstrdup(s);
	if ((s = tr_json_str(c, "finish_reason")) != NULL)
		snprintf(out->finish, sizeof(out->finish), "%s", s);
	if ((s = tr_json_str(doc, "model")) != NULL)
		snprintf(out->model, sizeof(out->model), "%s", s);
	if (json_object_object_get_ex(doc, "usage", &u) &&
	    json_object_is_type(u, json_type_object)) {
		out->prompt_tokens = (long long)tr__jnum(u, "prompt_tokens");
		out->completion_tokens =
		    (long long)tr__jnum(u, "completion_tokens");
	}
	if (out->prompt_tokens < 0 || out->completion_tokens < 0)
		out->prompt_tokens = out->completion_tokens = 0;
	return TR_OK;
}

void
tr_chat_reply_free(struct tr_chat_reply *r)
{
	TR_FREE(r->content);
}

/* OpenAI's error envelope: {"error":{"message",...}}. */
static void
errmsg(struct json_object *doc, char *msg, size_t sz)
{
	struct json_object	*e;
	const char		*s = NULL;

	if (json_object_is_type(doc, json_type_object) &&
	    json_object_object_get_ex(doc, "error", &e))
		s = tr_json_str(e, "message");
	if (s != NULL)
		snprintf(msg, sz, "%.200s", s);
}

/* One completion; on error job->er, resp and msg say why. */
enum tr_err
tr_chat_complete(const struct tr_chat *c, const char *model,
    const char *system, const char *user, size_t userlen,
    struct tr_xjob *job, struct tr_chat_reply *out)
{
	struct json_object	*req, *msgs, *m, *doc = NULL;
	struct tr_http_opts	 ho;
	struct tr_http_resp	 resp;
	struct tr_buf		 url, auth;
	const char		*hdrs[3], *body;
	enum tr_err		 er;

	memset(out, 0, sizeof(*out));
	req = json_object_new_object();
	json_object_object_add(req, "model", json_object_new_string(model));
	json_object_object_add(req, "temperature",
	    json_object_new_double(0.2));
	json_object_object_add(req, "max_tokens",
	    json_object_new_int(CHAT_MAXTOKENS));
	json_object_object_add(req, "stream", json_object_new_boolean(0));
	msgs = json_object_new_array();
	m = json_object_new_object();
	json_object_object_add(m, "role", json_object_new_string("system"));
	json_object_object_add(m, "content", json_object_new_string(system));
	json_object_array_add(msgs, m);
	m = json_object_new_object();
	json_object_object_add(m, "role", json_object_new_string("user"));
	json_object_object_add(m, "content",
	    json_object_new_string_len(user, (int)userlen));
	json_object_array_add(msgs, m);
	json_object_object_add(req, "messages", msgs);
	body = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	tr_buf_init(&url, 4096);
	tr_buf_init(&auth, 1024);
	if ((er = tr_buf_addf(&url, "%s%s", tr_conf_def(c->basevar, c->base),
	    c->path)) != TR_OK ||
	    (er = tr_buf_addf(&auth, "Authorization: Bearer %s",
	    tr_conf_def(c->keyvar, ""))) != TR_OK)
		goto out;
	hdrs[0] = auth.ptr;
	hdrs[1] = "Content-Type: application/json";
	hdrs[2] = NULL;
	tr__prov_http(&ho, url.ptr, hdrs, c->timeoutvar, 120, c->reqid_header);
	ho.maxbody = CHAT_MAXBODY;
	ho.body = body;
	ho.bodysz = strlen(body);
	job->er = er = tr_http_do(&ho, &resp);
	tr_wipe(auth.ptr, auth.len);
	if (er != TR_OK) {
		memset(&job->resp, 0, sizeof(job->resp));
		goto out;
	}
	job->resp.status = resp.status;
	job->resp.retry_after = resp.retry_after;
	memcpy(job->resp.reqid, resp.reqid, sizeof(resp.reqid));
	if (tr_json_parse(tr_buf_str(&resp.body), resp.body.len, CHAT_MAXBODY,
	    TR_PROV_JSONDEPTH, &doc) != TR_OK || doc == NULL) {
		if (resp.status == 200)
			snprintf(job->msg, sizeof(job->msg), "malformed response");
		er = TR_EPROVIDER;
	} else if (resp.status != 200) {
		errmsg(doc, job->msg, sizeof(job->msg));
		er = TR_EPROVIDER;
	} else if (tr__chat_parse(doc, out) != TR_OK) {
		snprintf(job->msg, sizeof(job->msg), "unexpected response shape");
		er = TR_EPROVIDER;
	} else if (strcmp(out->finish, "length") == 0) {
		snprintf(job->msg, sizeof(job->msg), "the translation was cut "
		    "at the model's output limit");
		tr_chat_reply_free(out);
		er = TR_EPROVIDER;
	} else {
		job->prompt_tokens += out->prompt_tokens;
		job->completion_tokens += out->completion_tokens;
	}
	tr_http_resp_free(&resp);
out:
	json_object_put(doc);
	json_object_put(req);
	tr_buf_free(&url);
	tr_buf_free(&auth);
	return er;
}
