/* step_race.c: two threads running the same loop, with gdb's breakpoint in
 * it, for stepping one thread while the other keeps hitting the breakpoint
 * (as gdb.threads/pending-step.exp). The loop runs until gdb kills it. */
#include <pthread.h>

static volatile unsigned counts[2];

static void *spin(void *arg)
{
	volatile unsigned *count = &counts[(long)arg];

	for (;;)
		(*count)++; /* LOOP */
	return 0;
}

int main(void)
{
	pthread_t thread;

	pthread_create(&thread, 0, spin, (void *)1L);
	spin((void *)0L);
	return 0;
}
