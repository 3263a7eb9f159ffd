/*
 * What the translation endpoints do around an engine (lib/xlate/):
 * check the text and the languages (422 naming the field), choose the
 * engine (the local one when the endpoint's has no key), cut the text
 * under the engine's limit, translate the batches on a few threads at
 * once (TRANSLATE_PARALLEL), join them in order with the text's own
 * paragraph breaks, write the usage row and answer.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlate/xlate.h"

#define XL_MAXPARALLEL	32
#define XL_DEFMAX	1000000		/* bytes of text, TRANSLATE_MAX_BYTES */

/*
 * Where a translation goes, in order, piece by piece: the text between
 * the spans verbatim, each span's translation in its place.
 */
typedef enum tr_err (*xl_emit)(void *, const char *, size_t);

struct	xrun {
	const struct tr_engine	*e;
	const char		*text;
	size_t			 len;
	const struct tr_split	*sp;
	char			**outs;		/* done, not yet emitted */
	struct tr_xjob		 proto;
	xl_emit			 emit;
	void			*emitarg;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;		/* a batch emitted, or failed */
	size_t			 next;		/* batch to take */
	size_t			 window;	/* batches taken ahead of... */
	size_t			 fbatch;	/* ...the first not emitted */
	size_t			 flushed;	/* spans emitted */
	size_t			 at;		/* text emitted up to here */
	int			 failed;
	struct tr_xjob		 fail;		/* the first failure */
	long long		 prompt, completion, chars;
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * The paragraphs of a reply (a blank line between), trimmed, into
 * outs[0..n) if there are exactly n; else 0.
 */
static int
paragraphs(char *s, char **outs, size_t n)
{
	char	*p = s, *q, *end;
	size_t	 k = 0;

	for (;;) {
		while (is_space(*p))
			p++;
		if (*p == '\0')
			break;
		for (q = p; *q != '\0'; q++)
			if (q[0] == '\n' && (q[1] == '\n' ||
			    (q[1] == '\r' && q[2] == '\n')))
				break;
		end = q;
		while (end > p && is_space(end[-1]))
			end--;
		if (k == n) {
			while (k > 0) {
				k--;
				TR_FREE(outs[k]);
			}
			return 0;
		}
		outs[k++] = tr_xstrndup(p, (size_t)(end - p));
		p = q;
	}
	if (k != n) {
		while (k > 0) {
			k--;
			TR_FREE(outs[k]);
		}
		return 0;
	}
	return 1;
}

/* The end (one past the last span) of batch b. */
static size_t
batch_end(const struct tr_split *sp, size_t b)
{
	return b + 1 < sp->nbatches ? sp->batches[b + 1] : sp->nspans;
}

/*
 * Translates batch b into res[0..its spans): one call, or one per span
 * if the reply lost its paragraph breaks.  On error res is freed.
 */
static enum tr_err
batch(struct xrun *x, struct tr_xjob *job, size_t b, char **res)
{
	const struct tr_span	*sp = x->sp->spans;
	size_t			 first = x->sp->batches[b], last, i;
	struct tr_buf		 in;
	char			*rep = NULL;
	enum tr_err		 er;

	last = batch_end(x->sp, b);
	tr_buf_init(&in, SIZE_MAX);
	for (i = first; i < last; i++)
		if ((i > first && tr_buf_add(&in, "\n\n", 2) != TR_OK) ||
		    tr_buf_add(&in, x->text + sp[i].off, sp[i].len) != TR_OK) {
			tr_buf_free(&in);
			return job->er = TR_ENOMEM;
		}
	er = x->e->translate(job, in.ptr, in.len, &rep);
	tr_buf_free(&in);
	if (er != TR_OK)
		return er;
	if (paragraphs(rep, res, last - first)) {
		free(rep);
		return TR_OK;
	}
	free(rep);
	/* The reply lost (or added) paragraph breaks: span by span. */
	tr_info("translate: %s merged %zu paragraphs; one at a time",
	    x->e->name, last - first);
	for (i = first; i < last; i++)
		if ((er = x->e->translate(job, x->text + sp[i].off, sp[i].len,
		    &res[i - first])) != TR_OK) {
			while (i-- > first)
				TR_FREE(res[i - first]);
			return er;
		}
	return TR_OK;
}

/*
 * Emits, with x->mu held, every span done from the first not yet
 * emitted on, each after the text that lies before it.
 */
static enum tr_err
flush(struct xrun *x)
{
	const struct tr_span	*sp;
	enum tr_err		 er = TR_OK;

	while (er == TR_OK && x->flushed < x->sp->nspans &&
	    x->outs[x->flushed] != NULL) {
		sp = &x->sp->spans[x->flushed];
		if ((er = x->emit(x->emitarg, x->text + x->at, sp->off - x->at)) ==
		    TR_OK)
			er = x->emit(x->emitarg, x->outs[x->flushed],
			    strlen(x->outs[x->flushed]));
		TR_FREE(x->outs[x->flushed]);
		x->at = sp->off + sp->len;
		x->flushed++;
	}
	while (x->fbatch < x->sp->nbatches &&
	    batch_end(x->sp, x->fbatch) <= x->flushed)
		x->fbatch++;
	return er;
}

/* Keeps x's first failure, with x->mu held. */
static void
failed(struct xrun *x, const struct tr_xjob *job)
{
	if (x->failed)
		return;
	x->failed = 1;
	x->fail = *job;
}

/*
 * Takes batches in order, no further than window ahead of the first
 * not yet emitted (so that what waits in memory stays a few batches
 * whatever the text's length), translates and emits them.
 */
static void *
worker(void *arg)
{
	struct xrun	*x = arg;
	struct tr_xjob	 job = x->proto;
	char		**res;
	size_t		 b, n, i;
	enum tr_err	 er;

	for (;;) {
		pthread_mutex_lock(&x->mu);
		while (!x->failed && x->next < x->sp->nbatches &&
		    x->next >= x->fbatch + x->window)
			pthread_cond_wait(&x->cv, &x->mu);
		b = x->failed ? x->sp->nbatches : x->next++;
		pthread_mutex_unlock(&x->mu);
		if (b >= x->sp->nbatches)
			break;
		n = batch_end(x->sp, b) - x->sp->batches[b];
		res = tr_xcalloc(n + 1, sizeof(*res));
		er = batch(x, &job, b, res);
		pthread_mutex_lock(&x->mu);
		if (er == TR_OK) {
			for (i = 0; i < n; i++)
				x->outs[x->sp->batches[b] + i] = res[i];
			if ((er = flush(x)) != TR_OK) {
				job.er = er;
				snprintf(job.msg, sizeof(job.msg), "the "
				    "translation could not be kept");
			}
		}
		if (er != TR_OK)
			failed(x, &job);
		pthread_cond_broadcast(&x->cv);
		pthread_mutex_unlock(&x->mu);
		free(res);
		if (er != TR_OK)
			break;
	}
	pthread_mutex_lock(&x->mu);
	x->prompt += job.prompt_tokens;
	x->completion += job.completion_tokens;
	x->chars += job.characters;
	pthread_mutex_unlock(&x->mu);
	tr_http_close();	/* this thread's kept connections */
	return NULL;
}

/*
 * Translates [text, text+len) with engine e for job to emit: the
 * batches on up to TRANSLATE_PARALLEL threads, emitted in order as they
 * are done, with what lay between the spans verbatim.  On error the
 * request's message is set, and what was emitted is to be dropped.
 * job gets the tokens and characters used; *chunks the calls.
 */
static enum tr_err
run(struct tr_req *r, const struct tr_engine *e, struct tr_xjob *job,
    const char *text, size_t len, xl_emit emit, void *emitarg,
    size_t *chunks)
{
	struct tr_split	 sp;
	struct xrun	 x;
	pthread_t	 th[XL_MAXPARALLEL];
	size_t		 nth, i;
	enum tr_err	 er = TR_OK;

	tr_split_text(&sp, text, len, (size_t)tr_conf_ll(e->limitvar, e->limit,
	    16, 1000000), e->unit);
	*chunks = sp.nbatches;
	memset(&x, 0, sizeof(x));
	x.e = e;
	x.text = text;
	x.len = len;
	x.sp = &sp;
	x.proto = *job;
	x.emit = emit;
	x.emitarg = emitarg;
	x.outs = tr_xcalloc(sp.nspans + 1, sizeof(*x.outs));
	pthread_mutex_init(&x.mu, NULL);
	pthread_cond_init(&x.cv, NULL);
	nth = (size_t)tr_conf_ll("TRANSLATE_PARALLEL", 4, 1, XL_MAXPARALLEL);
	if (nth > sp.nbatches)
		nth = sp.nbatches;
	x.window = 2 * (nth > 0 ? nth : 1);
	for (i = 0; i < nth; i++)
		if (pthread_create(&th[i], NULL, worker, &x) != 0)
			break;
	nth = i;
	if (nth == 0 && sp.nbatches > 0)
		worker(&x);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	pthread_cond_destroy(&x.cv);
	pthread_mutex_destroy(&x.mu);
	tr_quota_renew(r, r->slot);
	job->prompt_tokens = x.prompt;
	job->completion_tokens = x.completion;
	/* What an engine billed by tokens was sent, in characters too. */
	job->characters = x.chars > 0 ? x.chars :
	    (long long)tr_split_cost(text, len, TR_UNIT_CHARS);
	if (x.failed)
		er = x.fail.er == TR_EFIELD || x.fail.er == TR_ESYSTEM ||
		    x.fail.er == TR_ENOMEM ?
		    tr_fail(r, x.fail.er, "%s: %s", e->name, x.fail.msg[0] ?
		    x.fail.msg : "translation failed") :
		    tr__prov_fail(r, e->name, x.fail.er, &x.fail.resp,
		    x.fail.msg[0] ? x.fail.msg : NULL);
	else
		er = emit(emitarg, text + x.at, len - x.at);
	for (i = 0; i < sp.nspans; i++)
		free(x.outs[i]);
	free(x.outs);
	tr_split_free(&sp);
	return er;
}

/* An emitter that keeps the translation in a buffer. */
static enum tr_err
to_buf(void *arg, const char *p, size_t n)
{
	return tr_buf_add(arg, p, n);
}

/* An emitter that writes it, as the inside of a JSON string, to a file. */
static enum tr_err
to_json_file(void *arg, const char *p, size_t n)
{
	struct tr_buf	 b;
	enum tr_err	 er;

	tr_buf_init(&b, SIZE_MAX);
	if ((er = tr_json_escape(&b, p, n)) == TR_OK && b.len > 0 &&
	    fwrite(b.ptr, 1, b.len, arg) != b.len)
		er = TR_ESYSTEM;
	tr_buf_free(&b);
	return er;
}

/* The fields of POST /translations/{openai,google,deepseek}. */
const struct tr_field tr_xlate_fields[TR_XLATE__MAX] = {
	{ "text", tr_valid_string, TR_REQUIRED },	/* TR_XLATE_TEXT */
	{ "target_language", tr_valid_string, TR_REQUIRED },
	{ "source_language", tr_valid_string, 0 },	/* TR_XLATE_SOURCE */
	{ "provider", tr_valid_ident, 0 },		/* TR_XLATE_PROVIDER */
	{ "model", tr_valid_name, 0 },			/* TR_XLATE_MODEL */
	{ "webhook_url", tr_valid_string, 0 },		/* TR_XLATE_WEBHOOK */
};

/*
 * The endpoints that forward their result to a webhook (the seed's
 * Make.com integration), with the settings that name its URL and its
 * secret; an endpoint not here takes no webhook_url.
 */
static const struct xl_hook {
	const char	*engine;
	const char	*urlvar;
	const char	*secretvar;
} xl_hooks[] = {
	{ "deepseek", "DEEPSEEK_WEBHOOK_URL", "DEEPSEEK_WEBHOOK_SECRET" },
};

static const struct xl_hook *
hook_of(const char *engine)
{
	size_t	 i;

	for (i = 0; i < sizeof(xl_hooks) / sizeof(xl_hooks[0]); i++)
		if (strcmp(xl_hooks[i].engine, engine) == 0)
			return &xl_hooks[i];
	return NULL;
}

/*
 * The webhook URL of a request to /translations/{want} into *url: the
 * request's webhook_url if the endpoint takes one and
 * ALLOW_REQUEST_WEBHOOKS allows it and tr_url_check() passes it (else
 * 422 naming webhook_url), or the endpoint's setting, or NULL.
 */
static enum tr_err
hook_url(struct tr_req *r, const char *want, const char **url)
{
	const struct xl_hook	*h = hook_of(want);
	const char		*u = tr_str(r, TR_XLATE_WEBHOOK);
	char			 why[256];

	*url = NULL;
	if (u != NULL) {
		if (h == NULL)
			return tr_fail_param(r, TR_EFIELD, "webhook_url",
			    "webhook_url is not taken on /translations/%s", want);
		if (!tr_conf_bool("ALLOW_REQUEST_WEBHOOKS", 0))
			return tr_fail_param(r, TR_EFIELD, "webhook_url",
			    "webhook_url is not allowed on this server "
			    "(ALLOW_REQUEST_WEBHOOKS is off)");
		if (tr_url_check(u, why, sizeof(why)) != TR_OK)
			return tr_fail_param(r, TR_EFIELD, "webhook_url",
			    "webhook_url: %s", why);
		*url = u;
	} else if (h != NULL && (u = tr_conf(h->urlvar)) != NULL && *u != '\0')
		*url = u;
	return TR_OK;
}

/*
 * POSTs the answer body[0..len), signed, to url within the webhook
 * budget; returns {"delivered", "attempts", "status", "id", "error"?}
 * for the answer's "webhook".  The secret unset sends nothing: an
 * unsigned callback is none a receiver could trust.
 */
static struct json_object *
forward(const char *want, const char *url, const char *body, size_t len)
{
	const struct xl_hook		*h = hook_of(want);
	const char			*secret;
	struct tr_webhook		 w;
	struct tr_webhook_result	 res;
	struct json_object		*j;

	memset(&res, 0, sizeof(res));
	secret = h != NULL ? tr_conf(h->secretvar) : NULL;
	if (secret == NULL || *secret == '\0') {
		tr_warnx("translate: %s is unset; no webhook sent",
		    h != NULL ? h->secretvar : "the webhook secret");
		snprintf(res.why, sizeof(res.why), "no webhook secret is "
		    "configured");
	} else {
		memset(&w, 0, sizeof(w));
		w.url = url;
		w.secret = secret;
		w.body = body;
		w.bodysz = len;
		if (tr_webhook_send(&w, &res) != TR_OK && res.why[0] == '\0')
			snprintf(res.why, sizeof(res.why), "not delivered");
	}
	j = json_object_new_object();
	json_object_object_add(j, "delivered",
	    json_object_new_boolean(res.delivered));
	json_object_object_add(j, "attempts", json_object_new_int(res.attempts));
	json_object_object_add(j, "status", res.status != 0 ?
	    json_object_new_int64(res.status) : NULL);
	if (res.id[0] != '\0')
		json_object_object_add(j, "id", json_object_new_string(res.id));
	if (!res.delivered)
		json_object_object_add(j, "error",
		    json_object_new_string(res.why));
	return j;
}

/* A language field: our tag for a tag or a name; else 422 naming it. */
static enum tr_err
lang_field(struct tr_req *r, size_t k, const char *name, const char **out)
{
	const struct tr_lang	*l;
	const char		*s = tr_str(r, k);

	*out = NULL;
	if (s == NULL || (k == TR_XLATE_SOURCE && strcmp(s, "auto") == 0))
		return TR_OK;
	if ((l = tr_lang_find(s)) == NULL)
		return tr_fail_param(r, TR_EFIELD, name, "%s '%.32s' is not a "
		    "language code (ISO 639-1, such as \"es\") or name", name, s);
	*out = l->code;
	return TR_OK;
}

/*
 * The engine for an endpoint whose own is want: the one "provider"
 * names (want or local), else want if its key is set, else local.
 */
static enum tr_err
choose(struct tr_req *r, const char *name, const char *want,
    const struct tr_engine **ep)
{
	const struct tr_engine	*e;

	if (name != NULL) {
		if (strcmp(name, want) != 0 && strcmp(name, tr_xl_local.name) != 0)
			return tr_fail_param(r, TR_EFIELD, "provider", "provider "
			    "must be %s or %s on this endpoint", want,
			    tr_xl_local.name);
		if ((e = tr_engine(name)) == NULL)
			return tr_fail_param(r, TR_EFIELD, "provider",
			    "provider '%s' is not available", name);
		if (!tr_engine_ready(e))
			return tr_fail(r, TR_EUNAVAIL, "provider '%s' is not "
			    "configured (%s is unset)", e->name, e->keyvar);
	} else if ((e = tr_engine(want)) == NULL || !tr_engine_ready(e))
		e = &tr_xl_local;
	*ep = e;
	return TR_OK;
}

/*
 * What a translation adds to its usage row u: tokens (chat engines),
 * the characters sent, and the cost of the one or the other.
 */
static void
price(const struct tr_engine *e, const struct tr_xjob *job, enum tr_err er,
    struct tr_usage *u)
{
	const char	*c;
	double		 per = e->cost;
	long long	 units;

