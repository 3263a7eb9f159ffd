/*
 * Media files: what an upload is (libavformat: container, duration,
 * whether it has audio), its audio as 16 kHz mono 16-bit PCM for the
 * local engine, its silences and pieces (the ffmpeg program, by argv,
 * with time limits).  Anything without an audio stream is TR_EMEDIA
 * (415).  Only the containers listed below are opened, and only local
 * files.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/intreadwrite.h>

#include "extern.h"

/*
 * The containers we open, for libavformat and for the ffmpeg program:
 * demuxers that can name other files or URLs (hls, concat, playlists...)
 * are not among them, so an upload cannot make us read a local file or
 * fetch a URL.
 */
#define MEDIA_MAX_SECS	1e7	/* longer than any real upload (115 days) */
#define MEDIA_HEAD	4096	/* bytes read to tell the container */
#define MEDIA_PROBESIZE	"262144"	/* bytes find_stream_info may read */
#define MEDIA_ANALYZE	"2000000"	/* and microseconds of media */

static const char	 formats[] = "wav,w64,mp3,mov,mp4,m4a,3gp,3g2,mj2,"
    "ogg,matroska,webm,flac,aac,asf,avi,amr,aiff,caf,au,mpeg,mpegts,"
    "opus,wv,ape,tta,mpc,mpc8,ac3,eac3,dts,truehd,mlp,s16le,flv";

/*
 * The length of the audio stream idx as its packets add up, read to the
 * end: a header's claim (an MP3's Xing frame count, a container's
 * duration field) can be patched to say anything, and billing and
 * quotas must count what will be transcribed.  Each packet's duration
 * comes from its frame (the parsers read it from each frame header);
 * the larger of their sum and the span of their timestamps is taken,
 * so that neither alone can make the audio shorter.  Packets are not
 * decoded; other streams are skipped.
 */
static enum tr_err
measure(AVFormatContext *fc, int idx, double *secs)
{
	AVStream	*st = fc->streams[idx];
	AVPacket	*pkt;
	int64_t		 sum = 0, first = AV_NOPTS_VALUE, end = AV_NOPTS_VALUE;
	const uint8_t	*sd;
	size_t		 sdsz;
	double		 skip = 0, rate = st->codecpar->sample_rate;
	unsigned int	 i;
	int		 rc;

	*secs = 0;
	for (i = 0; i < fc->nb_streams; i++)
		if ((int)i != idx)
			fc->streams[i]->discard = AVDISCARD_ALL;
	if ((pkt = av_packet_alloc()) == NULL)
		return TR_ENOMEM;
	while ((rc = av_read_frame(fc, pkt)) >= 0) {
		/* The encoder's priming and padding samples, which a
		 * decoder drops (LAME's, AAC's 1024...), are no audio. */
		if (pkt->stream_index == idx && rate > 0 &&
		    (sd = av_packet_get_side_data(pkt, AV_PKT_DATA_SKIP_SAMPLES,
		    &sdsz)) != NULL && sdsz >= 8)
			skip += (double)AV_RL32(sd) / rate +
			    (double)AV_RL32(sd + 4) / rate;
		if (pkt->stream_index == idx && pkt->duration > 0 &&
		    pkt->duration < INT64_MAX / 4 && sum < INT64_MAX / 4) {
			sum += pkt->duration;
			if (pkt->pts != AV_NOPTS_VALUE &&
			    pkt->pts > INT64_MIN / 4 && pkt->pts < INT64_MAX / 4) {
				if (first == AV_NOPTS_VALUE || pkt->pts < first)
					first = pkt->pts;
				if (end == AV_NOPTS_VALUE ||
				    pkt->pts + pkt->duration > end)
					end = pkt->pts + pkt->duration;
			}
		}
		av_packet_unref(pkt);
	}
	av_packet_free(&pkt);
	if (rc != AVERROR_EOF)
		return TR_EMEDIA;	/* cut short or corrupt */
	if (first != AV_NOPTS_VALUE && end - first > sum)
		sum = end - first;
	*secs = sum * av_q2d(st->time_base);
	if (skip > 0 && skip < *secs)
		*secs -= skip;
	return TR_OK;
}

