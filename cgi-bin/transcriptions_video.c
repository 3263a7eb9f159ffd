/*
 * POST /transcriptions/video: a video upload ("video") or a "url" of
 * media or of a page that shows it, its audio taken out by ffmpeg and
 * transcribed by "provider" (the local engine by default).  URLs go
 * through the URL guard: no loopback, private or link-local address
 * unless ALLOW_PRIVATE_URLS.
 */
#include "tr.h"

static const struct tr_endpoint ep = {
	.path = "/transcriptions/video", .methods = TR_POST,
	.auth = TR_AUTH_ANY, .body_max = TR_BODY_UPLOAD,
	.fields = tr_video_fields, .fieldsz = TR_VIDEO__MAX,
	.handler = tr_video_transcribe, .async = 1, .formats = TR_FMT_SEED, .slot = 1,
	.check = tr_video_check,
};

int
main(void)
{
	return tr_serve(&ep);
}
