/* libs.c: loads N shared libraries one by one with dlopen, as a program
 * with plugins starts, so gdb sees N shared-library events.
 *
 * Usage: libs N DIR
 * dlopen()s DIR/libbench0.so ... DIR/libbench<N-1>.so, sums what each
 * returns, calls done_loading() with all of them loaded, and exits 0 if the
 * sum is 0 + 1 + ... + N-1. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

void done_loading(int loaded) { (void)loaded; }

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	int n = atoi(argv[1]);
	long sum = 0;
	for (int i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/libbench%d.so", argv[2], i);
		void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!lib)
			return 3;
		int (*value)(void) = (int (*)(void))dlsym(lib, "bench_lib_value");
		if (!value)
			return 4;
		sum += value();
	}
	done_loading(n);
	return sum == (long)n * (n - 1) / 2 ? 0 : 5;
}
