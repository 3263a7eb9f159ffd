/*
 * POST /utilities/audio-duration: an upload (multipart "audio", or the
 * media itself as the body) probed as transcription probes it: its
 * duration, container, codec, sample rate, channels and bit rate.
 */
#include "tr.h"

enum	key { KEY_AUDIO, KEY__MAX };

static const struct tr_field keys[KEY__MAX] = {
	{ "audio", NULL, TR_FILE | TR_REQUIRED },	/* KEY_AUDIO */
};

static enum tr_err
handle(struct tr_req *r)
{
	return tr_audio_duration(r, tr_upload_get(r, KEY_AUDIO));
}

static const struct tr_endpoint ep = {
	.path = "/utilities/audio-duration", .methods = TR_POST,
	.auth = TR_AUTH_APIKEY, .body_max = TR_BODY_UPLOAD, .fields = keys,
	.fieldsz = KEY__MAX, .handler = handle,
};

int
main(void)
{
	return tr_serve(&ep);
}