/*
 * Containers told by their first bytes, so that libavformat opens the
 * one demuxer instead of trying every listed one in turn.  Each is in
 * the list above (avformat_open_input() checks the whitelist for a
 * demuxer it is handed too); what no line matches is probed as before.
 */
static const struct magic {
	const char	*riff;		/* "RIFF" at 0 too, or NULL */
	size_t		 off;		/* where the signature starts */
	const char	*sig;
	size_t		 len;
	const char	*demuxer;	/* libavformat's name */
} magics[] = {
	{ "RIFF", 8, "WAVE", 4, "wav" },
	{ NULL, 0, "fLaC", 4, "flac" },
	{ NULL, 0, "OggS", 4, "ogg" },
	{ NULL, 0, "\x1a\x45\xdf\xa3", 4, "matroska" },
	{ NULL, 4, "ftyp", 4, "mov" },
	{ NULL, 0, "FORM", 4, "aiff" },
	{ NULL, 0, "caff", 4, "caf" },
	{ NULL, 0, "#!AMR", 5, "amr" },
	{ NULL, 0, "FLV", 3, "flv" },
};
/* (An ID3 tag names no container: MP3, AAC and FLAC may all start so.) */

/* The demuxer that head's signature names, or NULL: probe them all. */
static const AVInputFormat *
guess(const unsigned char *head, size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (len >= magics[i].off + magics[i].len &&
		    memcmp(head + magics[i].off, magics[i].sig,
		    magics[i].len) == 0 && (magics[i].riff == NULL ||
		    memcmp(head, magics[i].riff, 4) == 0))
			return av_find_input_format(magics[i].demuxer);
	return NULL;
}

static unsigned int
le16(const unsigned char *p)
{
	return (unsigned int)p[0] | (unsigned int)p[1] << 8;
}

static unsigned long
le32(const unsigned char *p)
{
	return (unsigned long)le16(p) | (unsigned long)le16(p + 2) << 16;
}

/*
 * A PCM WAV told by its header alone: the first len bytes of a file of
 * size bytes.  The length is that of the samples present: the data
 * chunk's size as the header says, but no more than the file holds (a
 * size patched to claim hours bills the seconds that are there).
 * Returns TR_OK with m filled, or TR_EMEDIA when it is not a PCM WAV
 * whose data chunk starts within head (libavformat then decides).
 */
enum tr_err
tr_media_wav(const unsigned char *head, size_t len, unsigned long long size,
    struct tr_media *m)
{
	unsigned long	 csz, rate = 0, bytes;
	unsigned int	 fmt = 0, chans = 0, align = 0, bits = 0;
	size_t		 at = 12;
	int		 gotfmt = 0;

	if (len < 12 || memcmp(head, "RIFF", 4) != 0 ||
	    memcmp(head + 8, "WAVE", 4) != 0 || size < len)
		return TR_EMEDIA;
	while (at + 8 <= len) {
		csz = le32(head + at + 4);
		if (memcmp(head + at, "fmt ", 4) == 0) {
			if (csz < 16 || at + 8 + 16 > len)
				return TR_EMEDIA;
			fmt = le16(head + at + 8);
			chans = le16(head + at + 10);
			rate = le32(head + at + 12);
			align = le16(head + at + 20);
			bits = le16(head + at + 22);
			if (fmt == 0xfffe && csz >= 40 && at + 8 + 26 <= len)
				fmt = le16(head + at + 8 + 24);
			gotfmt = 1;
		} else if (memcmp(head + at, "data", 4) == 0) {
			/* PCM only: what every sample is bytes wide. */
			if (!gotfmt || fmt != 1 || chans == 0 || chans > 64 ||
			    rate == 0 || rate > 768000 || bits == 0 ||
			    bits % 8 != 0 || bits > 32 ||
			    align != chans * bits / 8)
				return TR_EMEDIA;
			bytes = size - (at + 8) < csz ? (unsigned long)
			    (size - (at + 8)) : csz;
			memset(m, 0, sizeof(*m));
			snprintf(m->format, sizeof(m->format), "wav");
			m->has_audio = 1;
			m->channels = (int)chans;
			m->rate = (int)rate;
			m->duration = (double)(bytes / align) / rate;
			/* As libavformat names and measures linear PCM. */
			snprintf(m->codec, sizeof(m->codec), bits == 8 ?
			    "pcm_u8" : "pcm_s%ule", bits);
			m->bit_rate = (long long)rate * chans * bits;
			return m->duration > 0 && m->duration < MEDIA_MAX_SECS ?
			    TR_OK : TR_EMEDIA;
		}
		/* Chunks are padded to an even size. */
		if (csz > len || at + 8 + csz + (csz & 1) < at)
			return TR_EMEDIA;
		at += 8 + csz + (csz & 1);
	}
	return TR_EMEDIA;
}

