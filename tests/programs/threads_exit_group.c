/* threads_exit_group.c: a non-leader thread ends the process with exit(7).
 *
 * main starts a spinner and a worker and waits in pthread_join for the
 * worker, which never returns: the worker calls worker_exits() (a breakpoint
 * site) and then exit(7), which is exit_group: every thread dies, the
 * process's exit code is 7. */
#include <pthread.h>
#include <stdlib.h>

volatile unsigned long spins;

__attribute__((noinline)) void worker_exits(void)
{
	__asm__ volatile("" ::: "memory"); /* WORKER_EXITS */
}

static void *spinner(void *arg)
{
	(void)arg;
	for (;;)
		spins++;
	return NULL;
}

static void *worker(void *arg)
{
	(void)arg;
	/* Let the spinner run first, so it is busy when the process ends. */
	while (spins < 1000)
		;
	worker_exits();
	exit(7);
}

int main(void)
{
	pthread_t s, w;

	pthread_create(&s, NULL, spinner, NULL);
	pthread_create(&w, NULL, worker, NULL);
	pthread_join(w, NULL);
	return 0;
}
