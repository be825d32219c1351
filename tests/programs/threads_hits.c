/* threads_hits.c: NTHREADS threads each call hit() NCALLS times.
 *
 * A breakpoint on hit() is hit NTHREADS * NCALLS times in all. The program
 * counts the calls itself (an atomic total), prints "total=N", writes it to
 * the file named by argv[1] (if given) and exits 0 only if every call was
 * made exactly once per iteration (total == NTHREADS * NCALLS). */
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 8
#define NCALLS 1000

static long total;
static long per_thread[NTHREADS];

/* noinline: the breakpoint must be hit on every call. */
__attribute__((noinline)) void hit(int idx)
{
	__atomic_add_fetch(&total, 1, __ATOMIC_RELAXED); /* HIT_BODY */
	per_thread[idx]++;
}

static void *worker(void *arg)
{
	int idx = (int)(long)arg;

	for (int i = 0; i < NCALLS; i++)
		hit(idx);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[NTHREADS];
	int ok = 1;

	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < NTHREADS; i++)
		if (per_thread[i] != NCALLS)
			ok = 0;
	printf("total=%ld\n", total);
	if (argc > 1) {
		FILE *f = fopen(argv[1], "w");
		if (f) {
			fprintf(f, "total=%ld\n", total);
			fclose(f);
		}
	}
	return ok && total == (long)NTHREADS * NCALLS ? 0 : 1;
}
