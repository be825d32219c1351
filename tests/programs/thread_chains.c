/* thread_chains.c: a process whose threads are always being born and
 * dying, for attach tests. NCHAINS chains run at once; in each, a thread
 * makes its successor, calls chain_link() and exits, so the thread list
 * changes under an attach while it reads /proc/PID/task. Prints
 * "ready pid=P" once every chain runs; ends after 120 s at the latest
 * (a safety net: the tests kill it). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define NCHAINS 100

static long links;

__attribute__((noinline)) void chain_link(void)
{
	__atomic_add_fetch(&links, 1, __ATOMIC_RELAXED); /* CHAIN_LINK */
}

static void *chain(void *arg)
{
	pthread_t next;
	pthread_attr_t detached;

	pthread_attr_init(&detached);
	pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
	while (pthread_create(&next, &detached, chain, arg) != 0)
		sched_yield();
	chain_link();
	return NULL;
}

int main(void)
{
	pthread_t first;
	pthread_attr_t detached;

	alarm(120);
	pthread_attr_init(&detached);
	pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
	for (long i = 0; i < NCHAINS; i++)
		if (pthread_create(&first, &detached, chain, (void *)i) != 0)
			return 1;
	while (__atomic_load_n(&links, __ATOMIC_RELAXED) < 10 * NCHAINS)
		sched_yield();
	printf("ready pid=%d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
