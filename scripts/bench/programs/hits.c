/* hits.c: calls hit() N times (argv[1], default 10000), then exits.
 * Workload: reported breakpoint hits (a silent breakpoint on hit()) and the
 * session-startup workload (N = 0: main returns at once). */
#include <stdlib.h>

volatile long last_hit;

__attribute__((noinline)) void hit(long n)
{
	last_hit = n;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000;

	for (long i = 0; i < n; i++)
		hit(i);
	return 0;
}
