/*
 * Signed webhooks, as the Standard Webhooks convention has them
 * (www.standardwebhooks.com): the message id, the Unix time of the
 * attempt and the body, joined by dots, signed with HMAC-SHA256 under
 * the secret's key bytes, sent as "v1,<base64>".  One implementation for
 * whoever calls back (translation results, finished jobs): each attempt
 * is signed anew with its own timestamp under the same id, so that the
 * receiver can drop repeats, and goes out through the URL guard
 * (guard.c) with a short timeout; failures are retried with backoff
 * within a total budget that bounds how long a caller waits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extern.h"

#define WH_PREFIX	"whsec_"	/* a Standard Webhooks secret */
#define WH_KEY_BYTES	32		/* of a new secret's key */
#define WH_ANSWER_MAX	(64 * 1024)	/* what we read of the answer */
#define WH_MAX_ATTEMPTS	20
#define WH_MAX_MS	600000		/* the longest timeout or budget */
#define WH_BACKOFF_MS	500		/* the first wait; it doubles */

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The key bytes of a secret: base64 after "whsec_", else the text. */
static enum tr_err
secret_key(const char *secret, struct tr_buf *key)
{
	size_t	 n = strlen(WH_PREFIX);

	if (strncmp(secret, WH_PREFIX, n) == 0)
		return tr_b64_decode(key, secret + n, strlen(secret + n), 0);
	return tr_buf_add(key, secret, strlen(secret));
}

enum tr_err
tr_webhook_sign(const char *secret, const char *id, long long timestamp,
    const char *body, size_t bodysz, struct tr_buf *out)
{
	struct tr_buf	 key, msg;
	unsigned char	 mac[TR_SHA256_LEN];
	enum tr_err	 er;

	tr_buf_init(&key, 4096);
	tr_buf_init(&msg, bodysz + 256);
	if ((er = secret_key(secret, &key)) != TR_OK ||
	    (er = tr_buf_addf(&msg, "%s.%lld.", id, timestamp)) != TR_OK ||
	    (er = tr_buf_add(&msg, body, bodysz)) != TR_OK ||
	    (er = tr_hmac_sha256(key.ptr != NULL ? key.ptr : "", key.len,
	    msg.ptr, msg.len, mac)) != TR_OK ||
	    (er = tr_buf_adds(out, "v1,")) != TR_OK ||
	    (er = tr_b64_encode(out, mac, sizeof(mac))) != TR_OK)
		goto out;
out:
	if (key.ptr != NULL)
		tr_wipe(key.ptr, key.len);
	tr_buf_free(&key);
	tr_buf_free(&msg);
	tr_wipe(mac, sizeof(mac));
	return er;
}

enum tr_err
tr_webhook_secret_new(char **out)
{
	unsigned char	 key[WH_KEY_BYTES];
	struct tr_buf	 b;
	enum tr_err	 er;

	*out = NULL;
	tr_buf_init(&b, 128);
	if ((er = tr_random(key, sizeof(key))) == TR_OK &&
	    (er = tr_buf_adds(&b, WH_PREFIX)) == TR_OK &&
	    (er = tr_b64_encode(&b, key, sizeof(key))) == TR_OK)
		*out = tr_buf_take(&b, NULL);
	tr_wipe(key, sizeof(key));
	tr_buf_free(&b);
	return er;
}

/* One signed POST; *status its answer's. */
static enum tr_err
attempt(const struct tr_webhook *w, const char *id, long timeout_ms,
    struct tr_webhook_result *res)
{
	struct tr_buf		 sig;
	struct tr_net_resp	 resp;
	char			 hid[96], hts[48], *hsig;
	const char		*hdrs[5];
	long long		 ts = (long long)time(NULL);
	struct tr_net_opts	 o = {
		.url = w->url, .headers = hdrs, .body = w->body,
		.bodysz = w->bodysz, .timeout_ms = timeout_ms,
		.maxbytes = WH_ANSWER_MAX, .fd = -1, .redirects = 0,
	};
	enum tr_err		 er;

