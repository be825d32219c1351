/* idle.c: runs for 3 seconds without any debugger event.
 * Usage: idle sleep -- one nanosleep of 3 s;
 *        idle spin  -- computes for 3 s (clock_gettime is a vDSO call, so the
 *                      spinning program makes no system calls either). */
#include <string.h>
#include <time.h>

volatile unsigned long counter;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "spin") == 0) {
		double end = now() + 3.0;

		while (now() < end)
			for (int i = 0; i < 100000; i++)
				counter++;
	} else {
		struct timespec ts = { 3, 0 };

		nanosleep(&ts, NULL);
	}
	return 0;
}