	if ((c = tr_conf(e->costvar)) != NULL &&
	    tr_parse_double(c, 0, 1000, &per) != TR_OK) {
		tr_warnx("%s is not a price; using %g", e->costvar, e->cost);
		per = e->cost;
	}
	units = e->unit == TR_UNIT_TOKENS ?
	    job->prompt_tokens + job->completion_tokens : job->characters;
	u->tokens += e->unit == TR_UNIT_TOKENS ? units : 0;
	u->characters += job->characters;
	u->cost_usd += er == TR_OK ? (double)units / 1000 * per : 0;
}

/*
 * Whether e translates job's pair (its model set to e's when none is
 * asked for); else 422 naming the language field at fault.
 */
static enum tr_err
pair_check(struct tr_req *r, const struct tr_engine *e, struct tr_xjob *job)
{
	const char	*field;
	char		 why[1024];

	if (job->model == NULL)
		job->model = tr_conf_def(e->modelvar != NULL ? e->modelvar :
		    "", e->model);
	if (e->pair(job, why, sizeof(why)) == TR_OK)
		return TR_OK;
	field = job->source == NULL ? "source_language" : "target_language";
	return tr_fail_param(r, TR_EFIELD, field, "%s%s%s",
	    strstr(why, field) != NULL ? "" : field,
	    strstr(why, field) != NULL ? "" : ": ", why);
}

/*
 * Translates text with e (its pair checked) to emit; fills job and
 * *chunks; bills the call in a row of its own, or, with held (the row
 * of a transcription in the same call, its slot taken), adds to that
 * row for the caller to write.  The request's message on error.
 */
static enum tr_err
translate(struct tr_req *r, const struct tr_engine *e, struct tr_xjob *job,
    const char *text, size_t len, xl_emit emit, void *emitarg, size_t *chunks,
    struct tr_usage *held)
{
	struct tr_usage		 u;
	char			*base = NULL;
	long long		 slot = 0;
	enum tr_err		 er, ul;

