/* signal_pingpong.c: two threads that each send themselves SIGUSR1 from
 * its own handler, forever (as gdb.threads/sigstep-threads.exp): a signal
 * stop and a handler entry every few instructions, for stepping in one
 * thread while the other stops for its signals and gdb's breakpoints. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int handled;

static void raise_in_thread(void)
{
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
}

static void handler(int signo)
{
	handled++; /* HANDLER */
	raise_in_thread();
}

static void *start(void *arg)
{
	raise_in_thread();
	for (;;)
		pause();
	return arg;
}

int main(void)
{
	pthread_t thread;

	signal(SIGUSR1, handler);
	pthread_create(&thread, 0, start, 0);
	start(0);
	return 0;
}
