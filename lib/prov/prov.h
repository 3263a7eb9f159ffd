/*
 * The provider layer: every transcription backend, cloud or local,
 * behind one table of function pointers (curl's struct Curl_ssl), one
 * file each.  Callers look a provider up by name and never switch on it.
 */
#ifndef TR_PROV_H
#define TR_PROV_H

#include "extern.h"

struct	tr_prov_opts {
	const char	*language;	/* ISO 639-1; NULL: the default */
	int		 diarize;
	int		 translate;	/* to English */
	const char	*prompt;
	double		 temperature;
	const char	*model;		/* NULL: the provider's default */
	const char	*ctype;		/* the upload's Content-Type */
	const char	*filename;	/* the upload's file name */
};

struct	tr_provider {
	const char	*name;		/* "deepgram", "openai", "local" */
	const char	*model;		/* default model */
	const char	*keyvar;	/* setting that enables it; NULL: always */
	const char	*costvar;	/* USD per audio minute setting */
	double		 cost;		/* its default */
	enum tr_err	(*transcribe)(struct tr_req *,
			    const struct tr_upload *, const struct tr_media *,
			    const struct tr_prov_opts *, struct tr_transcript *);
};

extern const struct tr_provider tr_prov_deepgram;
extern const struct tr_provider tr_prov_openai;
extern const struct tr_provider tr_prov_assemblyai;
extern const struct tr_provider tr_prov_local;

const struct tr_provider *tr_provider(const char *);
int		 tr_provider_ready(const struct tr_provider *);

/* Shared by the cloud clients (prov/call.c). */
enum tr_err	 tr__prov_file(struct tr_req *, const struct tr_upload *,
		    const char **) TR_WUR;
#define TR_PROV_MAXBODY		(64 * 1024 * 1024) /* a provider's answer */
#define TR_PROV_JSONDEPTH	64	/* its JSON's nesting */
#define TR_PROV_MAXSECS		7200	/* the longest timeout setting */
#define TR_PROV_MAXRETRIES	10	/* the most PROVIDER_RETRIES */
#define TR_PROV_MAXSPEAKERS	256	/* a speaker number above is none */

void		 tr__prov_http(struct tr_http_opts *, const char *url,
		    const char *const *hdrs, const char *timeoutvar,
		    long long timeout_def, const char *reqid_header);
enum tr_err	 tr__prov_fail(struct tr_req *, const char *prov,
		    enum tr_err, const struct tr_http_resp *,
		    const char *msg) TR_WUR;
double		 tr__jnum(struct json_object *, const char *);
size_t		 tr__jarray(struct json_object *, const char *,
		    struct json_object **);
int		 tr__jspeaker(struct json_object *);
enum tr_err	 tr__prov_call(struct tr_req *, const char *prov,
		    const struct tr_http_opts *,
		    const char *(*)(struct json_object *), struct json_object **,
		    char *reqid, size_t) TR_WUR;

/*
 * Each cloud provider's answer read into a transcript, in that
 * provider's file; unit tests and fuzz targets call them too.
 */
enum tr_err	 tr__deepgram_parse(struct json_object *, int diarize,
		    struct tr_transcript *) TR_WUR;
enum tr_err	 tr__openai_parse(struct json_object *,
		    struct tr_transcript *) TR_WUR;
void		 tr__assemblyai_parse(struct json_object *,
		    struct tr_transcript *);

#endif /* TR_PROV_H */
