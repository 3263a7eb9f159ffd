/*
 * Unit tests of lib/core/config.c: the KEY=VALUE parser and the loader with
 * its environment, file and default precedence.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tr.h"
#include "t.h"

/* Valid texts and the pairs they yield, as "key=value;" each. */
static const struct {
	const char	*in;
	const char	*want;
} valids[] = {
	{ "", "" },
	{ "\n\n\n", "" },
	{ "A=1", "A=1;" },
	{ "A=1\n", "A=1;" },
	{ "A=1\nB=2\n", "A=1;B=2;" },
	{ "A=1\r\nB=2\r\n", "A=1;B=2;" },
	{ "# comment\n\n \t \nA=1", "A=1;" },
	{ "  # indented comment\nA=1", "A=1;" },
	{ "#A=1\nB=2", "B=2;" },
	{ "  A = 1  ", "A=1;" },
	{ "\tA\t=\t1\t", "A=1;" },
	{ "A=", "A=;" },
	{ "A= ", "A=;" },
	{ "A=a=b", "A=a=b;" },
	{ "A=a b c", "A=a b c;" },
	{ "export A=1", "A=1;" },
	{ "export   A=1", "A=1;" },
	{ "  export A=1", "A=1;" },
	{ "export=1", "export=1;" },
	{ "exported=1", "exported=1;" },
	{ "A=\"x y\"", "A=x y;" },
	{ "A=\" x \"", "A= x ;" },
	{ "A='x # y'", "A=x # y;" },
	{ "A=\"it's\"", "A=it's;" },
	{ "A='say \"hi\"'", "A=say \"hi\";" },
	{ "A=\"\"", "A=;" },
	{ "A=''", "A=;" },
	{ "A=x\"", "A=x\";" },
	{ "A=x'y", "A=x'y;" },
	{ "A=\"a\" ", "A=a;" },
	{ "A_b9=1\n_=2", "A_b9=1;_=2;" },
	{ "DATABASE_URL=postgresql://u:p@h/db?sslmode=require",
	  "DATABASE_URL=postgresql://u:p@h/db?sslmode=require;" },
	{ "A=1\nA=2", "A=1;A=2;" },
	{ "A=caf\xc3\xa9", "A=caf\xc3\xa9;" },
};

static const char *const invalids[] = {
	"A",
	"A\n",
	"=1",
	" =1",
	"A B=1",
	"A-B=1",
	"A.B=1",
	"caf\xc3\xa9=1",
	"export",
	"export A",
	"export =1",
	"A=\"x",
	"A='x",
	"A=\"",
	"A='",
	"A=\"x'",
	"A='x\"",
	"A=1\nbad\nB=2",
	"A=1\n=\n",
	"A=\"x\ny\"",
};

static void
collect(void *arg, const char *key, const char *val)
{
	struct tr_buf	*b = arg;

	T(tr_buf_addf(b, "%s=%s;", key, val) == TR_OK);
}

static void
test_parse(void)
{
	struct tr_buf	 b;
	size_t		 i;

	for (i = 0; i < T_NELEM(valids); i++) {
		tr_buf_init(&b, 4096);
		if (tr_conf_parse(valids[i].in, strlen(valids[i].in), collect,
		    &b) != TR_OK) {
			fprintf(stderr, "refused \"%s\"\n", valids[i].in);
			T(0);
		}
		T_STREQ(tr_buf_str(&b), valids[i].want);
		tr_buf_free(&b);
	}
	for (i = 0; i < T_NELEM(invalids); i++) {
		tr_buf_init(&b, 4096);
		if (tr_conf_parse(invalids[i], strlen(invalids[i]), collect,
		    &b) != TR_EINVAL) {
			fprintf(stderr, "accepted \"%s\"\n", invalids[i]);
			T(0);
		}
		tr_buf_free(&b);
	}

	/* The length is what counts, not a NUL. */
	tr_buf_init(&b, 4096);
	T(tr_conf_parse("A=1\nB=2", 3, collect, &b) == TR_OK);
	T_STREQ(tr_buf_str(&b), "A=1;");
	tr_buf_free(&b);

	/* A NUL byte anywhere is refused before any pair is reported. */
	tr_buf_init(&b, 4096);
	T(tr_conf_parse("A=1\nB=\0\nC=3", 11, collect, &b) == TR_EINVAL);
	T(b.len == 0);
	T(tr_conf_parse("\0", 1, collect, &b) == TR_EINVAL);
	T(tr_conf_parse("A=1\0", 4, collect, &b) == TR_EINVAL);
	T(b.len == 0);
	tr_buf_free(&b);
}

