/* bigbuf.c: a 64 MiB heap buffer `buf`, every page touched (so reads hit
 * real pages, not the shared zero page), then ready() for gdb to stop in. */
#include <stdlib.h>
#include <string.h>

#define BUF_SIZE (64L << 20)

char *buf;

__attribute__((noinline)) void ready(void)
{
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	buf = malloc(BUF_SIZE);
	if (!buf)
		return 2;
	for (long i = 0; i < BUF_SIZE; i++)
		buf[i] = (char)(i * 7);
	ready();
	return 0;
}
