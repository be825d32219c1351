"""workloads.py: what is measured, and how each number is derived.

Owns: the metric table (row label, unit, direction, the project's target),
the gdb script of every workload, and the check that a run really did what it
claims (hit counts, thread counts, exit) before its time counts. Every
workload runs the same gdb script against both servers, so gdb's own work is
identical on both sides and the ratio shows the server's cost.
"""
import collections
import os
import re

import procs
import sessions
from sessions import Failed

# target: None; ("ratio", x): rgdbserver/gdbserver <= x (lower is better) or
# >= x (higher is better); ("abs", x): rgdbserver's own value <= x.
Metric = collections.namedtuple("Metric", "key label unit higher_better target")

HITS = 10000
STEPIS, NEXTS = 20000, 5000
SINGLE_READS = 2000
SYSCALLS = 10000
MEM_TCP_MIB = 64
CONTINUES = {100: 20, 1000: 10}
FORKS = 200
LIBS = 50
TLS_THREADS = 100


# gdb's own CPU over the same phase: what no server can take off the time
# (gdb waits for each reply, so the two add up). Read from gdb's schedstat.
GDB_CPU_LABEL = "  gdb's own CPU per %s (schedstat)"
# "Every other row": no slower than GNU gdbserver (for MB/s rows: no less).
AT_MOST_GNU = ("ratio", 1.0)


def _startup_metrics(via):
    return [
        Metric("startup.%s.total" % via, "session startup, %s: total" % via, "ms", False,
               AT_MOST_GNU),
        Metric("startup.%s.connect" % via, "  target remote", "ms", False, AT_MOST_GNU),
        Metric("startup.%s.to_main" % via, "  break main, continue to main", "ms", False, None),
        Metric("startup.%s.to_exit" % via, "  continue to exit", "ms", False, None),
    ]


def _memory_metrics(via, read_mib, read_target):
    return [
        Metric("mem.%s.read" % via, "memory read %d MiB, %s" % (read_mib, via), "MB/s", True,
               ("ratio", read_target)),
        Metric("mem.%s.write" % via, "memory write 64 MiB, %s" % via, "MB/s", True,
               AT_MOST_GNU),
        Metric("mem.%s.single" % via, "%d single 8-byte reads, %s" % (SINGLE_READS, via),
               "us/read", False, AT_MOST_GNU),
    ]


def _threads_metrics(n, info_target, cont_target):
    return [
        Metric("thr%d.info" % n, "%d threads: info threads" % n, "ms", False, info_target),
        Metric("thr%d.info_gdb_cpu" % n, "  gdb's own CPU (schedstat)", "ms", False, None),
        Metric("thr%d.bt" % n, "%d threads: thread apply all bt" % n, "ms", False, None),
        Metric("thr%d.cont" % n, "%d threads: continue to next hit" % n, "ms", False, cont_target),
        Metric("thr%d.cont_cpu" % n, "  server CPU per continue (schedstat)", "ms", False, None),
    ]


def _forks_metrics(detach):
    return [
        Metric("forks.%s.per_fork" % detach,
               "fork %d children, detach-on-fork %s" % (FORKS, detach), "ms/fork", False, None),
        Metric("forks.%s.cpu" % detach, "  server CPU per fork (schedstat)", "ms/fork", False,
               None),
    ]


