/* conditions.c: programs for breakpoint conditions that the server
 * evaluates (target-side conditions, gdb's ConditionalBreakpoints).
 *
 *   conditions loop FILE  - add_to_sum(i) for i = 0 .. 99999; add_to_sum() adds i to
 *                           `sum`; writes "sum=N" to FILE and exits 0.
 *   conditions dies       - NTHREADS threads call poll_point() without end;
 *                           main returns once they made NPOLLS calls in
 *                           all (the process exits under their feet).
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NCALLS 100000
#define NTHREADS 8
#define NPOLLS 20000

volatile long sum;
volatile int zero;
static long polls;
static pthread_barrier_t barrier;

__attribute__((noinline)) void add_to_sum(long i)
{
	sum += i; /* STEP_BODY */
}

__attribute__((noinline)) void poll_point(void)
{
	__atomic_add_fetch(&polls, 1, __ATOMIC_RELAXED); /* POLL_POINT */
}

static void *poller(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&barrier);
	for (;;)
		poll_point();
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "loop") == 0) {
		for (long i = 0; i < NCALLS; i++)
			add_to_sum(i);
		FILE *f = fopen(argv[2], "w");
		if (!f)
			return 2;
		fprintf(f, "sum=%ld\n", sum);
		fclose(f);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "dies") == 0) {
		pthread_t t[NTHREADS];
		pthread_barrier_init(&barrier, NULL, NTHREADS + 1);
		for (int i = 0; i < NTHREADS; i++)
			if (pthread_create(&t[i], NULL, poller, NULL) != 0)
				return 3;
		pthread_barrier_wait(&barrier);
		while (__atomic_load_n(&polls, __ATOMIC_RELAXED) < NPOLLS)
			sched_yield();
		return 0;
	}
	return 1;
}
