/* threads_busy.c: a busy multi-threaded program for interrupt tests.
 *
 * NSPIN threads increment counters[i] forever. A reporter thread writes, to
 * the FIFO named by argv[1], first "counters 0xADDR NSPIN\n" (where the
 * counters live, so a raw RSP client can read them with `m`), then a
 * "progress SUM\n" line after every change of the counters' sum. The writes
 * block while the FIFO is full, so no line is lost and the reporter never
 * runs ahead of the reader by more than the pipe buffer. main joins forever. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NSPIN 3
#include "common.h"

static unsigned long sum(void)
{
	unsigned long s = 0;

	for (int i = 0; i < NSPIN; i++)
		s += counters[i];
	return s;
}

static void *reporter(void *arg)
{
	FILE *f = fopen((const char *)arg, "w");
	unsigned long last = 0;

	if (!f)
		exit(2);
	setvbuf(f, NULL, _IOLBF, 0);
	fprintf(f, "counters %p %d\n", (void *)counters, NSPIN);
	for (;;) {
		unsigned long s = sum();
		if (s != last) {
			fprintf(f, "progress %lu\n", s);
			last = s;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[NSPIN], r;

	if (argc < 2)
		return 2;
	start_spinners(t);
	pthread_create(&r, NULL, reporter, argv[1]);
	pthread_join(r, NULL);
	return 0;
}
