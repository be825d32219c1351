/* threads_names.c: threads that appear, carry names, and disappear.
 *
 * main starts NWORKERS threads; each names itself "worker-N" with
 * pthread_setname_np and parks in park(N) on a condition variable. Once all
 * are parked, main calls all_named() (a breakpoint site), releases them,
 * joins them all and calls all_joined() with only itself left. Exits 0. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>

#define NWORKERS 3

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t parked_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t release_cv = PTHREAD_COND_INITIALIZER;
static int parked;
static int released;

/* Breakpoint site: every worker is parked in park() and named. */
void all_named(void)
{
	__asm__ volatile("" ::: "memory"); /* ALL_NAMED */
}

/* Breakpoint site: every worker has exited and been joined. */
void all_joined(void)
{
	__asm__ volatile("" ::: "memory"); /* ALL_JOINED */
}

/* Own frame, so a backtrace of a worker names its index. */
static void park(int idx)
{
	pthread_mutex_lock(&lock);
	parked++;
	pthread_cond_signal(&parked_cv);
	while (!released)
		pthread_cond_wait(&release_cv, &lock); /* PARK */
	pthread_mutex_unlock(&lock);
	(void)idx;
}

static void *worker(void *arg)
{
	int idx = (int)(long)arg;
	char name[16];

	snprintf(name, sizeof name, "worker-%d", idx);
	pthread_setname_np(pthread_self(), name);
	park(idx);
	return NULL;
}

int main(void)
{
	pthread_t t[NWORKERS];

	for (long i = 0; i < NWORKERS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	/* A worker counts itself as parked only while holding the lock and
	 * releases it atomically in pthread_cond_wait: once main sees all of
	 * them under the lock, each one is inside park(). */
	pthread_mutex_lock(&lock);
	while (parked < NWORKERS)
		pthread_cond_wait(&parked_cv, &lock);
	pthread_mutex_unlock(&lock);
	all_named();
	pthread_mutex_lock(&lock);
	released = 1;
	pthread_cond_broadcast(&release_cv);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(t[i], NULL);
	all_joined();
	printf("threads_names done\n");
	return 0;
}