def metrics(stdio_read_mib):
    return (_startup_metrics("tcp") + _startup_metrics("stdio") + [
        Metric("hits.per_hit", "breakpoint hit (%d, silent+continue)" % HITS, "us/hit", False,
               ("ratio", 0.6)),
        Metric("hits.cpu", "  server CPU per hit", "us/hit", False, None),
        Metric("hits.gdb_cpu", GDB_CPU_LABEL % "hit", "us/hit", False, None),
        Metric("cond.per_hit", "conditional breakpoint, false %d times" % HITS, "us/hit", False,
               ("ratio", 1.0)),
        Metric("cond.cpu", "  server CPU per false hit", "us/hit", False, None),
        Metric("step.stepi", "stepi %d" % STEPIS, "us/step", False, ("ratio", 0.7)),
        Metric("step.stepi_cpu", "  server CPU per step", "us/step", False, None),
        Metric("step.stepi_gdb_cpu", GDB_CPU_LABEL % "step", "us/step", False, None),
        Metric("step.next", "next %d over a loop" % NEXTS, "us/line", False, ("ratio", 0.7)),
        Metric("step.next_cpu", "  server CPU per line", "us/line", False, None),
        Metric("hits32.per_hit", "32-bit program: breakpoint hit (%d)" % HITS, "us/hit", False,
               None),
        Metric("hits32.cpu", "  server CPU per hit", "us/hit", False, None),
        Metric("hits32.gdb_cpu", GDB_CPU_LABEL % "hit", "us/hit", False, None),
        Metric("step32.stepi", "32-bit program: stepi %d" % STEPIS, "us/step", False, None),
        Metric("step32.stepi_cpu", "  server CPU per step", "us/step", False, None),
    ] + _memory_metrics("tcp", MEM_TCP_MIB, 1.0) + _memory_metrics("stdio", stdio_read_mib, 5.0)
        + _threads_metrics(100, None, None)
        + _threads_metrics(1000, ("ratio", 0.8), ("ratio", 0.4)) + [
        Metric("attach.total", "attach 1000 threads: whole session", "ms", False, ("ratio", 0.8)),
        Metric("attach.info", "  info threads after attach", "ms", False, None),
        Metric("catch.per_stop", "catch syscall getpid (%d calls)" % SYSCALLS, "us/stop", False,
               ("ratio", 0.8)),
        Metric("catch.cpu", "  server CPU per stop", "us/stop", False, None),
        Metric("catch.gdb_cpu", GDB_CPU_LABEL % "stop", "us/stop", False, None),
        Metric("catch.nomatch", "catch syscall chroot, never matches", "us/call", False, None),
    ] + _forks_metrics("on") + _forks_metrics("off") + [
        Metric("libs.load", "dlopen %d libraries, one by one" % LIBS, "ms", False, None),
        Metric("libs.cpu", "  server CPU (schedstat)", "ms", False, None),
        Metric("tls.var", "%d threads: thread apply all print a __thread variable"
               % TLS_THREADS, "ms", False, None),
        Metric("tls.errno", "%d threads: thread apply all print errno" % TLS_THREADS, "ms",
               False, None),
    ] + [
        Metric("idle.rss", "server RSS stopped at main", "kB", False, ("ratio", 1.5)),
        Metric("idle.sleep_cpu", "server CPU, program sleeps 3 s", "ms", False, ("abs", 30)),
        Metric("idle.spin_cpu", "server CPU, program computes 3 s", "ms", False, ("abs", 30)),
        Metric("idle.sleep_run", "  same, sleeps 3 s (schedstat, ns precision)", "ms", False,
               None),
        Metric("idle.spin_run", "  same, computes 3 s (schedstat, ns precision)", "ms", False,
               None),
    ])


# --- gdb scripts (after `target remote`, which the session adds) -----------

STARTUP = """\
break main
continue
bench-mark at_main
continue
bench-mark exited
"""

BREAKPOINT_HITS = """\
break main
continue
break hit
commands
silent
continue
end
bench-mark hits0
continue
bench-mark hits1
bench-hits hits
"""

# The condition is evaluated in the server (gdb sends it as bytecode with its
# Z0); it holds only on the last call, so HITS - 1 hits never reach gdb.
CONDITIONAL_HITS = """\
break main
continue
break hit if n == {last}
bench-mark cond0
continue
bench-mark cond1
bench-value n n
continue
""".format(last=HITS - 1)

STEPPING = """\
break work
continue
bench-mark stepi0
stepi %d
bench-mark stepi1
next %d
bench-mark next1
bench-value i i
kill
""" % (STEPIS, NEXTS)

# x/gx prints every value: the same output for both servers, so gdb's share
# of the time is the same.
MEMORY = """\
break ready
continue
bench-mark read0
dump binary memory /dev/null buf buf+{read_bytes}
bench-mark read1
restore {blob} binary buf
bench-mark write1
set $i = 0
while $i < {reads}
  x/gx buf + 8 * $i
  set $i = $i + 1
end
bench-mark single1
bench-value probe ((unsigned char *)buf)[{probe}]
kill
"""

