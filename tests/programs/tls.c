/* tls.c: thread-local variables for the qGetTLSAddr tests.
 *
 * Usage: tls
 * The main thread sets tls_var = 11 and errno = 3, a second thread sets
 * tls_var = 42, tls_big[2] = 70 and errno = 7 and calls stop_here(2); once
 * it is gone the main thread calls stop_here(1). Exits with tls_var of the
 * main thread (11): a write by gdb to it shows in the exit status. */
#include <errno.h>
#include <pthread.h>

__thread int tls_var = 1;
__thread long tls_big[4] = {5, 6, 7, 8};

void stop_here(int n) { (void)n; } /* STOP_HERE */

static void *worker(void *arg)
{
	(void)arg;
	tls_var = 42;
	tls_big[2] = 70;
	errno = 7;
	stop_here(2);
	return NULL;
}

int main(void)
{
	pthread_t t;
	tls_var = 11;
	errno = 3;
	pthread_create(&t, NULL, worker, NULL);
	pthread_join(t, NULL);
	stop_here(1);
	return tls_var;
}
