"""report.py: turns the collected samples into the result tables.

Owns: median and min-max per metric and server, the ratio
rgdbserver/gdbserver and the check against the project's target, the
packet/syscall count tables, and rendering all of it both as aligned plain
text (for the terminal) and as Markdown (for BENCH_OUT).
"""
import statistics

SERVERS = ("gdbserver", "rgdbserver")
# The count tables add rgdbserver without its spin (see counts.py).
COUNTED = SERVERS + ("rgdbserver --no-spin",)


def num(v):
    if v is None:
        return "-"
    a = abs(v)
    return "%.0f" % v if a >= 100 else "%.1f" % v if a >= 10 else "%.2f" % v


def _cell(samples):
    if not samples:
        return None, None
    med = statistics.median(samples)
    text = num(med) if len(samples) == 1 else "%s [%s-%s]" % (num(med), num(min(samples)),
                                                             num(max(samples)))
    return med, text


def _target(metric, ratio, rgdb_median):
    """(target text, verdict) for one row."""
    if metric.target is None:
        return "", ""
    kind, x = metric.target
    if kind == "abs":
        met = rgdb_median is not None and rgdb_median <= x
        return "~0 (<= %g %s)" % (x, metric.unit), ("-" if rgdb_median is None else
                                                    "yes" if met else "NO")
    if metric.higher_better:
        text, met = ">= %gx" % x, ratio is not None and ratio >= x
    else:
        text, met = "<= %gx" % x, ratio is not None and ratio <= x
    return text, "-" if ratio is None else "yes" if met else "NO"


def result_rows(metrics, samples, failures):
    """samples: {(metric key, server): [values]}; failures: {(metric key, server): text}."""
    header = ["workload", "unit", "gdbserver median [min-max]",
              "rgdbserver median [min-max]", "ratio r/g", "target", "met"]
    rows = []
    for m in metrics:
        meds, cells = {}, []
        for server in SERVERS:
            med, text = _cell(samples.get((m.key, server), []))
            meds[server] = med
            cells.append(text or failures.get((m.key, server), "n/a (not run)"))
        g, r = meds["gdbserver"], meds["rgdbserver"]
        ratio = r / g if g and r is not None else None
        ratio_text = "n/a" if ratio is None else "%.2fx" % ratio
        if m.higher_better and ratio is not None:
            ratio_text += " (higher=faster)"
        target, verdict = _target(m, ratio, r)
        rows.append([m.label, m.unit, *cells, ratio_text, target, verdict])
    return header, rows


def count_rows(counts, what, total=True):
    """Per-event counts (packets, system calls, instructions), both servers
    side by side, with a total row unless the rows are different events."""
    names = sorted({k for s in COUNTED for k in counts.get(s, {}).get(what, {})},
                   key=lambda k: -max(counts.get(s, {}).get(what, {}).get(k, 0) for s in COUNTED))
    rows = []
    for name in names:
        rows.append([name] + [num(counts.get(s, {}).get(what, {}).get(name, 0))
                              if s in counts else "n/a" for s in COUNTED])
    if not total:
        return ["per event", *COUNTED], rows
    totals = ["total"] + [num(sum(counts[s][what].values())) if s in counts else "n/a"
                          for s in COUNTED]
    return ["per hit", *COUNTED], rows + [totals]


def text_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(r):
        return "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def md_table(header, rows):
    esc = [[str(c).replace("|", "\\|") for c in r] for r in [header] + rows]
    out = ["| " + " | ".join(esc[0]) + " |", "|" + "---|" * len(header)]
    return "\n".join(out + ["| " + " | ".join(r) + " |" for r in esc[1:]])
