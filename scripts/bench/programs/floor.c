/* floor.c: what this machine charges for the wake-ups a debug server
 * cannot avoid, with no debugger involved.
 *
 * Usage: floor [ROUND_TRIPS [STEPS]]
 * 1. Round trips: a 1-byte write over TCP loopback to a process that
 *    answers at once, and a blocking read of its answer. gdb and a server
 *    take turns so, once per packet, and a program's stop is one more such
 *    turn: a reported breakpoint hit is 13 of them (11 packets, 2 stops).
 * 2. Steps: PTRACE_SINGLESTEP and waitpid on a child, the least a stepi
 *    costs a tracer.
 * Prints one line of key=value pairs: wall time and the waiting side's
 * CPU (user + system) per round trip and per step, in microseconds. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct sample {
	struct timespec wall;
	struct rusage usage;
};

static void take(struct sample *s)
{
	clock_gettime(CLOCK_MONOTONIC, &s->wall);
	getrusage(RUSAGE_SELF, &s->usage);
}

static double usec(struct timeval t) { return t.tv_sec * 1e6 + t.tv_usec; }

static void report(const char *what, const struct sample *a, const struct sample *b, int n)
{
	double wall = (b->wall.tv_sec - a->wall.tv_sec) * 1e6 +
		      (b->wall.tv_nsec - a->wall.tv_nsec) / 1e3;
	double cpu = usec(b->usage.ru_utime) - usec(a->usage.ru_utime) +
		     usec(b->usage.ru_stime) - usec(a->usage.ru_stime);
	printf("%s_wall_us=%.2f %s_cpu_us=%.2f ", what, wall / n, what, cpu / n);
}

static int nodelay(int fd)
{
	int one = 1;
	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int round_trips(int n)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof addr;
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (listener < 0 || bind(listener, (void *)&addr, sizeof addr) || listen(listener, 1) ||
	    getsockname(listener, (void *)&addr, &len))
		return -1;
	pid_t echo = fork();
	if (echo == 0) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		char byte;
		if (fd < 0 || connect(fd, (void *)&addr, sizeof addr) || nodelay(fd))
			_exit(1);
		while (read(fd, &byte, 1) == 1 && write(fd, &byte, 1) == 1)
			;
		_exit(0);
	}
	int fd = accept(listener, NULL, NULL);
	if (echo < 0 || fd < 0 || nodelay(fd))
		return -1;
	struct sample a, b;
	char byte = 'x';
	take(&a);
	for (int i = 0; i < n; i++)
		if (write(fd, &byte, 1) != 1 || read(fd, &byte, 1) != 1)
			return -1;
	take(&b);
	report("round_trip", &a, &b, n);
	close(fd);
	return waitpid(echo, NULL, 0) == echo ? 0 : -1;
}

static int steps(int n)
{
	pid_t child = fork();
	if (child == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		for (volatile unsigned long i = 0;; i++)
			;
	}
	int status;
	if (child < 0 || waitpid(child, &status, 0) != child)
		return -1;
	struct sample a, b;
	take(&a);
	for (int i = 0; i < n; i++)
		if (ptrace(PTRACE_SINGLESTEP, child, NULL, NULL) || waitpid(child, &status, 0) != child)
			return -1;
	take(&b);
	report("step", &a, &b, n);
	kill(child, SIGKILL);
	return waitpid(child, &status, 0) == child ? 0 : -1;
}

int main(int argc, char **argv)
{
	int trips = argc > 1 ? atoi(argv[1]) : 50000;
	int stepped = argc > 2 ? atoi(argv[2]) : 50000;
	if (round_trips(trips) || steps(stepped)) {
		perror("floor");
		return 1;
	}
	printf("\n");
	return 0;
}
