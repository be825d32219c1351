/* reload.c: loads a shared library, calls into it, unloads it, and does it
 * again, so the library is mapped twice (at the same place, as a rule).
 *
 * Usage: reload RESULT
 * Calls j0(0) (a Bessel function, 1 at 0) from libm.so.6, loaded with
 * dlopen and closed with dlclose, twice; writes "calls=N sum=S" to RESULT
 * with one write(2). */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int calls = 0;
	double sum = 0;
	if (argc < 2)
		return 2;
	for (int i = 0; i < 2; i++) {
		void *lib = dlopen("libm.so.6", RTLD_NOW);
		if (!lib)
			return 3;
		double (*bessel)(double) = (double (*)(double))dlsym(lib, "j0");
		if (!bessel)
			return 4;
		sum += bessel(0.0);
		calls++;
		dlclose(lib);
	}
	char line[64];
	int n = snprintf(line, sizeof line, "calls=%d sum=%g\n", calls, sum);
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, line, n) != n)
		return 5;
	return close(fd);
}
