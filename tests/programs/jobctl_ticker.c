/* jobctl_ticker.c: a program whose progress is visible from outside, for the
 * attach, detach and job-control tests.
 *
 * Usage: jobctl_ticker CTL_FIFO
 * Prints "ready pid=P counter=0xADDR rare=0xADDR" on stdout, then every
 * ~10 ms increments `counter`, calls tick() (a breakpoint target that runs
 * all the time) and prints "tick N". The pace comes from poll() on CTL_FIFO,
 * which the program opens read-write (so it never sees EOF and never blocks
 * opening it). One byte on CTL_FIFO is a command:
 *   'r'  call rare() (a breakpoint target that runs only when asked), which
 *        prints "rare N"
 *   'q'  print "bye" and exit 0
 * Every line is written with one write(2), so lines never interleave. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile unsigned long counter;
static unsigned long rare_calls;

static void say(const char *text)
{
	size_t len = strlen(text);
	if (write(1, text, len) != (ssize_t)len)
		exit(2);
}

void tick(unsigned long n)
{
	char line[64];
	snprintf(line, sizeof line, "tick %lu\n", n); /* TICK */
	say(line);
}

void rare(void)
{
	char line[64];
	rare_calls++;
	snprintf(line, sizeof line, "rare %lu\n", rare_calls); /* RARE */
	say(line);
}

int main(int argc, char **argv)
{
	char line[128];
	if (argc < 2) {
		say("usage: jobctl_ticker CTL_FIFO\n");
		return 2;
	}
	int ctl = open(argv[1], O_RDWR | O_NONBLOCK);
	if (ctl < 0) {
		perror("open CTL_FIFO");
		return 2;
	}
	snprintf(line, sizeof line, "ready pid=%d counter=%p rare=%p\n", (int)getpid(),
		 (void *)&counter, (void *)rare);
	say(line);
	for (;;) {
		struct pollfd pfd = { .fd = ctl, .events = POLLIN };
		if (poll(&pfd, 1, 10) > 0) {
			char c;
			if (read(ctl, &c, 1) == 1) {
				if (c == 'q') {
					say("bye\n");
					return 0;
				}
				if (c == 'r')
					rare();
			}
		}
		counter++;
		tick(counter);
	}
}
