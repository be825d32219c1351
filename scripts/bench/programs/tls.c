/* tls.c: N threads, each with its own thread-local value and errno, parked
 * on a condition variable that is never signalled.
 *
 * Usage: tls N -- each thread sets tls_value = its index + 1 and errno = its
 * index + 1000, then parks; once all N are parked, main calls all_parked()
 * (a breakpoint site) and sleeps. Workload: `thread apply all print` of a
 * __thread variable and of errno, each a qGetTLSAddr per thread. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

__thread long tls_value;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t parked_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t never_cv = PTHREAD_COND_INITIALIZER;
static int parked;

__attribute__((noinline)) void all_parked(void)
{
	__asm__ volatile("" ::: "memory");
}

static void *parker(void *arg)
{
	long index = (long)arg;
	tls_value = index + 1;
	errno = (int)index + 1000;
	pthread_mutex_lock(&lock);
	parked++;
	pthread_cond_signal(&parked_cv);
	for (;;) /* never signalled: the thread stays parked */
		pthread_cond_wait(&never_cv, &lock);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN + 64 * 1024);
	for (long i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, &attr, parker, (void *)i) != 0)
			return 1;
	}
	pthread_mutex_lock(&lock);
	while (parked < n)
		pthread_cond_wait(&parked_cv, &lock);
	pthread_mutex_unlock(&lock);
	tls_value = 0;
	all_parked();
	for (;;)
		pause();
}
