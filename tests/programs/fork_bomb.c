/* fork_bomb.c: forks N short-lived children as fast as it can, up to 16
 * alive at once; each child exits with 3 at once.
 *
 * Usage: fork_bomb N RESULT
 * Writes "forked=N ok=K" to RESULT (one write(2)), K the children that
 * exited with 3; exits 0 if K == N. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	int n = atoi(argv[1]), alive = 0, ok = 0, forked = 0;
	while (forked < n || alive > 0) {
		if (forked < n && alive < 16) {
			pid_t pid = fork();
			if (pid == 0)
				_exit(3);
			if (pid > 0) {
				forked++;
				alive++;
			}
			continue;
		}
		int status;
		if (wait(&status) > 0) {
			alive--;
			ok += WIFEXITED(status) && WEXITSTATUS(status) == 3;
		}
	}
	char line[64];
	int len = snprintf(line, sizeof line, "forked=%d ok=%d\n", forked, ok);
	int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, line, len) != len)
		return 4;
	close(fd);
	return ok == n ? 0 : 5;
}
