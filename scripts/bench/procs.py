"""procs.py: every process the benchmark starts, and its end.

Owns: starting a gdbserver-compatible server on 127.0.0.1:0 and learning its
port from its stderr; running batch gdb under a timeout; starting a helper
program and waiting for a line it prints; and killing whatever is left.

Invariants:
- Nothing sleeps to synchronise: we wait on real events (a line on a pipe, a
  process exit); timeouts are only safety nets.
- Every process is killed by PID. The driver makes itself a child subreaper,
  so a server or inferior orphaned by gdb's exit is re-parented to us and
  `reap_strays` can find it (as our child), kill it and reap it. PIDs are
  found in /proc just before they are signalled, and only below processes of
  ours, so a recycled PID of someone else's is not hit.
"""
import ctypes
import os
import re
import signal
import subprocess
import threading
import time

PR_SET_CHILD_SUBREAPER = 36
LISTENING = re.compile(r"Listening on port (\d+)")


def become_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def _children_of(pid):
    """PIDs whose parent is `pid`, from /proc (threads are not listed there)."""
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if ppid == pid:
            kids.append(int(entry))
    return kids


def descendants(pid):
    """All processes below `pid`, deepest first (so children die before parents
    could re-spawn anything)."""
    found = []
    for kid in _children_of(pid):
        found.extend(descendants(kid))
        found.append(kid)
    return found


def kill_pid(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def kill_tree(popen):
    """Kill a process we started and everything below it, by PID, and reap it."""
    if popen.poll() is None:
        for pid in descendants(popen.pid):
            kill_pid(pid)
        kill_pid(popen.pid)
    popen.wait()


def reap_strays(keep=()):
    """Kill and reap every child of ours that is not in `keep` (orphans handed
    to us as subreaper: a server gdb started over stdio, or its inferior)."""
    while True:
        strays = [p for p in _children_of(os.getpid()) if p not in keep]
        if not strays:
            return
        for pid in strays:
            for below in descendants(pid):
                kill_pid(below)
            kill_pid(pid)
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass  # reaped by a Popen of ours


class LineWatcher:
    """Drains a pipe on a thread, keeps its lines, and lets the caller wait for
    the first line matching a pattern (or for EOF)."""

    def __init__(self, pipe):
        self.lines = []
        self._cond = threading.Condition()
        self._eof = False
        self._thread = threading.Thread(target=self._drain, args=(pipe,), daemon=True)
        self._thread.start()

    def _drain(self, pipe):
        for raw in iter(pipe.readline, b""):
            with self._cond:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def wait_for(self, pattern, timeout):
        """The first match of `pattern`, or None on EOF or timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines:
                    m = pattern.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if self._eof or left <= 0:
                    return None
                self._cond.wait(left)

    def text(self):
        with self._cond:
            return "\n".join(self.lines)


class Server:
    """A server started as `[WRAPPER...] SERVER --once [extra] 127.0.0.1:0 ARGS...`."""

    def __init__(self, server, args, extra=(), timeout=20, wrapper=()):
        argv = [*wrapper, server, "--once", *extra, "127.0.0.1:0", *args]
        self.start = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.stderr = LineWatcher(self.proc.stderr)
        m = self.stderr.wait_for(LISTENING, timeout)
        self.port = int(m.group(1)) if m else None

    @property
    def pid(self):
        return self.proc.pid

    def wait(self, timeout):
        """Wait for the server to exit on its own; True if it did."""
        try:
            self.proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def close(self):
        kill_tree(self.proc)


class GdbRun:
    """Result of one batch gdb session."""

    def __init__(self, rc, timed_out, elapsed, output):
        self.rc, self.timed_out, self.elapsed, self.output = rc, timed_out, elapsed, output


def run_gdb(argv, env, timeout, out_path):
    """Run gdb with stdout+stderr into `out_path`; kill its tree on timeout."""
    with open(out_path, "w") as out:
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=env)
        timed_out = False
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_tree(proc)
        elapsed = time.monotonic() - start
    with open(out_path, errors="replace") as f:
        return GdbRun(proc.returncode, timed_out, elapsed, f.read())


class Helper:
    """A program we run ourselves (e.g. the process to attach to), ready once
    it prints a given line on stdout."""

    def __init__(self, argv, ready_pattern, timeout=30):
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.stdout = LineWatcher(self.proc.stdout)
        self.ready = self.stdout.wait_for(re.compile(ready_pattern), timeout) is not None

    @property
    def pid(self):
        return self.proc.pid

    def state(self):
        """(State letter, TracerPid) from /proc, or None once it is gone."""
        try:
            with open("/proc/%d/status" % self.pid) as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            return fields["State"].split()[0], int(fields["TracerPid"])
        except (OSError, KeyError, ValueError):
            return None

    def close(self):
        kill_tree(self.proc)
