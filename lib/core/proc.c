/*
 * Running helper programs (ffmpeg, ffprobe, yt-dlp) by argv, never
 * through a shell: fork, execvp, a wall-clock limit after which the
 * child is killed, and its standard output captured up to a cap.
 * Standard input is /dev/null; standard error goes to our log.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Runs argv[0] with argv.  out (may be NULL) receives its standard
 * output, capped by out->max.  Returns TR_OK if it exited 0,
 * TR_ETIMEOUT if it ran past timeout_ms (it is killed), TR_ESYSTEM if
 * it could not run or failed; *status gets its exit status (or -1).
 */
enum tr_err
tr_proc_run(char *const argv[], long timeout_ms, struct tr_buf *out,
    int *status)
{
	return tr_proc_run2(argv, timeout_ms, out, status, 0);
}

/* The same; with errout set, out also gets the standard error. */
enum tr_err
tr_proc_run2(char *const argv[], long timeout_ms, struct tr_buf *out,
    int *status, int errout)
{
	return tr_proc_runenv(argv, NULL, timeout_ms, out, status, errout);
}

/*
 * In a new child: the descriptors that argv names by TR_PROC_FD (a part
 * of the request in memory) stay open across exec, so that the path
 * means the same in the child.
 */
static void
keep_named(char *const argv[])
{
	size_t	 n = strlen(TR_PROC_FD);
	char	*end;
	long	 fd;

	for (; *argv != NULL; argv++) {
		if (strncmp(*argv, TR_PROC_FD, n) != 0)
			continue;
		fd = strtol(*argv + n, &end, 10);
		if (*end == '\0' && end != *argv + n && fd > 2 &&
		    fd < INT_MAX)
			(void)fcntl((int)fd, F_SETFD, 0);
	}
}

/* The same with the environment envp (NULL: ours). */
enum tr_err
tr_proc_runenv(char *const argv[], char *const envp[], long timeout_ms,
    struct tr_buf *out, int *status, int errout)
{
	struct pollfd	 pfd;
	char		 chunk[8192];
	long long	 deadline = now_ms() + timeout_ms, left;
	ssize_t		 n;
	pid_t		 pid;
	int		 fds[2], devnull, st = -1, killed = 0, toobig = 0;

	*status = -1;
	if (pipe2(fds, O_CLOEXEC) == -1)
		return TR_ESYSTEM;
	if ((pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		return TR_ESYSTEM;
	}
	if (pid == 0) {
		keep_named(argv);
		if ((devnull = open("/dev/null", O_RDONLY)) == -1 ||
		    dup2(devnull, 0) == -1 || dup2(fds[1], 1) == -1 ||
		    (errout && dup2(fds[1], 2) == -1))
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		if (envp != NULL)
			execvpe(argv[0], argv, envp);
		else
			execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	for (;;) {
		left = deadline - now_ms();
		if (left <= 0) {
			kill(pid, SIGKILL);
			killed = 1;
			break;
		}
		if (poll(&pfd, 1, (int)(left > 1000 ? 1000 : left)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		if ((n = read(fds[0], chunk, sizeof(chunk))) <= 0)
			break;
		if (out != NULL && !toobig &&
		    tr_buf_add(out, chunk, (size_t)n) != TR_OK)
			toobig = 1;
	}
	close(fds[0]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		continue;
	if (killed) {
		tr_warnx("%s: killed after %ld ms", argv[0], timeout_ms);
		return TR_ETIMEOUT;
	}
	if (WIFEXITED(st))
		*status = WEXITSTATUS(st);
	if (toobig) {
		tr_warnx("%s: output over the cap", argv[0]);
		return TR_ESYSTEM;
	}
	return *status == 0 ? TR_OK : TR_ESYSTEM;
}