static char	 path[] = "/tmp/test_config.XXXXXX";

static void
writeconf(const char *text, size_t len)
{
	int	 fd;

	T((fd = open(path, O_WRONLY | O_TRUNC)) != -1);
	T(write(fd, text, len) == (ssize_t)len);
	T(close(fd) == 0);
}

static void
test_load(void)
{
	static const char	 conf[] =
	    "# test configuration\n"
	    "export NAME=\"from file\"\n"
	    "EMPTY=\n"
	    "NUM=42\n"
	    "NEG=-7\n"
	    "BIGNUM=99999999999999999999\n"
	    "BADNUM=12abc\n"
	    "T1=yes\nT2=On\nT3=TRUE\nT4=1\n"
	    "F1=no\nF2=OFF\nF3=false\nF4=0\n"
	    "BADBOOL=maybe\n"
	    "OVERRIDE=file\n"
	    "DUP=first\nDUP=second\n";
	static const char *const keys[] = {
	    "NAME", "EMPTY", "NUM", "NEG", "BIGNUM", "BADNUM", "T1", "T2",
	    "T3", "T4", "F1", "F2", "F3", "F4", "BADBOOL", "OVERRIDE", "DUP",
	    "UNSET_KEY", "LOG_LEVEL",
	};
	size_t			 i;
	int			 fd;

	for (i = 0; i < T_NELEM(keys); i++)
		T(unsetenv(keys[i]) == 0);
	T((fd = mkstemp(path)) != -1);
	T(fchmod(fd, 0600) == 0);
	T(close(fd) == 0);
	writeconf(conf, sizeof(conf) - 1);
	T(setenv("APP_CONFIG", path, 1) == 0);

	T(tr_conf_load() == TR_OK);
	T_STREQ(tr_conf("NAME"), "from file");
	T(tr_conf("EMPTY") == NULL);		/* empty is unset */
	T(tr_conf("UNSET_KEY") == NULL);
	T_STREQ(tr_conf_def("EMPTY", "def"), "def");
	T_STREQ(tr_conf_def("UNSET_KEY", "def"), "def");
	T_STREQ(tr_conf_def("NAME", "def"), "from file");
	T_STREQ(tr_conf("DUP"), "second");

	T(tr_conf_ll("NUM", 5, 0, 100) == 42);
	T(tr_conf_ll("NEG", 5, -10, 10) == -7);
	T(tr_conf_ll("NUM", 5, 0, 41) == 5);		/* out of range */
	T(tr_conf_ll("NUM", 5, 43, 100) == 5);
	T(tr_conf_ll("BIGNUM", 5, 0, 100) == 5);	/* overflow */
	T(tr_conf_ll("BADNUM", 5, 0, 100) == 5);
	T(tr_conf_ll("NAME", 5, 0, 100) == 5);
	T(tr_conf_ll("EMPTY", 5, 0, 100) == 5);
	T(tr_conf_ll("UNSET_KEY", -3, -10, 100) == -3);

	T(tr_conf_bool("T1", 0) == 1);
	T(tr_conf_bool("T2", 0) == 1);
	T(tr_conf_bool("T3", 0) == 1);
	T(tr_conf_bool("T4", 0) == 1);
	T(tr_conf_bool("F1", 1) == 0);
	T(tr_conf_bool("F2", 1) == 0);
	T(tr_conf_bool("F3", 1) == 0);
	T(tr_conf_bool("F4", 1) == 0);
	T(tr_conf_bool("BADBOOL", 1) == 1);
	T(tr_conf_bool("BADBOOL", 0) == 0);
	T(tr_conf_bool("NUM", 1) == 1);
	T(tr_conf_bool("EMPTY", 1) == 1);
	T(tr_conf_bool("UNSET_KEY", 0) == 0);

	/* The environment wins over the file, unless it is empty. */
	T(setenv("OVERRIDE", "env", 1) == 0);
	T_STREQ(tr_conf("OVERRIDE"), "env");
	T(setenv("OVERRIDE", "", 1) == 0);
	T_STREQ(tr_conf("OVERRIDE"), "file");
	T(setenv("NUM", "7", 1) == 0);
	T(tr_conf_ll("NUM", 5, 0, 100) == 7);
	T(setenv("NUM", "seven", 1) == 0);
	T(tr_conf_ll("NUM", 5, 0, 100) == 5);		/* no fallback */
	T(setenv("F1", "yes", 1) == 0);
	T(tr_conf_bool("F1", 0) == 1);
	T(setenv("UNSET_KEY", "from env", 1) == 0);
	T_STREQ(tr_conf("UNSET_KEY"), "from env");
	T(unsetenv("OVERRIDE") == 0 && unsetenv("NUM") == 0 &&
	    unsetenv("F1") == 0 && unsetenv("UNSET_KEY") == 0);

	/* Loading again replaces what the first load read. */
	writeconf(TR_LIT("OTHER=1\nLOG_LEVEL=debug\n"));
	T(tr_conf_load() == TR_OK);
	T(tr_conf("NAME") == NULL);
	T_STREQ(tr_conf("OTHER"), "1");

	/* After free only the environment is left. */
	tr_conf_free();
	T(tr_conf("OTHER") == NULL);
	T(setenv("OTHER", "env", 1) == 0);
	T_STREQ(tr_conf("OTHER"), "env");
	T(unsetenv("OTHER") == 0);
	tr_conf_free();		/* twice is harmless */

	/* A malformed file fails the load. */
	writeconf(TR_LIT("GOOD=1\nnot a pair\n"));
	T(tr_conf_load() == TR_EINVAL);
	writeconf(TR_LIT("A=1\0"));
	T(tr_conf_load() == TR_EINVAL);
	writeconf(TR_LIT("A=\"unterminated\n"));
	T(tr_conf_load() == TR_EINVAL);

	/* An empty file is fine. */
	writeconf("", 0);
	T(tr_conf_load() == TR_OK);
	T(tr_conf("GOOD") == NULL);

	/* A file over the size cap fails. */
	{
		char	*big;
		size_t	 bigsz = 300 * 1024;

		big = tr_xmalloc(bigsz);
		memset(big, '#', bigsz);
		big[bigsz - 1] = '\n';
		writeconf(big, bigsz);
		free(big);
		T(tr_conf_load() != TR_OK);
	}

	/* A named file that is missing or not a file fails. */
	T(unlink(path) == 0);
	T(tr_conf_load() == TR_ESYSTEM);
	T(setenv("APP_CONFIG", "/", 1) == 0);
	T(tr_conf_load() == TR_ESYSTEM);
	T(setenv("APP_CONFIG", "/nonexistent/dir/trapi.conf", 1) == 0);
	T(tr_conf_load() == TR_ESYSTEM);

	/* No APP_CONFIG and no default file is fine. */
	if (access("/etc/trapi.conf", F_OK) == -1 && errno == ENOENT) {
		T(unsetenv("APP_CONFIG") == 0);
		T(tr_conf_load() == TR_OK);
		T(setenv("APP_CONFIG", "", 1) == 0);
		T(tr_conf_load() == TR_OK);
		T(tr_conf("GOOD") == NULL);
	}
	T(unsetenv("APP_CONFIG") == 0);
	tr_conf_free();
}

