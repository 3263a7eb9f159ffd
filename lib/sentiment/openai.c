/*
 * The openai sentiment engine: OpenAI's chat completions (the client of
 * xlate/chat.c) asked for a JSON answer, one label and score a
 * sentence, in batches of BATCH sentences.  The answer is checked to
 * the letter (an object with "sentences", as many as were sent, each a
 * known label and a score in [-1, 1]); anything else is the provider's
 * failure, a 502.  Any language of our table: the model reads them all.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sentiment.h"
#include "prov/prov.h"
#include "xlate/xlate.h"

#define BATCH		40		/* sentences in one completion */
#define MODEL_DEF	"gpt-4o-mini"	/* OPENAI_SENTIMENT_MODEL */
#define COST_DEF	0.0006		/* SENTIMENT_COST_OPENAI, USD/1k tokens */

static int
speaks(const char *lang)
{
	return lang == NULL || tr_lang_primary(lang) != NULL;
}

/* The label of that name, or -1. */
static int
label(const char *s)
{
	int	 l;

	for (l = 0; l < TR_SENTI__MAX; l++)
		if (strcmp(tr_senti_label_name((enum tr_senti_label)l), s) == 0)
			return l;
	return -1;
}

/*
 * The model's answer for n sentences into v; -1 with why if it is not
 * the JSON that was asked for (sentiment.h).
 */
int
tr__senti_openai_answer(const char *content, struct tr_senti *v, size_t n, char *why,
    size_t whysz)
{
	struct json_object	*doc = NULL, *arr, *e, *lv, *sv;
	double			 sc;
	size_t			 i;
	int			 l, rc = -1;

	if (tr_json_parse(content, strlen(content), 1 << 20, TR_JSON_DEPTH,
	    &doc) != TR_OK || !json_object_is_type(doc, json_type_object)) {
		snprintf(why, whysz, "not a JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(doc, "sentences", &arr) ||
	    !json_object_is_type(arr, json_type_array) ||
	    json_object_array_length(arr) != n) {
		snprintf(why, whysz, "not %zu sentences", n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(e, json_type_object) ||
		    !json_object_object_get_ex(e, "label", &lv) ||
		    !json_object_is_type(lv, json_type_string) ||
		    (l = label(json_object_get_string(lv))) < 0) {
			snprintf(why, whysz, "sentence %zu has no known label",
			    i + 1);
			goto out;
		}
		if (!json_object_object_get_ex(e, "score", &sv) ||
		    (!json_object_is_type(sv, json_type_double) &&
		    !json_object_is_type(sv, json_type_int)) ||
		    !isfinite(sc = json_object_get_double(sv)) ||
		    sc < -1 || sc > 1) {
			snprintf(why, whysz, "sentence %zu has no score in "
			    "[-1, 1]", i + 1);
			goto out;
		}
		v[i].label = (enum tr_senti_label)l;
		v[i].score = sc;
	}
	rc = 0;
out:
	json_object_put(doc);
	return rc;
}

/* One batch: the sentences as a JSON array of strings. */
static enum tr_err
batch(struct tr_req *r, const struct tr_lang *lg, struct tr_senti *v,
    size_t n, struct tr_xjob *job)
{
	struct json_object	*arr = json_object_new_array();
	struct tr_chat_reply	 rep;
	const char		*user;
	char			 sys[768], why[96];
	size_t			 i;
	enum tr_err		 er;

	for (i = 0; i < n; i++)
		json_object_array_add(arr,
		    json_object_new_string_len(v[i].text, (int)v[i].len));
	user = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	snprintf(sys, sizeof(sys), "Rate the sentiment of each sentence. The "
	    "user sends a JSON array of %zu sentences in %s (%s). Reply with "
	    "JSON only: {\"sentences\": [{\"label\": \"positive\" | "
	    "\"negative\" | \"neutral\" | \"mixed\", \"score\": a number from "
	    "-1 (most negative) to 1 (most positive)}, ...]}, exactly one "
	    "element per sentence, in order.", n, lg->name, lg->code);
	er = tr_chat_complete(&tr_chat_openai, job->model, sys, user,
	    strlen(user), job, &rep);
	json_object_put(arr);
	if (er != TR_OK)
		return tr__prov_fail(r, "openai", job->er, &job->resp,
		    job->msg[0] ? job->msg : NULL);
	if (tr__senti_openai_answer(rep.content, v, n, why, sizeof(why)) == -1) {
		tr_chat_reply_free(&rep);
		return tr_fail(r, TR_EPROVIDER, "openai's sentiment answer is "
		    "not the JSON asked for (%s)", why);
	}
	tr_chat_reply_free(&rep);
	return TR_OK;
}

static enum tr_err
score(struct tr_req *r, const char *lang, struct tr_senti *v, size_t n,
    struct tr_senti_use *use)
{
	const struct tr_lang	*lg = tr_lang_primary(lang != NULL ? lang : "en");
	struct tr_xjob		 job;
	const char		*c;
	double			 per = COST_DEF;
	size_t			 i;
	enum tr_err		 er = TR_OK;

	if ((c = tr_conf("SENTIMENT_COST_OPENAI")) != NULL &&
	    tr_parse_double(c, 0, 1000, &per) != TR_OK) {
		tr_warnx("SENTIMENT_COST_OPENAI is not a price; using %g",
		    COST_DEF);
		per = COST_DEF;
	}
	memset(&job, 0, sizeof(job));
	job.model = tr_conf_def("OPENAI_SENTIMENT_MODEL", MODEL_DEF);
	for (i = 0; i < n && er == TR_OK; i += BATCH)
		er = batch(r, lg, v + i, n - i < BATCH ? n - i : BATCH, &job);
	use->tokens = job.prompt_tokens + job.completion_tokens;
	use->cost_usd = (double)use->tokens / 1000 * per;
	return er;
}

const struct tr_senti_engine tr_senti_openai = {
	.name = "openai", .keyvar = "OPENAI_API_KEY", .speaks = speaks,
	.score = score,
};
