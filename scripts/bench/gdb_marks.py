# gdb_marks.py: loaded INTO gdb (`gdb -x gdb_marks.py`); owns the two gdb
# commands that benchmark scripts use to report measurements:
#
#   bench-mark LABEL        prints "@@MARK LABEL <monotonic s> <server cpu ticks>
#                           <server VmRSS kB> <server run time ns> <gdb run time ns>"
#   bench-value LABEL EXPR  prints "@@VALUE LABEL <value of EXPR>"
#
# Timestamps are taken inside gdb, right between two commands, so a phase's
# time excludes gdb's own start-up and symbol loading. The server's CPU and RSS
# are read from /proc at the same instant; the driver passes the server's PID
# in BENCH_SERVER_PID (0 = unknown, e.g. over stdio, where gdb starts it).
import os
import time

import gdb

SERVER_PID = int(os.environ.get("BENCH_SERVER_PID", "0") or "0")


def _server_cpu_ticks():
    """utime + stime of the server (all its threads), in clock ticks."""
    try:
        with open("/proc/%d/stat" % SERVER_PID) as f:
            # The command name may contain spaces: split after its ')'.
            fields = f.read().rsplit(")", 1)[1].split()
        return str(int(fields[11]) + int(fields[12]))
    except (OSError, IndexError, ValueError):
        return "-"


def _run_ns(pid):
    """Time the threads of process `pid` spent on a CPU, in ns, from
    schedstat: the same quantity as utime+stime, without the 10 ms tick
    granularity."""
    total = 0
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return "-"
    return str(total)


def _server_rss_kb():
    try:
        with open("/proc/%d/status" % SERVER_PID) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return line.split()[1]
    except OSError:
        pass
    return "-"


class BenchMark(gdb.Command):
    """bench-mark LABEL: print a timestamp and the server's CPU and RSS."""

    def __init__(self):
        super().__init__("bench-mark", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        now = time.monotonic()
        if SERVER_PID <= 0:
            cpu = rss = run_ns = "-"
        else:
            cpu, rss, run_ns = _server_cpu_ticks(), _server_rss_kb(), _run_ns(SERVER_PID)
        # gdb's own CPU: the part of each round trip no server can save.
        gdb_ns = _run_ns(os.getpid())
        gdb.write("@@MARK %s %.6f %s %s %s %s\n" % (arg.strip(), now, cpu, rss, run_ns, gdb_ns))
        gdb.flush()


class BenchValue(gdb.Command):
    """bench-value LABEL EXPR: print the value of a gdb expression."""

    def __init__(self):
        super().__init__("bench-value", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        label, expr = arg.strip().split(None, 1)
        gdb.write("@@VALUE %s %s\n" % (label, gdb.parse_and_eval(expr)))
        gdb.flush()


class BenchHits(gdb.Command):
    """bench-hits LABEL: print the hit count of every breakpoint and catchpoint,
    so the driver can check a workload really stopped as often as it should."""

    def __init__(self):
        super().__init__("bench-hits", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        counts = ",".join("%d:%d" % (b.number, b.hit_count) for b in gdb.breakpoints())
        gdb.write("@@HITS %s %s\n" % (arg.strip(), counts or "-"))
        gdb.flush()


BenchMark()
BenchValue()
BenchHits()
