#!/usr/bin/env python3
"""live_fuzz.py: sends mutated and random packets to a running rgdbserver
that holds a real traced program, and checks after every thousand that the
server still answers `?` and `m` correctly and the program is still there.

The seeds come from a real gdb session: gdb is run once against a server
with --remote-debug (break, continue, next, info registers, threads,
memory, libraries, files) and every packet it sent is kept. Mutations flip,
insert, delete and splice bytes, put boundary numbers (0, -1, 2^64-1, ...)
in hex fields and cut packets short; a share of the packets are random
bytes. Packets that would end the session or change the program (kill,
detach, resume, writes, host files, monitor, mode switches) are filtered
out, and '$'/'#' never appear inside a payload, so no unfiltered packet can
hide in another one.

Usage: live_fuzz.py [--server BIN] [--packets N] [--seed S]
Prints packets/s and exits 1 on a panic, a hang (no reply within 10 s), a
lost connection, a wrong `?`/`m` answer or a lost program.
"""
import argparse
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# First bytes / prefixes of packets that end the session or change the
# program's state or the machine's files: never sent.
DENY = (b"k", b"D", b"R", b"c", b"C", b"s", b"S", b"i", b"I", b"!", b"M", b"X", b"G", b"P",
        b"vCont", b"vKill", b"vRun", b"vAttach", b"vFile", b"qRcmd", b"QNonStop",
        b"QStartNoAckMode", b"vCtrlC", b"bc", b"bs")

BOUNDARY = [b"0", b"1", b"-1", b"ffffffff", b"ffffffffffffffff", b"10000000000000000",
            b"7fffffff", b"", b"p-1.-1", b"p0.0"]

GDB_SESSION = ["break main", "continue", "next", "info registers", "info threads",
               "x/16xb &marker", "print marker", "info sharedlibrary", "bt", "info frame",
               "info os processes", "find &marker[0], +64, 'z'", "compare-sections",
               "info auxv", "watch *(int *)&marker", "delete", "tbreak main", "kill"]


def checksum(payload):
    return sum(payload) & 0xff


def frame(payload):
    return b"$" + payload + b"#%02x" % checksum(payload)


def unprintable(text):
    """Undo rgdbserver's --remote-debug escaping (\\xNN, \\\\)."""
    out, i = bytearray(), 0
    while i < len(text):
        if text[i] == "\\" and text[i + 1:i + 2] == "x":
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        elif text[i] == "\\" and text[i + 1:i + 2] == "\\":
            out.append(0x5c)
            i += 2
        else:
            out.extend(text[i].encode("latin-1", "replace"))
            i += 1
    return bytes(out)


def start_server(server, prog, log_path, extra=()):
    """The server's output goes to a file, so a long log never blocks it."""
    log = open(log_path, "wb")
    proc = subprocess.Popen([server, "--once", *extra, "127.0.0.1:0", prog],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while True:
        text = open(log_path, "rb").read()
        if b"Listening on port" in text:
            break
        if time.monotonic() > deadline or proc.poll() is not None:
            raise SystemExit("the server did not start:\n" + text.decode(errors="replace"))
        time.sleep(0.01)
    port = int(re.search(rb"Listening on port (\d+)", text).group(1))
    pid = int(re.search(rb"pid = (\d+)", text).group(1))
    return proc, port, pid


def gdb_corpus(server, prog, work):
    """Every packet gdb sends in a real session."""
    log_path = os.path.join(work, "corpus.log")
    proc, port, _ = start_server(server, prog, log_path, ["--remote-debug"])
    cmd = ["gdb", "-nx", "-batch", "-ex", "set confirm off", "-ex",
           "target remote 127.0.0.1:%d" % port]
    for c in GDB_SESSION:
        cmd += ["-ex", c]
    subprocess.run(cmd + [prog], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=120)
    proc.wait(timeout=30)
    log = open(log_path, "rb").read()
    packets = [unprintable(m) for m in
               re.findall(r'getpkt \("(.*)"\)$', log.decode("latin-1"), re.M)]
    return sorted(set(p for p in packets if p))


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(10)
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.buf += data

    def reply(self):
        """The next packet's payload (acks and notifications skipped)."""
        while True:
            start = self.buf.find(b"$")
            if start >= 0:
                end = self.buf.find(b"#", start)
                if end >= 0 and len(self.buf) >= end + 3:
                    payload = self.buf[start + 1:end]
                    self.buf = self.buf[end + 3:]
                    self.sock.sendall(b"+")
                    return payload
            self._fill()

    def request(self, payload):
        self.sock.sendall(frame(payload))
        return self.reply()

    def send_raw(self, data):
        self.sock.sendall(data)


def expand_rle(data):
    out, i = bytearray(), 0
    while i < len(data):
        if data[i:i + 1] == b"*" and out and i + 1 < len(data):
            out.extend(out[-1:] * (data[i + 1] - 29))
            i += 2
        else:
            out.append(data[i])
            i += 1
    return bytes(out)


def mutate(rng, seed, corpus):
    p = bytearray(seed)
    for _ in range(rng.randrange(1, 5)):
        kind = rng.randrange(7)
        if kind == 0 and p:
            p[rng.randrange(len(p))] ^= 1 << rng.randrange(8)
        elif kind == 1:
            p.insert(rng.randrange(len(p) + 1), rng.randrange(256))
        elif kind == 2 and p:
            del p[rng.randrange(len(p))]
        elif kind == 3 and p:
            at = rng.randrange(len(p))
            hexd = b"0123456789abcdefABCDEF"
            start = at
            while start > 0 and p[start - 1] in hexd:
                start -= 1
            end = at
            while end < len(p) and p[end] in hexd:
                end += 1
            p[start:end] = rng.choice(BOUNDARY)
        elif kind == 4:
            del p[rng.randrange(len(p) + 1):]
        elif kind == 5:
            other = rng.choice(corpus)
            p[rng.randrange(len(p) + 1):] = other[rng.randrange(len(other) + 1):]
        elif kind == 6:
            p.extend(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 32))))
    return bytes(p)