/* Loads the config with the given mode; returns whether it warned. */
static int
load_warns(mode_t mode)
{
	char	 log[] = "/tmp/test_config_log.XXXXXX", out[512];
	ssize_t	 n;
	int	 fd, saved;

	T((fd = mkstemp(log)) != -1);
	T(chmod(path, mode) == 0);
	T((saved = dup(STDERR_FILENO)) != -1);
	T(dup2(fd, STDERR_FILENO) != -1);
	T(tr_conf_load() == TR_OK);
	T(dup2(saved, STDERR_FILENO) != -1);
	T(close(saved) == 0);
	T((n = pread(fd, out, sizeof(out) - 1, 0)) >= 0);
	out[n] = '\0';
	T(close(fd) == 0);
	T(unlink(log) == 0);
	return strstr(out, "readable") != NULL;
}

/*
 * The file may be readable by its group (INSTALL: root:trapi 0640, for
 * the web server's user and ws-bridge's), but not by everyone.
 */
static void
test_mode(void)
{
	int	 fd;

	memcpy(path, "/tmp/test_config.XXXXXX", sizeof(path));
	T((fd = mkstemp(path)) != -1);
	T(close(fd) == 0);
	writeconf(TR_LIT("SECRET_KEY=x\n"));
	T(setenv("APP_CONFIG", path, 1) == 0);
	T(!load_warns(0600));
	T(!load_warns(0640));
	T(!load_warns(0660));
	T(load_warns(0644));
	T(load_warns(0604));
	T(unlink(path) == 0);
	T(unsetenv("APP_CONFIG") == 0);
	tr_conf_free();
}

int
main(void)
{
	test_parse();
	test_load();
	test_mode();
	return 0;
}
