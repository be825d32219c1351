/* blocking.c: a program blocked waiting for a pipe, for inferior calls made
 * while its thread is inside an interrupted system call or in a signal
 * handler that interrupted one.
 *
 * Usage: blocking MODE READY_FIFO RESULT_FILE
 * The program writes "ready\n" to READY_FIFO once it is about to block; the
 * test answers with one SIGUSR1. Nothing else ever writes to the pipe.
 *   ppoll  SIGUSR1 is blocked except inside ppoll(), which waits for the pipe
 *          with a mask that unblocks it. Whether the signal comes before or
 *          during the wait, it interrupts ppoll() (the unmask is atomic), so
 *          the signal stop is always inside the system call. The handler has
 *          no SA_RESTART: ppoll() fails with EINTR.
 *          RESULT_FILE: "ppoll=-1 eintr=1 handled=1"
 *   read   read() on the pipe; the SA_RESTART handler writes one byte into
 *          the pipe, which the read() then returns.
 *          RESULT_FILE: "read=1 byte=x handled=1" */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int pfd[2];
static volatile sig_atomic_t handled;

int add(int a, int b)
{
	return a + b;
}

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
	write(pfd[1], "x", 1); /* HANDLER_BODY */
}

static void wait_ppoll(FILE *out, int ready)
{
	sigset_t usr1, during;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &during);
	sigdelset(&during, SIGUSR1);
	struct pollfd p = {.fd = pfd[0], .events = POLLIN};
	write(ready, "ready\n", 6);
	int r = ppoll(&p, 1, NULL, &during); /* BLOCKING_PPOLL */
	int eintr = r < 0 && errno == EINTR;
	fprintf(out, "ppoll=%d eintr=%d handled=%d\n", r, eintr, (int)handled);
}

static void wait_read(FILE *out, int ready)
{
	char c = '?';
	write(ready, "ready\n", 6);
	ssize_t n = read(pfd[0], &c, 1); /* BLOCKING_READ */
	fprintf(out, "read=%zd byte=%c handled=%d\n", n, c, (int)handled);
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return 100;
	int is_ppoll = !strcmp(argv[1], "ppoll");
	int ready = open(argv[2], O_WRONLY);
	if (ready < 0 || pipe(pfd) != 0)
		return 101;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = is_ppoll ? 0 : SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	FILE *out = fopen(argv[3], "w");
	if (!out)
		return 102;
	if (is_ppoll)
		wait_ppoll(out, ready);
	else
		wait_read(out, ready);
	fclose(out);
	close(ready);
	return 0;
}
