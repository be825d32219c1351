/* forks.c: forks N children one at a time (argv[1], default 200); each child
 * exits at once, and the parent reaps it (waitpid) before forking the next.
 * The parent exits 0 only if all N children exited with status 0 (1 if one
 * did not, 2 if fork or waitpid failed), so "exited normally" proves that
 * every child ran to its exit. */
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200;
	long ok = 0;

	for (long i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			return 2;
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &status, 0) != pid)
			return 2;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok++;
	}
	return ok == n ? 0 : 1;
}
