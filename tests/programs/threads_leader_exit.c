/* threads_leader_exit.c: the leader calls pthread_exit while others run.
 *
 * main starts a spinner and a worker, then calls pthread_exit. The worker
 * joins the leader, waits until /proc/self/stat shows the leader as a zombie
 * ('Z': it has really exited, the process lives on in its other threads),
 * calls after_leader_exit(state) (a breakpoint site) and then exit(5), so
 * the process's exit code is 5 although the leader itself exited with 0. If
 * the leader is not a zombie within ten seconds it exits 3 instead. The
 * worker also waits until the spinner has run, so the spinner is inside
 * spinner() at the breakpoint. */
#include "common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_t leader;

__attribute__((noinline)) void after_leader_exit(char state)
{
	__asm__ volatile("" ::"r"(state) : "memory"); /* AFTER_LEADER_EXIT */
}

/* State letter of the thread-group leader, or '?' if unreadable. */
static char leader_state(void)
{
	char buf[512], *p;
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n;

	if (!f)
		return '?';
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static void *worker(void *arg)
{
	struct timespec ms = { 0, 1000000 };
	char state = '?';

	(void)arg;
	pthread_join(leader, NULL);
	/* The kernel marks the leader a zombie only after its thread is
	 * gone; pthread_join returns a little earlier, so poll the state. */
	for (int i = 0; i < 10000; i++) {
		state = leader_state();
		if (state == 'Z')
			break;
		nanosleep(&ms, NULL);
	}
	if (state != 'Z')
		exit(3);
	wait_for_spinner();
	after_leader_exit(state);
	exit(5);
}

int main(void)
{
	pthread_t s[NSPIN], w;

	leader = pthread_self();
	start_spinners(s);
	pthread_create(&w, NULL, worker, NULL);
	pthread_exit(NULL);
}
