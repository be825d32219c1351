/* syscalls.c: N getpid system calls (argv[1], default 10000), phase_done(),
 * then N more. gdb catches getpid in the first phase and sets a catchpoint
 * that never matches (chroot) for the second. syscall() is used so that no
 * libc caching can skip the kernel entry. */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((noinline)) void phase_done(void)
{
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000;

	for (long i = 0; i < n; i++)
		syscall(SYS_getpid);
	phase_done();
	for (long i = 0; i < n; i++)
		syscall(SYS_getpid);
	return 0;
}
