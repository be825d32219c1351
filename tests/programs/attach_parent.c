/* attach_parent.c: the real parent of a program under test, which logs every
 * job-control notification a parent can see, so a test can tell whether
 * attaching or detaching a debugger stopped or continued its child.
 *
 * Usage: attach_parent PROG ARGS...
 * Forks and execs PROG (stdin, stdout and stderr inherited; the child dies
 * with SIGKILL if this parent dies), prints "parent: child PID", then for
 * each waitpid(WUNTRACED | WCONTINUED) event prints one of
 *   "parent: stopped SIG"   "parent: continued"
 *   "parent: exited CODE"   "parent: killed SIG"
 * and exits 0 once the child is gone. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *text)
{
	size_t len = strlen(text);
	if (write(1, text, len) != (ssize_t)len)
		_exit(3);
}

int main(int argc, char **argv)
{
	char line[128];
	if (argc < 2) {
		say("usage: attach_parent PROG ARGS...\n");
		return 2;
	}
	pid_t child = fork();
	if (child < 0) {
		perror("fork");
		return 2;
	}
	if (child == 0) {
		/* A test that dies must not leave its program behind. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(argv[1], argv + 1);
		perror("execv");
		_exit(127);
	}
	snprintf(line, sizeof line, "parent: child %d\n", (int)child);
	say(line);
	for (;;) {
		int status;
		pid_t r = waitpid(child, &status, WUNTRACED | WCONTINUED);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			perror("waitpid");
			return 2;
		}
		if (WIFSTOPPED(status))
			snprintf(line, sizeof line, "parent: stopped %d\n", WSTOPSIG(status));
		else if (WIFCONTINUED(status))
			snprintf(line, sizeof line, "parent: continued\n");
		else if (WIFEXITED(status))
			snprintf(line, sizeof line, "parent: exited %d\n", WEXITSTATUS(status));
		else
			snprintf(line, sizeof line, "parent: killed %d\n", WTERMSIG(status));
		say(line);
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return 0;
	}
}
