/*
 * Unit tests of lib/net/: the address classifier against a table of
 * addresses, the URL check, URL joining, the media URL of HTML pages,
 * the webhook signature against the Standard Webhooks test vector, and
 * the request line the downloader's proxy reads.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "t.h"

/* An address and its class (NULL: public). */
static const struct {
	const char	*addr;
	const char	*class;
} addrs[] = {
	{ "8.8.8.8", NULL },
	{ "1.1.1.1", NULL },
	{ "93.184.216.34", NULL },
	{ "100.63.255.255", NULL },
	{ "100.128.0.0", NULL },
	{ "172.15.255.255", NULL },
	{ "172.32.0.0", NULL },
	{ "192.169.0.1", NULL },
	{ "223.255.255.255", NULL },
	{ "0.0.0.0", "unspecified" },
	{ "0.1.2.3", "unspecified" },
	{ "10.0.0.1", "private" },
	{ "10.255.255.255", "private" },
	{ "100.64.0.1", "shared (CGNAT)" },
	{ "100.127.255.254", "shared (CGNAT)" },
	{ "127.0.0.1", "loopback" },
	{ "127.255.0.9", "loopback" },
	{ "169.254.169.254", "link-local" },
	{ "172.16.0.1", "private" },
	{ "172.31.255.255", "private" },
	{ "192.168.1.1", "private" },
	{ "224.0.0.1", "multicast" },
	{ "239.255.255.250", "multicast" },
	{ "255.255.255.255", "reserved" },
	{ "2606:4700:4700::1111", NULL },
	{ "2001:4860:4860::8888", NULL },
	{ "::", "unspecified" },
	{ "::1", "loopback" },
	{ "fc00::1", "private (ULA)" },
	{ "fd12:3456::1", "private (ULA)" },
	{ "fe80::1", "link-local" },
	{ "febf::1", "link-local" },
	{ "ff02::1", "multicast" },
	{ "::ffff:127.0.0.1", "loopback" },
	{ "::ffff:10.1.2.3", "private" },
	{ "::ffff:169.254.1.1", "link-local" },
	{ "::ffff:8.8.8.8", NULL },
	{ "::127.0.0.1", "loopback" },
	{ "64:ff9b::7f00:1", "loopback" },
	{ "64:ff9b::808:808", NULL },
	{ "2002:7f00:1::", "loopback" },
	{ "2002:c0a8:101::1", "private" },
	{ "2001:db8::1", "documentation" },
};