def allowed(payload):
    return not payload.startswith(DENY)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default=os.path.join(REPO, "target/release/rgdbserver"))
    ap.add_argument("--packets", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check-every", type=int, default=1000,
                    help="packets between checks (1 finds the packet that broke something)")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="rgdb-fuzz.")
    prog = os.path.join(work, "fuzz_target")
    subprocess.run(["cc", "-O0", "-g", "-o", prog, os.path.join(HERE, "fuzz_target.c")],
                   check=True)
    symbols = subprocess.run(["nm", prog], capture_output=True, text=True, check=True).stdout
    marker_offset = int(re.search(r"^([0-9a-f]+) [rR] marker$", symbols, re.M).group(1), 16)

    corpus = gdb_corpus(args.server, prog, work)
    print("corpus: %d distinct packets from a real gdb session" % len(corpus), flush=True)

    server_log = os.path.join(work, "server.log")
    proc, port, pid = start_server(args.server, prog, server_log)
    failures = []
    recent = []
    sent = 0
    started = time.monotonic()
    try:
        client = Client(port)
        stop = client.request(b"?")
        maps = open("/proc/%d/maps" % pid).read()
        base = min(int(l.split("-")[0], 16) for l in maps.splitlines() if l.endswith(prog))
        marker = base + marker_offset
        want = expand_rle(client.request(b"m%x,40" % marker))
        if bytes.fromhex(want.decode())[:10] != b"rgdbserver":
            raise SystemExit("the marker did not read back: %r" % want)
        rng = random.Random(args.seed)
        while sent < args.packets:
            for _ in range(args.check_every):
                r = rng.random()
                if r < 0.05:
                    # Noise between packets: no '$', so no packet hides in
                    # it, and no '-' (a request to resend the last reply).
                    noise = bytes(rng.choice(b"+\x03abc}*# \n\x00\xff")
                                  for _ in range(rng.randrange(1, 20)))
                    client.send_raw(noise)
                    continue
                if r < 0.15:
                    payload = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200)))
                else:
                    payload = mutate(rng, rng.choice(corpus), corpus)
                payload = payload.replace(b"$", b"").replace(b"#", b"")
                if not allowed(payload):
                    continue
                if r < 0.2:
                    # A bad checksum: must be nacked, not obeyed.
                    client.send_raw(b"$" + payload + b"#%02x" % ((checksum(payload) + 1) & 0xff))
                    sent += 1
                    continue
                recent = (recent + [payload])[-20:]
                client.request(payload)
                sent += 1
            # The check: the same stop, the marker, the program.
            now = client.request(b"?")
            if now != stop:
                failures.append("`?` changed after %d packets: %r; the last packets:\n    %s"
                                % (sent, now[:60], "\n    ".join(repr(p[:80]) for p in recent)))
            got = expand_rle(client.request(b"m%x,40" % marker))
            if got != want:
                failures.append("the marker read %r after %d packets" % (got[:40], sent))
            state = re.search(r"State:\s+(\S)", open("/proc/%d/status" % pid).read())
            if not state or state.group(1) not in "tT":
                failures.append("the program is in state %s" % (state and state.group(1)))
            if failures:
                break
            if sent % 100000 < args.check_every:
                print("%d packets, %.0f/s" % (sent, sent / (time.monotonic() - started)),
                      flush=True)
    except (ConnectionError, socket.timeout, OSError) as e:
        failures.append("after %d packets: %s; the last packets:\n    %s" % (
            sent, e, "\n    ".join(repr(p[:80]) for p in recent)))
    elapsed = time.monotonic() - started
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    log = open(server_log, "rb").read().decode(errors="replace")
    if "panicked" in log:
        failures.append("the server panicked:\n" + log[-2000:])
    print("%d packets in %.1f s: %.0f packets/s; %s" % (
        sent, elapsed, sent / elapsed if elapsed else 0,
        "no failure" if not failures else "FAILED"))
    for f in failures:
        print("  " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
