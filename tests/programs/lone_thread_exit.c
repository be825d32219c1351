/* lone_thread_exit.c: a thread that exits while gdb lets only it run.
 *
 * main starts `worker`, which calls worker_ready() (a breakpoint site) and
 * returns. main joins it and exits with 9: gdb, resuming only the worker
 * (scheduler-locking), sees it go with nothing left to wait for, then lets
 * main run to its end. */
#include <pthread.h>

__attribute__((noinline)) void worker_ready(void)
{
	__asm__ volatile("" ::: "memory"); /* WORKER_READY */
}

static void *worker(void *arg)
{
	worker_ready();
	return arg;
}

int main(void)
{
	pthread_t thread;

	if (pthread_create(&thread, NULL, worker, NULL) != 0)
		return 2;
	pthread_join(thread, NULL);
	return 9;
}