# The first `continue` after `break hit` is a warm-up (gdb inserts the
# breakpoint and learns the hitter thread); the timed ones follow.
THREADS = """\
break all_parked
continue
bench-mark info0
info threads
bench-mark info1
thread apply all bt
bench-mark bt1
bench-value nthreads $_inferior_thread_count
break hit
continue
bench-mark cont0
set $k = 0
while $k < {k}
  continue
  set $k = $k + 1
end
bench-mark cont1
bench-hits cont
kill
"""

# Every thread's own copy of a __thread variable and of errno: one
# qGetTLSAddr (and a thread switch) per thread and variable.
TLS_READS = """\
break all_parked
continue
bench-mark tls0
thread apply all print tls_value
bench-mark tls1
thread apply all print *(int *) &errno
bench-mark tls2
kill
"""

# Each dlopen is a shared-library event: gdb stops, reads the library list
# (in one qXfer:libraries-svr4 packet from either server), loads the new
# library's symbols and resumes.
LIBS_SCRIPT = """\
break main
continue
break done_loading
bench-mark libs0
continue
bench-mark libs1
bench-value loaded loaded
continue
"""

ATTACH = """\
bench-mark info0
info threads
bench-mark info1
bench-value nthreads $_inferior_thread_count
detach
"""

CATCH_SYSCALL = """\
break main
continue
catch syscall getpid
commands
silent
continue
end
break phase_done
bench-mark catch0
continue
bench-mark catch1
bench-hits catch
delete
catch syscall chroot
bench-mark none0
continue
bench-mark none1
"""

# With detach-on-fork off gdb keeps every child as a new inferior and
# schedule-multiple lets `continue` resume them all (without it the child
# would stay stopped and the parent wait for it forever). A child's exit ends
# the `continue` with that child's empty inferior selected, so the loop
# selects the parent (inferior 1) again; the parent exits last, as it reaps
# each child before the next fork. With detach-on-fork on the first
# `continue` runs the parent to its exit. `corefile no`: an internal error of
# gdb must not leave a core file in the directory the suite was started from.
# Detach-on-fork off takes about 30 ms per child, mostly gdb's: for each new
# inferior it reads the program and its libraries through the server (vFile)
# and loads their symbols; about 6 s per session, hence the long timeout.
#
# GNU gdbserver 13 reports a process's exit (W) without stopping the other
# processes, although gdb is in all-stop mode, and gdb then reads the
# parent's registers. The parent is normally stopped by then (the SIGCHLD it
# gets as the server reaps the child stops it, as it is traced), but if it
# has not run yet, gdbserver answers "unavailable" for its registers, and
# keeps answering so until it resumes it: gdb fails with "PC register is not
# available" (a retry cannot help, as gdb cannot resume without that PC).
# This happens now and then, more often on a busy machine.
FORKS_SCRIPT = """\
maint set internal-error corefile no
set detach-on-fork {detach}
{multiple}break main
continue
delete
bench-mark forks0
inferior 1
while $_inferior_thread_count > 0
  continue
  inferior 1
end
bench-mark forks1
"""

IDLE = """\
break main
continue
bench-mark main
continue
bench-mark exited
"""


# --- workloads ---------------------------------------------------------------

class Ctx:
    """Paths and settings shared by all workloads."""

    def __init__(self, tmp, bins, blob, stdio_read_mib):
        self.tmp, self.bins, self.blob, self.stdio_read_mib = tmp, bins, blob, stdio_read_mib
        self.metrics = metrics(stdio_read_mib)
        self._n = 0

    def script(self, name, text):
        path = os.path.join(self.tmp, name + ".gdb")
        if not os.path.exists(path):
            with open(path, "w") as f:
                f.write(text)
        return path

    def out(self, name):
        self._n += 1
        return os.path.join(self.tmp, "%s.%d.out" % (name, self._n))


# gdb's lines (print inferior-events is on by default) for the fork workloads.
PARENT_EXITED = re.compile(r"^\[Inferior 1 \(process \d+\) exited normally\]$", re.M)
CHILD_EXITED = re.compile(r"^\[Inferior (?!1 )\d+ \(process \d+\) exited normally\]$", re.M)
NEW_INFERIOR = re.compile(r"^\[New inferior \d+ \(process \d+\)\]$", re.M)


def _exited(s):
    if "exited normally" not in s.output:
        s.fail("the program did not exit normally")


