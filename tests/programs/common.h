/* common.h: spinner threads shared by the thread test programs (the harness
 * compiles every program with -I tests/programs).
 *
 * Spinner i increments counters[i] forever, so a test (or the program
 * itself) can tell whether it ran. A program that wants more than one
 * spinner defines NSPIN before including this header. Everything here is
 * static inline: each program is one translation unit and uses only some
 * of it. */
#ifndef TESTS_PROGRAMS_COMMON_H
#define TESTS_PROGRAMS_COMMON_H

#include <pthread.h>

#ifndef NSPIN
#define NSPIN 1
#endif

volatile unsigned long counters[NSPIN];

/* Thread body: increments counters[(long)arg] forever. */
static inline void *spinner(void *arg)
{
	int idx = (int)(long)arg;

	for (;;)
		counters[idx]++;
	return NULL;
}

/* Starts NSPIN spinner threads, spinner i on counters[i]. */
static inline void start_spinners(pthread_t t[NSPIN])
{
	for (long i = 0; i < NSPIN; i++)
		pthread_create(&t[i], NULL, spinner, (void *)i);
}

/* Busy-waits until spinner 0 has counted to 1000: it really runs alongside
 * (is past its thread start). */
static inline void wait_for_spinner(void)
{
	while (counters[0] < 1000)
		;
}

/* Starts the spinners, then `worker` in another thread, and joins the
 * worker (which is expected to end the process, not to return). */
static inline void run_beside_spinner(void *(*worker)(void *))
{
	pthread_t s[NSPIN], w;

	start_spinners(s);
	pthread_create(&w, NULL, worker, NULL);
	pthread_join(w, NULL);
}

#endif
