/* namespaces.c: loads libm.so.6 into a new link-map namespace with
 * dlmopen (as a plugin host isolates plugins), calls into it, and stops in
 * stop_here() with it still loaded.
 *
 * Usage: namespaces RESULT
 * Writes "j0=J" (j0(0) is 1) to RESULT with one write(2). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void stop_here(void) {} /* STOP_HERE */

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	void *lib = dlmopen(LM_ID_NEWLM, "libm.so.6", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return 3;
	double (*bessel)(double) = (double (*)(double))dlsym(lib, "j0");
	if (!bessel)
		return 4;
	char line[64];
	int n = snprintf(line, sizeof line, "j0=%g\n", bessel(0.0));
	stop_here();
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, line, n) != n)
		return 5;
	return close(fd);
}
