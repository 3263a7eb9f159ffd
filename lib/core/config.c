/*
 * Configuration from the environment and from a config file of
 * KEY=VALUE lines (SPEC section 3), for web servers that do not pass
 * the environment to FastCGI children.  The environment wins over the
 * file, and the file over built-in defaults.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tr.h"

#define CONF_DEFAULT	"/etc/trapi.conf"
#define CONF_MAXSZ	(256 * 1024)
#define CONF_MAXKEYS	512

struct	kv {
	char	*key;
	char	*val;
};

static struct kv	*kvs;
static size_t		 kvsz;

static int
keychar(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static char *
trim(char *s, char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

/*
 * Parses config text: blank lines and "#" comments are skipped, an
 * optional "export " prefix is allowed, a value may be wrapped in single
 * or double quotes.  Calls cb for each pair.  Returns TR_EINVAL (and
 * logs the line number, never the line) on a malformed line.
 */
enum tr_err
tr_conf_parse(const char *text, size_t len,
    void (*cb)(void *, const char *, const char *), void *arg)
{
	char		*copy, *line, *next, *eq, *key, *val, *end;
	size_t		 lineno = 0, vlen;
	enum tr_err	 er = TR_OK;

	if (memchr(text, '\0', len) != NULL) {
		tr_errx("config: NUL byte in config text");
		return TR_EINVAL;
	}
	copy = tr_xstrndup(text, len);
	for (line = copy; line != NULL && er == TR_OK; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		end = line + strlen(line);
		line = trim(line, end);
		if (*line == '\0' || *line == '#')
			continue;
		if (strncmp(line, "export ", 7) == 0)
			line = trim(line + 7, line + strlen(line));
		if ((eq = strchr(line, '=')) == NULL || eq == line) {
			tr_errx("config: line %zu: expected KEY=VALUE", lineno);
			er = TR_EINVAL;
			break;
		}
		key = trim(line, eq);
		for (end = key; *end != '\0'; end++)
			if (!keychar(*end))
				break;
		if (*end != '\0' || *key == '\0') {
			tr_errx("config: line %zu: bad key", lineno);
			er = TR_EINVAL;
			break;
		}
		val = trim(eq + 1, eq + 1 + strlen(eq + 1));
		vlen = strlen(val);
		if (vlen >= 2 && (val[0] == '"' || val[0] == '\'') &&
		    val[vlen - 1] == val[0]) {
			val[vlen - 1] = '\0';
			val++;
		} else if (vlen > 0 && (val[0] == '"' || val[0] == '\'')) {
			tr_errx("config: line %zu: unterminated quote", lineno);
			er = TR_EINVAL;
			break;
		}
		cb(arg, key, val);
	}
	free(copy);
	return er;
}

static void
store(void *arg, const char *key, const char *val)
{
	size_t	 i;

	(void)arg;
	for (i = 0; i < kvsz; i++)
		if (strcmp(kvs[i].key, key) == 0) {
			free(kvs[i].val);
			kvs[i].val = tr_xstrdup(val);
			return;
		}
	if (kvsz >= CONF_MAXKEYS)
		return;
	kvs[kvsz].key = tr_xstrdup(key);
	kvs[kvsz].val = tr_xstrdup(val);
	kvsz++;
}

/*
 * Loads the config file named by APP_CONFIG, or CONF_DEFAULT if that
 * exists.  A named file that cannot be read, or any malformed line, is
 * TR_ESYSTEM/TR_EINVAL: the program then answers 503 rather than run on
 * a half-read configuration.  Also applies LOG_LEVEL.
 */
enum tr_err
tr_conf_load(void)
{
	const char	*path, *lvl;
	struct stat	 st;
	struct tr_buf	 b;
	char		 chunk[8192];
	ssize_t		 n;
	int		 fd, named;
	enum tr_err	 er = TR_OK;

	tr_conf_free();
	kvs = tr_xcalloc(CONF_MAXKEYS, sizeof(*kvs));
	path = getenv("APP_CONFIG");
	named = path != NULL && *path != '\0';
	if (!named)
		path = CONF_DEFAULT;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (!named && errno == ENOENT)
			goto level;
		tr_warn("config: %s", path);
		return TR_ESYSTEM;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		tr_errx("config: %s: not a regular file", path);
		close(fd);
		return TR_ESYSTEM;
	}
	/*
	 * Group-readable is fine: INSTALL gives the file to root and a
	 * group of the users that run the programs and ws-bridge.
	 */
	if (st.st_mode & S_IROTH)
		tr_warnx("config: %s is world-readable; it may hold secrets, "
		    "make it mode 0640 or 0600", path);
	tr_buf_init(&b, CONF_MAXSZ);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if ((er = tr_buf_add(&b, chunk, (size_t)n)) != TR_OK)
			break;
	if (n < 0) {
		tr_warn("config: %s", path);
		er = TR_ESYSTEM;
	}
	close(fd);
	if (er == TR_OK)
		er = tr_conf_parse(tr_buf_str(&b), b.len, store, NULL);
	tr_buf_free(&b);
	if (er != TR_OK)
		return er;
level:
	if ((lvl = tr_conf("LOG_LEVEL")) != NULL) {
		if (strcasecmp(lvl, "debug") == 0)
			tr_log_setlevel(TR_LOG_DEBUG);
		else if (strcasecmp(lvl, "info") == 0)
			tr_log_setlevel(TR_LOG_INFO);
		else if (strcasecmp(lvl, "warning") == 0 ||
		    strcasecmp(lvl, "warn") == 0)
			tr_log_setlevel(TR_LOG_WARN);
		else if (strcasecmp(lvl, "error") == 0)
			tr_log_setlevel(TR_LOG_ERR);
	}
	return TR_OK;
}

/* Returns the value of key, or NULL if unset or empty. */
const char *
tr_conf(const char *key)
{
	const char	*v;
	size_t		 i;

	if ((v = getenv(key)) != NULL && *v != '\0')
		return v;
	for (i = 0; i < kvsz; i++)
		if (strcmp(kvs[i].key, key) == 0)
			return *kvs[i].val != '\0' ? kvs[i].val : NULL;
	return NULL;
}

const char *
tr_conf_def(const char *key, const char *def)
{
	const char	*v = tr_conf(key);

	return v != NULL ? v : def;
}

/* An integer setting; an unparseable or out-of-range value is logged and
 * the default used instead. */
long long
tr_conf_ll(const char *key, long long def, long long min, long long max)
{
	const char	*v = tr_conf(key);
	long long	 n;

	if (v == NULL)
		return def;
	if (tr_parse_ll(v, min, max, &n) != TR_OK) {
		tr_warnx("config: %s: not an integer in [%lld, %lld]; using %lld",
		    key, min, max, def);
		return def;
	}
	return n;
}

/* A boolean setting: true/false, yes/no, on/off, 1/0. */
int
tr_conf_bool(const char *key, int def)
{
	const char	*v = tr_conf(key);

	if (v == NULL)
		return def;
	if (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
	    strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0)
		return 1;
	if (strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 ||
	    strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0)
		return 0;
	tr_warnx("config: %s: not a boolean; using %s", key,
	    def ? "true" : "false");
	return def;
}

void
tr_conf_free(void)
{
	size_t	 i;

	for (i = 0; i < kvsz; i++) {
		free(kvs[i].key);
		free(kvs[i].val);
	}
	TR_FREE(kvs);
	kvsz = 0;
}
