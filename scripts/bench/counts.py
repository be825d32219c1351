"""counts.py: the numbers that machine noise cannot move: remote-protocol
packets gdb sends per breakpoint hit, server system calls per hit, and the
server's own instructions per hit and per `stepi` (valgrind's callgrind).

Method: each workload runs twice per server, with N events and with 0, under
`strace -f -c -p SERVERPID` (attached once the server listens) and with gdb's
`set remotelogfile`, or with the server under `valgrind --tool=callgrind`
(user-space instructions of the server alone; the program it starts is not
followed). Per event = (count with N - count with 0) / N, so session
start-up and exit cancel out exactly. These runs are slowed by strace,
logging and valgrind and are never timed.

rgdbserver is counted twice: as it runs, and with --no-spin. Its brief
spin before each sleep (src/session/spin.rs) polls while it waits, so its
counts there depend on how fast gdb answers (under strace, slowly); with
--no-spin they are the work each event takes, repeatable as intended.
"""
import collections
import os
import re
import shutil
import subprocess

import procs
import sessions
import workloads
from sessions import Failed

COUNT_HITS = 1000
COUNT_STEPS = 1000
ATTACHED = re.compile(r"attached")
COLLECTED = re.compile(r"==\d+== Collected : (\d+)")
CALLGRIND = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]

STEPI_ONLY = """\
break work
continue
stepi %d
kill
"""


def packet_kind(body):
    """A short name for a packet: 'vCont', 'Z0', 'qXfer:threads', 'Hg', 'm'."""
    if body[:1] in ("q", "Q", "v"):
        head = re.split(r"[;,]", body, 1)[0]
        parts = head.split(":")
        return ":".join(parts[:2]) if parts[0] == "qXfer" else parts[0]
    if body[:1] in ("H", "Z", "z"):
        return body[:2]
    return body[:1]


def count_packets(log_path):
    """Packets gdb sent, by kind, from a remotelogfile ('w' lines)."""
    kinds = collections.Counter()
    with open(log_path, errors="replace") as f:
        for line in f:
            if line.startswith("w ") and "$" in line:
                kinds[packet_kind(line.split("$", 1)[1])] += 1
    return kinds


def count_syscalls(summary_path):
    """Calls by syscall name from an `strace -c` summary."""
    calls = collections.Counter()
    with open(summary_path) as f:
        for line in f:
            fields = line.split()
            # Rows: % time, seconds, usecs/call, calls, [errors], syscall.
            if len(fields) >= 5 and fields[3].isdigit() and fields[-1] != "total":
                calls[fields[-1]] += int(fields[3])
    return calls


def _one_run(ctx, server, hits, tag, extra=()):
    log = os.path.join(ctx.tmp, "counts-%s-%d.remotelog" % (tag, hits))
    summary = os.path.join(ctx.tmp, "counts-%s-%d.strace" % (tag, hits))
    tracer = {}
    keep = []

    def attach_strace(pid):
        proc = subprocess.Popen(["strace", "-f", "-c", "-o", summary, "-p", str(pid)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        tracer["proc"] = proc
        keep.append(proc.pid)
        # strace says "attached" once it has seized the server; from then on
        # the server's system calls are counted.
        if procs.LineWatcher(proc.stderr).wait_for(ATTACHED, 20) is None:
            raise Failed("strace did not attach to the server")

    script = ctx.script("hits", workloads.BREAKPOINT_HITS)
    try:
        sessions.tcp(server, [ctx.bins["hits"], str(hits)], script,
                     ctx.out("counts"), 300, extra=extra, keep=keep,
                     pre=["set remotelogfile " + log], before_gdb=attach_strace)
        proc = tracer["proc"]
        # strace exits after the server it traces; its summary is then complete.
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            raise Failed("strace still running 20 s after the server exited")
    finally:
        if "proc" in tracer:
            procs.kill_tree(tracer["proc"])
        procs.reap_strays()
    return count_packets(log), count_syscalls(summary)


def _instructions(ctx, server, program, args, script, tag, extra):
    """The server's instructions over one session under callgrind."""
    path = ctx.script("cg-" + tag, script)
    s = sessions.tcp(server, [ctx.bins[program], *args], path, ctx.out("callgrind"), 600,
                     extra=extra, wrapper=CALLGRIND, listen_timeout=120)
    m = COLLECTED.search(s.server_log)
    if not m:
        raise Failed("callgrind gave no instruction count", detail=s.server_log[-400:])
    return int(m.group(1))


def instructions(ctx, server, tag, extra=()):
    """{'per breakpoint hit': Ir, 'per stepi': Ir} for one server; {} without
    valgrind."""
    if shutil.which("valgrind") is None:
        return {}
    hits = [_instructions(ctx, server, "hits", [str(n)], workloads.BREAKPOINT_HITS,
                          "%s-hits%d" % (tag, n), extra) for n in (COUNT_HITS, 0)]
    steps = [_instructions(ctx, server, "loop", [], STEPI_ONLY % n, "%s-stepi%d" % (tag, n),
                           extra) for n in (COUNT_STEPS, 0)]
    return {"per breakpoint hit": (hits[0] - hits[1]) / COUNT_HITS,
            "per stepi": (steps[0] - steps[1]) / COUNT_STEPS}


def measure(ctx, server, tag, extra=()):
    """{'packets': {kind: per hit}, 'syscalls': {name: per hit},
    'instructions': {event: per event}} for one server, started with the
    options `extra`."""
    tag = tag.replace(" ", "")
    p_n, s_n = _one_run(ctx, server, COUNT_HITS, tag, extra)
    p_0, s_0 = _one_run(ctx, server, 0, tag, extra)

    def per_hit(with_hits, without):
        names = set(with_hits) | set(without)
        diff = {k: (with_hits[k] - without[k]) / COUNT_HITS for k in names}
        return {k: v for k, v in diff.items() if abs(v) >= 0.005}

    return {"packets": per_hit(p_n, p_0), "syscalls": per_hit(s_n, s_0),
            "instructions": instructions(ctx, server, tag, extra)}