	if ((er = tr__req_tmpfile(r, "xlate", &base)) != TR_OK)
		return er;
	job->tmpbase = base;
	if (held == NULL && (er = tr_quota_begin(r, 0, &slot)) != TR_OK) {
		free(base);
		return er;
	}
	er = run(r, e, job, text, len, emit, emitarg, chunks);
	free(base);
	if (held != NULL) {
		price(e, job, er, held);
		return er;
	}
	memset(&u, 0, sizeof(u));
	u.service = e->name;
	u.status = er == TR_OK ? "success" : "error";
	price(e, job, er, &u);
	ul = tr_usage_log(r, &u);
	tr_quota_end(r, slot);
	return er != TR_OK ? er : ul;
}

/*
 * The answer of /translations/{want} but its translated_text, which
 * the caller has written before it: the members that follow it, and
 * no closing brace.
 */
static enum tr_err
tail(FILE *f, struct tr_req *r, const struct tr_engine *e,
    const struct tr_xjob *job, size_t chunks, const struct tr_pair *tp)
{
	struct json_object	*o, *u;
	const char		*s;
	size_t			 len;
	enum tr_err		 er = TR_OK;

	o = json_object_new_object();
	json_object_object_add(o, "source_language", job->source != NULL ?
	    json_object_new_string(job->source) : NULL);
	json_object_object_add(o, "target_language",
	    json_object_new_string(job->target));
	json_object_object_add(o, "engine", json_object_new_string(e->name));
	json_object_object_add(o, "model", json_object_new_string(job->model));
	json_object_object_add(o, "chunks", json_object_new_int64((int64_t)chunks));
	if (job->pivot != NULL)
		json_object_object_add(o, "pivot",
		    json_object_new_string(job->pivot));
	u = json_object_new_object();
	json_object_object_add(u, "prompt_tokens",
	    json_object_new_int64(job->prompt_tokens));
	json_object_object_add(u, "completion_tokens",
	    json_object_new_int64(job->completion_tokens));
	json_object_object_add(u, "total_tokens",
	    json_object_new_int64(job->prompt_tokens + job->completion_tokens));
	json_object_object_add(u, "characters", json_object_new_int64(
	    (int64_t)tr_split_cost(tp->val, tp->valsz, TR_UNIT_CHARS)));
	json_object_object_add(o, "usage", u);
	json_object_object_add(o, "request_id",
	    json_object_new_string(tr_request_id(r)));
	s = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	/* "{...}": its members after a comma, without the braces. */
	if (fputs("\",", f) == EOF ||
	    fwrite(s + 1, 1, len - 2, f) != len - 2)
		er = TR_ESYSTEM;
	json_object_put(o);
	return er;
}

/*
 * Sends the answer written to f so far (closed with a brace) to the
 * webhook, then adds what became of it to the answer as "webhook".
 */
static enum tr_err
hook_answer(FILE *f, const char *want, const char *url)
{
	struct tr_buf		 b;
	struct json_object	*j;
	const char		*s;
	char			 chunk[65536];
	size_t			 n;
	enum tr_err		 er = TR_OK;

	tr_buf_init(&b, SIZE_MAX);
	rewind(f);
	while (er == TR_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		er = tr_buf_add(&b, chunk, n);
	if (er == TR_OK && (ferror(f) || (er = tr_buf_add(&b, "}", 1)) !=
	    TR_OK))
		er = er != TR_OK ? er : TR_ESYSTEM;
	if (er == TR_OK) {
		j = forward(want, url, b.ptr, b.len);
		s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE);
		if (fseek(f, 0, SEEK_END) == -1 ||
		    fprintf(f, ",\"webhook\":%s", s) < 0)
			er = TR_ESYSTEM;
		json_object_put(j);
	}
	tr_buf_free(&b);
	return er;
}

/*
 * The checks of /translations/{want}: the webhook, the text's size and
 * that it is not blank, the languages, the engine (*ep) and its pair.
 */
static enum tr_err
xlate_checks(struct tr_req *r, const char *want, const char **hook,
    struct tr_xjob *job, const struct tr_engine **ep)
{
	const struct tr_pair	*tp = tr_field_get(r, TR_XLATE_TEXT);
	long long		 max;
	size_t			 i;
	enum tr_err		 er;

