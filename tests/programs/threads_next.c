/* threads_next.c: `next` over a line that every thread keeps hitting.
 *
 * main starts one worker, and both run count(), whose loop body (the
 * line marked COUNT_LINE, a breakpoint site) each thread executes about a
 * billion times: gdb's `next` there range-steps one thread while the other
 * hits the breakpoint, so a step is often cut short by the stop of all
 * threads. The program never ends within a test: it is killed. */
#include <pthread.h>

static volatile unsigned counts[2];

static void *count(void *arg)
{
	volatile unsigned *mine = &counts[(long)arg];

	while (*mine < 1000000000u) {
		(*mine)++; /* COUNT_LINE */
	}
	return NULL;
}

int main(void)
{
	pthread_t worker;

	if (pthread_create(&worker, NULL, count, (void *)1L) != 0)
		return 2;
	count((void *)0L);
	pthread_join(worker, NULL);
	return 0;
}
