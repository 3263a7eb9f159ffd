/*
 * The chat engines, OpenAI (gpt-4o-mini) and DeepSeek (deepseek-chat):
 * one prompt that names the languages and asks for the translation
 * only, with its paragraphs kept, through the shared chat client.
 */
#include <stdio.h>
#include <string.h>

#include "xlate.h"

const struct tr_chat tr_chat_openai = {
	.name = "openai", .basevar = "OPENAI_BASE_URL",
	.base = "https://api.openai.com", .path = "/v1/chat/completions",
	.keyvar = "OPENAI_API_KEY", .timeoutvar = "OPENAI_TIMEOUT",
	.reqid_header = "x-request-id",
};

static const struct tr_chat deepseek_chat = {
	.name = "deepseek", .basevar = "DEEPSEEK_BASE_URL",
	.base = "https://api.deepseek.com", .path = "/chat/completions",
	.keyvar = "DEEPSEEK_API_KEY", .timeoutvar = "DEEPSEEK_TIMEOUT",
	.reqid_header = "x-ds-trace-id",
};

/* A chat model knows every language of the table. */
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

static enum tr_err
chat_translate(const struct tr_chat *c, struct tr_xjob *job, const char *s,
    size_t n, char **out)
{
	const struct tr_lang	*src, *dst;
	struct tr_chat_reply	 rep;
	char			 sys[512];
	enum tr_err		 er;

	dst = tr_lang(job->target);
	src = job->source != NULL ? tr_lang(job->source) : NULL;
	if (src != NULL)
		snprintf(sys, sizeof(sys), "Translate from %s (%s) to %s (%s). "
		    "Keep every paragraph, separated by a blank line, as its "
		    "own paragraph, in order. Reply with the translation only.",
		    src->name, src->code, dst->name, dst->code);
	else
		snprintf(sys, sizeof(sys), "Translate to %s (%s). Keep every "
		    "paragraph, separated by a blank line, as its own "
		    "paragraph, in order. Reply with the translation only.",
		    dst->name, dst->code);
	if ((er = tr_chat_complete(c, job->model, sys, s, n, job, &rep)) != TR_OK)
		return er;
	*out = rep.content;
	return TR_OK;
}

static enum tr_err
openai_translate(struct tr_xjob *job, const char *s, size_t n, char **out)
{
	return chat_translate(&tr_chat_openai, job, s, n, out);
}

static enum tr_err
deepseek_translate(struct tr_xjob *job, const char *s, size_t n, char **out)
{
	return chat_translate(&deepseek_chat, job, s, n, out);
}

const struct tr_engine tr_xl_openai = {
	.name = "openai", .model = "gpt-4o-mini", .modelvar = "OPENAI_CHAT_MODEL",
	.keyvar = "OPENAI_API_KEY", .costvar = "TRANSLATE_COST_OPENAI",
	.cost = 0.0006, .unit = TR_UNIT_TOKENS,
	.limitvar = "OPENAI_TRANSLATE_CHUNK_TOKENS", .limit = 4000,
	.pair = any_pair, .languages = any_languages,
	.translate = openai_translate,
};

const struct tr_engine tr_xl_deepseek = {
	.name = "deepseek", .model = "deepseek-chat",
	.modelvar = "DEEPSEEK_MODEL", .keyvar = "DEEPSEEK_API_KEY",
	.costvar = "TRANSLATE_COST_DEEPSEEK", .cost = 0.0011,
	.unit = TR_UNIT_TOKENS,
	.limitvar = "DEEPSEEK_TRANSLATE_CHUNK_TOKENS", .limit = 3000,
	.pair = any_pair, .languages = any_languages,
	.translate = deepseek_translate,
};
