/*
 * libFuzzer target for the parsers of translation replies: a chat
 * completion (tr__chat_parse(), lib/xlate/chat.c) as OpenAI or DeepSeek
 * might send, and a Translation v2 answer (tr__google_parse(),
 * google.c), or anything posing as them; and, on the same bytes as a text, the splitter (split.c):
 * every span inside the text, in order, under the limit unless one
 * code point is over it, never starting or ending inside a UTF-8
 * sequence, and the batches covering the spans in order.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xlate/xlate.h"

static void
split(const char *p, size_t n, size_t limit, enum tr_unit u)
{
	struct tr_split	 s;
	size_t		 i, end = 0;

	tr_split_text(&s, p, n, limit, u);
	for (i = 0; i < s.nspans; i++) {
		if (s.spans[i].len == 0 || s.spans[i].off < end ||
		    s.spans[i].off + s.spans[i].len > n)
			abort();
		if (((unsigned char)p[s.spans[i].off] & 0xC0) == 0x80 ||
		    (s.spans[i].off + s.spans[i].len < n &&
		    ((unsigned char)p[s.spans[i].off + s.spans[i].len] & 0xC0) ==
		    0x80))
			abort();
		if (tr_split_cost(p + s.spans[i].off, s.spans[i].len, u) > limit &&
		    s.spans[i].len > 4)
			abort();
		end = s.spans[i].off + s.spans[i].len;
	}
	for (i = 0; i < s.nbatches; i++)
		if (s.batches[i] >= s.nspans || (i > 0 &&
		    s.batches[i] <= s.batches[i - 1]))
			abort();
	if (s.nspans > 0 && (s.nbatches == 0 || s.batches[0] != 0))
		abort();
	tr_split_free(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*doc = NULL;
	struct tr_chat_reply	 r;

	/* The endpoints split only text that is valid UTF-8. */
	if (tr_valid_utf8((const char *)data, size)) {
		split((const char *)data, size, 8, TR_UNIT_TOKENS);
		split((const char *)data, size, 5, TR_UNIT_CHARS);
	}
	if (tr_json_parse((const char *)data, size, TR_PROV_MAXBODY,
	    TR_PROV_JSONDEPTH, &doc) != TR_OK || doc == NULL)
		return 0;
	if (tr__chat_parse(doc, &r) == TR_OK) {
		if (r.content == NULL || r.prompt_tokens < 0 ||
		    r.completion_tokens < 0 ||
		    memchr(r.model, '\0', sizeof(r.model)) == NULL)
			abort();
		tr_chat_reply_free(&r);
	}
	{
		char	*t = NULL, det[16];

		if (tr__google_parse(doc, &t, det, sizeof(det)) == TR_OK) {
			if (t == NULL)
				abort();
			free(t);
		}
	}
	json_object_put(doc);
	return 0;
}
