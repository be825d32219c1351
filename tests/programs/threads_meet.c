/* threads_meet.c: NWORKERS threads each call meet() exactly once.
 *
 * Workers spin until main has created all of them, then call meet(idx). A
 * test puts every worker on meet()'s breakpoint, steps one of them over it
 * while the others sit on it, and lets the program finish. It prints
 * "meets=N", writes it to argv[1] (if given) and exits 0 only if every
 * worker ran meet()'s body exactly once. */
#include <pthread.h>
#include <stdio.h>

#define NWORKERS 4

static volatile int go;
static int hits[NWORKERS];
static int meets;

__attribute__((noinline)) void meet(int idx)
{
	hits[idx]++; /* MEET_BP */
	__atomic_add_fetch(&meets, 1, __ATOMIC_RELAXED); /* MEET_NEXT */
}

static void *worker(void *arg)
{
	int idx = (int)(long)arg;

	/* A spin, not a barrier: under scheduler locking a thread resumed
	 * alone must get to meet() without help from any other thread. */
	while (!go)
		;
	meet(idx);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[NWORKERS];
	int ok = 1;

	for (long i = 0; i < NWORKERS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	go = 1;
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < NWORKERS; i++)
		if (hits[i] != 1)
			ok = 0;
	printf("meets=%d\n", meets);
	if (argc > 1) {
		FILE *f = fopen(argv[1], "w");
		if (f) {
			fprintf(f, "meets=%d\n", meets);
			fclose(f);
		}
	}
	return ok && meets == NWORKERS ? 0 : 1;
}
