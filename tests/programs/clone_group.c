/* clone_group.c: clone children in thread groups of their own.
 *
 * ROUNDS times: main clones `middle` with CLONE_VM but without CLONE_THREAD and with no
 * exit signal: a new thread group, which the kernel reports to the tracer
 * as a PTRACE_EVENT_CLONE (not a fork), so gdb sees it as a thread of the
 * same program. middle (a breakpoint site) clones `last` the same way and
 * returns. main reaps middle with waitpid(__WALL), then lets last go on;
 * last calls last_reached() (a breakpoint site), and the next round starts
 * once it has. Exit 0 after the last round, 3 if anything takes more than
 * ten seconds. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STACK_SIZE (64 * 1024)
#define ROUNDS 5

static volatile int middle_reaped;
static volatile int last_done;

static void wait_for(volatile int *flag)
{
	time_t deadline = time(NULL) + 10;

	while (!*flag) {
		if (time(NULL) > deadline)
			_exit(3);
		usleep(1);
	}
}

/* Same address space, same files, own thread group, no exit signal. */
static int clone_into_own_group(int (*fn)(void *))
{
	char *stack = malloc(STACK_SIZE);

	if (!stack)
		_exit(4);
	return clone(fn, stack + STACK_SIZE, CLONE_VM | CLONE_FILES, NULL);
}

__attribute__((noinline)) void last_reached(void)
{
	__asm__ volatile("" ::: "memory"); /* LAST_REACHED */
}

static int last(void *unused)
{
	(void)unused;
	wait_for(&middle_reaped);
	last_reached();
	last_done = 1;
	return 0;
}

__attribute__((noinline)) int middle(void *unused)
{
	(void)unused;
	if (clone_into_own_group(last) <= 0)
		_exit(5);
	return 0;
}

int main(void)
{
	for (int round = 0; round < ROUNDS; round++) {
		int status;
		int pid;

		middle_reaped = 0;
		last_done = 0;
		pid = clone_into_own_group(middle);
		if (pid <= 0 || waitpid(pid, &status, __WALL) != pid)
			return 6;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return 7;
		middle_reaped = 1;
		wait_for(&last_done);
	}
	return 0;
}