/* The first bytes of path and its size; 0 bytes read if it cannot. */
static size_t
head_of(const char *path, unsigned char *head, size_t sz,
    unsigned long long *size)
{
	struct stat	 st;
	ssize_t		 n;
	int		 fd;

	*size = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (n = read(fd, head, sz)) < 0)
		n = 0;
	else
		*size = (unsigned long long)st.st_size;
	close(fd);
	return (size_t)n;
}

/*
 * Probes path: a PCM WAV by its header, anything else with libavformat
 * in this process (spawning ffprobe costs some 80 ms a request), the
 * container told by its first bytes when they name one and the stream
 * probe capped (MEDIA_PROBESIZE, MEDIA_ANALYZE).  Returns TR_EMEDIA if it is not media with an
 * audio stream whose length can be measured, else fills m (container,
 * duration in seconds as measured(), channels, sample rate).
 */
enum tr_err
tr_media_probe(const char *path, struct tr_media *m)
{
	AVFormatContext		*fc;
	AVDictionary		*opts = NULL;
	AVStream		*st;
	unsigned char		 head[MEDIA_HEAD];
	unsigned long long	 size;
	size_t			 n;
	int			 idx;
	enum tr_err		 er = TR_EMEDIA;

	memset(m, 0, sizeof(*m));
	n = head_of(path, head, sizeof(head), &size);
	if (tr_media_wav(head, n, size, m) == TR_OK)
		return TR_OK;
	memset(m, 0, sizeof(*m));
	av_log_set_level(AV_LOG_QUIET);
	if ((fc = avformat_alloc_context()) == NULL)
		return TR_ENOMEM;
	if ((fc->format_whitelist = av_strdup(formats)) == NULL) {
		avformat_free_context(fc);
		return TR_ENOMEM;
	}
	av_dict_set(&opts, "protocol_whitelist", "file", 0);
	av_dict_set(&opts, "probesize", MEDIA_PROBESIZE, 0);
	av_dict_set(&opts, "analyzeduration", MEDIA_ANALYZE, 0);
	if (avformat_open_input(&fc, path, guess(head, n), &opts) < 0) {
		av_dict_free(&opts);
		return TR_EMEDIA;	/* fc was freed */
	}
	av_dict_free(&opts);
	if (avformat_find_stream_info(fc, NULL) < 0 ||
	    (idx = av_find_best_stream(fc, AVMEDIA_TYPE_AUDIO, -1, -1, NULL,
	    0)) < 0)
		goto out;
	st = fc->streams[idx];
	snprintf(m->format, sizeof(m->format), "%s", fc->iformat->name);
	m->has_audio = 1;
	m->channels = st->codecpar->ch_layout.nb_channels;
	m->rate = st->codecpar->sample_rate;
	snprintf(m->codec, sizeof(m->codec), "%s",
	    avcodec_get_name(st->codecpar->codec_id));
	m->bit_rate = st->codecpar->bit_rate > 0 ? st->codecpar->bit_rate :
	    fc->bit_rate > 0 ? fc->bit_rate : 0;
	if ((er = measure(fc, idx, &m->duration)) != TR_OK)
		goto out;
	if (!(m->duration > 0 && m->duration < MEDIA_MAX_SECS))
		er = TR_EMEDIA;		/* unknown is no length, never 0 */
out:
	avformat_close_input(&fc);
	return er;
}

/*
 * Decodes the audio of in to out as raw 16 kHz mono s16le.  Returns
 * TR_EMEDIA if ffmpeg cannot decode it.
 */
