/*
 * The translation layer: every translation engine, cloud or local,
 * behind one table of function pointers (as lib/prov/ for
 * transcription), one file each.  Callers look an engine up by name and
 * never switch on it.  Below the engines: the splitter that cuts long
 * texts under an engine's limit (split.c) and the chat-completions
 * client that the chat engines share (chat.c).
 */
#ifndef TR_XLATE_H
#define TR_XLATE_H

#include "prov/prov.h"

/* What an engine's limit counts. */
enum	tr_unit {
	TR_UNIT_TOKENS,		/* chat models: one token per 2 bytes */
	TR_UNIT_CHARS,		/* code points */
	TR_UNIT__MAX
};

/* One translation call: its languages and what it used. */
struct	tr_xjob {
	const char	*source;	/* our tag, or NULL: detect */
	const char	*target;	/* our tag */
	const char	*model;		/* the engine's model */
	const char	*pivot;		/* local: the language between, or NULL */
	long long	 prompt_tokens, completion_tokens;
	long long	 characters;	/* sent */
	char		 detected[16];	/* a source the engine detected */
	/* Why the last call failed, for tr__prov_fail(). */
	enum tr_err		 er;
	struct tr_http_resp	 resp;	/* status, retry_after, reqid */
	char			 msg[256];
	const char	*tmpbase;	/* local: a private temp file prefix */
};

struct	tr_engine {
	const char	*name;		/* "openai", "deepseek", "local" */
	const char	*model;		/* default model */
	const char	*modelvar;	/* setting that names another model */
	const char	*keyvar;	/* setting that enables it; NULL: always */
	const char	*altkeyvar;	/* or this one, or NULL */
	const char	*costvar;	/* USD per 1000 units setting */
	double		 cost;		/* its default */
	enum tr_unit	 unit;
	const char	*limitvar;	/* units in one request, setting */
	long long	 limit;		/* its default */
	/*
	 * Can it translate source (NULL: detect) to target?  TR_OK, and the
	 * pivot language (local) set in job; else TR_EFIELD with why.
	 */
	enum tr_err	(*pair)(struct tr_xjob *, char *why, size_t);
	/* The pairs or languages it knows, for GET /translations/languages. */
	struct json_object *(*languages)(void);
	/* Translates one text: *out is a new string (job->er etc. on error). */
	enum tr_err	(*translate)(struct tr_xjob *, const char *, size_t,
			    char **out);
};

extern const struct tr_engine tr_xl_openai;
extern const struct tr_engine tr_xl_deepseek;
extern const struct tr_engine tr_xl_google;
extern const struct tr_engine tr_xl_local;

const struct tr_engine *tr_engine(const char *);
int		 tr_engine_ready(const struct tr_engine *);
size_t		 tr_engine_count(void);
const struct tr_engine *tr_engine_at(size_t);

/*
 * The splitter (split.c): spans of text, trimmed of the whitespace
 * around them, each under limit units, cut at paragraph, then sentence,
 * then word boundaries, never inside a UTF-8 sequence; and the spans
 * packed in batches (consecutive spans, joined by a blank line) under
 * the limit.  What lies between spans is kept verbatim by the caller.
 */
struct	tr_span {
	size_t	 off, len;
};

struct	tr_split {
	struct tr_span	*spans;
	size_t		 nspans, spancap;
	size_t		*batches;	/* first span of each batch */
	size_t		 nbatches, batchcap;
};

size_t		 tr_split_cost(const char *, size_t, enum tr_unit);
void		 tr_split_text(struct tr_split *, const char *, size_t,
		    size_t limit, enum tr_unit);
void		 tr_split_pack(struct tr_split *, const char *, size_t limit,
		    enum tr_unit);
void		 tr_split_free(struct tr_split *);

/*
 * The chat-completions client (chat.c), for every engine that speaks
 * OpenAI's chat API (translation, and later sentiment): one system and
 * one user message, the reply's text, its usage.
 */
struct	tr_chat {
	const char	*name;		/* for messages: "openai" */
	const char	*basevar;	/* base URL setting */
	const char	*base;		/* its default */
	const char	*path;		/* "/v1/chat/completions" */
	const char	*keyvar;
	const char	*timeoutvar;
	const char	*reqid_header;
};

struct	tr_chat_reply {
	char		*content;	/* the assistant's text */
	char		 model[64];	/* as answered */
	char		 finish[24];	/* finish_reason */
	long long	 prompt_tokens, completion_tokens;
};

/* OpenAI's (chatxl.c): translation and the openai sentiment engine. */
extern const struct tr_chat tr_chat_openai;
enum tr_err	 tr_chat_complete(const struct tr_chat *, const char *model,
		    const char *system, const char *user, size_t userlen,
		    struct tr_xjob *, struct tr_chat_reply *) TR_WUR;
enum tr_err	 tr__chat_parse(struct json_object *,
		    struct tr_chat_reply *) TR_WUR;
enum tr_err	 tr__google_parse(struct json_object *, char **out,
		    char *detected, size_t) TR_WUR;
void		 tr_chat_reply_free(struct tr_chat_reply *);

#endif /* TR_XLATE_H */
