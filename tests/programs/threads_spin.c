/* threads_spin.c: spinner threads whose counters show whether they ran.
 *
 * NSPIN threads each increment counters[i] forever. Once every counter has
 * moved, main walks a fixed path (markers below) that a scheduler-locking
 * test steps through: a plain line, a call to step into, busy loops long
 * enough that unlocked spinners would surely get CPU time, and breakpoint
 * sites main itself reaches. Exits 0 when main is done. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#define NSPIN 3
#include "common.h"

/* ~0.1 s of work on this machine: far longer than a time slice. */
#define BUSY_LOOPS 50000000L

__attribute__((noinline)) static int step_into(int x)
{
	int y = x * 2; /* STEP_INTO_BODY */
	return y + 1;
}

__attribute__((noinline)) static void busy(void)
{
	for (volatile long i = 0; i < BUSY_LOOPS; i++)
		;
}

/* Breakpoint site main reaches after a busy loop. */
__attribute__((noinline)) void reached_by_main(void)
{
	__asm__ volatile("" ::: "memory"); /* REACHED */
}

/* Breakpoint site at the end of main's path. */
__attribute__((noinline)) void main_done(void)
{
	__asm__ volatile("" ::: "memory"); /* MAIN_DONE */
}

int main(void)
{
	pthread_t t[NSPIN];
	int a;

	start_spinners(t);
	for (int i = 0; i < NSPIN; i++)
		while (counters[i] == 0)
			sched_yield();
	a = 1; /* LINE_A */
	a = step_into(a); /* LINE_CALL */
	busy(); /* LINE_BUSY */
	reached_by_main();
	busy(); /* LINE_BUSY2 */
	a++; /* LINE_AFTER_BUSY2 */
	busy(); /* LINE_BUSY3 */
	main_done();
	printf("threads_spin done a=%d\n", a);
	return 0;
}
