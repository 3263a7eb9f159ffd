/*
 * Unit tests of lib/media/media.c on a WAV the test writes itself (1 s
 * of tone, 1 s of silence, 1 s of tone, 16 kHz mono): what the probe
 * finds (a WAV header's patched size included), a text file and a
 * missing file refused, the silence found in
 * the middle, and a piece cut out of it.  The silence and the cut need
 * the ffmpeg program (T_NEED).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "t.h"

#define RATE	16000

static char	 dir[256], in[300], txt[300], out[300];

/* At exit, a skip (T_NEED) included. */
static void
cleanup(void)
{
	unlink(in);
	unlink(txt);
	unlink(out);
	rmdir(dir);
}

static void
le(FILE *f, uint32_t v, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		T(fputc((int)(v >> (8 * i)) & 0xff, f) != EOF);
}

static void
wav(const char *path)
{
	FILE		*f;
	uint32_t	 n = 3 * RATE, i;
	int16_t		 v;

	T((f = fopen(path, "wb")) != NULL);
	T(fwrite("RIFF", 1, 4, f) == 4);
	le(f, 36 + n * 2, 4);
	T(fwrite("WAVEfmt ", 1, 8, f) == 8);
	le(f, 16, 4);
	le(f, 1, 2);			/* PCM */
	le(f, 1, 2);			/* mono */
	le(f, RATE, 4);
	le(f, RATE * 2, 4);
	le(f, 2, 2);
	le(f, 16, 2);
	T(fwrite("data", 1, 4, f) == 4);
	le(f, n * 2, 4);
	for (i = 0; i < n; i++) {
		v = i / RATE == 1 ? 0 :
		    (int16_t)(12000 * sin(2 * M_PI * 440 * i / RATE));
		le(f, (uint16_t)v, 2);
	}
	T(fclose(f) == 0);
}

/* The WAV header path: a patched size bills what is there. */
static void
wav_header_cases(void)
{
	unsigned char	 h[64];
	struct tr_media	 m;
	FILE		*f;
	size_t		 n;

	T((f = fopen(in, "rb")) != NULL);
	T((n = fread(h, 1, sizeof(h), f)) == sizeof(h));
	T(fclose(f) == 0);
	T(tr_media_wav(h, n, 44 + 3 * RATE * 2, &m) == TR_OK);
	T(fabs(m.duration - 3.0) < 1e-9 && m.rate == RATE && m.channels == 1);
	/* The data chunk claims far more than the file holds. */
	h[40] = h[41] = h[42] = 0xff;
	T(tr_media_wav(h, n, 44 + RATE * 2, &m) == TR_OK);
	T(fabs(m.duration - 1.0) < 1e-9);
	/* Not PCM (format 3, float): libavformat's to measure. */
	h[20] = 3;
	T(tr_media_wav(h, n, 44 + RATE * 2, &m) == TR_EMEDIA);
	h[20] = 1;
	/* No samples, or a header cut short. */
	T(tr_media_wav(h, n, 44, &m) == TR_EMEDIA);
	T(tr_media_wav(h, 40, 40, &m) == TR_EMEDIA);
	memcpy(h + 8, "AVI ", 4);
	T(tr_media_wav(h, n, 44 + RATE * 2, &m) == TR_EMEDIA);
}

int
main(void)
{
	struct tr_media	 m;
	const char	*tmp = getenv("TMPDIR");
	double		*sil;
	size_t		 n;
	FILE		*f;

	snprintf(dir, sizeof(dir), "%s/test_media.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	T(mkdtemp(dir) != NULL);
	atexit(cleanup);
	snprintf(in, sizeof(in), "%s/in.wav", dir);
	snprintf(txt, sizeof(txt), "%s/notes.wav", dir);
	snprintf(out, sizeof(out), "%s/piece.wav", dir);
	wav(in);
	T(tr_media_probe(in, &m) == TR_OK);
	T_STREQ(m.format, "wav");
	T(m.has_audio == 1 && m.channels == 1 && m.rate == RATE);
	T(fabs(m.duration - 3.0) < 0.01);
	wav_header_cases();

	/* Text with an audio name, and no file at all, are not media. */
	T((f = fopen(txt, "w")) != NULL);
	T(fputs("these are not the sounds you are looking for\n", f) >= 0);
	T(fclose(f) == 0);
	T(tr_media_probe(txt, &m) == TR_EMEDIA);
	T(tr_media_probe("/nonexistent/in.wav", &m) == TR_EMEDIA);

	T_NEED("ffmpeg", "silences and cuts run it");
	T(tr_media_silences(in, &sil, &n) == TR_OK);
	T(n == 1 && fabs(sil[0] - 1.5) < 0.1);
	free(sil);
	T(tr_media_silences(txt, &sil, &n) == TR_EMEDIA);

	T(tr_media_cut(in, 0.5, 2.0, out) == TR_OK);
	T(tr_media_probe(out, &m) == TR_OK);
	T(fabs(m.duration - 1.5) < 0.05);

	return 0;
}
