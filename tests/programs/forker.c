/* Forks (or vforks) a child that calls work(21) and exits with its result;
 * the parent calls work(1), waits, and writes "child=N parent=M" to argv[1].
 * argv[2] is "fork" or "vfork" (the vfork child execs /bin/true instead). */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int work(int x) { return x * 2; } /* WORK */

int main(int argc, char **argv) {
    if (argc < 3)
        return 2;
    int vfork_mode = strcmp(argv[2], "vfork") == 0;
    pid_t pid = vfork_mode ? vfork() : fork();
    if (pid == 0) {
        if (vfork_mode) {
            execl("/bin/true", "true", (char *)NULL);
            _exit(127);
        }
        _exit(work(21));
    }
    int status = 0;
    waitpid(pid, &status, 0);
    FILE *f = fopen(argv[1], "w");
    if (!f)
        return 3;
    fprintf(f, "child=%d parent=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status), work(1));
    fclose(f);
    return 0;
}
