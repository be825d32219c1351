#!/usr/bin/env bash
# run.sh: the one command that benchmarks rgdbserver against GNU gdbserver.
#
# Builds the workload programs (-O0 -g, into a temp dir) and rgdbserver
# (release), then bench.py runs every workload for both servers, interleaved,
# and prints the result table (also written as Markdown to BENCH_OUT).
#
# Environment: BENCH_ROUNDS (default 3), BENCH_OUT (default
# scripts/bench/last-results.md), BENCH_STDIO_READ_MIB (default 4:
# gdb reads a pipe at about 0.5 MB/s, so 64 MiB would take minutes per run),
# BENCH_ONLY=name,... (subset of workloads, "counts" for the packet/syscall
# counts, "floor" for the machine's wake-up floor), BENCH_GDBSERVER (default /usr/bin/gdbserver), BENCH_KEEP=1 (keep
# the temp dir with every gdb transcript).
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1  # keep scripts/bench free of __pycache__
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
gdbserver=${BENCH_GDBSERVER:-/usr/bin/gdbserver}

for tool in gdb cc cargo python3; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 1; }
done
[ -x "$gdbserver" ] || { echo "run.sh: no GNU gdbserver at $gdbserver" >&2; exit 1; }
# strace counts the servers' system calls, valgrind (callgrind) their
# instructions; install them where we may (without valgrind that table is
# empty).
for tool in strace valgrind; do
  command -v "$tool" >/dev/null && continue
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -q "$tool" >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q "$tool" >/dev/null; }
  elif [ "$tool" = strace ]; then
    echo "run.sh: strace is required (apt-get install strace)" >&2; exit 1
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/rgdb-bench.XXXXXX")
if [ "${BENCH_KEEP:-0}" = 1 ]; then
  echo "run.sh: keeping $work" >&2
else
  trap 'rm -rf "$work"' EXIT
fi

(cd "$repo" && timeout 1200 cargo build --release --quiet)
# Benchmark a private copy: others rebuild target/release while we run, and
# every round must measure the same binary. Note what it was built from.
cp "$repo/target/release/rgdbserver" "$work/rgdbserver"
built_from=$(git -C "$repo" rev-parse --short HEAD)
if [ -n "$(git -C "$repo" status --porcelain -- src arch Cargo.toml Cargo.lock)" ]; then
  built_from="$built_from + uncommitted changes"
fi
mkdir "$work/bin"
for src in "$here"/programs/*.c; do
  timeout 120 cc -O0 -g -pthread -o "$work/bin/$(basename "$src" .c)" "$src" -ldl
done
# The 32-bit rows: the same programs built with -m32, where the 32-bit libc
# is installed (Debian: gcc-12-multilib); without it those rows say n/a.
for name in hits loop; do
  timeout 120 cc -m32 -O0 -g -o "$work/bin/$name-m32" "$here/programs/$name.c" 2>/dev/null ||
    echo "run.sh: no 32-bit build of $name (the 32-bit rows will be n/a)" >&2
done
# The libraries the `libs` workload loads, one source built 50 times.
mkdir "$work/bin/libbench"
for i in $(seq 0 49); do
  timeout 120 cc -O0 -g -shared -fPIC -DLIB_NUMBER="$i" \
    -o "$work/bin/libbench/libbench$i.so" "$here/programs/lib/bench_lib.c"
done

python3 "$here/bench.py" --gdbserver "$gdbserver" --rgdbserver "$work/rgdbserver" \
  --built-from "$built_from" --bins "$work/bin" --tmp "$work"
