/* terminal_reader.c: a program that uses its terminal.
 *
 * Usage: terminal_reader RESULT
 * Prints "ready", reads a line from standard input (the terminal), sets the
 * terminal's modes back as they were (tcsetattr, as full-screen programs
 * do), and writes "fg=F modes=M line=LINE" to RESULT with one write(2): F
 * is 1 if its process group is the terminal's foreground, M 1 if the
 * modes could be set. In a background group the read stops it with
 * SIGTTIN and tcsetattr with SIGTTOU. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char line[64] = "";
	char result[128];
	struct termios modes;
	if (argc < 2)
		return 2;
	int fg = tcgetpgrp(0) == getpgrp();
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin))
		strcpy(line, "(none)\n");
	int set = tcgetattr(0, &modes) == 0 && tcsetattr(0, TCSADRAIN, &modes) == 0;
	int n = snprintf(result, sizeof result, "fg=%d modes=%d line=%s", fg, set, line);
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, result, n) != n)
		return 3;
	return 0;
}
