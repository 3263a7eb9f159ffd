/*
 * The local speech engine: CMU PocketSphinx (Debian's libpocketsphinx
 * and pocketsphinx-en-us model), decoding 16 kHz mono PCM in the
 * program's own process.  The model is loaded once per process and kept
 * (a cache safe to lose); each decode yields words with their times
 * (PocketSphinx counts 100 frames a second) and confidences.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pocketsphinx.h>

#include "extern.h"

#define FRAME_RATE	100.0
#define MODEL_DIR	"/usr/share/pocketsphinx/model/en-us"

static ps_decoder_t	*ps;	/* loaded once per process */
static cmd_ln_t		*config;

static enum tr_err
load(void)
{
	const char	*dir;
	char		 hmm[1024], lm[1024], dict[1024];
	struct stat	 st;

	if (ps != NULL)
		return TR_OK;
	dir = tr_conf_def("SPHINX_MODEL_DIR", MODEL_DIR);
	snprintf(hmm, sizeof(hmm), "%s/en-us", dir);
	snprintf(lm, sizeof(lm), "%s/en-us.lm.bin", dir);
	snprintf(dict, sizeof(dict), "%s/cmudict-en-us.dict", dir);
	if (stat(hmm, &st) == -1 || stat(lm, &st) == -1 ||
	    stat(dict, &st) == -1) {
		tr_errx("sphinx: no model under %s", dir);
		return TR_EUNAVAIL;
	}
	config = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm, "-lm", lm,
	    "-dict", dict, "-logfn", "/dev/null", NULL);
	if (config == NULL || (ps = ps_init(config)) == NULL) {
		tr_errx("sphinx: cannot load the model from %s", dir);
		if (config != NULL)
			cmd_ln_free_r(config);
		config = NULL;
		return TR_EUNAVAIL;
	}
	return TR_OK;
}

/* A dictionary word as text: "<s>", "<sil>", "[NOISE]" are not words,
 * and "read(2)" is the second pronunciation of "read". */
static int
word_text(const char *w, char *out, size_t outsz)
{
	size_t	 n;

	if (w == NULL || *w == '<' || *w == '[' || *w == '+')
		return 0;
	n = strcspn(w, "(");
	if (n == 0 || n >= outsz)
		return 0;
	memcpy(out, w, n);
	out[n] = '\0';
	return 1;
}

/*
 * Decodes the raw PCM file path (16 kHz mono s16le) into t.  Returns
 * TR_EUNAVAIL if the model cannot be loaded.
 */
enum tr_err
tr_sphinx_decode(const char *path, struct tr_transcript *t)
{
	int16_t		 buf[8192];
	ps_seg_t	*seg;
	char		 w[256];
	ssize_t		 n;
	long long	 samples = 0;
	int		 fd, sf, ef, prob, a, l, b;
	enum tr_err	 er;

	if ((er = load()) != TR_OK)
		return er;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return TR_ESYSTEM;
	if (ps_start_utt(ps) < 0) {
		close(fd);
		return TR_ESYSTEM;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		samples += n / 2;
		if (ps_process_raw(ps, buf, (size_t)n / 2, FALSE, FALSE) < 0) {
			close(fd);
			ps_end_utt(ps);
			return TR_ESYSTEM;
		}
	}
	close(fd);
	if (ps_end_utt(ps) < 0)
		return TR_ESYSTEM;
	for (seg = ps_seg_iter(ps); seg != NULL; seg = ps_seg_next(seg)) {
		if (!word_text(ps_seg_word(seg), w, sizeof(w)))
			continue;
		ps_seg_frames(seg, &sf, &ef);
		prob = ps_seg_prob(seg, &a, &l, &b);
		tr_transcript_word(t, w, sf / FRAME_RATE, (ef + 1) / FRAME_RATE,
		    logmath_exp(ps_get_logmath(ps), prob), -1);
	}
	t->duration = samples / 16000.0;
	snprintf(t->provider, sizeof(t->provider), "local");
	snprintf(t->model, sizeof(t->model), "pocketsphinx-en-us");
	snprintf(t->language, sizeof(t->language), "en");
	return TR_OK;
}
