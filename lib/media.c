/*
 * Media files: what an upload is (ffprobe: container, duration, whether
 * it has audio) and its audio as 16 kHz mono 16-bit PCM for the local
 * engine (ffmpeg).  Both run as programs by argv with time limits;
 * anything without an audio stream is TR_EMEDIA (415).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define PROBE_MAX	(256 * 1024)

/*
 * Probes path.  Returns TR_EMEDIA if it is not media with audio, else
 * fills m (format name, duration in seconds, channels, sample rate).
 */
enum tr_err
tr_media_probe(const char *path, struct tr_media *m)
{
	char *const	 argv[] = { "ffprobe", "-v", "error", "-show_entries",
			    "format=format_name,duration:stream=codec_type,"
			    "sample_rate,channels,duration", "-of", "json",
			    (char *)path, NULL };
	struct json_object	*o = NULL, *streams, *fmt, *s, *v;
	struct tr_buf		 out;
	const char		*type, *d;
	size_t			 i;
	int			 status;
	enum tr_err		 er;

	memset(m, 0, sizeof(*m));
	tr_buf_init(&out, PROBE_MAX);
	er = tr_proc_run(argv, tr_conf_ll("FFPROBE_TIMEOUT", 30, 1, 600) * 1000,
	    &out, &status);
	if (er == TR_ETIMEOUT) {
		tr_buf_free(&out);
		return TR_EMEDIA;
	}
	if (er != TR_OK || tr_json_parse(tr_buf_str(&out), out.len, PROBE_MAX,
	    8, &o) != TR_OK || o == NULL) {
		tr_buf_free(&out);
		json_object_put(o);
		return TR_EMEDIA;
	}
	tr_buf_free(&out);
	if (json_object_object_get_ex(o, "format", &fmt)) {
		snprintf(m->format, sizeof(m->format), "%s",
		    tr_json_str(fmt, "format_name") != NULL ?
		    tr_json_str(fmt, "format_name") : "");
		if ((d = tr_json_str(fmt, "duration")) != NULL)
			m->duration = strtod(d, NULL);
	}
	if (json_object_object_get_ex(o, "streams", &streams) &&
	    json_object_is_type(streams, json_type_array))
		for (i = 0; i < json_object_array_length(streams); i++) {
			s = json_object_array_get_idx(streams, i);
			if ((type = tr_json_str(s, "codec_type")) == NULL ||
			    strcmp(type, "audio") != 0)
				continue;
			m->has_audio = 1;
			if (json_object_object_get_ex(s, "channels", &v))
				m->channels = json_object_get_int(v);
			if ((d = tr_json_str(s, "sample_rate")) != NULL)
				m->rate = (int)strtol(d, NULL, 10);
			if (m->duration <= 0 &&
			    (d = tr_json_str(s, "duration")) != NULL)
				m->duration = strtod(d, NULL);
			break;
		}
	json_object_put(o);
	if (!m->has_audio)
		return TR_EMEDIA;
	if (!(m->duration > 0 && m->duration < 1e7))
		m->duration = 0;
	return TR_OK;
}

/*
 * Decodes the audio of in to out as raw 16 kHz mono s16le.  Returns
 * TR_EMEDIA if ffmpeg cannot decode it.
 */
enum tr_err
tr_media_pcm16k(const char *in, const char *out)
{
	char *const	 argv[] = { "ffmpeg", "-nostdin", "-hide_banner",
			    "-loglevel", "error", "-y", "-i", (char *)in, "-vn",
			    "-ac", "1", "-ar", "16000", "-f", "s16le", "-acodec",
			    "pcm_s16le", (char *)out, NULL };
	int		 status;
	enum tr_err	 er;

	er = tr_proc_run(argv, tr_conf_ll("FFMPEG_TIMEOUT", 600, 1, 86400) *
	    1000, NULL, &status);
	if (er == TR_ETIMEOUT)
		return er;
	return er == TR_OK ? TR_OK : TR_EMEDIA;
}

/*
 * The middles of the silences in path (ffmpeg's silencedetect: 0.3 s
 * under -35 dB), in seconds.  *out is malloced; an empty list is no
 * error.
 */
enum tr_err
tr_media_silences(const char *path, double **out, size_t *n)
{
	char *const	 argv[] = { "ffmpeg", "-nostdin", "-hide_banner",
			    "-nostats", "-loglevel", "info", "-i", (char *)path,
			    "-vn", "-af", "silencedetect=noise=-35dB:d=0.3",
			    "-f", "null", "-", NULL };
	struct tr_buf	 b;
	const char	*p, *q;
	double		 start = -1, end, *v = NULL;
	size_t		 cap = 0;
	int		 status;
	enum tr_err	 er;

	*out = NULL;
	*n = 0;
	tr_buf_init(&b, 16 * 1024 * 1024);
	er = tr_proc_run2(argv, tr_conf_ll("FFMPEG_TIMEOUT", 600, 1, 86400) *
	    1000, &b, &status, 1);
	if (er != TR_OK) {
		tr_buf_free(&b);
		return er == TR_ETIMEOUT ? er : TR_EMEDIA;
	}
	for (p = tr_buf_str(&b); (p = strstr(p, "silence_")) != NULL; p++) {
		if (strncmp(p, "silence_start: ", 15) == 0)
			start = strtod(p + 15, NULL);
		else if (strncmp(p, "silence_end: ", 13) == 0 && start >= 0) {
			end = strtod(p + 13, (char **)&q);
			if (*n == cap) {
				cap = cap ? cap * 2 : 64;
				v = realloc(v, cap * sizeof(*v));
				if (v == NULL) {
					tr_buf_free(&b);
					return TR_ENOMEM;
				}
			}
			v[(*n)++] = (start + end) / 2;
			start = -1;
		}
	}
	tr_buf_free(&b);
	*out = v;
	return TR_OK;
}

/* Copies [start, end) seconds of in's audio to out, same codec. */
enum tr_err
tr_media_cut(const char *in, double start, double end, const char *out)
{
	char		 ss[32], to[32];
	char *const	 argv[] = { "ffmpeg", "-nostdin", "-hide_banner",
			    "-loglevel", "error", "-y", "-i", (char *)in,
			    "-ss", ss, "-to", to, "-vn", "-c", "copy",
			    (char *)out, NULL };
	int		 status;
	enum tr_err	 er;

	snprintf(ss, sizeof(ss), "%.3f", start);
	snprintf(to, sizeof(to), "%.3f", end);
	er = tr_proc_run(argv, tr_conf_ll("FFMPEG_TIMEOUT", 600, 1, 86400) *
	    1000, NULL, &status);
	if (er == TR_ETIMEOUT)
		return er;
	return er == TR_OK ? TR_OK : TR_EMEDIA;
}
