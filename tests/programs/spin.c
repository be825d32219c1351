/* spin.c: a busy loop for interrupt (Ctrl-C) tests.
 *
 * Prints "spinning\n" on stdout, then spins until gdb sets `stop`, and exits
 * with status 7. */
#include <unistd.h>

volatile int stop;
volatile unsigned long spins;

int main(void)
{
	write(1, "spinning\n", 9);
	while (!stop)
		spins++; /* SPIN */
	return 7;
}
