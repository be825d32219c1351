/* exec_modes.c: a chain of execs across program modes (a 64-bit program
 * that execs a 32-bit one, and back).
 *
 * Usage: exec_modes [NEXT_PROGRAM...] RESULT
 * Appends "ptr=N" (its pointer size) to RESULT in one write, calls
 * reported() (a breakpoint target), then execs NEXT_PROGRAM with the
 * programs after it and RESULT. Exits 0 at the end of the chain. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void reported(int pointer_size) { (void)pointer_size; } /* REPORTED */

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *result = argv[argc - 1];
	char line[32];
	int len = snprintf(line, sizeof line, "ptr=%d\n", (int)sizeof(void *));
	int fd = open(result, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0 || write(fd, line, len) != len)
		return 3;
	close(fd);
	reported((int)sizeof(void *));
	if (argc > 2) {
		execv(argv[1], argv + 1);
		return 4;
	}
	return 0;
}
