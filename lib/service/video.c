/*
 * POST /transcriptions/video: a video (or any media) uploaded, or a URL
 * of one, transcribed by the provider asked for (the local engine by
 * default).  A URL is fetched through the URL guard (net/guard.c) into
 * the request's temp directory, capped by VIDEO_MAX_BYTES; when it is a
 * web page, the page's own <video>/<audio>/<source> or og:video URL is
 * fetched the same way.  The audio is then taken out by ffmpeg (16 kHz
 * mono FLAC, the video never copied) and goes the way of every upload
 * (transcribe.c): probe, quota, provider, usage row.
 *
 * A page that shows no media we can read (a player set up by script,
 * a site's own page) goes to yt-dlp, run by argv with no configuration
 * files, no playlists, a size cap and a timeout.  It opens connections
 * of its own, so it is given a proxy of ours (net/proxy.c) and no other
 * way out: each address it would reach is checked there as ours are.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "prov/prov.h"

#define VIDEO_DEF_BYTES	(512LL * 1024 * 1024)	/* VIDEO_MAX_BYTES */
#define VIDEO_DEF_SECS	(4LL * 3600)		/* VIDEO_MAX_SECONDS */
#define VIDEO_DEF_MS	(600LL * 1000)		/* VIDEO_FETCH_TIMEOUT, s */
#define VIDEO_HTML_MAX	(4 * 1024 * 1024)	/* a page we read whole */
#define VIDEO_REDIRECTS	5
#define VIDEO_YTDLP_OUT	65536			/* its messages, for the log */

/* The Content-Types of a page rather than of media. */
static const char *const pages[] = { "text/html", "application/xhtml+xml" };

const struct tr_field tr_video_fields[TR_VIDEO__MAX] = {
	{ "video", NULL, TR_FILE },			/* TR_VIDEO_FILE */
	{ "url", tr_valid_string, 0 },			/* TR_VIDEO_URL */
	{ "language", tr_valid_lang, 0 },		/* TR_VIDEO_LANG */
	{ "diarize", tr_valid_bool, 0 },		/* TR_VIDEO_DIARIZE */
	{ "provider", tr_valid_ident, 0 },		/* TR_VIDEO_PROVIDER */
	{ "response_format", tr_valid_ident, 0 },	/* TR_VIDEO_FORMAT */
	{ "model", tr_valid_ident, 0 },			/* TR_VIDEO_MODEL */
};

static int
is_page(const char *ctype)
{
	size_t	 i, n;

	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		n = strlen(pages[i]);
		if (strncasecmp(ctype, pages[i], n) == 0 &&
		    (ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' '))
			return 1;
	}
	return 0;
}

/* The settings that bound one video, read in one place. */
struct	vlimits {
	unsigned long long	 bytes;		/* VIDEO_MAX_BYTES */
	long long		 secs;		/* VIDEO_MAX_SECONDS */
	long			 timeout;	/* VIDEO_FETCH_TIMEOUT, s */
};

static struct vlimits
limits(void)
{
	struct vlimits	 l;

	l.bytes = (unsigned long long)tr_conf_ll("VIDEO_MAX_BYTES",
	    VIDEO_DEF_BYTES, 1024, 1LL << 40);
	l.secs = tr_conf_ll("VIDEO_MAX_SECONDS", VIDEO_DEF_SECS, 1, 1LL << 31);
	l.timeout = (long)tr_conf_ll("VIDEO_FETCH_TIMEOUT",
	    VIDEO_DEF_MS / 1000, 1, 86400);
	return l;
}

/* Fetches url into path (emptied first); the failure as a field error. */
static enum tr_err
fetch(struct tr_req *r, const char *url, const char *path,
    struct tr_net_resp *resp)
{
	struct vlimits		 l = limits();
	struct tr_net_opts	 o = {
		.url = url, .redirects = VIDEO_REDIRECTS,
		.maxbytes = l.bytes, .timeout_ms = l.timeout * 1000,
	};
	enum tr_err		 er;

