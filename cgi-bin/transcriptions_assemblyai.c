/*
 * POST /transcriptions/assemblyai: audio uploaded to AssemblyAI, a job
 * created and polled to completion; speaker labels with diarize.  The
 * same answer as /transcriptions/deepgram.  provider=local (and no
 * ASSEMBLYAI_API_KEY) runs the local engine instead.
 */
#include "tr.h"

static enum tr_err
handle(struct tr_req *r)
{
	return tr_seed_transcribe(r, "assemblyai");
}

static const struct tr_endpoint ep = {
	.path = "/transcriptions/assemblyai", .methods = TR_POST,
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
