"""floor.py: what this machine charges for the wake-ups no debug server can
avoid, measured with no debugger at all (programs/floor.c): a TCP round trip
to a process that answers at once, and one PTRACE_SINGLESTEP + waitpid. A
reported breakpoint hit is 11 packets and 2 stops, so its floor is 11 round
trips and 2 steps: the per-hit rows above are read against it.
"""
import statistics
import subprocess

RUNS = 3
ROUND_TRIPS = 20000
STEPS = 20000
KEYS = ("round_trip_wall_us", "round_trip_cpu_us", "step_wall_us", "step_cpu_us")
HIT_ROUND_TRIPS, HIT_STOPS = 11, 2


def measure(binary):
    """Medians over RUNS runs, by key; None when the program fails."""
    runs = []
    for _ in range(RUNS):
        try:
            out = subprocess.run([binary, str(ROUND_TRIPS), str(STEPS)], capture_output=True,
                                 text=True, timeout=120, check=True).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        pairs = dict(p.split("=", 1) for p in out.split() if "=" in p)
        try:
            runs.append({k: float(pairs[k]) for k in KEYS})
        except (KeyError, ValueError):
            return None
    return {k: statistics.median(r[k] for r in runs) for k in KEYS}


def markdown(found, num):
    """The floor section, as Markdown lines."""
    if not found:
        return ["The floor program did not run."]
    hit = {what: HIT_ROUND_TRIPS * found["round_trip_%s_us" % what]
           + HIT_STOPS * found["step_%s_us" % what] for what in ("wall", "cpu")}
    return [
        "Measured with no debugger (programs/floor.c, median of %d runs): the waiting "
        "side's CPU is what a server spends to sleep and be woken." % RUNS, "",
        "| per event | wall us | waiting side's CPU us |",
        "|---|---|---|",
        "| TCP round trip to a process that answers at once | %s | %s |"
        % (num(found["round_trip_wall_us"]), num(found["round_trip_cpu_us"])),
        "| PTRACE_SINGLESTEP + waitpid | %s | %s |"
        % (num(found["step_wall_us"]), num(found["step_cpu_us"])),
        "| a breakpoint hit's share: %d round trips + %d stops | %s | %s |"
        % (HIT_ROUND_TRIPS, HIT_STOPS, num(hit["wall"]), num(hit["cpu"])),
    ]
