/*
 * Unit tests of lib/core/log.c: the escaping of untrusted text and the shape
 * of a log line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tr.h"
#include "t.h"

static const struct {
	const char	*in;
	size_t		 insz;
	const char	*want;
} escapes[] = {
	{ "", 0, "" },
	{ "hello, world", 12, "hello, world" },
	{ " ~!\"#$%&'()*+,-./:;<=>?@[]^_`{|}", 32,
	  " ~!\"#$%&'()*+,-./:;<=>?@[]^_`{|}" },
	{ "\\", 1, "\\\\" },
	{ "a\\b\\\\", 5, "a\\\\b\\\\\\\\" },
	{ "\\x41", 4, "\\\\x41" },		/* no forged escapes */
	{ "\n", 1, "\\x0a" },
	{ "\r\n", 2, "\\x0d\\x0a" },
	{ "\t", 1, "\\x09" },
	{ "\x1b[31m", 5, "\\x1b[31m" },
	{ "\x01\x1f", 2, "\\x01\\x1f" },
	{ "\x7f", 1, "\\x7f" },
	{ "a\0b", 3, "a\\x00b" },
	{ "caf\xc3\xa9", 5, "caf\\xc3\\xa9" },
	{ "\x80\xff", 2, "\\x80\\xff" },
	{ "line1\nFAKE 2024 error", 21, "line1\\x0aFAKE 2024 error" },
};

static void
test_escape(void)
{
	struct tr_buf	 b;
	size_t		 i;

	for (i = 0; i < T_NELEM(escapes); i++) {
		tr_buf_init(&b, 1024);
		T(tr_log_escape(&b, escapes[i].in, escapes[i].insz) == TR_OK);
		T_STREQ(tr_buf_str(&b), escapes[i].want);
		/* Escaped text never holds control bytes. */
		for (size_t j = 0; j < b.len; j++)
			T(b.ptr[j] >= 0x20 && b.ptr[j] < 0x7f);
		tr_buf_free(&b);
	}

	/* Appends to what is there. */
	tr_buf_init(&b, 1024);
	T(tr_buf_adds(&b, "msg: ") == TR_OK);
	T(tr_log_escape(&b, "x\ny", 3) == TR_OK);
	T_STREQ(tr_buf_str(&b), "msg: x\\x0ay");
	tr_buf_free(&b);
}

static void
test_overflow(void)
{
	struct tr_buf	 b;
	char		 big[300];

	/* Exactly full. */
	tr_buf_init(&b, 4);
	T(tr_log_escape(&b, "\n", 1) == TR_OK);
	T_STREQ(tr_buf_str(&b), "\\x0a");
	tr_buf_free(&b);

	/* One escape too many frees the buffer. */
	tr_buf_init(&b, 5);
	T(tr_log_escape(&b, "\n\n", 2) == TR_ETOOBIG);
	T(b.ptr == NULL && b.len == 0);

	tr_buf_init(&b, 3);
	T(tr_log_escape(&b, "ab\\", 3) == TR_ETOOBIG);
	T(b.ptr == NULL);

	tr_buf_init(&b, 3);
	T(tr_log_escape(&b, "abcd", 4) == TR_ETOOBIG);
	T(b.ptr == NULL);

	/* Escaping quadruples the size. */
	memset(big, '\xff', sizeof(big));
	tr_buf_init(&b, 4 * sizeof(big) - 1);
	T(tr_log_escape(&b, big, sizeof(big)) == TR_ETOOBIG);
	T(b.ptr == NULL);
	tr_buf_init(&b, 4 * sizeof(big));
	T(tr_log_escape(&b, big, sizeof(big)) == TR_OK);
	T(b.len == 4 * sizeof(big));
	tr_buf_free(&b);
}

