/*
 * libFuzzer target for tr__senti_openai_answer() (lib/sentiment/
 * openai.c): what a chat model may answer when asked for the sentiment
 * of n sentences (n from the first byte).  An accepted answer gives
 * every sentence a known label and a score in [-1, 1]; a refusal says
 * why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sentiment/sentiment.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t sz)
{
	struct tr_senti	 v[8];
	char		*s, why[96];
	size_t		 i, n;

	if (sz < 1)
		return 0;
	n = data[0] % 8 + 1;
	if ((s = strndup((const char *)data + 1, sz - 1)) == NULL)
		return 0;
	memset(v, 0, sizeof(v));
	why[0] = '\0';
	if (tr__senti_openai_answer(s, v, n, why, sizeof(why)) == 0) {
		for (i = 0; i < n; i++)
			if (v[i].label >= TR_SENTI__MAX ||
			    !(v[i].score >= -1 && v[i].score <= 1))
				abort();
	} else if (why[0] == '\0')
		abort();
	free(s);
	return 0;
}
