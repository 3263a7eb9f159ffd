/*
 * A forward HTTP proxy on loopback for one helper program (yt-dlp),
 * so that the address rule of guard.c holds for connections the helper
 * opens itself: every CONNECT host:port and every absolute-form
 * request (GET http://host/...) is resolved here, and each address is
 * checked with tr_net_addr_allowed() before a socket is connected to
 * it.  A refused one is answered 403 and its reason kept for the
 * caller's message.  What comes back from upstreams is capped
 * (maxbytes over all connections): past it every tunnel is cut.
 *
 * Written by hand: no library in Debian is a forward proxy with a
 * per-address hook, and the part that matters (resolve, check, connect)
 * is guard.c's rule; the rest is a byte relay.  One thread accepts;
 * each connection has a thread of its own, at most PX_CONNS at once;
 * tr_proxy_stop() cuts them all and joins them.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "extern.h"

#define PX_CONNS	16		/* connections at once */
#define PX_HEAD		16384		/* a request head's bytes */
#define PX_IDLE_MS	60000		/* a tunnel with no bytes either way */
#define PX_CONNECT_MS	10000		/* to connect upstream */

struct	px_conn {
	struct tr_proxy	*px;
	pthread_t	 th;
	int		 fd;		/* the helper's side */
	int		 up;		/* upstream, or -1 */
	int		 used;		/* a thread was started */
	int		 done;		/* and has ended, to be joined */
};

struct	tr_proxy {
	int		 lfd;		/* listening, 127.0.0.1:port */
	int		 stop[2];	/* readable once stopping */
	pthread_t	 th;
	pthread_mutex_t	 mu;
	struct px_conn	 conns[PX_CONNS];
	unsigned long long maxbytes, bytes;
	int		 refused, toobig;
	char		 why[192];	/* the first refusal */
};

static void
refusal(struct tr_proxy *px, const char *why)
{
	pthread_mutex_lock(&px->mu);
	if (!px->refused) {
		px->refused = 1;
		snprintf(px->why, sizeof(px->why), "%s", why);
	}
	pthread_mutex_unlock(&px->mu);
}

/* Waits for fd (events) or the stop; 1 ready, 0 not in time or stopped. */
static int
wait_fd(struct tr_proxy *px, int fd, short events, int ms)
{
	struct pollfd	 p[2] = { { fd, events, 0 }, { px->stop[0], POLLIN, 0 } };
	int		 n;

	while ((n = poll(p, 2, ms)) == -1 && errno == EINTR)
		continue;
	return n > 0 && p[1].revents == 0 && p[0].revents != 0;
}

static int
send_all(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * A socket connected to host:port at an address the rule allows; -1
 * with why set if none could be.
 */
static int
dial(struct tr_proxy *px, const char *host, const char *port, char *why,
    size_t whysz)
{
	struct addrinfo	 hints, *res, *ai;
	socklen_t	 len;
	int		 fd = -1, err, gai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(why, whysz, "the host %.64s could not be resolved",
		    host);
		return -1;
	}
	snprintf(why, whysz, "the host %.64s could not be reached", host);
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		if (!tr_net_addr_allowed(ai->ai_addr, why, whysz))
			continue;
		if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1 &&
		    (errno != EINPROGRESS ||
		    !wait_fd(px, fd, POLLOUT, PX_CONNECT_MS) ||
		    (len = sizeof(err), getsockopt(fd, SOL_SOCKET, SO_ERROR,
		    &err, &len)) == -1 || err != 0)) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd != -1)
		(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/*
 * The request line of a head (head[0..len), through its blank line):
 * CONNECT host:port, or METHOD http://host[:port]/path VERSION.
 * TR_OK with q filled (path and version point into head); TR_EINVAL
 * for anything else.
 */
enum tr_err
tr__proxy_parse(const char *head, size_t len, struct tr_proxy_req *q)
{
	const char	*eol, *sp1, *sp2, *t, *tend, *p, *e, *h;
	size_t		 n, hn, i;

	memset(q, 0, sizeof(*q));
	if ((eol = memmem(head, len, "\r\n", 2)) == NULL ||
	    (sp1 = memchr(head, ' ', (size_t)(eol - head))) == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1))) == NULL)
		return TR_EINVAL;
	n = (size_t)(sp1 - head);
	if (n == 0 || n >= sizeof(q->method))
		return TR_EINVAL;
	for (i = 0; i < n; i++)
		if (head[i] < 'A' || head[i] > 'Z')
			return TR_EINVAL;
	memcpy(q->method, head, n);
	q->method[n] = '\0';
	q->connect = strcmp(q->method, "CONNECT") == 0;
	t = sp1 + 1;
	tend = sp2;
	q->version = sp2 + 1;
	q->versionlen = (size_t)(eol - q->version);
	if (q->versionlen < 8 || memcmp(q->version, "HTTP/1.", 7) != 0)
		return TR_EINVAL;
	q->rest = eol;
	if (!q->connect) {
		if ((size_t)(tend - t) < 7 || strncasecmp(t, "http://", 7) != 0)
			return TR_EINVAL;
		t += 7;
		if ((p = memchr(t, '/', (size_t)(tend - t))) == NULL)
			return TR_EINVAL;
		q->path = p;
		q->pathlen = (size_t)(tend - p);
	} else
		p = tend;
	/* t..p: host[:port], the host maybe [v6]. */
	if (p > t && *t == '[') {
		if ((e = memchr(t, ']', (size_t)(p - t))) == NULL)
			return TR_EINVAL;
		h = t + 1;
		hn = (size_t)(e - h);
		e++;
	} else {
		h = t;
		if ((e = memchr(t, ':', (size_t)(p - t))) == NULL)
			e = p;
		hn = (size_t)(e - h);
	}
	if (hn == 0 || hn >= sizeof(q->host) || memchr(h, '\0', hn) != NULL)
		return TR_EINVAL;
	memcpy(q->host, h, hn);
	q->host[hn] = '\0';
	if (e < p) {
		n = (size_t)(p - e - 1);
		if (*e != ':' || n == 0 || n >= sizeof(q->port))
			return TR_EINVAL;
		memcpy(q->port, e + 1, n);
		q->port[n] = '\0';
		if (strspn(q->port, "0123456789") != n)
			return TR_EINVAL;
	} else if (q->connect)
		return TR_EINVAL;
	else
		snprintf(q->port, sizeof(q->port), "80");
	return TR_OK;
}