def startup(via):
    def run(ctx, server):
        script = ctx.script("startup", STARTUP)
        connect = sessions.tcp if via == "tcp" else sessions.stdio
        s = connect(server, [ctx.bins["hits"], "0"], script, ctx.out("startup"), 60)
        _exited(s)
        p = "startup.%s." % via
        return {p + "total": s.total * 1e3,
                p + "connect": s.seconds("connect0", "connected") * 1e3,
                p + "to_main": s.seconds("connected", "at_main") * 1e3,
                p + "to_exit": s.seconds("at_main", "exited") * 1e3}
    return run


def _scaled(seconds, factor):
    return None if seconds is None else seconds * factor


def _breakpoint_hits(ctx, server, program, prefix):
    script = ctx.script("hits", BREAKPOINT_HITS)
    s = sessions.tcp(server, [ctx.bins[program], str(HITS)], script, ctx.out(program), 90)
    _exited(s)
    if s.hits.get("hits", {}).get(2) != HITS:
        s.fail("breakpoint hit count %s, expected %d" % (s.hits.get("hits"), HITS))
    return {prefix + "per_hit": s.seconds("hits0", "hits1") / HITS * 1e6,
            prefix + "cpu": s.cpu_seconds("hits0", "hits1") / HITS * 1e6,
            prefix + "gdb_cpu": _scaled(s.gdb_seconds("hits0", "hits1"), 1e6 / HITS)}


def breakpoint_hits(ctx, server):
    return _breakpoint_hits(ctx, server, "hits", "hits.")


def breakpoint_hits_m32(ctx, server):
    """The same, a 32-bit build (n/a where none could be made)."""
    if not os.path.exists(ctx.bins["hits-m32"]):
        return {}
    return _breakpoint_hits(ctx, server, "hits-m32", "hits32.")


def conditional_hits(ctx, server):
    script = ctx.script("cond", CONDITIONAL_HITS)
    s = sessions.tcp(server, [ctx.bins["hits"], str(HITS)], script, ctx.out("cond"), 120)
    _exited(s)
    if s.value("n") != str(HITS - 1):
        s.fail("stopped with n = %s, expected %d" % (s.value("n"), HITS - 1))
    return {"cond.per_hit": s.seconds("cond0", "cond1") / HITS * 1e6,
            "cond.cpu": s.cpu_seconds("cond0", "cond1") / HITS * 1e6}


def _stepping_session(ctx, server, program):
    script = ctx.script("stepping", STEPPING)
    s = sessions.tcp(server, [ctx.bins[program]], script, ctx.out(program), 120)
    if int(s.value("i")) <= 0:
        s.fail("not inside the loop after stepping (i = %s)" % s.value("i"))
    return s


def stepping_m32(ctx, server):
    """stepi in a 32-bit build (n/a where none could be made)."""
    if not os.path.exists(ctx.bins["loop-m32"]):
        return {}
    s = _stepping_session(ctx, server, "loop-m32")
    return {"step32.stepi": s.seconds("stepi0", "stepi1") / STEPIS * 1e6,
            "step32.stepi_cpu": s.cpu_seconds("stepi0", "stepi1") / STEPIS * 1e6}


def stepping(ctx, server):
    s = _stepping_session(ctx, server, "loop")
    return {"step.stepi": s.seconds("stepi0", "stepi1") / STEPIS * 1e6,
            "step.stepi_cpu": s.cpu_seconds("stepi0", "stepi1") / STEPIS * 1e6,
            "step.stepi_gdb_cpu": _scaled(s.gdb_seconds("stepi0", "stepi1"), 1e6 / STEPIS),
            "step.next": s.seconds("stepi1", "next1") / NEXTS * 1e6,
            "step.next_cpu": s.cpu_seconds("stepi1", "next1") / NEXTS * 1e6}


def memory(via):
    def run(ctx, server):
        read_mib = MEM_TCP_MIB if via == "tcp" else ctx.stdio_read_mib
        probe = 12345
        text = MEMORY.format(read_bytes=read_mib << 20, blob=ctx.blob,
                             reads=SINGLE_READS, probe=probe)
        script = ctx.script("memory-" + via, text)
        connect = sessions.tcp if via == "tcp" else sessions.stdio
        s = connect(server, [ctx.bins["bigbuf"]], script, ctx.out("memory"), 120)
        with open(ctx.blob, "rb") as f:
            f.seek(probe)
            want = f.read(1)[0]
        if int(s.value("probe").split()[0]) != want:
            s.fail("restore did not write the buffer (byte %d is %s, want %d)"
                   % (probe, s.value("probe"), want))
        p = "mem.%s." % via
        return {p + "read": (read_mib << 20) / 1e6 / s.seconds("read0", "read1"),
                p + "write": (64 << 20) / 1e6 / s.seconds("read1", "write1"),
                p + "single": s.seconds("write1", "single1") / SINGLE_READS * 1e6}
    return run