	if ((o.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return tr_fail(r, TR_ESYSTEM, "cannot store the download");
	er = tr_net_fetch(&o, resp);
	close(o.fd);
	tr_net_resp_free(resp);
	if (er == TR_ETOOBIG)
		return tr_fail_param(r, er, "url", "the media is larger than "
		    "%llu bytes", (unsigned long long)o.maxbytes);
	if (er == TR_EFIELD)
		return tr_fail_param(r, er, "url", "%s", resp->why);
	if (er == TR_ETIMEOUT || er == TR_EUNAVAIL)
		return tr_fail_param(r, TR_EFIELD, "url", "the URL could not "
		    "be fetched: %s", resp->why);
	if (er != TR_OK)
		return tr_fail(r, er, "the URL could not be fetched");
	if (resp->status < 200 || resp->status > 299)
		return tr_fail_param(r, TR_EFIELD, "url", "the URL answered "
		    "HTTP %ld", resp->status);
	return TR_OK;
}

/*
 * The media of the page at url into path by yt-dlp, through our proxy.
 * The refusal of an address, a file over the cap, or no media found:
 * a field error.
 */
static enum tr_err
ytdlp(struct tr_req *r, const char *url, const char *path)
{
	struct vlimits	 l = limits();
	struct tr_proxy	*px;
	struct tr_buf	 out;
	struct stat	 st;
	char		 proxy[64], maxb[32], secs[24], why[192], *nl;
	char		 filter[64];
	char		*argv[] = {
		(char *)tr_conf_def("YTDLP", "yt-dlp"), "--ignore-config",
		"--no-cache-dir", "--no-playlist", "--downloader", "native",
		"--no-part", "--no-mtime", "--no-progress", "--no-warnings",
		"--proxy", proxy, "--max-filesize", maxb, "--socket-timeout",
		secs, "--match-filter", filter, "-f", "bestaudio/best",
		"-o", (char *)path, "--", (char *)url, NULL,
	};
	char		 pathenv[1024];
	char		*envp[] = { pathenv, "LANG=C.UTF-8", "HOME=/nonexistent",
		NULL };
	int		 status, toobig;
	enum tr_err	 er;

	/* No live streams; a known duration within the cap (an unknown one
	 * is probed once it is here). */
	snprintf(filter, sizeof(filter), "!is_live & duration <=? %lld",
	    l.secs);
	snprintf(maxb, sizeof(maxb), "%llu", l.bytes);
	snprintf(secs, sizeof(secs), "%ld", l.timeout < 30 ? l.timeout : 30);
	unlink(path);
	/* Room for the pages and the site's API answers besides the media. */
	if ((er = tr_proxy_start(&px, l.bytes + 8 * 1024 * 1024, proxy,
	    sizeof(proxy))) != TR_OK)
		return tr_fail(r, er, "cannot run the downloader");
	/* Its own environment: nothing (no_proxy, say) may take it past
	 * the proxy, nor a configuration of the host's. */
	snprintf(pathenv, sizeof(pathenv), "PATH=%s", getenv("PATH") != NULL ?
	    getenv("PATH") : "/usr/bin:/bin");
	tr_buf_init(&out, VIDEO_YTDLP_OUT);
	er = tr_proc_runenv(argv, envp, l.timeout * 1000, &out, &status, 1);
	toobig = tr_proxy_stop(px, why, sizeof(why));
	if (out.ptr != NULL && strstr(tr_buf_str(&out),
	    "larger than max-filesize") != NULL)
		toobig = 1;
	/* Its last line says what became of it: to the log. */
	while (out.len > 0 && out.ptr[out.len - 1] == '\n')
		out.ptr[--out.len] = '\0';
	if (out.len > 0) {
		nl = memrchr(out.ptr, '\n', out.len);
		tr_info("yt-dlp: exit %d: %.300s", status, nl != NULL ? nl + 1 :
		    out.ptr);
	}
	if (status == 127)
		tr_warnx("%s could not be run", argv[0]);
	if (toobig) {
		tr_buf_free(&out);
		return tr_fail_param(r, TR_ETOOBIG, "url", "the media is larger "
		    "than %llu bytes", l.bytes);
	}
	if (out.ptr != NULL && strstr(tr_buf_str(&out), "does not pass filter")
	    != NULL) {
		tr_buf_free(&out);
		return tr_fail_param(r, TR_EFIELD, "url", "the page's media is "
		    "live or longer than %lld s", l.secs);
	}
	tr_buf_free(&out);
	if (why[0] != '\0')
		return tr_fail_param(r, TR_EFIELD, "url", "%s", why);
	if (er == TR_ETIMEOUT)
		return tr_fail_param(r, TR_EFIELD, "url", "the page's media "
		    "could not be downloaded in %ld s", l.timeout);
	if (er != TR_OK || stat(path, &st) == -1 || st.st_size == 0)
		return tr_fail_param(r, TR_EFIELD, "url", "the page shows no "
		    "video or audio that could be downloaded");
	return TR_OK;
}

/*
 * The media behind a URL, in path: itself, the one its page shows, or
 * what yt-dlp finds there.
 */
static enum tr_err
download(struct tr_req *r, const char *url, const char *path)
{
	struct tr_net_resp	 resp;
	struct tr_buf		 page;
	char			 ref[TR_URL_MAX + 1], abs[TR_URL_MAX + 1];
	FILE			*f;
	size_t			 n;
	enum tr_err		 er;

	if ((er = fetch(r, url, path, &resp)) != TR_OK || !is_page(resp.ctype))
		return er;
	/* A page: its media URL, resolved against where the page was. */
	if (resp.bytes > VIDEO_HTML_MAX)
		return tr_fail_param(r, TR_EFIELD, "url", "the page is over %d "
		    "bytes", VIDEO_HTML_MAX);
	tr_buf_init(&page, VIDEO_HTML_MAX + 1);
	if ((f = fopen(path, "rb")) == NULL)
		return tr_fail(r, TR_ESYSTEM, "cannot read the page");
	{
		char	 chunk[8192];

		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			if ((er = tr_buf_add(&page, chunk, n)) != TR_OK)
				break;
	}
	fclose(f);
	if (er == TR_OK)
		er = tr_html_media_url(page.ptr != NULL ? page.ptr : "",
		    page.len, ref, sizeof(ref));
	tr_buf_free(&page);
	if (er == TR_ENOTFOUND || er == TR_ETOOBIG)
		return ytdlp(r, url, path);
	if (er != TR_OK)
		return tr_fail(r, er, "cannot read the page");
	if (tr_url_join(resp.url, ref, abs, sizeof(abs)) != TR_OK)
		return tr_fail_param(r, TR_EFIELD, "url", "the page's media URL "
		    "is not a URL");
	if ((er = fetch(r, abs, path, &resp)) != TR_OK)
		return er;
	/* An embedded player's page (a site's own): yt-dlp's part. */
	if (is_page(resp.ctype))
		return ytdlp(r, url, path);
	return TR_OK;
}

/*
 * What needs no download: the response format; a file or a url, not
 * both; a url the guard lets through (refused before anything is
 * stored or fetched); an upload that is not empty.
 */
static enum tr_err
checks(struct tr_req *r, const struct tr_format **f)
{
	const struct tr_upload	*in = tr_upload_get(r, TR_VIDEO_FILE);
	const char		*url = tr_str(r, TR_VIDEO_URL);
	char			 why[192];
	enum tr_err		 er;

	if ((er = tr_transcript_format(r, tr_str(r, TR_VIDEO_FORMAT),
	    r->ep->formats, TR_EFIELD, f)) != TR_OK)
		return er;
	if ((in != NULL) == (url != NULL))
		return tr_fail_param(r, TR_EINVAL, "video", "send either a "
		    "video file or a url");
	if (url != NULL && (er = tr_url_check(url, why, sizeof(why))) != TR_OK)
		return tr_fail_param(r, er, "url", "%s", why);
	if (in != NULL && in->size == 0)
		return tr_fail_param(r, TR_EINVAL, in->field, "the uploaded "
		    "file is empty");
	return TR_OK;
}

enum tr_err
tr_video_check(struct tr_req *r)
{
	const struct tr_format	*f;

	return checks(r, &f);
}

enum tr_err
tr_video_transcribe(struct tr_req *r)
{
	const struct tr_pair	*d = tr_field_get(r, TR_VIDEO_DIARIZE);
	const struct tr_upload	*in = tr_upload_get(r, TR_VIDEO_FILE);
	const char		*url = tr_str(r, TR_VIDEO_URL), *field, *s;
	struct tr_prov_opts	 o = {
		.language = tr_str(r, TR_VIDEO_LANG),
		.diarize = d != NULL && d->parsed.i,
		.model = tr_str(r, TR_VIDEO_MODEL),
		.ctype = "audio/flac", .filename = "audio.flac",
	};
	struct tr_upload	 up;
	struct tr_transcript	 t;
	struct tr_media		 m;
	const struct tr_format	*f;
	struct stat		 st;
	char			*src = NULL, *audio = NULL;
	long long		 maxsecs;
	enum tr_err		 er;

	if ((er = checks(r, &f)) != TR_OK)
		return er;
	if (url != NULL) {
		field = "url";
		if ((er = tr__req_tmpfile(r, "download", &src)) != TR_OK)
			return tr_fail(r, er, "cannot store the download");
		if ((er = download(r, url, src)) != TR_OK)
			goto out;
	} else {
		field = in->field;
		if ((s = tr_upload_path(in)) == NULL) {
			er = tr_fail(r, TR_ESYSTEM, "the upload cannot be "
			    "read");
			goto out;
		}
		src = tr_xstrdup(s);
	}
	if ((er = tr_media_probe(src, &m)) != TR_OK) {
		er = tr_fail_param(r, er, field, "%s is not audio or video "
		    "with an audio track", url != NULL ? "the URL's media" :
		    "the upload");
		goto out;
	}
	maxsecs = limits().secs;
	if (m.duration > (double)maxsecs) {
		er = tr_fail_param(r, TR_EFIELD, field, "the media is %.0f s "
		    "long, more than %lld s", m.duration, maxsecs);
		goto out;
	}
	if ((er = tr__req_tmpfile(r, "audio.flac", &audio)) != TR_OK ||
	    (er = tr_media_audio(src, audio)) != TR_OK ||
	    stat(audio, &st) == -1) {
		er = tr_fail_param(r, er == TR_OK ? TR_ESYSTEM : er, field,
		    "the audio could not be taken out of the media");
		goto out;
	}
	/* The original is no longer needed: its space is given back now. */
	if (url != NULL)
		unlink(src);
	memset(&up, 0, sizeof(up));
	up.field = (char *)field;
	up.filename = (char *)o.filename;
	up.ctype = (char *)o.ctype;
	up.path = audio;
	up.memfd = -1;
	up.size = (uint64_t)st.st_size;
	tr_transcript_init(&t);
	if ((er = tr_transcribe(r, &up, tr_str(r, TR_VIDEO_PROVIDER), NULL, &o,
	    &t)) == TR_OK)
		er = tr_transcript_reply(r, &t, f, 0);
	tr_transcript_free(&t);
out:
	free(src);
	free(audio);
	return er;
}