/* Bytes both ways until either side ends, the stop, idleness or the cap. */
static void
relay(struct tr_proxy *px, int a, int b)
{
	struct pollfd	 p[3] = { { a, POLLIN, 0 }, { b, POLLIN, 0 },
			    { px->stop[0], POLLIN, 0 } };
	char		 buf[16384];
	ssize_t		 n;
	int		 i, r, open_ = 2;

	while (open_ > 0) {
		while ((r = poll(p, 3, PX_IDLE_MS)) == -1 && errno == EINTR)
			continue;
		if (r <= 0 || p[2].revents != 0)
			return;
		for (i = 0; i < 2; i++) {
			if (p[i].fd == -1 || p[i].revents == 0)
				continue;
			n = recv(p[i].fd, buf, sizeof(buf), 0);
			if (n <= 0) {
				shutdown(p[1 - i].fd, SHUT_WR);
				p[i].fd = -1;
				open_--;
				continue;
			}
			if (i == 1) {
				pthread_mutex_lock(&px->mu);
				px->bytes += (unsigned long long)n;
				if (px->bytes > px->maxbytes)
					px->toobig = 1;
				r = px->toobig;
				pthread_mutex_unlock(&px->mu);
				if (r)
					return;
			}
			if (send_all(p[1 - i].fd, buf, (size_t)n) == -1)
				return;
		}
	}
}

static void *
conn_main(void *arg)
{
	static const char forbidden[] = "HTTP/1.1 403 Forbidden\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n";
	static const char bad[] = "HTTP/1.1 400 Bad Request\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n";
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	struct px_conn	*c = arg;
	struct tr_proxy	*px = c->px;
	struct tr_proxy_req q;
	char		*head, *end = NULL, why[192];
	size_t		 len = 0;
	ssize_t		 n;
	int		 up = -1;

	head = tr_xmalloc(PX_HEAD + 1);
	while (len < PX_HEAD && end == NULL) {
		if (!wait_fd(px, c->fd, POLLIN, PX_CONNECT_MS) ||
		    (n = recv(c->fd, head + len, PX_HEAD - len, 0)) <= 0)
			goto done;
		len += (size_t)n;
		head[len] = '\0';
		end = memmem(head, len, "\r\n\r\n", 4);
	}
	if (end == NULL || tr__proxy_parse(head, len, &q) != TR_OK)
		goto fail;
	up = dial(px, q.host, q.port, why, sizeof(why));
	pthread_mutex_lock(&px->mu);
	c->up = up;
	pthread_mutex_unlock(&px->mu);
	if (up == -1) {
		tr_warnx("proxy: %s:%s refused: %s", q.host, q.port, why);
		refusal(px, why);
		(void)send_all(c->fd, forbidden, sizeof(forbidden) - 1);
		goto done;
	}
	if (q.connect) {
		if (send_all(c->fd, ok, sizeof(ok) - 1) == -1 ||
		    send_all(up, end + 4, len - (size_t)(end + 4 - head)) == -1)
			goto done;
	} else {
		/* The request line in origin form, the rest as it came. */
		if (send_all(up, q.method, strlen(q.method)) == -1 ||
		    send_all(up, " ", 1) == -1 ||
		    send_all(up, q.path, q.pathlen) == -1 ||
		    send_all(up, " ", 1) == -1 ||
		    send_all(up, q.version, q.versionlen) == -1 ||
		    send_all(up, q.rest, len - (size_t)(q.rest - head)) == -1)
			goto done;
	}
	relay(px, c->fd, up);
	goto done;
fail:
	(void)send_all(c->fd, bad, sizeof(bad) - 1);
done:
	free(head);
	pthread_mutex_lock(&px->mu);
	if (c->up != -1)
		close(c->up);
	close(c->fd);
	c->fd = c->up = -1;
	c->done = 1;
	pthread_mutex_unlock(&px->mu);
	return NULL;
}

