/*
 * Outbound requests to URLs that users give us (media to download,
 * webhooks to call): what such a URL may be, which addresses we may
 * connect to, and a fetch that holds to both.
 *
 * A URL must be http or https, at most TR_URL_MAX bytes, with a host and
 * no user name or password.  The address is checked where it matters:
 * libcurl resolves the name, and its socket callback refuses, before a
 * socket exists, any address in the table below (loopback, private,
 * link-local, multicast, unspecified, CGNAT, reserved, and IPv6 forms
 * that embed one of those), so a name that resolves differently the
 * second time, or a redirect to such an address, gets nowhere.
 * Redirects are followed here, one at a time, each new URL checked as
 * the first was.  ALLOW_PRIVATE_URLS=true lifts the address rule;
 * URL_ALLOW_ADDRS lists exact addresses ("127.0.0.1:8080", "[::1]:80")
 * that may be reached even so.  No proxy is used.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "extern.h"

#define NET_CONNECT_MS	10000	/* the longest wait for a connection */

/* Ranges no user URL may reach: one row each. */
struct	range {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 net[16];	/* network, in network order */
	int		 bits;		/* prefix length */
	const char	*what;		/* its class, for messages */
	int		 embeds;	/* IPv6 carrying an IPv4 address at byte */
};

static const struct range ranges[] = {
	{ AF_INET, { 0 }, 8, "unspecified", 0 },
	{ AF_INET, { 10 }, 8, "private", 0 },
	{ AF_INET, { 100, 64 }, 10, "shared (CGNAT)", 0 },
	{ AF_INET, { 127 }, 8, "loopback", 0 },
	{ AF_INET, { 169, 254 }, 16, "link-local", 0 },
	{ AF_INET, { 172, 16 }, 12, "private", 0 },
	{ AF_INET, { 192, 0, 0 }, 24, "reserved", 0 },
	{ AF_INET, { 192, 0, 2 }, 24, "documentation", 0 },
	{ AF_INET, { 192, 168 }, 16, "private", 0 },
	{ AF_INET, { 198, 18 }, 15, "benchmarking", 0 },
	{ AF_INET, { 198, 51, 100 }, 24, "documentation", 0 },
	{ AF_INET, { 203, 0, 113 }, 24, "documentation", 0 },
	{ AF_INET, { 224 }, 4, "multicast", 0 },
	{ AF_INET, { 240 }, 4, "reserved", 0 },
	{ AF_INET6, { 0 }, 128, "unspecified", 0 },
	{ AF_INET6, { [15] = 1 }, 128, "loopback", 0 },
	{ AF_INET6, { [10] = 0xff, [11] = 0xff }, 96, "IPv4-mapped", 12 },
	{ AF_INET6, { 0 }, 96, "IPv4-compatible", 12 },
	{ AF_INET6, { 0, 0x64, 0xff, 0x9b }, 96, "NAT64", 12 },
	{ AF_INET6, { 0x20, 0x02 }, 16, "6to4", 2 },
	{ AF_INET6, { 0x01, 0x00 }, 64, "discard", 0 },
	{ AF_INET6, { 0x20, 0x01, 0x0d, 0xb8 }, 32, "documentation", 0 },
	{ AF_INET6, { 0xfc }, 7, "private (ULA)", 0 },
	{ AF_INET6, { 0xfe, 0x80 }, 10, "link-local", 0 },
	{ AF_INET6, { 0xfe, 0xc0 }, 10, "site-local", 0 },
	{ AF_INET6, { 0xff }, 8, "multicast", 0 },
};

/* The schemes a user URL may have. */
static const char *const schemes[] = { "http", "https" };

