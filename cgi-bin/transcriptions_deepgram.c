/*
 * POST /transcriptions/deepgram: audio to Deepgram pre-recorded (nova-2),
 * as the seed: language, diarize, paragraphs; the transcript, its
 * diarization and processing_info, plus the words.  provider=local (and
 * no DEEPGRAM_API_KEY) runs the local engine instead.
 */
#include "tr.h"

static enum tr_err
handle(struct tr_req *r)
{
	return tr_seed_transcribe(r, "deepgram");
}

static const struct tr_endpoint ep = {
	.path = "/transcriptions/deepgram", .methods = TR_POST,
	.auth = TR_AUTH_ANY, .body_max = TR_BODY_UPLOAD,
	.fields = tr_seed_fields, .fieldsz = TR_SEED__MAX, .async = 1, .formats = TR_FMT_SEED, .slot = 1,
	.check = tr_seed_check,
	.handler = handle,
};

int
main(void)
{
	return tr_serve(&ep);
}
