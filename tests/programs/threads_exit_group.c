/* threads_exit_group.c: a non-leader thread ends the process with exit(7).
 *
 * main starts a spinner and a worker and waits in pthread_join for the
 * worker, which never returns: the worker calls worker_exits() (a breakpoint
 * site) and then exit(7), which is exit_group: every thread dies, the
 * process's exit code is 7. */
#include "common.h"
#include <stdlib.h>

__attribute__((noinline)) void worker_exits(void)
{
	__asm__ volatile("" ::: "memory"); /* WORKER_EXITS */
}

static void *worker(void *arg)
{
	(void)arg;
	/* Let the spinner run first, so it is busy when the process ends. */
	wait_for_spinner();
	worker_exits();
	exit(7);
}

int main(void)
{
	run_beside_spinner(worker);
	return 0;
}
