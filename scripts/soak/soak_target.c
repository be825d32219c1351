/* soak_target.c: what the soak test debugs for an hour. Every iteration
 * starts a thread that calls hit() (the breakpoint gdb stops at) and ends,
 * so gdb sees threads appear and exit all the time; spin() gives gdb's
 * stepping something to step through. */
#include <pthread.h>
#include <unistd.h>

volatile unsigned long hits, spins;

__attribute__((noinline)) void hit(unsigned long n)
{
	hits += n & 1 ? 1 : 1; /* HIT */
}

__attribute__((noinline)) unsigned long spin(unsigned long n)
{
	unsigned long s = 0;
	for (unsigned long i = 0; i < n; i++)
		s += i * spins;
	return s;
}

static void *worker(void *arg)
{
	hit((unsigned long)arg);
	spins += spin(16);
	return NULL;
}

int main(void)
{
	for (unsigned long i = 0;; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, worker, (void *)i) == 0)
			pthread_join(t, NULL);
		usleep(500);
	}
}