/* Runs fn with stderr going to a file and returns what it wrote. */
static char *
capture(void (*fn)(void))
{
	char	 path[] = "/tmp/test_log.XXXXXX";
	char	*s;
	FILE	*f;
	long	 sz;
	int	 fd, saved;

	T((fd = mkstemp(path)) != -1);
	T(unlink(path) == 0);
	T((saved = dup(STDERR_FILENO)) != -1);
	T(dup2(fd, STDERR_FILENO) != -1);
	fn();
	T(dup2(saved, STDERR_FILENO) != -1);
	close(saved);
	T((f = fdopen(fd, "r")) != NULL);
	T(fseek(f, 0, SEEK_END) == 0);
	T((sz = ftell(f)) >= 0);
	rewind(f);
	s = tr_xmalloc((size_t)sz + 1);
	T(fread(s, 1, (size_t)sz, f) == (size_t)sz);
	s[sz] = '\0';
	fclose(f);
	return s;
}

static void
log_lines(void)
{
	tr_log_init("/usr/lib/trapi/cgi-bin/transcribe");
	tr_log_context("192.0.2.1", "0123abcd");
	tr_info("client sent %s", "a\nb\\c\x1b");
	tr_debug("not shown at level info");
	tr_log_setlevel(TR_LOG_DEBUG);
	tr_debug("shown at level debug");
	tr_log_setlevel(TR_LOG_ERR);
	tr_warnx("not shown at level error");
	tr_errx("shown at level error");
	tr_log_setlevel(TR_LOG__MAX);	/* ignored */
	tr_warnx("still not shown");
	tr_log_setlevel(TR_LOG_INFO);
	tr_log_context(NULL, "");
	errno = ENOENT;
	tr_warn("open %s", "x");
	T(errno == ENOENT);
}

static void
log_long(void)
{
	char	*s;

	s = tr_xmalloc(10000);
	memset(s, '\n', 9999);
	s[9999] = '\0';
	tr_log_init(NULL);
	tr_errx("%s", s);
	free(s);
}

/* The longest line: every field at its size, all of it escaped. */
static void
log_widest(void)
{
	char	 s[3000], remote[100], reqid[100], prog[100];

	memset(prog, 'p', sizeof(prog) - 1);
	prog[sizeof(prog) - 1] = '\0';
	memset(remote, 'r', sizeof(remote) - 1);
	remote[sizeof(remote) - 1] = '\0';
	memset(reqid, 'i', sizeof(reqid) - 1);
	reqid[sizeof(reqid) - 1] = '\0';
	memset(s, '\x01', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	tr_log_init(prog);
	tr_log_context(remote, reqid);
	errno = EILSEQ;
	tr_warn("%s", s);
	tr_log_context(NULL, NULL);
	tr_log_init("test_log");
}

static void
test_lines(void)
{
	char	*out, *p, *nl;
	size_t	 n;

	out = capture(log_lines);
	/* Four lines, each "time prog[pid] level remote reqid: msg". */
	for (n = 0, p = out; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		n++;
	T(n == 4);
	T(*p == '\0');
	T(strstr(out, " transcribe[") != NULL);
	T(strstr(out, "/usr/lib") == NULL);
	T(strstr(out, "] info 192.0.2.1 0123abcd: "
	    "client sent a\\x0ab\\\\c\\x1b\n") != NULL);
	T(strstr(out, "not shown") == NULL);
	T(strstr(out, "] debug 192.0.2.1 0123abcd: shown at level debug\n")
	    != NULL);
	T(strstr(out, "] error 192.0.2.1 0123abcd: shown at level error\n")
	    != NULL);
	T(strstr(out, "] warn - -: open x: ") != NULL);
	T(strstr(out, "still") == NULL);
	T(out[4] == '-' && out[10] == 'T');
	free(out);

	/* The widest line is written whole. */
	out = capture(log_widest);
	T(strchr(out, '\n') == out + strlen(out) - 1);
	T(strstr(out, "\\x01\\x01: ") != NULL);
	T(strstr(out, strerror(EILSEQ)) != NULL);
	free(out);

	/* A long message is cut, but stays one line. */
	out = capture(log_long);
	T(strchr(out, '\n') == out + strlen(out) - 1);
	T(strstr(out, "\\x0a\\x0a") != NULL);
	free(out);
}

int
main(void)
{
	test_escape();
	test_overflow();
	test_lines();
	return 0;
}
