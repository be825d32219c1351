/* Writes and reads globals for the watchpoint tests; a thread created after
 * main starts also writes `shared`. Exit code: reader + shared (2 + 7 = 9). */
#include <pthread.h>

volatile int shared;
volatile long wide[4];
volatile long a, b, c, d, e;

static void *writer(void *arg) {
    (void)arg;
    shared = 7; /* THREAD_WRITE */
    return 0;
}

int main(void) {
    shared = 1;
    shared = 2;
    int reader = shared; /* READ_SHARED */
    wide[1] = 5;
    a = 1; b = 2; c = 3; d = 4; e = 5;
    pthread_t t;
    pthread_create(&t, 0, writer, 0);
    pthread_join(t, 0);
    return reader + shared;
}
