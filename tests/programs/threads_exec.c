/* threads_exec.c: a non-leader thread execs another program.
 *
 * main starts a spinner and a worker, then waits in pthread_join. The worker
 * calls execl(argv[1], argv[1], argv[2], NULL): the kernel kills every other
 * thread, the worker takes over the leader's thread id, and the new program
 * (threads_exec_target) runs in the same process. Exits 4 if exec fails. */
#include "common.h"
#include <stdlib.h>
#include <unistd.h>

static char **args;

static void *worker(void *arg)
{
	(void)arg;
	wait_for_spinner();
	execl(args[1], args[1], args[2], (char *)NULL); /* EXEC */
	exit(4);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	args = argv;
	run_beside_spinner(worker);
	return 0;
}