	tr_buf_init(&sig, 256);
	if ((er = tr_buf_adds(&sig, "webhook-signature: ")) != TR_OK ||
	    (er = tr_webhook_sign(w->secret, id, ts, w->body, w->bodysz,
	    &sig)) != TR_OK) {
		tr_buf_free(&sig);
		return er;
	}
	hsig = sig.ptr;
	snprintf(hid, sizeof(hid), "webhook-id: %s", id);
	snprintf(hts, sizeof(hts), "webhook-timestamp: %lld", ts);
	hdrs[0] = hid;
	hdrs[1] = hts;
	hdrs[2] = hsig;
	hdrs[3] = "Content-Type: application/json";
	hdrs[4] = NULL;
	res->attempts++;
	er = tr_net_fetch(&o, &resp);
	res->status = er == TR_OK ? resp.status : 0;
	if (er != TR_OK)
		snprintf(res->why, sizeof(res->why), "%s", resp.why);
	else if (resp.status < 200 || resp.status > 299) {
		snprintf(res->why, sizeof(res->why), "the receiver answered %ld",
		    resp.status);
		er = TR_EPROVIDER;
	}
	tr_net_resp_free(&resp);
	tr_buf_free(&sig);
	return er;
}

enum tr_err
tr_webhook_send(const struct tr_webhook *w, struct tr_webhook_result *res)
{
	unsigned char	 rnd[12];
	char		 hex[2 * sizeof(rnd) + 1];
	long long	 deadline, left, wait;
	long		 tmo, budget;
	unsigned int	 jitter;
	int		 n, tries;
	enum tr_err	 er;

	memset(res, 0, sizeof(*res));
	if (w->id != NULL)
		snprintf(res->id, sizeof(res->id), "%s", w->id);
	else {
		if ((er = tr_random(rnd, sizeof(rnd))) != TR_OK)
			return er;
		tr_hex(rnd, sizeof(rnd), hex);
		snprintf(res->id, sizeof(res->id), "msg_%s", hex);
	}
	tries = w->attempts > 0 ? w->attempts :
	    (int)tr_conf_ll("WEBHOOK_ATTEMPTS", 3, 1, WH_MAX_ATTEMPTS);
	if (tries > WH_MAX_ATTEMPTS)
		tries = WH_MAX_ATTEMPTS;
	tmo = w->timeout_ms > 0 ? w->timeout_ms :
	    (long)tr_conf_ll("WEBHOOK_TIMEOUT_MS", 5000, 100, WH_MAX_MS);
	budget = w->budget_ms > 0 ? w->budget_ms :
	    (long)tr_conf_ll("WEBHOOK_BUDGET_MS", 15000, 100, WH_MAX_MS);
	deadline = now_ms() + budget;
	for (n = 0;; n++) {
		left = deadline - now_ms();
		er = attempt(w, res->id, left < tmo ? (long)left : tmo, res);
		if (er == TR_OK) {
			res->delivered = 1;
			res->why[0] = '\0';
			return TR_OK;
		}
		/* A refused address stays refused; a bug is no weather. */
		if (er == TR_EFIELD || er == TR_ENOMEM || er == TR_ESYSTEM ||
		    n + 1 >= tries)
			break;
		if (tr_random(&jitter, sizeof(jitter)) != TR_OK)
			jitter = 0;
		wait = ((long long)WH_BACKOFF_MS << (n < 10 ? n : 10)) +
		    jitter % WH_BACKOFF_MS;
		left = deadline - now_ms();
		/* Not worth a try that would have no time to answer. */
		if (wait + 100 >= left)
			break;
		{
			struct timespec	 ts = { wait / 1000,
			    wait % 1000 * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	tr_warnx("webhook: %s not delivered after %d attempts: %s", res->id,
	    res->attempts, res->why);
	return er;
}