static void
test_classes(void)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*s4 = (void *)&ss;
	struct sockaddr_in6	*s6 = (void *)&ss;
	char			 why[192];
	size_t			 i;

	for (i = 0; i < T_NELEM(addrs); i++) {
		memset(&ss, 0, sizeof(ss));
		if (strchr(addrs[i].addr, ':') != NULL) {
			s6->sin6_family = AF_INET6;
			T(inet_pton(AF_INET6, addrs[i].addr, &s6->sin6_addr) == 1);
		} else {
			s4->sin_family = AF_INET;
			T(inet_pton(AF_INET, addrs[i].addr, &s4->sin_addr) == 1);
		}
		if (tr_net_addr_class((struct sockaddr *)&ss) == NULL ?
		    addrs[i].class != NULL : addrs[i].class == NULL ||
		    strcmp(tr_net_addr_class((struct sockaddr *)&ss),
		    addrs[i].class) != 0)
			fprintf(stderr, "%s: %s\n", addrs[i].addr,
			    tr_net_addr_class((struct sockaddr *)&ss));
		T_STREQ(tr_net_addr_class((struct sockaddr *)&ss),
		    addrs[i].class);
		T(tr_net_addr_allowed((struct sockaddr *)&ss, why,
		    sizeof(why)) == (addrs[i].class == NULL));
	}
	/* The settings: exact addresses, then everything. */
	memset(&ss, 0, sizeof(ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(8080);
	T(inet_pton(AF_INET, "127.0.0.1", &s4->sin_addr) == 1);
	setenv("URL_ALLOW_ADDRS", "10.0.0.1:80, 127.0.0.1:8080", 1);
	T(tr_net_addr_allowed((struct sockaddr *)&ss, why, sizeof(why)));
	s4->sin_port = htons(8081);
	T(!tr_net_addr_allowed((struct sockaddr *)&ss, why, sizeof(why)));
	T(strstr(why, "loopback") != NULL);
	unsetenv("URL_ALLOW_ADDRS");
	setenv("ALLOW_PRIVATE_URLS", "true", 1);
	T(tr_net_addr_allowed((struct sockaddr *)&ss, why, sizeof(why)));
	unsetenv("ALLOW_PRIVATE_URLS");
}

static const struct {
	const char	*url;
	int		 ok;
} urls[] = {
	{ "https://example.com/v.mp4", 1 },
	{ "http://example.com:8080/a?b=c#d", 1 },
	{ "HTTP://EXAMPLE.COM/", 1 },
	{ "http://8.8.8.8/", 1 },
	{ "http://[2606:4700:4700::1111]/", 1 },
	{ "ftp://example.com/", 0 },
	{ "file:///etc/passwd", 0 },
	{ "gopher://example.com/", 0 },
	{ "javascript:alert(1)", 0 },
	{ "data:text/html,hi", 0 },
	{ "http://user:pw@example.com/", 0 },
	{ "http://user@example.com/", 0 },
	{ "http://:pw@example.com/", 0 },
	{ "http://127.0.0.1/", 0 },
	{ "http://127.1/", 0 },
	{ "http://2130706433/", 0 },
	{ "http://0x7f000001/", 0 },
	{ "http://[::1]/", 0 },
	{ "http://[::ffff:7f00:1]/", 0 },
	{ "http://[fe80::1%25eth0]/", 0 },
	{ "http://10.0.0.1/", 0 },
	{ "http://example.com/a b", 0 },
	{ "http://example.com/\x01", 0 },
	{ "//example.com/", 0 },
	{ "", 0 },
	{ "http:///path", 0 },
};

static void
test_urls(void)
{
	char	 why[192], big[TR_URL_MAX + 32], out[TR_URL_MAX + 1];
	size_t	 i;

	for (i = 0; i < T_NELEM(urls); i++) {
		enum tr_err er = tr_url_check(urls[i].url, why, sizeof(why));

		if ((er == TR_OK) != urls[i].ok)
			fprintf(stderr, "%s: %s\n", urls[i].url, why);
		T((er == TR_OK) == urls[i].ok);
		T(er == TR_OK || er == TR_EFIELD);
		T(er == TR_OK ? why[0] == '\0' : why[0] != '\0');
	}
	memcpy(big, "http://example.com/", 19);
	memset(big + 19, 'a', sizeof(big) - 20);
	big[sizeof(big) - 1] = '\0';
	T(tr_url_check(big, why, sizeof(why)) == TR_EFIELD);
	T(strstr(why, "bytes") != NULL);

	T(tr_url_join("http://a.example/x/page.html", "v.mp4", out,
	    sizeof(out)) == TR_OK);
	T_STREQ(out, "http://a.example/x/v.mp4");
	T(tr_url_join("http://a.example/x/page.html", "/v.mp4?q=1", out,
	    sizeof(out)) == TR_OK);
	T_STREQ(out, "http://a.example/v.mp4?q=1");
	T(tr_url_join("http://a.example/x/", "//b.example/v.mp4", out,
	    sizeof(out)) == TR_OK);
	T_STREQ(out, "http://b.example/v.mp4");
	T(tr_url_join("https://a.example/", "http://c.example/v", out,
	    sizeof(out)) == TR_OK);
	T_STREQ(out, "http://c.example/v");
}

static const struct {
	const char	*html;
	const char	*url;	/* NULL: none */
} pages[] = {
	{ "<video src=\"/a.mp4\"></video>", "/a.mp4" },
	{ "<VIDEO SRC='b.webm'>", "b.webm" },
	{ "<video controls><source type=video/mp4 src=c.mp4></video>", "c.mp4" },
	{ "<audio src=\" d.mp3 \">", "d.mp3" },
	{ "<meta property=\"og:video\" content=\"https://x/e.mp4?a=1&amp;b=2\">",
	  "https://x/e.mp4?a=1&b=2" },
	{ "<meta content=\"f.mp4\" property=\"og:video:secure_url\">", "f.mp4" },
	{ "<meta property=\"og:image\" content=\"g.png\"><video src=h.mp4>",
	  "h.mp4" },
	{ "<!-- <video src=x.mp4> --><video src=i.mp4>", "i.mp4" },
	{ "<script>'<video src=x.mp4>'</script><video src=j.mp4>", "j.mp4" },
	{ "<video data-src=x.mp4 src=&#107;.mp4>", "k.mp4" },
	{ "<img src=x.png><p>no media</p>", NULL },
	{ "<video controls></video>", NULL },
	{ "<video src=''>", NULL },
	{ "<video src=\"unterminated", "unterminated" },
	{ "<", NULL },
	{ "", NULL },
	{ "<!--", NULL },
	{ "<script>", NULL },
};

static void
test_html(void)
{
	char	 out[256];
	size_t	 i;

	for (i = 0; i < T_NELEM(pages); i++) {
		enum tr_err er = tr_html_media_url(pages[i].html,
		    strlen(pages[i].html), out, sizeof(out));

		if (pages[i].url == NULL)
			T(er == TR_ENOTFOUND);
		else {
			T(er == TR_OK);
			T_STREQ(out, pages[i].url);
		}
	}
	T(tr_html_media_url("<video src=abcdef>", 18, out, 4) == TR_ETOOBIG);
}

/* The test vector of the Standard Webhooks specification. */
static void
test_sign(void)
{
	struct tr_buf	 b;
	const char	*body = "{\"test\": 2432232314}";

	tr_buf_init(&b, 256);
	T(tr_webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	    "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body),
	    &b) == TR_OK);
	T_STREQ(tr_buf_str(&b), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	tr_buf_free(&b);
	/* Another timestamp, another signature. */
	tr_buf_init(&b, 256);
	T(tr_webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	    "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, body, strlen(body),
	    &b) == TR_OK);
	T(strcmp(tr_buf_str(&b),
	    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") != 0);
	tr_buf_free(&b);
	/* A new secret: the prefix, 32 key bytes, and it signs. */
	{
		char		*sec;
		struct tr_buf	 k;

		T(tr_webhook_secret_new(&sec) == TR_OK);
		T(strncmp(sec, "whsec_", 6) == 0);
		tr_buf_init(&k, 64);
		T(tr_b64_decode(&k, sec + 6, strlen(sec + 6), 0) == TR_OK);
		T(k.len == 32);
		tr_buf_free(&k);
		tr_buf_init(&b, 256);
		T(tr_webhook_sign(sec, "m", 1, "{}", 2, &b) == TR_OK);
		T(strncmp(tr_buf_str(&b), "v1,", 3) == 0 && b.len == 3 + 44);
		tr_buf_free(&b);
		free(sec);
	}
	/* A secret that is not base64 after the prefix is refused. */
	tr_buf_init(&b, 256);
	T(tr_webhook_sign("whsec_!!!", "m", 1, "", 0, &b) != TR_OK);
	tr_buf_free(&b);
}

/* What the proxy makes of a head's first line. */
static void
test_proxy_line(void)
{
	static const char *const bad[] = {
		"", "GET\r\n\r\n", "GET / HTTP/1.1\r\n\r\n",
		"GET https://h/ HTTP/1.1\r\n\r\n",
		"GET http://h HTTP/1.1\r\n\r\n",
		"GET http:///x HTTP/1.1\r\n\r\n",
		"GET http://h:/x HTTP/1.1\r\n\r\n",
		"GET http://h:8x/x HTTP/1.1\r\n\r\n",
		"GET http://h:123456789/x HTTP/1.1\r\n\r\n",
		"get http://h/x HTTP/1.1\r\n\r\n",
		"GET http://h/x FTP/1.0\r\n\r\n",
		"CONNECT h HTTP/1.1\r\n\r\n",
		"CONNECT [::1 HTTP/1.1\r\n\r\n",
		"CONNECT :443 HTTP/1.1\r\n\r\n",
		"GET http://h/x HTTP/1.1",
	};
	struct tr_proxy_req	 q;
	const char		*h;
	size_t			 i;

	h = "GET http://Example.com:8080/a/b?c=d HTTP/1.1\r\nHost: x\r\n\r\n";
	T(tr__proxy_parse(h, strlen(h), &q) == TR_OK);
	T(!q.connect);
	T_STREQ(q.method, "GET");
	T_STREQ(q.host, "Example.com");
	T_STREQ(q.port, "8080");
	T_MEMEQ(q.path, q.pathlen, "/a/b?c=d", 8);
	T_MEMEQ(q.version, q.versionlen, "HTTP/1.1", 8);
	T(strncmp(q.rest, "\r\nHost: x", 9) == 0);

	h = "HEAD http://h/ HTTP/1.0\r\n\r\n";
	T(tr__proxy_parse(h, strlen(h), &q) == TR_OK);
	T_STREQ(q.port, "80");
	T_MEMEQ(q.path, q.pathlen, "/", 1);

	h = "CONNECT [2001:db8::1]:443 HTTP/1.1\r\n\r\n";
	T(tr__proxy_parse(h, strlen(h), &q) == TR_OK);
	T(q.connect && q.path == NULL);
	T_STREQ(q.host, "2001:db8::1");
	T_STREQ(q.port, "443");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T(tr__proxy_parse(bad[i], strlen(bad[i]), &q) == TR_EINVAL);
}

int
main(void)
{
	T(tr_conf_load() == TR_OK);
	test_proxy_line();
	test_classes();
	test_urls();
	test_html();
	test_sign();
	tr_conf_free();
	return 0;
}
