#!/usr/bin/env bash
# Debug a sample program end to end with rgdbserver and stock gdb:
# build, start the server on a free port, break in add(), print, continue.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
cc -g -O0 -o "$work/sample" scripts/sample.c

# Start the server; it prints "Listening on port N" once it is ready.
mkfifo "$work/log"
timeout 60 target/release/rgdbserver --once 127.0.0.1:0 "$work/sample" 2>"$work/log" &
server=$!
exec 3<"$work/log"
port=""
while IFS= read -r line <&3; do
  echo "[server] $line"
  if [[ $line =~ Listening\ on\ port\ ([0-9]+) ]]; then port=${BASH_REMATCH[1]}; break; fi
done
[ -n "$port" ] || { echo "server did not start"; exit 1; }
cat <&3 | sed 's/^/[server] /' &

timeout 60 gdb -nx -batch \
  -ex "target remote 127.0.0.1:$port" \
  -ex 'break add' -ex 'continue' -ex 'bt' -ex 'print a + b' \
  -ex 'delete' -ex 'continue'
wait "$server"
