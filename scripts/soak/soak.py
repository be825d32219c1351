#!/usr/bin/env python3
"""soak.py: an hour (SOAK_SECONDS) of breakpoint hits, steps and thread
churn under rgdbserver, with the server's resident memory and open file
descriptors sampled every SOAK_INTERVAL seconds (default 60). Prints one
row per sample and exits 1 unless both stay flat: after the first sample,
RSS may grow by at most SOAK_RSS_SLACK_KB (default 1024) and the descriptor
count (beyond one per live thread) not at all; gdb must have hit the breakpoint every iteration.

Usage: SOAK_SECONDS=3600 scripts/soak/soak.py [SERVER]
"""
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def status(pid, field):
    m = re.search(r"^%s:\s+(\d+)" % field, open("/proc/%d/status" % pid).read(), re.M)
    return int(m.group(1)) if m else 0


def sample(server, program):
    """RSS, the descriptors besides the per-thread name files the server
    keeps open (one per live thread, opened and closed with the threads),
    and the program's thread count."""
    fds = 0
    for fd in os.listdir("/proc/%d/fd" % server):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (server, fd))
        except OSError:
            continue
        if not re.match(r"/proc/\d+/task/\d+/comm$", target):
            fds += 1
    threads = len(os.listdir("/proc/%d/task" % program)) if os.path.exists(
        "/proc/%d" % program) else 0
    return status(server, "VmRSS"), fds, threads


def main():
    server_bin = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        REPO, "target/release/rgdbserver")
    seconds = float(os.environ.get("SOAK_SECONDS", "3600"))
    interval = float(os.environ.get("SOAK_INTERVAL", "60"))
    slack = int(os.environ.get("SOAK_RSS_SLACK_KB", "1024"))
    work = tempfile.mkdtemp(prefix="rgdb-soak.")
    prog = os.path.join(work, "soak_target")
    subprocess.run(["cc", "-O0", "-g", "-pthread", "-o", prog,
                    os.path.join(HERE, "soak_target.c")], check=True)
    log = open(os.path.join(work, "server.log"), "wb")
    server = subprocess.Popen([server_bin, "--once", "127.0.0.1:0", prog], stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    text = b""
    deadline = time.monotonic() + 30
    while b"Listening on port" not in text:
        if time.monotonic() > deadline:
            server.kill()
            raise SystemExit("the server did not start")
        time.sleep(0.05)
        text = open(os.path.join(work, "server.log"), "rb").read()
    port = int(re.search(rb"Listening on port (\d+)", text).group(1))
    program = int(re.search(rb"pid = (\d+)", text).group(1))
    env = dict(os.environ, SOAK_SECONDS=str(seconds))
    # gdb's output goes to a file: an hour of it would fill a pipe.
    gdb_log = os.path.join(work, "gdb.log")
    gdb = subprocess.Popen(
        ["gdb", "-nx", "-batch", "-ex", "set confirm off",
         "-ex", "target remote 127.0.0.1:%d" % port,
         "-x", os.path.join(HERE, "soak_gdb.py"), prog],
        stdout=open(gdb_log, "wb"), stderr=subprocess.STDOUT, env=env,
        start_new_session=True)
    rows = []
    started = time.monotonic()
    try:
        while gdb.poll() is None:
            # A measurement, not a synchronisation: sample on a clock.
            time.sleep(min(interval, 5) if not rows else interval)
            if gdb.poll() is not None or server.poll() is not None:
                break
            rss, fds, threads = sample(server.pid, program)
            rows.append((time.monotonic() - started, rss, fds, threads))
            print("%7.0f s  rss %6d kB  fds %3d (besides threads)  program threads %d" % rows[-1],
                  flush=True)
        gdb.wait(timeout=seconds + 300)
        out = open(gdb_log, "rb").read().decode(errors="replace")
    finally:
        for p in (gdb, server):
            if p.poll() is None:
                os.killpg(p.pid, 9)
                p.wait()
    done = re.search(r"SOAK-DONE iterations=(\d+) hits=(\d+)", out)
    failures = []
    if not done:
        failures.append("gdb did not finish:\n" + out[-2000:])
    elif int(done.group(1)) == 0 or int(done.group(2)) < int(done.group(1)):
        failures.append("%s iterations but %s hits" % done.groups())
    if len(rows) >= 2:
        rss0 = rows[0][1]
        rss_max = max(r[1] for r in rows)
        if rss_max > rss0 + slack:
            failures.append("RSS grew from %d kB to %d kB" % (rss0, rss_max))
        counts = sorted({r[2] for r in rows})
        if len(counts) > 1:
            failures.append("open descriptors changed: %s" % counts)
    else:
        failures.append("too few samples")
    if done:
        print("%s iterations (breakpoint hit, 4 stepi, next each), %s hits, %.0f s; RSS %d..%d kB,"
              " fds %s" % (done.group(1), done.group(2), time.monotonic() - started,
                           min(r[1] for r in rows) if rows else 0,
                           max(r[1] for r in rows) if rows else 0,
                           sorted({r[2] for r in rows})))
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
