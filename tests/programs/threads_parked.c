/* threads_parked.c: many threads parked on a condition variable, and one
 * that keeps hitting a breakpoint site.
 *
 * Usage: threads_parked NPARKED [FIFO]. main starts NPARKED threads (small
 * stacks) that wait on a condition variable that is never signalled, waits
 * until all of them are parked, then starts a hitter thread that calls
 * hit(n) for n = 1, 2, 3, ... forever. Once the hitter has returned from
 * its first call, main writes "ready NPARKED\n" to FIFO (if given): every
 * thread exists and none is being created. main then waits in pthread_join.
 * It never exits on its own. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t parked_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t never_cv = PTHREAD_COND_INITIALIZER;
static int parked;
static int hitting;
static int released; /* never set: parked threads wait for good */
volatile long last_hit;

__attribute__((noinline)) void hit(long n)
{
	last_hit = n; /* HIT */
}

static void *parker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	parked++;
	pthread_cond_signal(&parked_cv);
	while (!released)
		pthread_cond_wait(&never_cv, &lock);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void *hitter(void *arg)
{
	(void)arg;
	hit(1);
	pthread_mutex_lock(&lock);
	hitting = 1;
	pthread_cond_signal(&parked_cv);
	pthread_mutex_unlock(&lock);
	for (long n = 2;; n++)
		hit(n);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0;
	pthread_attr_t attr;
	pthread_t t;

	pthread_attr_init(&attr);
	/* 1000 default 8 MiB stacks would be 8 GiB of address space. */
	pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN + 64 * 1024);
	for (int i = 0; i < n; i++)
		if (pthread_create(&t, &attr, parker, NULL) != 0)
			return 2;
	pthread_mutex_lock(&lock);
	while (parked < n)
		pthread_cond_wait(&parked_cv, &lock);
	pthread_mutex_unlock(&lock);
	pthread_create(&t, NULL, hitter, NULL);
	pthread_mutex_lock(&lock);
	while (!hitting)
		pthread_cond_wait(&parked_cv, &lock);
	pthread_mutex_unlock(&lock);
	if (argc > 2) {
		FILE *f = fopen(argv[2], "w");
		if (!f)
			return 2;
		fprintf(f, "ready %d\n", n);
		fclose(f);
	}
	pthread_join(t, NULL);
	return 0;
}