def threads(n):
    def run(ctx, server):
        k = CONTINUES[n]
        script = ctx.script("threads-%d" % n, THREADS.format(k=k))
        s = sessions.tcp(server, [ctx.bins["threads"], str(n), "hit"], script,
                         ctx.out("threads"), 60 if n <= 100 else 120)
        if int(s.value("nthreads")) != n + 1:
            s.fail("gdb saw %s threads, expected %d" % (s.value("nthreads"), n + 1))
        if s.hits.get("cont", {}).get(2) != k + 1:
            s.fail("hit count %s, expected %d" % (s.hits.get("cont"), k + 1))
        p = "thr%d." % n
        return {p + "info": s.seconds("info0", "info1") * 1e3,
                p + "info_gdb_cpu": _scaled(s.gdb_seconds("info0", "info1"), 1e3),
                p + "bt": s.seconds("info1", "bt1") * 1e3,
                p + "cont": s.seconds("cont0", "cont1") / k * 1e3,
                p + "cont_cpu": s.run_seconds("cont0", "cont1") / k * 1e3}
    return run


def tls_reads(ctx, server):
    script = ctx.script("tls", TLS_READS)
    s = sessions.tcp(server, [ctx.bins["tls"], str(TLS_THREADS)], script, ctx.out("tls"), 60)
    # Each worker prints its own value (1..N, and 1000..1000+N-1 for errno).
    values = set(re.findall(r"^\$\d+ = (-?\d+)$", s.output, re.M))
    want = {str(i) for i in range(1, TLS_THREADS + 1)}
    want |= {str(1000 + i) for i in range(TLS_THREADS)}
    if not want <= values:
        s.fail("%d of the threads' TLS values missing" % len(want - values))
    return {"tls.var": s.seconds("tls0", "tls1") * 1e3,
            "tls.errno": s.seconds("tls1", "tls2") * 1e3}


def attach(ctx, server):
    target = procs.Helper([ctx.bins["threads"], "1000", "pause"], r"^ready$")
    try:
        if not target.ready:
            raise Failed("the 1000-thread program did not start")
        script = ctx.script("attach", ATTACH)
        s = sessions.tcp(server, [str(target.pid)], script, ctx.out("attach"), 60,
                         extra=["--attach"], keep=[target.pid],
                         gdb_prog=ctx.bins["threads"])
        if int(s.value("nthreads")) != 1001:
            s.fail("gdb saw %s threads, expected 1001" % s.value("nthreads"))
        if "detached]" not in s.output:
            s.fail("gdb did not detach")
        state = target.state()
        if state is None or state[0] in "tTZX" or state[1] != 0:
            s.fail("after detach the program is %s (want running, untraced)"
                   % ("gone" if state is None else "state %s, tracer %d" % state))
        return {"attach.total": s.total * 1e3,
                "attach.info": s.seconds("info0", "info1") * 1e3}
    finally:
        target.close()
        procs.reap_strays()


def catch_syscall(ctx, server):
    script = ctx.script("catch", CATCH_SYSCALL)
    s = sessions.tcp(server, [ctx.bins["syscalls"], str(SYSCALLS)], script,
                     ctx.out("catch"), 120)
    if "does not support this type" in s.output:
        raise Failed("catch syscall not supported", unsupported=True, detail=s.tail())
    # Each call stops twice: at entry and at return.
    if s.hits.get("catch", {}).get(2) != 2 * SYSCALLS:
        s.fail("catchpoint hit count %s, expected %d" % (s.hits.get("catch"), 2 * SYSCALLS))
    _exited(s)
    return {"catch.per_stop": s.seconds("catch0", "catch1") / (2 * SYSCALLS) * 1e6,
            "catch.cpu": s.cpu_seconds("catch0", "catch1") / (2 * SYSCALLS) * 1e6,
            "catch.gdb_cpu": _scaled(s.gdb_seconds("catch0", "catch1"), 1e6 / (2 * SYSCALLS)),
            "catch.nomatch": s.seconds("none0", "none1") / SYSCALLS * 1e6}