static void *
accept_main(void *arg)
{
	struct tr_proxy	*px = arg;
	struct px_conn	*c;
	size_t		 i;
	int		 fd;

	for (;;) {
		if (!wait_fd(px, px->lfd, POLLIN, -1))
			return NULL;
		if ((fd = accept4(px->lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
			continue;
		/* A slot whose thread has ended is joined and taken again. */
		pthread_mutex_lock(&px->mu);
		for (c = NULL, i = 0; i < PX_CONNS && c == NULL; i++) {
			if (px->conns[i].used && px->conns[i].done) {
				pthread_join(px->conns[i].th, NULL);
				px->conns[i].used = px->conns[i].done = 0;
			}
			if (!px->conns[i].used)
				c = &px->conns[i];
		}
		if (c != NULL) {
			c->px = px;
			c->fd = fd;
			c->up = -1;
			c->used = 1;
		}
		pthread_mutex_unlock(&px->mu);
		if (c == NULL) {
			tr_warnx("proxy: more than %d connections", PX_CONNS);
			close(fd);
			continue;
		}
		if (pthread_create(&c->th, NULL, conn_main, c) != 0) {
			close(fd);
			pthread_mutex_lock(&px->mu);
			c->used = 0;
			pthread_mutex_unlock(&px->mu);
		}
	}
}

/* Frees a proxy whose threads are not running (any more). */
static void
px_free(struct tr_proxy *px)
{
	close(px->lfd);
	close(px->stop[0]);
	close(px->stop[1]);
	pthread_mutex_destroy(&px->mu);
	free(px);
}

enum tr_err
tr_proxy_start(struct tr_proxy **out, unsigned long long maxbytes,
    char *url, size_t urlsz)
{
	struct tr_proxy		*px;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);

	*out = NULL;
	px = tr_xcalloc(1, sizeof(*px));
	px->maxbytes = maxbytes;
	px->stop[0] = px->stop[1] = -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((px->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(px->lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(px->lfd, PX_CONNS) == -1 ||
	    getsockname(px->lfd, (struct sockaddr *)&sin, &len) == -1 ||
	    pipe2(px->stop, O_CLOEXEC) == -1) {
		tr_warn("proxy");
		if (px->lfd != -1)
			close(px->lfd);
		free(px);
		return TR_ESYSTEM;
	}
	pthread_mutex_init(&px->mu, NULL);
	if (pthread_create(&px->th, NULL, accept_main, px) != 0) {
		px_free(px);
		return TR_ESYSTEM;
	}
	snprintf(url, urlsz, "http://127.0.0.1:%u", ntohs(sin.sin_port));
	*out = px;
	return TR_OK;
}

/*
 * Stops px and frees it; *why (if why) gets the first refusal's reason,
 * or "" if none; the return is 1 if the byte cap was passed.
 */
int
tr_proxy_stop(struct tr_proxy *px, char *why, size_t whysz)
{
	size_t	 i;
	int	 toobig;

	if (px == NULL)
		return 0;
	if (write(px->stop[1], "x", 1) != 1)
		tr_warn("proxy: stop");
	pthread_join(px->th, NULL);
	/* A relay blocked in a send wakes when its sockets are cut. */
	pthread_mutex_lock(&px->mu);
	for (i = 0; i < PX_CONNS; i++)
		if (px->conns[i].used && !px->conns[i].done) {
			shutdown(px->conns[i].fd, SHUT_RDWR);
			if (px->conns[i].up != -1)
				shutdown(px->conns[i].up, SHUT_RDWR);
		}
	pthread_mutex_unlock(&px->mu);
	for (i = 0; i < PX_CONNS; i++)
		if (px->conns[i].used)
			pthread_join(px->conns[i].th, NULL);
	if (why != NULL)
		snprintf(why, whysz, "%s", px->refused ? px->why : "");
	toobig = px->toobig;
	px_free(px);
	return toobig;
}
