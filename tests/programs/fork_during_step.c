/* fork_during_step.c: one thread forks while gdb steps another.
 *
 * Usage: fork_during_step RESULT
 * The main thread starts a second thread and calls stepped_here(); the
 * second thread waits until gdb sets `release`, then forks. The child
 * writes "child\n" to RESULT (one write(2)) and exits; the parent thread
 * waits for it. With gdb stepping the main thread when it sets `release`,
 * the fork happens during the step, and its event is often still with
 * the server when gdb sees the step end. */
#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int release;
static const char *result_path;

void stepped_here(void) { } /* STEPPED_HERE */

static void *forker(void *arg)
{
	(void)arg;
	while (!release)
		;
	pid_t child = fork();
	if (child == 0) {
		int fd = open(result_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0)
			(void)!write(fd, "child\n", 6);
		_exit(0);
	}
	if (child > 0)
		waitpid(child, NULL, 0);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	if (argc < 2)
		return 2;
	result_path = argv[1];
	alarm(60);
	pthread_create(&t, NULL, forker, NULL);
	stepped_here();
	pthread_join(t, NULL);
	return 0;
}
