/*
 * The private temp directories of requests (multipart spool files, a
 * handler's ffmpeg output): made mode 0700 under UPLOAD_DIR, locked with
 * flock(2) for as long as their request runs, emptied and removed at its
 * end.  A process killed mid-request cannot remove its own, but the
 * kernel drops its lock: tr__tmpdir_sweep() removes every directory of
 * ours that nobody holds and that has not changed for a while, and the
 * serve loop calls it at start-up and periodically.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tr.h"
#include "extern.h"

#define TMPDIR_PREFIX	"trapi-req-"
/* An unlocked directory this much older than now is an orphan: a new one
 * is locked microseconds after it is made, so this is only a margin. */
#define TMPDIR_ORPHAN_SECS	60
#define TMPDIR_SWEEP_SECS	300	/* default UPLOAD_SWEEP_SECONDS */

static const char *
base_dir(void)
{
	return tr_conf_def("UPLOAD_DIR", tr_conf_def("TMPDIR", "/tmp"));
}

/*
 * Makes a directory, locks it, and returns its path (malloced) and the
 * descriptor that holds the lock.
 */
enum tr_err
tr__tmpdir_new(char **path, int *lockfd)
{
	char	 tmpl[4096];
	int	 n, fd;

	n = snprintf(tmpl, sizeof(tmpl), "%s/" TMPDIR_PREFIX "XXXXXX",
	    base_dir());
	if (n < 0 || (size_t)n >= sizeof(tmpl))
		return TR_ESYSTEM;
	if (mkdtemp(tmpl) == NULL) {
		tr_warn("mkdtemp %s", tmpl);
		return TR_ESYSTEM;
	}
	if ((fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    flock(fd, LOCK_EX | LOCK_NB) == -1) {
		tr_warn("lock %s", tmpl);
		if (fd != -1)
			close(fd);
		rmdir(tmpl);
		return TR_ESYSTEM;
	}
	*path = tr_xstrdup(tmpl);
	*lockfd = fd;
	return TR_OK;
}

/* Removes the files in the directory open as dfd (there are no
 * subdirectories) and the directory itself, name under parent. */
static void
remove_dir(int parent, const char *name, int dfd)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd;

	if ((fd = dup(dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		tr_warn("open %s", name);
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    unlinkat(dirfd(d), de->d_name, 0) == -1)
			tr_warn("unlink %s/%s", name, de->d_name);
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) == -1)
		tr_warn("rmdir %s", name);
}

/* Empties and removes a directory of tr__tmpdir_new(), then unlocks it. */
void
tr__tmpdir_remove(const char *path, int lockfd)
{
	remove_dir(AT_FDCWD, path, lockfd);
	close(lockfd);
}

/*
 * Removes the directories that processes killed mid-request left: ours
 * (by name and owner), unlocked, and unchanged for TMPDIR_ORPHAN_SECS.
 * Unless forced, only once every UPLOAD_SWEEP_SECONDS in a process.
 * Returns how many it removed.
 */
int
tr__tmpdir_sweep(int force)
{
	static time_t	 last;
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	time_t		 now = time(NULL);
	int		 fd, n = 0;

	if (!force && now - last < tr_conf_ll("UPLOAD_SWEEP_SECONDS",
	    TMPDIR_SWEEP_SECS, 1, 86400))
		return 0;
	last = now;
	if ((d = opendir(base_dir())) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, TMPDIR_PREFIX,
		    strlen(TMPDIR_PREFIX)) != 0)
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1)
			continue;
		if (fstat(fd, &st) == 0 && st.st_uid == geteuid() &&
		    st.st_mtime + TMPDIR_ORPHAN_SECS < now &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0) {
			tr_info("removing %s, left by a request that never "
			    "ended", de->d_name);
			remove_dir(dirfd(d), de->d_name, fd);
			n++;
		}
		close(fd);
	}
	closedir(d);
	return n;
}
