/*
 * Sentences per second of the local sentiment engine: a mix of short
 * and long English sentences scored again and again for a few seconds
 * in this process (no HTTP).  Built and run by tests/bench/sentiment.sh.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sentiment/sentiment.h"

static const char *const sentences[] = {
	"I love this product.",
	"The food was not good, but the service was EXCELLENT!!!",
	"The meeting is at three o'clock in the main room on the second floor.",
	"Honestly I was kind of disappointed with how slowly everything moved "
	    "along, although the team did a really great job at the end.",
	"This is the worst idea ever.",
};

int
main(int argc, char *argv[])
{
	struct timespec		 t0, t1;
	enum tr_senti_label	 l;
	double			 s, secs = argc > 1 ? 5 : 3, el;
	size_t			 n = 0, i;

	if (tr__senti_lexicon(NULL) != TR_OK) {
		fprintf(stderr, "no lexicon: build first (make)\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (i = 0; i < 1000; i++, n++)
			tr__senti_vader(sentences[n % 5],
			    strlen(sentences[n % 5]), &s, &l);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		el = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	} while (el < secs);
	printf("%zu sentences in %.2f s: %.0f sentences/s\n", n, el, n / el);
	tr__senti_lexicon_free();
	return 0;
}
