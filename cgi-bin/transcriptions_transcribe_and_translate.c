/*
 * POST /transcriptions/transcribe-and-translate: an upload and a
 * target_language; the transcript and its translation, or the
 * translated subtitles with the original cue times.  The local engines
 * (PocketSphinx, Apertium) by default: it works offline.
 */
#include "tr.h"

static const struct tr_endpoint ep = {
	.path = "/transcriptions/transcribe-and-translate", .methods = TR_POST,
	.auth = TR_AUTH_ANY, .body_max = TR_BODY_UPLOAD,
	.fields = tr_tt_fields, .fieldsz = TR_TT__MAX,
	.handler = tr_xlate_transcribe, .async = 1, .formats = TR_FMT_SEED, .slot = 1,
	.check = tr_xlate_transcribe_check,
};

int
main(void)
{
	return tr_serve(&ep);
}
