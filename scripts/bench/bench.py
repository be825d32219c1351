#!/usr/bin/env python3
"""bench.py: the benchmark driver that run.sh calls once everything is built.

Owns: the order of runs (every round runs every workload for gdbserver, then
for rgdbserver: A B A B ..., so slow drifts of the machine hit both alike),
collecting samples and failures, the noise-free counts, and writing the
report to stdout and to BENCH_OUT.

Usage: bench.py --gdbserver PATH --rgdbserver PATH [--built-from TEXT]
                --bins DIR --tmp DIR
Environment: BENCH_ROUNDS (default 3), BENCH_OUT (Markdown file),
BENCH_STDIO_READ_MIB (default 4), BENCH_ONLY (comma-separated workload
names, for working on the suite itself).
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

import counts
import floor
import procs
import report
import sessions
import workloads
from sessions import Failed

HERE = os.path.dirname(os.path.abspath(__file__))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def first_line(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=20).stdout.splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def na_text(err):
    if err.unsupported:
        return "n/a (unsupported)"
    return "n/a (timeout)" if "timeout" in err.reason else "n/a (failed)"


def run_rounds(ctx, servers, rounds, only):
    samples, failures, anomalies = {}, {}, []
    given_up = set()  # (workload, server) that failed once: not retried
    for rnd in range(1, rounds + 1):
        for name, fn, prefix in workloads.WORKLOADS:
            if only and name not in only:
                continue
            for tag, path in servers:
                if (name, tag) in given_up:
                    continue
                start = time.monotonic()
                try:
                    result = fn(ctx, path)
                except Failed as err:
                    given_up.add((name, tag))
                    failures.update({(m.key, tag): na_text(err)
                                     for m in ctx.metrics if m.key.startswith(prefix)})
                    anomalies.append("round %d, %s, %s: %s%s" % (
                        rnd, name, tag, err.reason, " -- " + err.detail if err.detail else ""))
                    log("[%d/%d] %-16s %-10s FAILED: %s" % (rnd, rounds, name, tag, err.reason))
                    continue
                for key, value in result.items():
                    if value is not None:
                        samples.setdefault((key, tag), []).append(value)
                log("[%d/%d] %-16s %-10s %6.1f s" % (rnd, rounds, name, tag,
                                                     time.monotonic() - start))
    anomalies.extend(noisy(ctx.metrics, samples))
    return samples, failures, anomalies


def noisy(metrics, samples):
    """Metrics whose spread says the machine was busy: worth a re-run."""
    found = []
    for m in metrics:
        for tag in report.SERVERS:
            xs = samples.get((m.key, tag), [])
            if len(xs) > 1 and min(xs) > 0 and max(xs) / min(xs) > 1.5:
                found.append("noisy (max/min > 1.5): %s (%s), %s: %s-%s %s" % (
                    m.key, m.label.strip(), tag, report.num(min(xs)), report.num(max(xs)),
                    m.unit))
    return found


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run_counts(ctx, servers, anomalies):
    found = {}
    runs = [(tag, path, ()) for tag, path in servers]
    runs += [(tag + " --no-spin", path, ("--no-spin",))
             for tag, path in servers if tag == "rgdbserver"]
    for tag, path, extra in runs:
        try:
            found[tag] = counts.measure(ctx, path, tag, extra)
            log("counts %-10s done" % tag)
        except Failed as err:
            anomalies.append("counts, %s: %s -- %s" % (tag, err.reason, err.detail))
    return found


def render(args, ctx, rounds, samples, failures, anomalies, found, floor_found, wall,
           load_before):
    header, rows = report.result_rows(ctx.metrics, samples, failures)
    cpu = {tag: samples.get(("hits.cpu", tag)) for tag in report.SERVERS}
    cpu_line = "server CPU per hit (median of the timed runs): " + ", ".join(
        "%s %s us" % (t, report.num(statistics.median(v)) if v else "n/a")
        for t, v in cpu.items())
    about = [
        "date: %s; host: %s, %d CPUs, kernel %s; load average %s before, %s after" % (
            time.strftime("%Y-%m-%d %H:%M"), platform.processor() or platform.machine(),
            os.cpu_count(), platform.release(), load_before, load_average()),
        "gdb: %s; gdbserver: %s; rgdbserver: release build of %s" % (
            first_line(["gdb", "--version"]), first_line([args.gdbserver, "--version"]),
            args.built_from),
        "rounds: %d (interleaved gdbserver, rgdbserver); suite wall time %.0f s" % (rounds, wall),
        "ratio = rgdbserver median / gdbserver median: below 1 rgdbserver is faster, "
        "except MB/s rows (higher is faster).",
    ]
    pk_h, pk_rows = report.count_rows(found, "packets")
    sc_h, sc_rows = report.count_rows(found, "syscalls")
    ir_h, ir_rows = report.count_rows(found, "instructions", total=False)
    ir_note = ("server instructions (valgrind --tool=callgrind, the server's user space "
               "alone), per event, from %d events minus a run with none"
               % counts.COUNT_HITS)
    counts_note = ("breakpoint hit, per hit, from %d hits minus a 0-hit run "
                   "(remotelogfile: packets gdb sent; strace -f -c -p: server syscalls)"
                   % counts.COUNT_HITS)
    text = "\n".join(about + ["", report.text_table(header, rows), "", counts_note,
                              report.text_table(pk_h, pk_rows), "",
                              report.text_table(sc_h, sc_rows), "", ir_note,
                              report.text_table(ir_h, ir_rows), "", cpu_line, "",
                              "floor: %s" % (floor_found,), "", "anomalies:"] + ["- " + a for a in anomalies or ["none"]])
    print(text)
    md = "\n".join(["# rgdbserver vs GNU gdbserver", ""] + ["- " + a for a in about] + [
        "", "## Results", "", report.md_table(header, rows), "",
        "## Packets and system calls per breakpoint hit", "", counts_note + ".", "",
        "Packets gdb sent:", "", report.md_table(pk_h, pk_rows), "",
        "Server system calls:", "", report.md_table(sc_h, sc_rows), "",
        "Server instructions: " + ir_note + ".", "", report.md_table(ir_h, ir_rows), "",
        cpu_line + ".", "",
        "## This machine's floor", ""] + floor.markdown(floor_found, report.num) + [
        "", "## Anomalies", ""] + ["- " + a.replace("|", "\\|") for a in anomalies or ["none"]])
    with open(args.out, "w") as f:
        f.write(md + "\n")
    log("Markdown written to %s" % args.out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gdbserver", required=True)
    ap.add_argument("--rgdbserver", required=True)
    ap.add_argument("--built-from", default="?", help="the commit rgdbserver was built from")
    ap.add_argument("--bins", required=True, help="directory of the built workload programs")
    ap.add_argument("--tmp", required=True, help="scratch directory (gdb output, scripts)")
    ap.add_argument("--out", default=os.environ.get("BENCH_OUT") or
                    os.path.join(HERE, "last-results.md"))
    args = ap.parse_args()
    rounds = int(os.environ.get("BENCH_ROUNDS") or 3)
    stdio_mib = int(os.environ.get("BENCH_STDIO_READ_MIB") or 4)
    only = {w for w in (os.environ.get("BENCH_ONLY") or "").split(",") if w}

    start = time.monotonic()
    load_before = load_average()
    procs.become_subreaper()
    blob = os.path.join(args.tmp, "blob.bin")
    with open(blob, "wb") as f:
        f.write(os.urandom(64 << 20))
    bins = {n: os.path.join(args.bins, n)
            for n in ("hits", "loop", "bigbuf", "threads", "syscalls", "forks", "idle", "libs",
                      "tls", "hits-m32", "loop-m32", "floor")}
    ctx = workloads.Ctx(args.tmp, bins, blob, stdio_mib)
    servers = [("gdbserver", args.gdbserver), ("rgdbserver", args.rgdbserver)]

    samples, failures, anomalies = run_rounds(ctx, servers, rounds, only)
    found = run_counts(ctx, servers, anomalies) if not only or "counts" in only else {}
    floor_found = floor.measure(bins["floor"]) if not only or "floor" in only else None
    anomalies.extend(sessions.SERVER_NOTES)
    render(args, ctx, rounds, samples, failures, anomalies, found, floor_found,
           time.monotonic() - start, load_before)


if __name__ == "__main__":
    main()
