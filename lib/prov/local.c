/*
 * The local provider: the upload decoded to 16 kHz mono PCM by ffmpeg
 * and recognised by PocketSphinx in this process.  Needs no key, so it
 * is the default wherever a cloud provider's key is not configured.
 */
#include <stdlib.h>
#include <string.h>

#include "prov.h"

static enum tr_err
transcribe(struct tr_req *r, const struct tr_upload *up,
    const struct tr_media *m, const struct tr_prov_opts *o,
    struct tr_transcript *t)
{
	const char	*path;
	char		*pcm = NULL;
	enum tr_err	 er;

	(void)m;
	if (o->language != NULL && strncmp(o->language, "en", 2) != 0)
		return tr_fail(r, TR_EFIELD, "the local engine knows English "
		    "only; language '%.16s' needs a cloud provider", o->language);
	if ((er = tr__prov_file(r, up, &path)) != TR_OK ||
	    (er = tr__req_tmpfile(r, "audio.pcm", &pcm)) != TR_OK)
		return er;
	if ((er = tr_media_pcm16k(path, pcm)) != TR_OK) {
		free(pcm);
		return er == TR_EMEDIA ? tr_fail(r, er,
		    "the audio could not be decoded") : er;
	}
	tr_quota_renew(r, r->slot);	/* decoding took a while */
	er = tr_sphinx_decode(pcm, t);
	tr_quota_renew(r, r->slot);
	free(pcm);
	return er;
}

const struct tr_provider tr_prov_local = {
	.name = "local", .model = "pocketsphinx-en-us", .keyvar = NULL,
	.costvar = "COST_PER_MINUTE_LOCAL", .cost = 0,
	.transcribe = transcribe,
};
