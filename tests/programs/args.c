/* args.c: reports the arguments it was started with.
 *
 * Usage: args RESULT [ARG...]
 * Writes each ARG as "[ARG]\n" to RESULT (an absolute path), with one
 * write(2), then exits 0. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char text[65536];
	size_t n = 0;
	if (argc < 2)
		return 2;
	for (int i = 2; i < argc; i++) {
		size_t len = strlen(argv[i]);
		if (n + len + 3 > sizeof text)
			return 4;
		text[n++] = '[';
		memcpy(text + n, argv[i], len);
		n += len;
		text[n++] = ']';
		text[n++] = '\n';
	}
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, n) != (ssize_t)n)
		return 3;
	return close(fd);
}
