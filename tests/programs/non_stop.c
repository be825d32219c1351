/* non_stop.c: one thread sits at a breakpoint while another keeps working,
 * which only non-stop mode allows.
 *
 * The "stopper" thread calls stop_here() once, then waits (yielding) until
 * `release` is set; the "counter" thread increments `count` until then.
 * main joins both, writes "count=N" to the file named by argv[1] (if any,
 * and not empty) and exits 0. A test stops the stopper at stop_here() and
 * watches `count` grow while it stays there. With a second argument both
 * threads are released at once: they simply start and exit. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

volatile unsigned long count;
volatile int release;

__attribute__((noinline)) void stop_here(void)
{
	__asm__ volatile("" ::: "memory"); /* STOP_HERE */
}

static void *stopper(void *arg)
{
	(void)arg;
	stop_here();
	while (!release)
		sched_yield();
	return NULL;
}

static void *counter(void *arg)
{
	(void)arg;
	while (!release)
		count++;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t a, b;

	if (argc > 2)
		release = 1;
	pthread_create(&a, NULL, stopper, NULL);
	pthread_create(&b, NULL, counter, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	if (argc > 1 && argv[1][0]) {
		FILE *f = fopen(argv[1], "w");
		if (f) {
			fprintf(f, "count=%lu\n", count);
			fclose(f);
		}
	}
	return 0;
}
