/* basic.c: a small program for startup, breakpoint, stepping, memory and
 * lifecycle tests. Lines that tests refer to carry a marker comment so the
 * tests never hard-code line numbers.
 *
 * Usage: basic [RESULT_FILE]
 * Writes "r=R f=F s=S counter=C" to RESULT_FILE (if given), then prints
 * "basic done ..." on stdout, and exits with the value of exit_code. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int counter;                      /* bumped by the loop and by bump() */
int exit_code;                    /* gdb may set it; main returns it */
int array[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
unsigned int words[4] = {0xdeadbeef, 0x01020304, 0xcafef00d, 0x00c0ffee};
const char greeting[] = "hello from basic";

int add(int a, int b)
{
	return a + b; /* ADD_BODY */
}

int five(void)
{
	return 5; /* FIVE_BODY */
}

void bump(void)
{
	counter += 100; /* BUMP_BODY */
}

int sum_to(int n)
{
	int s = 0;
	for (int i = 0; i < n; i++) { /* LOOP_HEAD */
		s += i; /* LOOP_BODY */
		counter++;
	}
	return s; /* LOOP_DONE */
}

int main(int argc, char **argv)
{
	int stack_marker = 0x5a5a; /* MAIN_START */
	int r = add(2, 3); /* CALL_ADD */
	int f = five(); /* CALL_FIVE */
	int s = sum_to(10); /* CALL_SUM */
	bump(); /* CALL_BUMP */
	char line[128];
	int len = snprintf(line, sizeof line, "r=%d f=%d s=%d counter=%d\n", r, f, s, counter); /* REPORT */
	if (argc > 1) {
		FILE *fp = fopen(argv[1], "w");
		if (fp) {
			fputs(line, fp);
			fclose(fp);
		}
	}
	/* One write: the server's messages share this stream and must not cut it. */
	char out[160];
	int n = snprintf(out, sizeof out, "basic done %.*s", len, line);
	write(1, out, n);
	(void)stack_marker;
	return exit_code; /* RETURN */
}
