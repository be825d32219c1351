/* threads.c: N threads parked on a condition variable that is never signalled.
 *
 * Usage: threads N hit    -- once all N are parked, call all_parked(), then a
 *                            hitter thread calls hit() forever (each gdb
 *                            `continue` then ends at the next hit);
 *        threads N pause  -- once all N are parked, print "ready" on stdout
 *                            and sleep forever (a process to attach to).
 * Stacks are small: 1000 default 8 MiB stacks would waste address space. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t parked_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t never_cv = PTHREAD_COND_INITIALIZER;
static int parked;
volatile long last_hit;

__attribute__((noinline)) void hit(long n)
{
	last_hit = n;
}

__attribute__((noinline)) void all_parked(void)
{
	__asm__ volatile("" ::: "memory");
}

static void *parker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	parked++;
	pthread_cond_signal(&parked_cv);
	for (;;) /* never signalled: the thread stays parked */
		pthread_cond_wait(&never_cv, &lock);
	return NULL;
}

static void *hitter(void *arg)
{
	(void)arg;
	for (long n = 1;; n++)
		hit(n);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	int attach_mode = argc > 2 && strcmp(argv[2], "pause") == 0;
	pthread_attr_t attr;
	pthread_t t;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN + 64 * 1024);
	for (int i = 0; i < n; i++)
		if (pthread_create(&t, &attr, parker, NULL) != 0)
			return 2;
	pthread_mutex_lock(&lock);
	while (parked < n)
		pthread_cond_wait(&parked_cv, &lock);
	pthread_mutex_unlock(&lock);
	if (attach_mode) {
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	all_parked();
	pthread_create(&t, NULL, hitter, NULL);
	pthread_join(t, NULL);
	return 0;
}
