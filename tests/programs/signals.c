/* signals.c: signal reporting, delivery, suppression and injection.
 *
 * Usage: signals MODE [LOG_FILE]
 *   usr1   install a SIGUSR1 handler, raise SIGUSR1 once
 *   quiet  install the SIGUSR1 handler, raise nothing (gdb injects one)
 *   rt     install a handler for SIGRTMIN+2 (signal 36), raise it once
 *   segv   write through a null pointer
 *   segv123  write to address 123 (a fault address that is not zero)
 *   exit3  exit with status 3
 * Each handler run appends one line ("usr1" or "rt") to LOG_FILE. The
 * program exits with the number of handler runs (usr1, quiet, rt). */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *log_path;
static volatile sig_atomic_t runs;

static void log_line(const char *text)
{
	int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		write(fd, text, strlen(text));
		close(fd);
	}
}

static void on_usr1(int sig)
{
	(void)sig;
	runs++;
	log_line("usr1\n"); /* USR1_HANDLER */
}

static void on_rt(int sig)
{
	(void)sig;
	runs++;
	log_line("rt\n");
}

static void install(int sig, void (*fn)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	log_path = argc > 2 ? argv[2] : "/dev/null";
	if (!strcmp(mode, "usr1")) {
		install(SIGUSR1, on_usr1);
		raise(SIGUSR1); /* RAISE_USR1 */
	} else if (!strcmp(mode, "quiet")) {
		install(SIGUSR1, on_usr1);
	} else if (!strcmp(mode, "rt")) {
		install(SIGRTMIN + 2, on_rt);
		raise(SIGRTMIN + 2);
	} else if (!strcmp(mode, "segv")) {
		*(volatile int *)0 = 1; /* SEGV_HERE */
	} else if (!strcmp(mode, "segv123")) {
		*(volatile int *)123 = 1;
	} else if (!strcmp(mode, "exit3")) {
		exit(3);
	} else {
		return 100;
	}
	return runs; /* SIGNALS_RETURN */
}
