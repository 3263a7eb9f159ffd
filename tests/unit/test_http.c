/*
 * Unit tests of lib/core/http.c against a tiny HTTP server on
 * 127.0.0.1 (a forked child, one connection at a time): status, body
 * and request id of an answer, the headers and body sent, the response
 * cap, the timeout, retries on 503 with Retry-After, an unreachable
 * peer and a refused scheme.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "t.h"

static void
reply(int c, const char *status, const char *hdrs, const char *body,
    size_t len)
{
	char	 head[512];
	int	 n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Length: "
	    "%zu\r\nConnection: close\r\n%s\r\n", status, len, hdrs);
	(void)!write(c, head, (size_t)n);
	(void)!write(c, body, len);
}

/* Serves until killed; /busy answers 503 the first time only. */
static void
serve(int s)
{
	char	 req[8192], big[2001];
	ssize_t	 n;
	size_t	 got;
	int	 c, busy = 0;

	signal(SIGPIPE, SIG_IGN);
	memset(big, 'x', sizeof(big));
	for (;;) {
		if ((c = accept(s, NULL, NULL)) == -1)
			continue;
		got = 0;
		while (got < sizeof(req) - 1 &&
		    (n = read(c, req + got, sizeof(req) - 1 - got)) > 0) {
			got += (size_t)n;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL &&
			    (strncmp(req, "POST", 4) != 0 ||
			    strstr(req, "\r\n\r\nbody!") != NULL))
				break;
		}
		req[got] = '\0';
		if (strstr(req, " /slow ") != NULL) {
			sleep(2);
		} else if (strstr(req, " /big ") != NULL)
			reply(c, "200 OK", "", big, sizeof(big));
		else if (strstr(req, " /busy ") != NULL && busy++ == 0)
			reply(c, "503 Busy", "Retry-After: 0\r\n", "{}", 2);
		else
			reply(c, "200 OK", "X-Req-Id: abc-123\r\n", req, got);
		close(c);
	}
}

int
main(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	struct tr_http_resp	 r;
	struct tr_http_opts	 o;
	const char		*hdrs[] = { "X-Test: yes", NULL };
	char			 url[128], base[64];
	pid_t			 pid;
	int			 s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	T((s = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	T(bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	T(listen(s, 8) == 0);
	T(getsockname(s, (struct sockaddr *)&sin, &sl) == 0);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d",
	    ntohs(sin.sin_port));
	T((pid = fork()) != -1);
	if (pid == 0)
		serve(s);
	close(s);

	/* A POST: our headers and body went, status, body, request id. */
	memset(&o, 0, sizeof(o));
	snprintf(url, sizeof(url), "%s/echo", base);
	o.url = url;
	o.headers = hdrs;
	o.body = "body!";
	o.bodysz = 5;
	o.timeout_ms = 5000;
	o.maxbody = 4096;
	o.reqid_header = "x-req-id";
	T(tr_http_do(&o, &r) == TR_OK);
	T(r.status == 200 && r.attempts == 1);
	T_STREQ(r.reqid, "abc-123");
	T(strncmp(tr_buf_str(&r.body), "POST /echo HTTP/1.1\r\n", 21) == 0);
	T(strstr(tr_buf_str(&r.body), "\r\nX-Test: yes\r\n") != NULL);
	T(strstr(tr_buf_str(&r.body), "\r\nExpect:") == NULL);
	T(strstr(tr_buf_str(&r.body), "\r\n\r\nbody!") != NULL);
	tr_http_resp_free(&r);

	/* The response cap: 2001 bytes over a cap of 2000, then under. */
	snprintf(url, sizeof(url), "%s/big", base);
	o.body = NULL;
	o.bodysz = 0;
	o.maxbody = 2000;
	T(tr_http_do(&o, &r) == TR_EPROVIDER);
	o.maxbody = 2001;
	T(tr_http_do(&o, &r) == TR_OK && r.body.len == 2001);
	tr_http_resp_free(&r);

	/* A peer that does not answer in time; not retried. */
	snprintf(url, sizeof(url), "%s/slow", base);
	o.timeout_ms = 300;
	o.retries = 2;
	T(tr_http_do(&o, &r) == TR_ETIMEOUT);

	/* 503 with Retry-After: 0 is retried at once. */
	snprintf(url, sizeof(url), "%s/busy", base);
	o.timeout_ms = 5000;
	T(tr_http_do(&o, &r) == TR_OK);
	T(r.status == 200 && r.attempts == 2);
	tr_http_resp_free(&r);
	o.retries = 0;

	/* Only http and https. */
	o.url = "file:///etc/passwd";
	T(tr_http_do(&o, &r) == TR_EUNAVAIL);

	kill(pid, SIGKILL);
	T(waitpid(pid, NULL, 0) == pid);
	/* Nobody listening any more. */
	o.url = url;
	T(tr_http_do(&o, &r) == TR_EUNAVAIL);
	return 0;
}