enum tr_err
tr_media_pcm16k(const char *in, const char *out)
{
	char *const	 argv[] = { "ffmpeg", "-nostdin", "-hide_banner",
			    "-loglevel", "error", "-y", "-protocol_whitelist",
			    "file", "-format_whitelist", (char *)formats, "-i",
			    (char *)in, "-vn", "-ac", "1", "-ar", "16000", "-f",
			    "s16le", "-acodec", "pcm_s16le", (char *)out, NULL };
	int		 status;
	enum tr_err	 er;

	er = tr_proc_run(argv, tr_conf_ll("FFMPEG_TIMEOUT", 600, 1, 86400) *
	    1000, NULL, &status);
	if (er == TR_ETIMEOUT)
		return er;
	return er == TR_OK ? TR_OK : TR_EMEDIA;
}

enum tr_err
tr_media_pcm16k_pipe(int *pid, int *wfd, int *rfd)
{
	char *const	 argv[] = { "ffmpeg", "-nostdin", "-hide_banner",
			    "-loglevel", "error", "-protocol_whitelist", "pipe",
			    "-format_whitelist", (char *)formats, "-probesize",
			    "32768", "-i", "pipe:0",
			    "-vn", "-ac", "1", "-ar", "16000", "-f", "s16le",
			    "-acodec", "pcm_s16le", "-flush_packets", "1",
			    "pipe:1", NULL };
	/* Not "-fflags nobuffer": it drops what the probe read (mp3). */
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	sigset_t			 def;
	pid_t				 p;
	int				 in[2], out[2], rc;

	if (pipe2(in, O_CLOEXEC) == -1)
		return TR_ESYSTEM;
	if (pipe2(out, O_CLOEXEC) == -1) {
		close(in[0]);
		close(in[1]);
		return TR_ESYSTEM;
	}
	/* posix_spawn: no copy of a large, threaded process. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&at);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawnp(&p, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(in[0]);
	close(out[1]);
	if (rc != 0 || fcntl(in[1], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(out[0], F_SETFL, O_NONBLOCK) == -1) {
		close(in[1]);
		close(out[0]);
		if (rc == 0) {
			kill(p, SIGKILL);
			while (waitpid(p, NULL, 0) == -1 && errno == EINTR)
				continue;
		}
		return TR_ESYSTEM;
	}
	*pid = (int)p;
	*wfd = in[1];
	*rfd = out[0];
	return TR_OK;
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
			    "-nostats", "-loglevel", "info", "-protocol_whitelist",
			    "file", "-format_whitelist", (char *)formats, "-i",
			    (char *)path,
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

/*
 * The audio of in (a video, say) as 16 kHz mono FLAC in out: what every
 * provider takes, a fraction of the video's size, read by ffmpeg as it
 * goes (no copy of the input).  TR_EMEDIA if ffmpeg cannot decode it.
 */
enum tr_err
tr_media_audio(const char *in, const char *out)
{
	char *const	 argv[] = { "ffmpeg", "-nostdin", "-hide_banner",
			    "-loglevel", "error", "-y", "-protocol_whitelist",
			    "file", "-format_whitelist", (char *)formats, "-i",
			    (char *)in, "-vn", "-sn", "-dn", "-ac", "1", "-ar",
			    "16000", "-c:a", "flac", "-f", "flac", (char *)out,
			    NULL };
	int		 status;
	enum tr_err	 er;

	er = tr_proc_run(argv, tr_conf_ll("FFMPEG_TIMEOUT", 600, 1, 86400) *
	    1000, NULL, &status);
	if (er == TR_ETIMEOUT)
		return er;
	return er == TR_OK ? TR_OK : TR_EMEDIA;
}

/* Copies [start, end) seconds of in's audio to out, same codec. */
enum tr_err
tr_media_cut(const char *in, double start, double end, const char *out)
{
	char		 ss[32], to[32];
	char *const	 argv[] = { "ffmpeg", "-nostdin", "-hide_banner",
			    "-loglevel", "error", "-y", "-protocol_whitelist",
			    "file", "-format_whitelist", (char *)formats, "-i",
			    (char *)in, "-ss", ss, "-to", to, "-vn", "-c", "copy",
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
