/* Raises SIGUSR1 COUNT times and SIGALRM once, each with a handler, then
 * writes "usr1=N alrm=M" to the file named by argv[1]. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static volatile long usr1, alrm;

static void on_usr1(int sig) { (void)sig; usr1++; }
static void on_alrm(int sig) { (void)sig; alrm++; }

int main(int argc, char **argv) {
    if (argc < 3)
        return 2;
    long count = atol(argv[2]);
    signal(SIGUSR1, on_usr1);
    signal(SIGALRM, on_alrm);
    for (long i = 0; i < count; i++)
        raise(SIGUSR1);
    raise(SIGALRM);
    FILE *f = fopen(argv[1], "w");
    if (!f)
        return 3;
    fprintf(f, "usr1=%ld alrm=%ld\n", usr1, alrm);
    fclose(f);
    return 0;
}
