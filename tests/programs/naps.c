/* naps.c: measures the CPU its tracer (the debug server) uses while the
 * program waits: first for gdb, stopped at a breakpoint on waited_for_gdb()
 * while gdb sits idle, then for itself, sleeping 20 times 15 ms.
 *
 * Usage: naps RESULT_FILE
 * RESULT_FILE: "tracer_cpu_us=N elapsed_us=M" over both waits: the CPU
 * time of the process in our TracerPid (from /proc/PID/schedstat, in
 * nanoseconds there) and the wall time that passed. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long tracer_pid(void)
{
	char line[256];
	long pid = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "TracerPid:", 10) == 0)
			pid = atol(line + 10);
	fclose(f);
	return pid;
}

/* CPU nanoseconds the process has run, or -1. */
static long long cpu_ns(long pid)
{
	char path[64];
	long long ns = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/schedstat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &ns) != 1)
		ns = -1;
	fclose(f);
	return ns;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

__attribute__((noinline)) void waited_for_gdb(void)
{
	asm volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	long tracer = tracer_pid();
	long long cpu0 = cpu_ns(tracer), t0 = now_ns();
	FILE *out;

	waited_for_gdb();
	for (int i = 0; i < 20; i++)
		usleep(15000);
	long long cpu1 = cpu_ns(tracer), t1 = now_ns();
	if (argc < 2 || !(out = fopen(argv[1], "w")))
		return 2;
	if (tracer <= 0 || cpu0 < 0 || cpu1 < 0)
		fprintf(out, "no tracer cpu (tracer %ld)\n", tracer);
	else
		fprintf(out, "tracer_cpu_us=%lld elapsed_us=%lld\n", (cpu1 - cpu0) / 1000,
			(t1 - t0) / 1000);
	fclose(out);
	return 0;
}