static int
inprefix(const unsigned char *a, const unsigned char *net, int bits)
{
	int	 full = bits / 8, rest = bits % 8;

	if (memcmp(a, net, (size_t)full) != 0)
		return 0;
	return rest == 0 ||
	    ((a[full] ^ net[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/* The class of a raw address of a family, or NULL if it is public. */
static const char *
classify(int family, const unsigned char *a)
{
	static const unsigned char zero[16];
	const char	*why;
	size_t		 i;

	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		if (ranges[i].family != family ||
		    !inprefix(a, ranges[i].net, ranges[i].bits))
			continue;
		if (!ranges[i].embeds)
			return ranges[i].what;
		/* Only as bad as the IPv4 address it carries. */
		if ((why = classify(AF_INET, a + ranges[i].embeds)) != NULL)
			return why;
		/* ::a.b.c.d with a public a.b.c.d is still no address. */
		if (ranges[i].bits == 96 &&
		    memcmp(ranges[i].net, zero, sizeof(zero)) == 0)
			return ranges[i].what;
	}
	return NULL;
}

const char *
tr_net_addr_class(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return classify(AF_INET, (const unsigned char *)
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6)
		return classify(AF_INET6, (const unsigned char *)
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
	return "not an internet address";
}

/* "1.2.3.4:80" or "[::1]:80". */
static void
addrport(const struct sockaddr *sa, char *out, size_t outsz)
{
	char	 ip[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(out, outsz, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(out, outsz, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else
		snprintf(out, outsz, "?");
}

/* Is "addr:port" one of URL_ALLOW_ADDRS (comma-separated, exact)? */
static int
listed(const char *ap)
{
	const char	*l = tr_conf("URL_ALLOW_ADDRS"), *e;
	size_t		 n = strlen(ap);

	while (l != NULL && *l != '\0') {
		while (*l == ',' || *l == ' ')
			l++;
		for (e = l; *e != '\0' && *e != ',' && *e != ' '; e++)
			continue;
		if ((size_t)(e - l) == n && strncmp(l, ap, n) == 0)
			return 1;
		l = e;
	}
	return 0;
}

int
tr_net_addr_allowed(const struct sockaddr *sa, char *why, size_t whysz)
{
	const char	*c;
	char		 ap[INET6_ADDRSTRLEN + 16];

	if ((c = tr_net_addr_class(sa)) == NULL ||
	    tr_conf_bool("ALLOW_PRIVATE_URLS", 0))
		return 1;
	addrport(sa, ap, sizeof(ap));
	if (listed(ap))
		return 1;
	if (why != NULL)
		snprintf(why, whysz, "the URL's host is a %s address", c);
	return 0;
}

/* The address of an IP literal host ("[::1]" without brackets), or 0. */
static int
literal(const char *host, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*s4 = (void *)ss;
	struct sockaddr_in6	*s6 = (void *)ss;
	char			 h[INET6_ADDRSTRLEN + 2], *pc;
	size_t			 n = strlen(host);

	memset(ss, 0, sizeof(*ss));
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		if (n - 2 >= sizeof(h))
			return 0;
		memcpy(h, host + 1, n - 2);
		h[n - 2] = '\0';
		if ((pc = strchr(h, '%')) != NULL)	/* a zone id */
			*pc = '\0';
		s6->sin6_family = AF_INET6;
		return inet_pton(AF_INET6, h, &s6->sin6_addr) == 1;
	}
	s4->sin_family = AF_INET;
	return inet_pton(AF_INET, host, &s4->sin_addr) == 1;
}

enum tr_err
tr_url_check(const char *url, char *why, size_t whysz)
{
	struct sockaddr_storage	 ss;
	CURLU			*h;
	char			*scheme = NULL, *user = NULL, *pw = NULL,
				*host = NULL, *port = NULL;
	const unsigned char	*p;
	size_t			 i, k, n;
	enum tr_err		 er = TR_EFIELD;

	why[0] = '\0';
	if ((n = strlen(url)) == 0 || n > TR_URL_MAX) {
		snprintf(why, whysz, "the URL must be 1 to %d bytes", TR_URL_MAX);
		return TR_EFIELD;
	}
	for (p = (const unsigned char *)url; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f) {
			snprintf(why, whysz, "the URL has a space, a control "
			    "or a non-ASCII byte (percent-encode it)");
			return TR_EFIELD;
		}
	/* The scheme first, as written: "javascript:" is no URL to curl. */
	for (i = 0; isalnum((unsigned char)url[i]) || (i > 0 &&
	    (url[i] == '+' || url[i] == '-' || url[i] == '.')); i++)
		continue;
	if (i > 0 && url[i] == ':' && isalpha((unsigned char)url[0])) {
		for (k = 0; k < sizeof(schemes) / sizeof(schemes[0]); k++)
			if (strlen(schemes[k]) == i &&
			    strncasecmp(url, schemes[k], i) == 0)
				break;
		if (k == sizeof(schemes) / sizeof(schemes[0])) {
			snprintf(why, whysz, "the URL must be http or https, "
			    "not %.*s", (int)(i < 16 ? i : 16), url);
			return TR_EFIELD;
		}
	}
	/* An authority, as written: curl would read "http:///x" as host x. */
	if (i == 0 || url[i] != ':' || strncmp(url + i, "://", 3) != 0 ||
	    url[i + 3] == '/' || url[i + 3] == '\\') {
		snprintf(why, whysz, "the URL is not an absolute URL "
		    "(scheme://host/...)");
		return TR_EFIELD;
	}
	if ((h = curl_url()) == NULL)
		return TR_ENOMEM;
	if (curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) !=
	    CURLUE_OK ||
	    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		snprintf(why, whysz, "the URL is not an absolute URL");
		goto out;
	}
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strcasecmp(scheme, schemes[i]) == 0)
			break;
	if (i == sizeof(schemes) / sizeof(schemes[0])) {
		snprintf(why, whysz, "the URL must be http or https, not %.16s",
		    scheme);
		goto out;
	}
	if (curl_url_get(h, CURLUPART_USER, &user, 0) != CURLUE_NO_USER ||
	    curl_url_get(h, CURLUPART_PASSWORD, &pw, 0) != CURLUE_NO_PASSWORD) {
		snprintf(why, whysz, "the URL may not carry a user name or "
		    "password");
		goto out;
	}
	if (curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    host[0] == '\0') {
		snprintf(why, whysz, "the URL has no host");
		goto out;
	}
	/* An address written out is refused before any connection. */
	if (literal(host, &ss)) {
		long long	 pn = 0;

		if (curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
		    CURLUE_OK || tr_parse_ll(port, 0, 65535, &pn) != TR_OK)
			pn = 0;
		if (ss.ss_family == AF_INET6)
			((struct sockaddr_in6 *)(void *)&ss)->sin6_port =
			    htons((uint16_t)pn);
		else
			((struct sockaddr_in *)(void *)&ss)->sin_port =
			    htons((uint16_t)pn);
		if (!tr_net_addr_allowed((struct sockaddr *)&ss, why, whysz))
			goto out;
	}
	er = TR_OK;
out:
	curl_free(scheme);
	curl_free(user);
	curl_free(pw);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(h);
	return er;
}

enum tr_err
tr_url_join(const char *base, const char *ref, char *out, size_t outsz)
{
	CURLU	*h;
	char	*u = NULL;
	enum tr_err er = TR_EFIELD;

	if ((h = curl_url()) == NULL)
		return TR_ENOMEM;
	if (curl_url_set(h, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(h, CURLUPART_URL, ref, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_URL, &u, 0) == CURLUE_OK &&
	    strlen(u) < outsz) {
		memcpy(out, u, strlen(u) + 1);
		er = TR_OK;
	}
	curl_free(u);
	curl_url_cleanup(h);
	return er;
}

/* What one fetch carries through curl's callbacks. */
struct	xfer {
	const struct tr_net_opts *o;
	struct tr_net_resp	*resp;
	CURL			*c;
	int			 refused;	/* an address was refused */
	int			 toobig;	/* past o->maxbytes */
	int			 failed;	/* a write to o->fd failed */
};

/* Every connection curl makes, redirects included, comes through here. */
static curl_socket_t
on_open(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct xfer	*x = arg;

	if (purpose != CURLSOCKTYPE_IPCXN ||
	    !tr_net_addr_allowed(&a->addr, x->resp->why,
	    sizeof(x->resp->why))) {
		if (purpose != CURLSOCKTYPE_IPCXN)
			snprintf(x->resp->why, sizeof(x->resp->why),
			    "not a TCP/IP connection");
		x->refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

static size_t
on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct xfer	*x = arg;
	size_t		 len = sz * n, off;
	long		 st = 0;
	ssize_t		 w;

	/* A redirect's own body is nobody's business. */
	curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &st);
	if (st >= 300 && st < 400)
		return len;
	if (x->resp->bytes + len > x->o->maxbytes) {
		x->toobig = 1;
		return 0;
	}
	x->resp->bytes += len;
	if (x->o->fd < 0) {
		if (tr_buf_add(&x->resp->body, p, len) != TR_OK) {
			x->toobig = 1;
			return 0;
		}
		return len;
	}
	for (off = 0; off < len; off += (size_t)w)
		if ((w = write(x->o->fd, p + off, len - off)) <= 0) {
			x->failed = 1;
			return 0;
		}
	return len;
}

/*
 * What of a URL goes in the log: its scheme and host, for a callback
 * URL's path may be its only secret (a Make.com hook).
 */
static void
origin(const char *url, char *out, size_t outsz)
{
	const char	*p = strstr(url, "://"), *e;

	e = p != NULL ? p + 3 + strcspn(p + 3, "/?#") : url + strlen(url);
	snprintf(out, outsz, "%.*s", (int)(e - url), url);
}

/* One request to url; resp->status and ctype set on TR_OK. */
static enum tr_err
one(struct xfer *x, const char *url, struct curl_slist *hl)
{
	const struct tr_net_opts *o = x->o;
	struct tr_net_resp	*resp = x->resp;
	char			 errbuf[CURL_ERROR_SIZE] = "", *ct = NULL,
				 host[128];
	CURLcode		 cc;

	origin(url, host, sizeof(host));

	curl_easy_setopt(x->c, CURLOPT_URL, url);
	curl_easy_setopt(x->c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(x->c, CURLOPT_HTTPHEADER, hl);
	if (o->body != NULL) {
		curl_easy_setopt(x->c, CURLOPT_POSTFIELDS, o->body);
		curl_easy_setopt(x->c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)o->bodysz);
	} else
		curl_easy_setopt(x->c, CURLOPT_HTTPGET, 1L);
	cc = curl_easy_perform(x->c);
	if (x->refused) {
		tr_warnx("net: %s: refused: %s", host, resp->why);
		return TR_EFIELD;
	}
	if (x->toobig || cc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(resp->why, sizeof(resp->why), "the answer is over "
		    "%llu bytes", (unsigned long long)o->maxbytes);
		return TR_ETOOBIG;
	}
	if (x->failed) {
		snprintf(resp->why, sizeof(resp->why), "could not store it");
		return TR_ESYSTEM;
	}
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(resp->why, sizeof(resp->why), "no answer within %ld ms",
		    o->timeout_ms);
		return TR_ETIMEOUT;
	}
	if (cc != CURLE_OK) {
		snprintf(resp->why, sizeof(resp->why), "%.*s",
		    (int)sizeof(resp->why) - 1, errbuf[0] ? errbuf :
		    curl_easy_strerror(cc));
		tr_warnx("net: %s: %s", host, resp->why);
		return TR_EUNAVAIL;
	}
	curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->ctype[0] = '\0';
	if (curl_easy_getinfo(x->c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct != NULL)
		snprintf(resp->ctype, sizeof(resp->ctype), "%s", ct);
	return TR_OK;
}

void
tr_net_resp_free(struct tr_net_resp *resp)
{
	tr_buf_free(&resp->body);
}

enum tr_err
tr_net_fetch(const struct tr_net_opts *o, struct tr_net_resp *resp)
{
	struct xfer		 x;
	struct curl_slist	*hl = NULL, *nl;
	const char *const	*hp;
	char			*loc = NULL, next[TR_URL_MAX + 1], host[128];
	int			 hops;
	enum tr_err		 er;

	memset(resp, 0, sizeof(*resp));
	tr_buf_init(&resp->body, o->maxbytes < SIZE_MAX ? (size_t)o->maxbytes :
	    SIZE_MAX);
	snprintf(resp->url, sizeof(resp->url), "%s", o->url);
	if ((er = tr_url_check(o->url, resp->why, sizeof(resp->why))) != TR_OK)
		return er;
	memset(&x, 0, sizeof(x));
	x.o = o;
	x.resp = resp;
	if (!tr__curl_ready() || (x.c = curl_easy_init()) == NULL)
		return TR_ESYSTEM;
	for (hp = o->headers; hp != NULL && *hp != NULL; hp++) {
		if ((nl = curl_slist_append(hl, *hp)) == NULL) {
			er = TR_ENOMEM;
			goto out;
		}
		hl = nl;
	}
	if ((nl = curl_slist_append(hl, "Expect:")) == NULL) {
		er = TR_ENOMEM;
		goto out;
	}
	hl = nl;
	curl_easy_setopt(x.c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x.c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x.c, CURLOPT_PROXY, "");
	curl_easy_setopt(x.c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x.c, CURLOPT_OPENSOCKETFUNCTION, on_open);
	curl_easy_setopt(x.c, CURLOPT_OPENSOCKETDATA, &x);
	curl_easy_setopt(x.c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(x.c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(x.c, CURLOPT_CONNECTTIMEOUT_MS, o->timeout_ms <
	    NET_CONNECT_MS ? o->timeout_ms : (long)NET_CONNECT_MS);
	curl_easy_setopt(x.c, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(x.c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)o->maxbytes);
	curl_easy_setopt(x.c, CURLOPT_USERAGENT, "trapi/" TR_VERSION);
	for (hops = 0;; hops++) {
		if ((er = one(&x, resp->url, hl)) != TR_OK)
			break;
		if (resp->status < 300 || resp->status >= 400 ||
		    curl_easy_getinfo(x.c, CURLINFO_REDIRECT_URL, &loc) !=
		    CURLE_OK || loc == NULL)
			break;
		/* A redirect: the next URL is checked as the first was. */
		if (hops >= (o->body != NULL ? 0 : o->redirects)) {
			snprintf(resp->why, sizeof(resp->why), "more than %d "
			    "redirects", o->redirects);
			er = TR_EFIELD;
			break;
		}
		snprintf(next, sizeof(next), "%s", loc);
		if ((er = tr_url_check(next, resp->why, sizeof(resp->why))) !=
		    TR_OK) {
			origin(resp->url, host, sizeof(host));
			tr_warnx("net: %s: redirect refused: %s", host,
			    resp->why);
			break;
		}
		snprintf(resp->url, sizeof(resp->url), "%s", next);
		resp->redirects++;
	}
out:
	curl_slist_free_all(hl);
	curl_easy_cleanup(x.c);
	if (er != TR_OK)
		tr_buf_free(&resp->body);
	return er;
}
