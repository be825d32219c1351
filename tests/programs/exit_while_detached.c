/* exit_while_detached.c: a forked child whose threads exit the process
 * while gdb detaches from it.
 *
 * Usage: exit_while_detached
 * The child starts THREADS threads; once all run, each calls _exit(0), so
 * the first one to get there kills the rest while they may be stopped for
 * gdb. The parent waits for the child and exits 0 if it exited with 0,
 * else 3; alarm(20) ends it with SIGALRM if the child never ends. */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 200

static pthread_barrier_t all_running;

static void *exit_the_process(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&all_running);
	_exit(0);
}

static void child(void)
{
	pthread_t t;
	pthread_barrier_init(&all_running, NULL, THREADS + 1);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t, NULL, exit_the_process, NULL);
	pthread_barrier_wait(&all_running);
	_exit(0);
}

int main(void)
{
	int status = 0;
	alarm(20);
	pid_t pid = fork();
	if (pid == 0)
		child();
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 3;
}
