/* envcwd.c: reports the environment and directory it was started with.
 *
 * Usage: envcwd RESULT
 * Writes "var=V unset=U cwd=DIR" to RESULT (an absolute path), where V is
 * $RGDB_TEST_VAR and U is $RGDB_TEST_UNSET ("(none)" when not set), with one
 * write(2). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *var(const char *name)
{
	const char *v = getenv(name);
	return v ? v : "(none)";
}

int main(int argc, char **argv)
{
	char cwd[4096], line[8192];
	if (argc < 2 || !getcwd(cwd, sizeof cwd))
		return 2;
	int n = snprintf(line, sizeof line, "var=%s unset=%s cwd=%s\n", var("RGDB_TEST_VAR"),
			 var("RGDB_TEST_UNSET"), cwd);
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, line, n) != n)
		return 3;
	return close(fd);
}
