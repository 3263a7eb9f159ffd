/*
 * Logging to stderr, which the web server collects: one line per
 * message with time, level, program, pid, remote address and request id.
 * Every byte outside printable ASCII is escaped, since messages carry
 * client input (kcgi's logmsg filters the same way).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <syslog.h>
#include <unistd.h>

#include "tr.h"

static const char	*names[TR_LOG__MAX] = { "error", "warn", "info", "debug" };
static char		 prog[32] = "trapi";
static __thread char	 remote[64] = "-";	/* per request's thread */
static __thread char	 reqid[40] = "-";
static enum tr_loglevel	 level = TR_LOG_INFO;
static int		 to_syslog;	/* daemons: syslog(3), not stderr */

void
tr_log_init(const char *p)
{
	const char	*s;

	if (p != NULL) {
		if ((s = strrchr(p, '/')) != NULL)
			p = s + 1;
		snprintf(prog, sizeof(prog), "%s", p);
	}
}

void
tr_log_setlevel(enum tr_loglevel l)
{
	if (l < TR_LOG__MAX)
		level = l;
}

/* Sets the remote address and request id put on each line (NULL: "-"). */
void
tr_log_context(const char *r, const char *id)
{
	snprintf(remote, sizeof(remote), "%s", r != NULL && *r ? r : "-");
	snprintf(reqid, sizeof(reqid), "%s", id != NULL && *id ? id : "-");
}

/*
 * Appends s with everything but printable ASCII written as \xHH and the
 * backslash doubled.  Returns the buffer's error on overflow.
 */
enum tr_err
tr_log_escape(struct tr_buf *b, const char *s, size_t len)
{
	enum tr_err	 er;
	size_t		 i;
	unsigned char	 c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '\\')
			er = tr_buf_add(b, TR_LIT("\\\\"));
		else if (c < 0x20 || c >= 0x7f)
			er = tr_buf_addf(b, "\\x%02x", c);
		else
			er = tr_buf_add(b, &s[i], 1);
		if (er != TR_OK)
			return er;
	}
	return TR_OK;
}

static void
vlog(enum tr_loglevel l, const char *fmt, va_list ap, const char *suffix)
{
	char		 msg[2048], tbuf[32];
	struct tr_buf	 b;
	struct tm	 tm;
	time_t		 t;
	int		 n;

	if (l > level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (to_syslog) {
		tr_buf_init(&b, sizeof(msg) * 4 + 256);
		if (tr_buf_addf(&b, "%s %s: ", remote, reqid) == TR_OK &&
		    tr_log_escape(&b, msg, strlen(msg)) == TR_OK &&
		    (suffix == NULL || (tr_buf_add(&b, TR_LIT(": ")) == TR_OK &&
		    tr_buf_adds(&b, suffix) == TR_OK)))
			syslog(l == TR_LOG_ERR ? LOG_ERR : l == TR_LOG_WARN ?
			    LOG_WARNING : l == TR_LOG_INFO ? LOG_INFO :
			    LOG_DEBUG, "%s", b.ptr);
		tr_buf_free(&b);
		return;
	}
	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	tr_buf_init(&b, sizeof(msg) * 4 + 256);
	if (tr_buf_addf(&b, "%s %s[%ld] %s %s %s: ", tbuf, prog,
	    (long)getpid(), names[l], remote, reqid) != TR_OK ||
	    tr_log_escape(&b, msg, strlen(msg)) != TR_OK ||
	    (suffix != NULL && (tr_buf_add(&b, TR_LIT(": ")) != TR_OK ||
	    tr_buf_adds(&b, suffix) != TR_OK)) ||
	    tr_buf_add(&b, TR_LIT("\n")) != TR_OK)
		return;
	if (write(STDERR_FILENO, b.ptr, b.len) < 0) {
		/* nowhere left to report it */
	}
	tr_buf_free(&b);
}

/* Sends every further line to syslog(3) as prog, for a daemon. */
void
tr_log_syslog(void)
{
	openlog(prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	to_syslog = 1;
}

void
tr_log(enum tr_loglevel l, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(l, fmt, ap, NULL);
	va_end(ap);
}

/* Like warn(3): appends strerror(errno). */
void
tr_warn(const char *fmt, ...)
{
	va_list	 ap;
	char	 e[128];
	int	 saved = errno;

	snprintf(e, sizeof(e), "%s", strerror(saved));
	va_start(ap, fmt);
	vlog(TR_LOG_WARN, fmt, ap, e);
	va_end(ap);
	errno = saved;
}
