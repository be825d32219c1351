/* mass_exit.c: NTHREADS threads wait at a barrier with main; once main
 * calls release(), they all pass it and exit at once while main goes on
 * with work gdb steps through.
 *
 * Usage: mass_exit NTHREADS RESULT
 * Writes "joined=N sum=S" to RESULT (one write(2)) after joining every
 * thread; exits 0. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_barrier_t barrier;

static void *waiter(void *arg)
{
	pthread_barrier_wait(&barrier);
	return arg;
}

void release(void) {} /* RELEASE */

unsigned long work(unsigned long n)
{
	unsigned long s = 0;
	for (unsigned long i = 0; i < n; i++) /* WORK */
		s += i;
	return s;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	int n = atoi(argv[1]);
	pthread_t *threads = calloc(n, sizeof *threads);
	pthread_barrier_init(&barrier, NULL, n + 1);
	for (int i = 0; i < n; i++)
		if (pthread_create(&threads[i], NULL, waiter, NULL) != 0)
			return 3;
	release();
	pthread_barrier_wait(&barrier);
	unsigned long sum = work(100000);
	int joined = 0;
	for (int i = 0; i < n; i++)
		joined += pthread_join(threads[i], NULL) == 0;
	char line[64];
	int len = snprintf(line, sizeof line, "joined=%d sum=%lu\n", joined, sum);
	int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, line, len) != len)
		return 4;
	return close(fd);
}
