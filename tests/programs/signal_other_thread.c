/* signal_other_thread.c: a signal gdb sends to a thread that stopped only
 * because another thread hit a breakpoint.
 *
 * main installs a SIGUSR1 handler, starts `worker` (which calls
 * worker_ready(), a breakpoint site, and returns) and joins it. gdb then
 * selects main's thread, stopped inside pthread_join, and sends it
 * SIGUSR1. The handler writes the id of the thread it ran on ("main" or
 * "other") to the result file (argv[1]) and calls in_handler() (a
 * breakpoint site). Exit 0 when the handler ran, 1 when it never did. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *result_path;
static pid_t main_tid;
static volatile sig_atomic_t handled;

__attribute__((noinline)) void worker_ready(void)
{
	__asm__ volatile("" ::: "memory"); /* WORKER_READY */
}

__attribute__((noinline)) void in_handler(void)
{
	__asm__ volatile("" ::: "memory"); /* IN_HANDLER */
}

static void on_usr1(int sig)
{
	FILE *f = fopen(result_path, "w");

	(void)sig;
	if (f) {
		fputs(gettid() == main_tid ? "main\n" : "other\n", f);
		fclose(f);
	}
	handled = 1;
	in_handler();
}

static void *worker(void *arg)
{
	worker_ready();
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t thread;
	struct sigaction sa;

	if (argc < 2)
		return 2;
	result_path = argv[1];
	main_tid = gettid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	if (pthread_create(&thread, NULL, worker, NULL) != 0)
		return 3;
	pthread_join(thread, NULL);
	return handled ? 0 : 1;
}
