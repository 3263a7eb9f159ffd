/*
 * What the fuzz targets of the provider parsers share: the answer read
 * as tr__prov_call() reads it, and the checks a transcript made from
 * any answer must pass (every word and segment with text and an end no
 * earlier than its start, speakers only when asked for and counted,
 * the language a string), before tr_transcript_finish() runs on it.
 * A target includes it and defines parse().
 */
#ifndef ANSWER_H
#define ANSWER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prov/prov.h"

/* Each target's own part: the answer, parsed, to its parser. */
static void	 parse(struct json_object *);

/* A speaker is -1 (none) or one of those counted, and only if asked. */
static void
sound_speaker(const struct tr_transcript *t, int speaker, int diarized)
{
	if (speaker != -1 &&
	    (!diarized || speaker < 0 || speaker >= t->speakers))
		abort();
}

/* Checks t, finishes it and frees it. */
static void
sound(struct tr_transcript *t, int diarized)
{
	size_t	 i;

	if (t->text == NULL ||
	    memchr(t->language, '\0', sizeof(t->language)) == NULL ||
	    t->speakers < 0 || t->speakers > TR_PROV_MAXSPEAKERS)
		abort();
	for (i = 0; i < t->nwords; i++) {
		if (t->words[i].text == NULL ||
		    t->words[i].end < t->words[i].start)
			abort();
		sound_speaker(t, t->words[i].speaker, diarized);
	}
	for (i = 0; i < t->nsegs; i++) {
		if (t->segs[i].text == NULL || t->segs[i].end < t->segs[i].start)
			abort();
		sound_speaker(t, t->segs[i].speaker, diarized);
	}
	tr_transcript_finish(t);
	if (t->text == NULL || (t->nwords > 0 && t->nsegs == 0))
		abort();
	tr_transcript_free(t);
}

/* The answer read as JSON as tr__prov_call() reads it, then parsed. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*doc = NULL;

	if (tr_json_parse((const char *)data, size, TR_PROV_MAXBODY,
	    TR_PROV_JSONDEPTH, &doc) != TR_OK || doc == NULL)
		return 0;
	parse(doc);
	json_object_put(doc);
	return 0;
}

#endif /* ANSWER_H */