	if ((er = hook_url(r, want, hook)) != TR_OK)
		return er;
	max = tr_conf_ll("TRANSLATE_MAX_BYTES", XL_DEFMAX, 1, 1LL << 30);
	if ((long long)tp->valsz > max)
		return tr_fail_param(r, TR_ETOOBIG, "text", "text of %zu bytes "
		    "is over the limit of %lld", tp->valsz, max);
	for (i = 0; i < tp->valsz && is_space(tp->val[i]); i++)
		continue;
	if (i == tp->valsz)
		return tr_fail_param(r, TR_EFIELD, "text", "text is empty");
	if ((er = lang_field(r, TR_XLATE_TARGET, "target_language",
	    &job->target)) != TR_OK ||
	    (er = lang_field(r, TR_XLATE_SOURCE, "source_language",
	    &job->source)) != TR_OK)
		return er;
	if (job->source != NULL && strcmp(job->source, job->target) == 0)
		return tr_fail_param(r, TR_EFIELD, "target_language",
		    "target_language is the same as source_language");
	job->model = tr_str(r, TR_XLATE_MODEL);
	if ((er = choose(r, tr_str(r, TR_XLATE_PROVIDER), want, ep)) != TR_OK)
		return er;
	return pair_check(r, *ep, job);
}

enum tr_err
tr_xlate_check(struct tr_req *r, const char *want)
{
	const struct tr_engine	*e;
	const char		*hook;
	struct tr_xjob		 job;

	memset(&job, 0, sizeof(job));
	return xlate_checks(r, want, &hook, &job, &e);
}

/*
 * The handler of /translations/{want}.  The translation goes to a file
 * of the request's as it is done, batch by batch, and the answer is
 * sent from there: a long text costs the memory of a few batches, not
 * of its translation.
 */
enum tr_err
tr_xlate_endpoint(struct tr_req *r, const char *want)
{
	const struct tr_pair	*tp = tr_field_get(r, TR_XLATE_TEXT);
	const struct tr_engine	*e;
	struct tr_xjob		 job;
	const char		*hook;
	char			*path = NULL;
	FILE			*f = NULL;
	size_t			 chunks = 0;
	enum tr_err		 er;

	memset(&job, 0, sizeof(job));
	if ((er = xlate_checks(r, want, &hook, &job, &e)) != TR_OK)
		return er;
	if ((er = tr__req_tmpfile(r, "answer.json", &path)) != TR_OK)
		return er;
	if ((f = fopen(path, "w+e")) == NULL) {
		tr_warn("translate: %s", path);
		free(path);
		return TR_ESYSTEM;
	}
	if (fputs("{\"translated_text\":\"", f) == EOF)
		er = TR_ESYSTEM;
	if (er == TR_OK)
		er = translate(r, e, &job, tp->val, tp->valsz, to_json_file, f,
		    &chunks, NULL);
	if (er == TR_OK)
		er = tail(f, r, e, &job, chunks, tp);
	if (er == TR_OK && hook != NULL)
		er = hook_answer(f, want, hook);
	if (er == TR_OK && (fputc('}', f) == EOF || fflush(f) == EOF))
		er = TR_ESYSTEM;
	if (fclose(f) == EOF && er == TR_OK)
		er = TR_ESYSTEM;
	if (er == TR_OK)
		er = tr_reply_file(r, 200, "application/json", path);
	free(path);
	return er;
}

/* GET /translations/languages: per engine, what it can translate. */
struct json_object *
tr_xlate_languages(void)
{
	struct json_object	*o = json_object_new_object(), *e;
	const struct tr_engine	*en;
	size_t			 i;

	for (i = 0; (en = tr_engine_at(i)) != NULL; i++) {
		e = en->languages();
		json_object_object_add(e, "configured",
		    json_object_new_boolean(tr_engine_ready(en)));
		json_object_object_add(e, "model", json_object_new_string(
		    tr_conf_def(en->modelvar != NULL ? en->modelvar : "",
		    en->model)));
		json_object_object_add(o, en->name, e);
	}
	return o;
}

/* The fields of POST /transcriptions/transcribe-and-translate. */
const struct tr_field tr_tt_fields[TR_TT__MAX] = {
	{ "audio", NULL, TR_FILE | TR_REQUIRED },	/* TR_TT_AUDIO */
	{ "language", tr_valid_lang, 0 },		/* TR_TT_LANG */
	{ "provider", tr_valid_ident, 0 },		/* TR_TT_PROVIDER */
	{ "response_format", tr_valid_ident, 0 },	/* TR_TT_FORMAT */
	{ "model", tr_valid_ident, 0 },			/* TR_TT_MODEL */
	{ "target_language", tr_valid_string, TR_REQUIRED },
	{ "source_language", tr_valid_string, 0 },	/* TR_TT_SOURCE */
	{ "translation_engine", tr_valid_ident, 0 },	/* TR_TT_ENGINE */
};

/*
 * Writes the one usage row of a transcribe-and-translate call, held
 * since its transcription, and gives its slot back.  A call that failed
 * after the transcription is a row with status error, nothing billed.
 */
static enum tr_err
settle(struct tr_req *r, struct tr_usage *held, enum tr_err er)
{
	long long	 slot = held->slot;
	enum tr_err	 ul;

	if (er != TR_OK) {
		held->status = "error";
		held->audio_seconds = 0;
		held->cost_usd = 0;
	}
	ul = tr_usage_log(r, held);
	if (r->slot == slot)
		tr_quota_end(r, slot);
	return ul;
}

/* A pair of transcribe-and-translate: two languages, and e's; what a
 * source the same as the target is called is same. */
static enum tr_err
tt_pair(struct tr_req *r, const struct tr_engine *e, struct tr_xjob *job,
    const char *same)
{
	if (strcmp(job->source, job->target) == 0)
		return tr_fail_param(r, TR_EFIELD, "target_language", "%s", same);
	return pair_check(r, e, job);
}

/*
 * The checks of transcribe-and-translate: the response format, the
 * languages, the translation engine (*ep) and, when the source is
 * given, the pair.
 */
static enum tr_err
tt_checks(struct tr_req *r, const struct tr_format **f, struct tr_xjob *job,
    const struct tr_engine **ep)
{
	const char	*eng = tr_str(r, TR_TT_ENGINE);
	enum tr_err	 er;

	if ((er = tr_transcript_format(r, tr_str(r, TR_TT_FORMAT), r->ep->formats,
	    TR_EFIELD, f)) != TR_OK ||
	    (er = lang_field(r, TR_TT_TARGET, "target_language",
	    &job->target)) != TR_OK ||
	    (er = lang_field(r, TR_TT_SOURCE, "source_language",
	    &job->source)) != TR_OK)
		return er;
	if (eng != NULL && tr_engine(eng) == NULL)
		return tr_fail_param(r, TR_EFIELD, "translation_engine",
		    "translation_engine '%s' is not available", eng);
	if (eng == NULL)
		eng = tr_xl_local.name;
	if ((er = choose(r, eng, eng, ep)) != TR_OK)
		return er;
	return job->source == NULL ? TR_OK : tt_pair(r, *ep, job,
	    "target_language is the same as source_language");
}

enum tr_err
tr_xlate_transcribe_check(struct tr_req *r)
{
	const struct tr_format	*f;
	const struct tr_engine	*e;
	struct tr_xjob		 job;

	memset(&job, 0, sizeof(job));
	return tt_checks(r, &f, &job, &e);
}

/*
 * The upload transcribed (the local engine unless "provider" names
 * another), then its cues translated (a blank line between cues, so
 * the batches keep their boundaries) and answered as JSON, text, or
 * the translated subtitles with the original cue times.
 */
enum tr_err
tr_xlate_transcribe(struct tr_req *r)
{
	const struct tr_upload	*up = tr_upload_get(r, TR_TT_AUDIO);
	const char		*prov = tr_str(r, TR_TT_PROVIDER);
	struct tr_prov_opts	 o = {
		.language = tr_str(r, TR_TT_LANG), .model = tr_str(r, TR_TT_MODEL),
		.ctype = up->ctype, .filename = up->filename,
	};
	const struct tr_engine	*e;
	const struct tr_format	*f;
	const struct tr_lang	*l;
	struct tr_transcript	 t;
	struct tr_xjob		 job;
	struct tr_usage		 held;
	struct tr_buf		 in, out, joined;
	struct json_object	*j, *segs, *s;
	char			**orig = NULL, *p, *q;
	size_t			 chunks = 0, i, k;
	int			 owed = 0;	/* held is yet to be written */
	enum tr_err		 er;

	memset(&job, 0, sizeof(job));
	if ((er = tt_checks(r, &f, &job, &e)) != TR_OK)
		return er;
	tr_transcript_init(&t);
	tr_buf_init(&in, SIZE_MAX);
	tr_buf_init(&out, SIZE_MAX);
	tr_buf_init(&joined, SIZE_MAX);
	/* One usage row for the call: the transcription's, with what the
	 * translation sent and cost added to it. */
	if ((er = tr_transcribe_held(r, up, prov, prov != NULL ? prov : "local",
	    &o, &t, &held)) != TR_OK)
		goto done;
	owed = 1;
	/* A source not given is the audio's, and its pair checked now. */
	if (job.source == NULL) {
		l = tr_lang_primary(t.language[0] ? t.language : "en");
		job.source = l != NULL ? l->code : "en";
		if ((er = tt_pair(r, e, &job,
		    "target_language is the language of the audio")) != TR_OK)
			goto done;
	}
	/* One cue a paragraph; a transcript without cues is one. */
	for (i = 0; i < t.nsegs && er == TR_OK; i++) {
		if (i > 0)
			er = tr_buf_add(&in, "\n\n", 2);
		for (p = t.segs[i].text; er == TR_OK && *p != '\0'; p++)
			er = tr_buf_add(&in, *p == '\n' || *p == '\r' ? " " : p, 1);
	}
	if (er == TR_OK && t.nsegs == 0 && t.text != NULL)
		er = tr_buf_adds(&in, t.text);
	if (er != TR_OK)
		goto done;
	if (in.len > 0 && (er = translate(r, e, &job, in.ptr, in.len, to_buf,
	    &out, &chunks, &held)) != TR_OK)
		goto done;
	owed = 0;
	if ((er = settle(r, &held, TR_OK)) != TR_OK)
		goto done;
	/* The cues' new texts, in order, each where its original was. */
	orig = tr_xcalloc(t.nsegs + 1, sizeof(*orig));
	for (i = 0, p = out.ptr != NULL ? out.ptr : ""; i < t.nsegs; i++) {
		q = i + 1 < t.nsegs ? strstr(p, "\n\n") : NULL;
		k = q != NULL ? (size_t)(q - p) : strlen(p);
		orig[i] = t.segs[i].text;
		t.segs[i].text = tr_xstrndup(p, k);
		if ((joined.len > 0 && tr_buf_add(&joined, " ", 1) != TR_OK) ||
		    tr_buf_add(&joined, p, k) != TR_OK) {
			er = TR_ENOMEM;
			goto done;
		}
		p = q != NULL ? q + 2 : p + k;
	}
	if (t.nsegs == 0 && out.len > 0 &&
	    (er = tr_buf_add(&joined, out.ptr, out.len)) != TR_OK)
		goto done;
	if (strcmp(f->name, "json") != 0 && strcmp(f->name, "text") != 0) {
		er = tr_transcript_reply(r, &t, f, 0);
		goto done;
	}
	if (strcmp(f->name, "text") == 0) {
		er = tr_reply(r, 200, f->ctype, joined.ptr != NULL ? joined.ptr :
		    "", joined.len);
		goto done;
	}
	j = json_object_new_object();
	json_object_object_add(j, "transcript",
	    json_object_new_string(t.text != NULL ? t.text : ""));
	json_object_object_add(j, "translated_text", json_object_new_string(
	    joined.ptr != NULL ? joined.ptr : ""));
	json_object_object_add(j, "source_language",
	    json_object_new_string(job.source));
	json_object_object_add(j, "target_language",
	    json_object_new_string(job.target));
	json_object_object_add(j, "engine", json_object_new_string(e->name));
	json_object_object_add(j, "model", json_object_new_string(
	    job.model != NULL ? job.model : e->model));
	json_object_object_add(j, "chunks", json_object_new_int64((int64_t)chunks));
	if (job.pivot != NULL)
		json_object_object_add(j, "pivot", json_object_new_string(job.pivot));
	segs = json_object_new_array();
	for (i = 0; i < t.nsegs; i++) {
		s = json_object_new_object();
		json_object_object_add(s, "start", json_object_new_double(t.segs[i].start));
		json_object_object_add(s, "end", json_object_new_double(t.segs[i].end));
		json_object_object_add(s, "text", json_object_new_string(orig[i]));
		json_object_object_add(s, "translated_text",
		    json_object_new_string(t.segs[i].text));
		json_object_array_add(segs, s);
	}
	json_object_object_add(j, "segments", segs);
	s = json_object_new_object();
	json_object_object_add(s, "provider", json_object_new_string(t.provider));
	json_object_object_add(s, "duration", json_object_new_double(t.duration));
	json_object_object_add(j, "processing_info", s);
	json_object_object_add(j, "request_id",
	    json_object_new_string(tr_request_id(r)));
	er = tr_reply_json(r, 200, j);
	json_object_put(j);
done:
	if (owed)
		(void)settle(r, &held, er);
	for (i = 0; orig != NULL && i < t.nsegs; i++)
		free(orig[i]);
	free(orig);
	tr_buf_free(&in);
	tr_buf_free(&out);
	tr_buf_free(&joined);
	tr_transcript_free(&t);
	return er;
}
