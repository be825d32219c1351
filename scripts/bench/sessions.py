"""sessions.py: one gdb session against one server, over TCP or stdio.

Owns: the gdb command line (stock settings: only -nx, so that nobody's
~/.gdbinit changes what is measured, and -batch), connecting over TCP
(`SERVER --once 127.0.0.1:0 PROG`) or stdio (`target remote | SERVER - PROG`),
parsing the @@MARK/@@VALUE/@@HITS lines that gdb_marks.py prints, and turning
a broken session into a `Failed` with a short reason.
"""
import os
import re
import shlex
import time

import procs

HERE = os.path.dirname(os.path.abspath(__file__))
GDB_MARKS = os.path.join(HERE, "gdb_marks.py")
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Server messages worth a line in the anomalies, wherever they appear.
ALARMING = re.compile(r"panick|error|fatal|warning: .*server", re.I)
# Over stdio the server's stderr is mixed into gdb's output: gdb's own
# "error" lines must not be blamed on the server.
ALARMING_STDIO = re.compile(r"panick|fatal", re.I)
SERVER_NOTES = []  # unique "server: message" lines seen in any session

# gdb's words when the server lacks a feature the script needs.
UNSUPPORTED = re.compile(r"does not support|not supported|Unsupported|unsupported", re.I)


class Failed(Exception):
    """The workload could not be measured on this server. `unsupported` means
    the server refused the feature; otherwise it broke (timeout, wrong result)."""

    def __init__(self, reason, unsupported=False, detail=""):
        super().__init__(reason)
        self.reason, self.unsupported, self.detail = reason, unsupported, detail


class Mark:
    def __init__(self, t, cpu, rss, run_ns, gdb_ns):
        self.t = t
        self.cpu = None if cpu == "-" else int(cpu)  # clock ticks
        self.rss = None if rss == "-" else int(rss)  # kB
        self.run_ns = None if run_ns == "-" else int(run_ns)
        self.gdb_ns = None if gdb_ns == "-" else int(gdb_ns)


class Session:
    """What one gdb run printed, parsed."""

    def __init__(self, output, total, server_log=""):
        self.output, self.total, self.server_log = output, total, server_log
        self.marks, self.values, self.hits = {}, {}, {}
        for line in output.splitlines():
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "@@MARK" and len(parts) == 7:
                self.marks[parts[1]] = Mark(float(parts[2]), *parts[3:])
            elif parts[0] == "@@VALUE" and len(parts) >= 3:
                self.values[parts[1]] = " ".join(parts[2:])
            elif parts[0] == "@@HITS" and len(parts) == 3 and parts[2] != "-":
                self.hits[parts[1]] = {int(k): int(v) for k, v in
                                       (kv.split(":") for kv in parts[2].split(","))}

    def mark(self, label):
        if label not in self.marks:
            raise Failed("gdb never reached mark %r" % label, detail=self.tail())
        return self.marks[label]

    def seconds(self, a, b):
        return self.mark(b).t - self.mark(a).t

    def cpu_seconds(self, a, b):
        """Server CPU (utime+stime) between two marks; None over stdio."""
        ca, cb = self.mark(a).cpu, self.mark(b).cpu
        return None if ca is None or cb is None else (cb - ca) / CLK_TCK

    def run_seconds(self, a, b):
        """Server CPU between two marks from schedstat (ns precision)."""
        ra, rb = self.mark(a).run_ns, self.mark(b).run_ns
        return None if ra is None or rb is None else (rb - ra) / 1e9

    def gdb_seconds(self, a, b):
        """gdb's own CPU between two marks (schedstat, ns precision)."""
        ga, gb = self.mark(a).gdb_ns, self.mark(b).gdb_ns
        return None if ga is None or gb is None else (gb - ga) / 1e9

    def value(self, label):
        if label not in self.values:
            raise Failed("gdb printed no value %r" % label, detail=self.tail())
        return self.values[label]

    def expect(self, text, why):
        if text not in self.output:
            self.fail(why)

    def fail(self, why):
        raise Failed(why, unsupported=bool(UNSUPPORTED.search(self.output)),
                     detail=self.tail())

    def tail(self, n=4):
        return tail(self.output, n)


def tail(text, n=4, width=160):
    """The last lines of a transcript, shortened, for an anomaly report."""
    lines = [l[:width] for l in text.splitlines() if l.strip() and not l.startswith("@@")]
    return " | ".join(lines[-n:])


def gdb_argv(prog, connect, script, pre=()):
    """`pre`: gdb commands to run before connecting (e.g. set remotelogfile)."""
    before = [arg for cmd in pre for arg in ("-ex", cmd)]
    return ["gdb", "-nx", "-batch", "-x", GDB_MARKS, *before,
            "-ex", "bench-mark connect0", "-ex", connect, "-ex", "bench-mark connected",
            "-x", script, prog]


def _note_alarms(server, text, pattern=ALARMING):
    for line in text.splitlines():
        if pattern.search(line):
            note = "%s said: %s" % (os.path.basename(server), line.strip()[:200])
            if note not in SERVER_NOTES:
                SERVER_NOTES.append(note)


def _check_run(run, timeout):
    if run.timed_out:
        raise Failed("timeout after %d s (killed)" % timeout, detail=tail(run.output))


def tcp(server, prog_argv, script, out_path, timeout, extra=(), keep=(), gdb_prog=None,
        pre=(), before_gdb=None, wrapper=(), listen_timeout=20):
    """Start the server on 127.0.0.1:0, run gdb against it, wait for the server
    to exit. Session.total runs from the server's start to its exit. gdb loads
    `gdb_prog` (default: the program the server starts). `before_gdb(pid)` runs
    once the server listens, before gdb starts (e.g. to attach strace);
    `wrapper` runs the server under another program (valgrind)."""
    srv = procs.Server(server, prog_argv, extra, listen_timeout, wrapper)
    try:
        if srv.port is None:
            raise Failed("server did not listen", unsupported=True,
                         detail=tail(srv.stderr.text()))
        if before_gdb:
            before_gdb(srv.pid)
        env = dict(os.environ, BENCH_SERVER_PID=str(srv.pid))
        connect = "target remote 127.0.0.1:%d" % srv.port
        run = procs.run_gdb(gdb_argv(gdb_prog or prog_argv[0], connect, script, pre), env,
                            timeout, out_path)
        _check_run(run, timeout)
        if not srv.wait(10 if not wrapper else 60):
            raise Failed("server still running after gdb exited (killed)")
        _note_alarms(server, srv.stderr.text())
        return Session(run.output, time.monotonic() - srv.start, srv.stderr.text())
    finally:
        srv.close()
        procs.reap_strays(keep)


def stdio(server, prog_argv, script, out_path, timeout):
    """gdb starts the server itself through a pipe. Session.total is gdb's
    whole run (the server's own exit after gdb closes the pipe is not timed)."""
    connect = "target remote | " + " ".join(shlex.quote(a) for a in [server, "-", *prog_argv])
    env = dict(os.environ, BENCH_SERVER_PID="0")
    try:
        run = procs.run_gdb(gdb_argv(prog_argv[0], connect, script), env, timeout, out_path)
        _check_run(run, timeout)
        _note_alarms(server, run.output, ALARMING_STDIO)
        return Session(run.output, run.elapsed)
    finally:
        procs.reap_strays()