def forks(detach):
    def run(ctx, server):
        text = FORKS_SCRIPT.format(
            detach=detach, multiple="set schedule-multiple on\n" if detach == "off" else "")
        script = ctx.script("forks-" + detach, text)
        s = sessions.tcp(server, [ctx.bins["forks"], str(FORKS)], script, ctx.out("forks"),
                         60 if detach == "on" else 180)
        # The parent exits 0 only if waitpid saw every child exit with 0.
        if not PARENT_EXITED.search(s.output):
            s.fail("the parent did not exit normally")
        if detach == "on":
            detached = s.output.count("[Detaching after fork from child process ")
            if detached != FORKS:
                s.fail("gdb detached %d children, expected %d" % (detached, FORKS))
        else:
            new = len(NEW_INFERIOR.findall(s.output))
            exited = len(CHILD_EXITED.findall(s.output))
            if new != FORKS or exited != FORKS:
                s.fail("gdb saw %d new inferiors, %d children exit normally; expected %d"
                       % (new, exited, FORKS))
        # The server has exited at forks1, but it is not reaped before gdb
        # exits: its schedstat is still there.
        cpu = s.run_seconds("forks0", "forks1")
        p = "forks.%s." % detach
        return {p + "per_fork": s.seconds("forks0", "forks1") / FORKS * 1e3,
                p + "cpu": None if cpu is None else cpu / FORKS * 1e3}
    return run


def libraries(ctx, server):
    script = ctx.script("libs", LIBS_SCRIPT)
    libs_dir = os.path.join(os.path.dirname(ctx.bins["libs"]), "libbench")
    s = sessions.tcp(server, [ctx.bins["libs"], str(LIBS), libs_dir], script, ctx.out("libs"),
                     120)
    _exited(s)
    if s.value("loaded") != str(LIBS):
        s.fail("done_loading saw %s libraries, expected %d" % (s.value("loaded"), LIBS))
    cpu = s.run_seconds("libs0", "libs1")
    return {"libs.load": s.seconds("libs0", "libs1") * 1e3,
            "libs.cpu": None if cpu is None else cpu * 1e3}


def idle(ctx, server):
    script = ctx.script("idle", IDLE)
    result = {}
    for mode in ("sleep", "spin"):
        s = sessions.tcp(server, [ctx.bins["idle"], mode], script, ctx.out("idle"), 40)
        _exited(s)
        if s.seconds("main", "exited") < 2.9:
            s.fail("the program ran %.2f s, not 3 s" % s.seconds("main", "exited"))
        result["idle.%s_cpu" % mode] = s.cpu_seconds("main", "exited") * 1e3
        result["idle.%s_run" % mode] = s.run_seconds("main", "exited") * 1e3
        if mode == "sleep":
            result["idle.rss"] = s.mark("main").rss
    return result


# (name, function, prefix of its metric keys): run in this order, each for both
# servers, every round.
WORKLOADS = [
    ("startup-tcp", startup("tcp"), "startup.tcp."),
    ("startup-stdio", startup("stdio"), "startup.stdio."),
    ("breakpoint-hits", breakpoint_hits, "hits."),
    ("conditional-hits", conditional_hits, "cond."),
    ("stepping", stepping, "step."),
    ("breakpoint-hits-m32", breakpoint_hits_m32, "hits32."),
    ("stepping-m32", stepping_m32, "step32."),
    ("memory-tcp", memory("tcp"), "mem.tcp."),
    ("memory-stdio", memory("stdio"), "mem.stdio."),
    ("threads-100", threads(100), "thr100."),
    ("threads-1000", threads(1000), "thr1000."),
    ("attach-1000", attach, "attach."),
    ("catch-syscall", catch_syscall, "catch."),
    ("forks-detach-on", forks("on"), "forks.on."),
    ("forks-detach-off", forks("off"), "forks.off."),
    ("libraries-50", libraries, "libs."),
    ("tls-100", tls_reads, "tls."),
    ("idle", idle, "idle."),
]
