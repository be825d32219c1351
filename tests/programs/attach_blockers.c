/* attach_blockers.c: named threads blocked in system calls while a debugger
 * attaches and detaches, each counting how often its call returned before
 * the test released it (a "spurious" return: EINTR or an extra wakeup).
 *
 * Usage: attach_blockers        (stdin: a pipe from the test)
 * Threads, each named with pthread_setname_np:
 *   ab-main     blocks in read(0) until the test writes one byte
 *   ab-sleep    nanosleep(1 hour) in a loop until SIGUSR1 (sent by ab-main
 *               on release) sets a flag
 *   ab-futex    raw FUTEX_WAIT in a loop until the futex word is set
 *   ab-cond     pthread_cond_wait in a loop until its flag is set
 *   ab-spawner  keeps creating short-lived "ab-kid" threads, so threads
 *               appear and vanish while the debugger attaches
 * Each blocker prints "thread NAME tid=T" just before its first blocking
 * call; ab-main then prints "ready pid=P" and blocks. After the byte arrives
 * every thread is released and joined, and the program prints one
 * "result NAME spurious=K ret=R errno=E" line per blocker ("ret" and "errno"
 * describe the return that ended the wait), "result spawner kids=N", and
 * "done", then exits 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct wait_record {
	int spurious;
	long ret;
	int err;
};

static sem_t announced;
static volatile sig_atomic_t sleep_released;
static int futex_word;
static pthread_mutex_t cond_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int cond_released;
static volatile int spawner_stop;
static unsigned long kids;
static struct wait_record sleep_rec, futex_rec, cond_rec, read_rec;

static void say(const char *text)
{
	size_t len = strlen(text);
	if (write(1, text, len) != (ssize_t)len)
		_exit(3);
}

static void announce(const char *name)
{
	char line[64];
	pthread_setname_np(pthread_self(), name);
	snprintf(line, sizeof line, "thread %s tid=%ld\n", name, (long)syscall(SYS_gettid));
	say(line);
	sem_post(&announced);
}

static void on_usr1(int sig)
{
	(void)sig;
	sleep_released = 1;
}

static void *sleeper(void *arg)
{
	(void)arg;
	announce("ab-sleep");
	for (;;) {
		struct timespec t = { .tv_sec = 3600 };
		int r = nanosleep(&t, NULL);
		int e = errno;
		if (sleep_released) {
			sleep_rec.ret = r;
			sleep_rec.err = r ? e : 0;
			return NULL;
		}
		sleep_rec.spurious++; /* returned, but nobody released it */
	}
}

static void *futex_waiter(void *arg)
{
	(void)arg;
	announce("ab-futex");
	for (;;) {
		long r = syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
		int e = errno;
		if (__atomic_load_n(&futex_word, __ATOMIC_SEQ_CST)) {
			futex_rec.ret = r;
			futex_rec.err = r ? e : 0;
			return NULL;
		}
		futex_rec.spurious++;
	}
}

static void *cond_waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&cond_lock);
	announce("ab-cond");
	for (;;) {
		int r = pthread_cond_wait(&cond, &cond_lock);
		if (cond_released) {
			cond_rec.ret = r;
			break;
		}
		cond_rec.spurious++;
	}
	pthread_mutex_unlock(&cond_lock);
	return NULL;
}

static void *kid(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "ab-kid");
	__atomic_add_fetch(&kids, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *spawner(void *arg)
{
	enum { LIVE = 4 };
	pthread_t ring[LIVE];
	int used = 0, next = 0;
	(void)arg;
	announce("ab-spawner");
	while (!spawner_stop) {
		if (used == LIVE)
			pthread_join(ring[next], NULL);
		else
			used++;
		if (pthread_create(&ring[next], NULL, kid, NULL) != 0) {
			used--;
			continue;
		}
		next = (next + 1) % LIVE;
		/* Pace it: a thread every 200 us keeps threads coming during an
		 * attach without taking a whole CPU. */
		struct timespec t = { .tv_nsec = 200000 };
		nanosleep(&t, NULL);
	}
	for (int i = 0; i < used; i++)
		pthread_join(ring[i], NULL);
	return NULL;
}

static void report(const char *name, const struct wait_record *rec)
{
	char line[128];
	snprintf(line, sizeof line, "result %s spurious=%d ret=%ld errno=%d\n", name, rec->spurious,
		 rec->ret, rec->err);
	say(line);
}

int main(void)
{
	pthread_t t_sleep, t_futex, t_cond, t_spawner;
	char line[64];
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1; /* no SA_RESTART: the release must end nanosleep */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sem_init(&announced, 0, 0);
	pthread_setname_np(pthread_self(), "ab-main");

	pthread_create(&t_sleep, NULL, sleeper, NULL);
	pthread_create(&t_futex, NULL, futex_waiter, NULL);
	pthread_create(&t_cond, NULL, cond_waiter, NULL);
	pthread_create(&t_spawner, NULL, spawner, NULL);
	for (int i = 0; i < 4; i++)
		while (sem_wait(&announced) != 0)
			;
	snprintf(line, sizeof line, "thread ab-main tid=%d\nready pid=%d\n", (int)getpid(),
		 (int)getpid());
	say(line);

	for (;;) {
		char c;
		ssize_t r = read(0, &c, 1);
		int e = errno;
		if (r == 1) {
			read_rec.ret = r;
			break;
		}
		read_rec.spurious++;
		if (r == 0) { /* the test went away: nothing will release us */
			read_rec.ret = 0;
			read_rec.err = e;
			break;
		}
	}

	__atomic_store_n(&futex_word, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	pthread_mutex_lock(&cond_lock);
	cond_released = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&cond_lock);
	pthread_kill(t_sleep, SIGUSR1);
	spawner_stop = 1;

	pthread_join(t_sleep, NULL);
	pthread_join(t_futex, NULL);
	pthread_join(t_cond, NULL);
	pthread_join(t_spawner, NULL);
	report("read", &read_rec);
	report("sleep", &sleep_rec);
	report("futex", &futex_rec);
	report("cond", &cond_rec);
	snprintf(line, sizeof line, "result spawner kids=%lu\ndone\n", kids);
	say(line);
	return 0;
}
