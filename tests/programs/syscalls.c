/* Syscalls for the catch-syscall tests. argv[1] picks the scenario:
 *   basic   - getpid() twice, write(1, "abc", 3), exit(0)
 *   network - socket(AF_INET, SOCK_DGRAM, 0), close it
 *   threads - a "blocker" thread blocks in read() on a pipe while the
 *             "caller" thread calls getppid(); then main releases the blocker
 *   exec    - execve("/bin/true")
 *   int80   - (i386 only) getpid() through glibc (the vDSO's sysenter),
 *             then getpid through the legacy `int $0x80` gate; exits 0 if
 *             both gave the same pid
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int pipe_fds[2];

/* Each thread names itself before its syscall: a name set by main could
 * land after the catchpoint stop that the test reads it from. */
static void *blocker(void *arg) {
    (void)arg;
    pthread_setname_np(pthread_self(), "blocker");
    char c;
    ssize_t n = read(pipe_fds[0], &c, 1);
    return (void *)n;
}

static void *caller(void *arg) {
    (void)arg;
    pthread_setname_np(pthread_self(), "caller");
    getppid();
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    if (strcmp(argv[1], "basic") == 0) {
        getpid();
        getpid();
        if (write(1, "abc", 3) != 3)
            return 3;
        return 0;
    }
    if (strcmp(argv[1], "network") == 0) {
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        close(s);
        return s >= 0 ? 0 : 4;
    }
    if (strcmp(argv[1], "threads") == 0) {
        pthread_t b, c;
        if (pipe(pipe_fds) != 0)
            return 5;
        pthread_create(&b, NULL, blocker, NULL);
        pthread_create(&c, NULL, caller, NULL);
        pthread_join(c, NULL);
        if (write(pipe_fds[1], "x", 1) != 1)
            return 6;
        void *got;
        pthread_join(b, &got);
        return got == (void *)1 ? 0 : 7;
    }
#ifdef __i386__
    if (strcmp(argv[1], "int80") == 0) {
        long through_glibc = getpid();
        long through_gate;
        __asm__ volatile("int $0x80" : "=a"(through_gate) : "a"(20L /* __NR_getpid */) : "memory");
        return through_gate == through_glibc ? 0 : 9;
    }
#endif
    if (strcmp(argv[1], "exec") == 0) {
        execl("/bin/true", "true", (char *)NULL);
        return 8;
    }
    return 2;
}
