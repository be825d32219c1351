/* fork_modes.c: forks in the shapes the follow-fork tests need.
 *
 * Usage: fork_modes RESULT MODE [ARGS...]
 *   thread       a second thread forks; the child (which has one thread,
 *                the forking one) exits with child_work(its thread count)
 *                = 41; the parent writes "child=STATUS".
 *   loop N       forks N children (N <= 64) before waiting for any; child
 *                i exits with child_work(i) = 40 + i; the parent writes
 *                "sum=SUM" of their statuses.
 *   busy N       a second thread calls hit() N times while the main thread
 *                forks 5 children one after the other (each exits with
 *                child_work(0) = 40 at once); the parent writes
 *                "hits=N children=SUM".
 *   serial N     forks N children one after the other, reaping each
 *                (child_work(0) = 40) before the next, and exits at once
 *                after the last; the parent writes "children=SUM".
 *   crowd N      N threads start (and end at once) while another thread
 *                forks; the child exits with child_work(its thread count)
 *                = 41; the parent writes "child=STATUS threads=N".
 *   exec PROG [ARG...]   the child execs PROG ARGS; the parent writes
 *                "child=STATUS" once it is gone.
 * A child killed by a signal counts as -SIGNAL. The result is written with
 * one write(2). */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int child_work(int x) { return x + 40; } /* CHILD_WORK */

static volatile int hits;

void hit(int i) { hits = i + 1; } /* HIT */

static int status_of(pid_t pid)
{
	int status = 0;
	if (waitpid(pid, &status, 0) != pid)
		return -1000;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

static int threads_of_self(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *line = strstr(buf, "Threads:");
	return line ? atoi(line + strlen("Threads:")) : -1;
}

static void *forking_thread(void *arg)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(child_work(threads_of_self()));
	*(int *)arg = status_of(pid);
	return NULL;
}

static void *hitting_thread(void *arg)
{
	int n = *(int *)arg;
	for (int i = 0; i < n; i++)
		hit(i);
	return NULL;
}

static void *short_lived(void *arg)
{
	return arg;
}

static void write_result(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		exit(3);
	close(fd);
}

int main(int argc, char **argv)
{
	char line[128];
	if (argc < 3)
		return 2;
	const char *mode = argv[2];
	if (strcmp(mode, "thread") == 0) {
		pthread_t t;
		int status = 0;
		pthread_create(&t, NULL, forking_thread, &status);
		pthread_join(t, NULL);
		snprintf(line, sizeof line, "child=%d\n", status);
	} else if (strcmp(mode, "loop") == 0 && argc > 3) {
		int n = atoi(argv[3]);
		pid_t pids[64];
		if (n < 1 || n > 64)
			return 2;
		for (int i = 0; i < n; i++) {
			pids[i] = fork();
			if (pids[i] == 0)
				_exit(child_work(i));
		}
		int sum = 0;
		for (int i = 0; i < n; i++)
			sum += status_of(pids[i]);
		snprintf(line, sizeof line, "sum=%d\n", sum);
	} else if (strcmp(mode, "busy") == 0 && argc > 3) {
		int n = atoi(argv[3]);
		pthread_t t;
		pthread_create(&t, NULL, hitting_thread, &n);
		int sum = 0;
		for (int i = 0; i < 5; i++) {
			pid_t pid = fork();
			if (pid == 0)
				_exit(child_work(0));
			sum += status_of(pid);
		}
		pthread_join(t, NULL);
		snprintf(line, sizeof line, "hits=%d children=%d\n", hits, sum);
	} else if (strcmp(mode, "serial") == 0 && argc > 3) {
		int n = atoi(argv[3]), sum = 0;
		for (int i = 0; i < n; i++) {
			pid_t pid = fork();
			if (pid == 0)
				_exit(child_work(0));
			sum += status_of(pid);
		}
		snprintf(line, sizeof line, "children=%d\n", sum);
	} else if (strcmp(mode, "crowd") == 0 && argc > 3) {
		int n = atoi(argv[3]), started = 0, status = 0;
		pthread_t crowd[64], forker;
		if (n < 1 || n > 64)
			return 2;
		pthread_create(&forker, NULL, forking_thread, &status);
		for (int i = 0; i < n; i++)
			started += pthread_create(&crowd[i], NULL, short_lived, NULL) == 0;
		for (int i = 0; i < n; i++)
			pthread_join(crowd[i], NULL);
		pthread_join(forker, NULL);
		snprintf(line, sizeof line, "child=%d threads=%d\n", status, started);
	} else if (strcmp(mode, "exec") == 0 && argc > 3) {
		pid_t pid = fork();
		if (pid == 0) {
			execv(argv[3], argv + 3);
			_exit(127);
		}
		snprintf(line, sizeof line, "child=%d\n", status_of(pid));
	} else {
		return 2;
	}
	write_result(argv[1], line);
	return 0;
}
