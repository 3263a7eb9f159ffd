/*
 * The names of the sentiment labels, one table for every engine and
 * writer (apart from sentiment.c, so that an engine may read them).
 */
#include "sentiment.h"

static const char *const labels[TR_SENTI__MAX] = {
	"positive", "negative", "neutral", "mixed",
};

const char *
tr_senti_label_name(enum tr_senti_label l)
{
	return l < TR_SENTI__MAX ? labels[l] : "neutral";
}
