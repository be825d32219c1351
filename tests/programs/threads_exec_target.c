/* threads_exec_target.c: the program threads_exec execs.
 *
 * Writes "exec target pid=PID" to the file named by argv[1] and exits 3,
 * so a test can tell it ran, in the same process, to its end. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	FILE *f;

	if (argc < 2) /* TARGET_MAIN */
		return 2;
	f = fopen(argv[1], "w");
	if (!f)
		return 2;
	fprintf(f, "exec target pid=%d\n", (int)getpid());
	fclose(f);
	return 3;
}
