#!/usr/bin/env bash
# scripts/aarch64/test.sh: test rgdbserver built for aarch64 on a real arm64
# Linux kernel under qemu-system-aarch64 (TCG), driven by gdb-multiarch on
# the host. Runs on a fresh Debian 12 x86_64 machine (as root, for apt-get).
#
# Flow:
#   1. host packages: qemu-system-arm, gcc-aarch64-linux-gnu, gdb-multiarch,
#      cpio, xz-utils (and Debian's Rust toolchain when building the server);
#      adds the arm64 architecture to dpkg if needed.
#   2. the server: $RGDB_AARCH64_SERVER if set (a path, or `gnu` for Debian's
#      own gdbserver:arm64, the reference that validates this harness), else
#      rgdbserver built with cargo-web for aarch64-unknown-linux-gnu.
#   3. guest pieces, taken apart from arm64 .debs (apt-get download +
#      dpkg-deb -x, cached in the work dir): the kernel and its virtio-net
#      modules (linux-image-*-cloud-arm64), busybox-static, and the
#      libc6/libgcc-s1/libstdc++6 libraries for a dynamically linked server.
#   4. the test programs, static aarch64 builds (-g -O0), into the
#      initramfs under /progs; the host keeps copies for gdb's symbols.
#   5. the initramfs (init = guest-init.sh) and the guest: qemu -M virt
#      -cpu max -smp 2; hostfwd ports reach the server (:2345, extended-remote)
#      and a guest shell (:2346, busybox nc -e /bin/sh). Waits until both answer.
#   6. the tests, one gdb-multiarch session each, plus checks of the program's
#      real effect through the guest shell. One line per test (PASS/FAIL),
#      then "N passed, M failed" as the last line; exit 0 only if M is 0.
#
# Environment:
#   RGDB_AARCH64_SERVER  server binary (aarch64) to test, or `gnu`; default:
#                        build rgdbserver
#   AARCH64_WORK         work dir (cache, logs); default target/aarch64-qemu
#   AARCH64_GDB_TIMEOUT  seconds per gdb session (default 90)
#   AARCH64_BOOT_TIMEOUT seconds to wait for the guest (default 240)
#   AARCH64_TESTS        space-separated subset of tests to run
#   AARCH64_QEMU_CPU     qemu -cpu value (default max; e.g. max,sve=off)
# Logs: $AARCH64_WORK/logs/ (one per gdb session, the guest console, setup).
set -euo pipefail
shopt -s inherit_errexit

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/scripts/aarch64
WORK=${AARCH64_WORK:-$ROOT/target/aarch64-qemu}
mkdir -p "$WORK/logs"
WORK=$(cd "$WORK" && pwd)
LOGS=$WORK/logs
rm -f "$LOGS"/*.log "$LOGS"/*.gdb "$LOGS/setup-failure" "$LOGS/harness-error"
GDB_TIMEOUT=${AARCH64_GDB_TIMEOUT:-90}
BOOT_TIMEOUT=${AARCH64_BOOT_TIMEOUT:-240}
QEMU_CPU=${AARCH64_QEMU_CPU:-max}
ALL_TESTS="breakpoints stepping registers threads watchpoints read_watch_and_hbreak watch_slots catch_syscall catch_syscall_at_start signals attach job_control"
TESTS=${AARCH64_TESTS:-$ALL_TESTS}

# Test programs: name -> source (ours first, then the project's shared ones).
PROGRAMS="basic signals watch syscalls threads_names jobctl_ticker regs_a64"
# The guest needs these modules for virtio-net; their dependencies are
# resolved from the modules' own depends= fields.
NET_MODULES="virtio_pci virtio_net"

PASSED=0
FAILED=0
SUMMARY_DONE=0
QEMU_PID=
GDB_PORT=
SHELL_PORT=
REASON=
GDB_LOG=
GDB_NOTE=

# ---------------------------------------------------------------- helpers

log() { echo "[aarch64] $*" >&2; }

# Ends the run on a harness failure (not a test's). The reason goes to a
# file, as die may run inside a command substitution; on_exit prints it.
die() {
	echo "$*" >>"$LOGS/setup-failure"
	exit 1
}

on_exit() {
	local status=$?
	if [ -n "$QEMU_PID" ]; then
		kill "$QEMU_PID" 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$QEMU_PID" 2>/dev/null || break
			sleep 0.5
		done
		kill -9 "$QEMU_PID" 2>/dev/null || true
		wait "$QEMU_PID" 2>/dev/null || true
	fi
	if [ "$SUMMARY_DONE" = 0 ]; then
		if [ -s "$LOGS/setup-failure" ]; then
			echo "FAIL setup: $(head -1 "$LOGS/setup-failure")"
			FAILED=$((FAILED + 1))
		elif [ "$status" != 0 ]; then
			echo "FAIL harness: stopped early with status $status$(tail -1 "$LOGS/harness-error" 2>/dev/null | sed 's/^/: /') (see $LOGS)"
			FAILED=$((FAILED + 1))
		fi
		echo "$PASSED passed, $FAILED failed"
		[ "$FAILED" = 0 ] || exit 1
	fi
}
trap on_exit EXIT
set -E
trap 'echo "line $LINENO: $BASH_COMMAND failed" >>"$LOGS/harness-error"' ERR
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- host side

pkg_installed() {
	dpkg-query -W -f '${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# Installs what the run needs on the host; apt-get update only when needed.
ensure_host_packages() {
	local want=(qemu-system-arm gcc-aarch64-linux-gnu gdb-multiarch cpio xz-utils)
	local missing=() p updated=0
	if [ -z "${RGDB_AARCH64_SERVER:-}" ]; then
		want+=(rustc-web cargo-web libstd-rust-web-dev:arm64)
	fi
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		log "adding the arm64 architecture to dpkg"
		dpkg --add-architecture arm64
		apt-get update -q >>"$LOGS/setup.log" 2>&1 || die "apt-get update failed"
		updated=1
	fi
	for p in "${want[@]}"; do
		pkg_installed "$p" || missing+=("$p")
	done
	if [ "$updated" = 0 ] && { [ ${#missing[@]} -gt 0 ] ||
		! apt-cache show busybox-static:arm64 >/dev/null 2>&1; }; then
		apt-get update -q >>"$LOGS/setup.log" 2>&1 || die "apt-get update failed"
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" \
			>>"$LOGS/setup.log" 2>&1 || die "apt-get install ${missing[*]} failed (see $LOGS/setup.log)"
	fi
}

# Prints the path of PKG's arm64 .deb, downloading it on first use.
fetch_deb() {
	local pkg=$1 deb
	deb=$(ls "$WORK/debs/${pkg}"_*_arm64.deb 2>/dev/null | head -1 || true)
	if [ -z "$deb" ]; then
		mkdir -p "$WORK/debs"
		(cd "$WORK/debs" && apt-get download -o APT::Sandbox::User=root "$pkg:arm64") \
			>>"$LOGS/setup.log" 2>&1 || die "apt-get download $pkg:arm64 failed"
		deb=$(ls "$WORK/debs/${pkg}"_*_arm64.deb | head -1)
	fi
	echo "$deb"
}

# Prints the directory holding PKG's arm64 files (extracted once).
unpack_deb() {
	local pkg=$1 deb dir=$WORK/pkgs/$1
	deb=$(fetch_deb "$pkg")
	if [ ! -e "$dir/.done" ] || [ "$deb" -nt "$dir/.done" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		dpkg-deb -x "$deb" "$dir" || die "dpkg-deb -x $deb failed"
		touch "$dir/.done"
	fi
	echo "$dir"
}

# The versioned kernel package behind linux-image-cloud-arm64.
kernel_package() {
	apt-cache depends linux-image-cloud-arm64:arm64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[^:]*-cloud-arm64\).*/\1/p' | head -1
}

# ---------------------------------------------------------------- the server

build_rgdbserver() {
	local target=$ROOT/target/aarch64-web
	log "building rgdbserver for aarch64 with Debian's cargo-web (log: $LOGS/build.log)"
	# cargo-web installs /usr/bin/cargo and rustc-web /usr/bin/rustc; call them
	# by path (a rustup cargo may come first in PATH) and keep the rustup
	# proxies out of the way.
	(cd "$ROOT" && env PATH="/usr/bin:/bin:$PATH" RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc \
		CARGO_TARGET_DIR="$target" \
		CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
		timeout 3600 /usr/bin/cargo build --locked --release --target aarch64-unknown-linux-gnu --bin rgdbserver) \
		>"$LOGS/build.log" 2>&1 ||
		die "cargo build for aarch64 failed: $(grep -m1 -E '^error' "$LOGS/build.log" || tail -1 "$LOGS/build.log") (see $LOGS/build.log)"
	SERVER=$target/aarch64-unknown-linux-gnu/release/rgdbserver
}

# Sets SERVER to the aarch64 binary the guest runs.
choose_server() {
	case "${RGDB_AARCH64_SERVER:-}" in
	"") build_rgdbserver ;;
	gnu) SERVER=$(unpack_deb gdbserver)/usr/bin/gdbserver ;;
	*) SERVER=$(realpath "$RGDB_AARCH64_SERVER") ;;
	esac
	[ -x "$SERVER" ] || die "server binary $SERVER missing"
	aarch64-linux-gnu-readelf -h "$SERVER" 2>/dev/null | grep -q AArch64 ||
		die "$SERVER is not an aarch64 ELF binary"
	log "server: $SERVER"
}

# ---------------------------------------------------------------- test programs

build_programs() {
	local p src out
	mkdir -p "$WORK/progs"
	for p in $PROGRAMS; do
		src=$HERE/programs/$p.c
		[ -e "$src" ] || src=$ROOT/tests/programs/$p.c
		out=$WORK/progs/$p
		if [ ! -e "$out" ] || [ "$src" -nt "$out" ]; then
			aarch64-linux-gnu-gcc -static -g -O0 -pthread -I "$ROOT/tests/programs" \
				-o "$out" "$src" >>"$LOGS/setup.log" 2>&1 || die "cannot build $src"
		fi
	done
}

# ---------------------------------------------------------------- the guest

# Writes the kernel image qemu boots to $WORK/Image. Debian's arm64 vmlinuz
# is a plain (or gzip'd) Image, which qemu takes as it is; an EFI zboot image
# (newer kernels) is unwrapped here, as qemu 7.2 cannot boot those.
extract_kernel() {
	local kdir=$1 vmlinuz off size comp
	vmlinuz=$(ls "$kdir"/boot/vmlinuz-* | head -1)
	if [ "$(dd if="$vmlinuz" bs=1 skip=4 count=4 2>/dev/null)" = zimg ]; then
		off=$(od -An -tu4 -j8 -N4 "$vmlinuz" | tr -d ' ')
		size=$(od -An -tu4 -j12 -N4 "$vmlinuz" | tr -d ' ')
		comp=$(dd if="$vmlinuz" bs=1 skip=24 count=8 2>/dev/null | tr -d '\0')
		tail -c +$((off + 1)) "$vmlinuz" | head -c "$size" >"$WORK/Image.$comp"
		case "$comp" in
		gzip) gzip -dc "$WORK/Image.$comp" >"$WORK/Image" ;;
		xz | lzma) xz -dc "$WORK/Image.$comp" >"$WORK/Image" ;;
		zstd) zstd -dc "$WORK/Image.$comp" >"$WORK/Image" ;;
		*) die "unknown zboot compression '$comp' in $vmlinuz" ;;
		esac
	else
		cp "$vmlinuz" "$WORK/Image"
	fi
}

# Prints module NAME's file (.ko, .ko.xz or .ko.zst) in the kernel package.
module_file() {
	find "$KDIR"/lib/modules "$KDIR"/usr/lib/modules \( -name "$1.ko" -o -name "$1.ko.xz" \
		-o -name "$1.ko.zst" \) 2>/dev/null | head -1 || true
}

# Copies module NAME, decompressed (busybox insmod reads plain .ko only),
# and its dependencies first, to the initramfs; appends to MODULE_ORDER.
add_module() {
	local name=$1 file ko deps d
	case " $MODULE_ORDER " in *" $name "*) return 0 ;; esac
	file=$(module_file "$name")
	[ -n "$file" ] || die "kernel module $name not found in $KDIR"
	ko=$STAGE/lib/modules/$name.ko
	case "$file" in
	*.xz) xz -dc "$file" >"$ko" ;;
	*.zst) zstd -dc "$file" >"$ko" ;;
	*) cp "$file" "$ko" ;;
	esac
	deps=$(tr '\0' '\n' <"$ko" | sed -n 's/^depends=//p' | head -1 | tr ',' ' ')
	for d in $deps; do add_module "$d"; done
	MODULE_ORDER="$MODULE_ORDER $name"
}

# Builds $WORK/initramfs.cpio.gz: busybox, the modules, glibc & co for a
# dynamically linked server, the server, the test programs, /init.
build_initramfs() {
	local kpkg bb libc gcc cxx lib
	kpkg=$(kernel_package)
	[ -n "$kpkg" ] || die "apt-cache finds no linux-image-*-cloud-arm64 behind linux-image-cloud-arm64:arm64"
	KDIR=$(unpack_deb "$kpkg")
	bb=$(unpack_deb busybox-static)
	libc=$(unpack_deb libc6)
	gcc=$(unpack_deb libgcc-s1)
	cxx=$(unpack_deb libstdc++6)
	extract_kernel "$KDIR"

	STAGE=$WORK/initramfs
	rm -rf "$STAGE"
	mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,lib/modules,server,progs}
	cp "$bb/bin/busybox" "$STAGE/bin/busybox"
	MODULE_ORDER=
	for lib in $NET_MODULES; do add_module "$lib"; done
	echo "$MODULE_ORDER" >"$STAGE/etc/modules.order"

	cp -a "$libc/lib/." "$gcc/lib/." "$STAGE/lib/"
	mkdir -p "$STAGE/usr/lib"
	cp -a "$cxx/usr/lib/." "$STAGE/usr/lib/"
	rm -rf "$STAGE/usr/lib/aarch64-linux-gnu/gconv" "$STAGE/usr/share"

	# Name resolution from files only (GNU gdbserver resolves "localhost").
	printf '127.0.0.1 localhost\n::1 localhost\n' >"$STAGE/etc/hosts"
	echo 'hosts: files' >"$STAGE/etc/nsswitch.conf"
	cp "$SERVER" "$STAGE/server/"
	basename "$SERVER" >"$STAGE/etc/server.name"
	check_server_libs
	cp "$WORK"/progs/* "$STAGE/progs/"
	cp "$HERE/guest-init.sh" "$STAGE/init"
	chmod 755 "$STAGE/init"
	(cd "$STAGE" && find . | cpio -o -H newc --quiet | gzip -1) >"$WORK/initramfs.cpio.gz"
}

# A dynamically linked server must find its libraries in the initramfs.
check_server_libs() {
	local need
	for need in $(aarch64-linux-gnu-readelf -d "$SERVER" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -n "$(find "$STAGE/lib" "$STAGE/usr/lib" -name "$need" | head -1)" ] ||
			die "the server needs $need, which the initramfs lacks"
	done
}

# Picks a port no one on the host listens on.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

start_guest() {
	GDB_PORT=$(free_port)
	SHELL_PORT=$(free_port)
	[ "$SHELL_PORT" != "$GDB_PORT" ] || SHELL_PORT=$((GDB_PORT + 1))
	log "booting the guest (console: $LOGS/console.log; ports: gdb $GDB_PORT, shell $SHELL_PORT)"
	qemu-system-aarch64 -M virt -cpu "$QEMU_CPU" -smp 2 -m 1024 \
		-nographic -no-reboot -monitor none -serial "file:$LOGS/console.log" \
		-kernel "$WORK/Image" -initrd "$WORK/initramfs.cpio.gz" \
		-append "console=ttyAMA0 panic=-1 quiet" \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$GDB_PORT-:2345,hostfwd=tcp:127.0.0.1:$SHELL_PORT-:2346" \
		-device virtio-net-pci,netdev=n0 \
		</dev/null >"$LOGS/qemu.log" 2>&1 &
	QEMU_PID=$!
}

# Waits until the guest shell answers through its forwarded port and the
# server listens on :2345 in the guest (the hostfwd port itself accepts
# connections before the guest is up, so a bare connect proves nothing).
wait_for_guest() {
	local deadline=$((SECONDS + BOOT_TIMEOUT))
	while [ $SECONDS -lt $deadline ]; do
		kill -0 "$QEMU_PID" 2>/dev/null || die "qemu exited: $(tail -3 "$LOGS/qemu.log" | tr '\n' ' ')"
		if [ "$(guest_sh "$SERVER_LISTENS && echo up" 2>/dev/null)" = up ]; then
			log "guest ready after ${SECONDS}s of the run"
			return 0
		fi
		sleep 1
	done
	die "guest not ready within ${BOOT_TIMEOUT}s (see $LOGS/console.log)"
}

# Guest shell test: something listens on TCP port 2345.
SERVER_LISTENS="netstat -ltn | grep -q ':2345 '"

# Runs a shell command line in the guest; prints what it printed.
guest_sh() {
	timeout 30 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "%s\nexit\n" "$2" >&3
		cat <&3' _ "$SHELL_PORT" "exec 2>&1; $1"
}

# After a failed test: kills the server (guest-init.sh starts a new one) and
# waits until the new one listens, so the next test starts clean.
restart_server() {
	local name out
	name=$(basename "$SERVER")
	out=$(guest_sh "old=\$(pidof $name); kill -9 \$old
		for i in \$(seq 100); do
			new=\$(pidof $name)
			if [ -n \"\$new\" ] && [ \"\$new\" != \"\$old\" ] && $SERVER_LISTENS; then
				echo up; break
			fi
			sleep 0.2
		done") || true
	[ "$out" = up ] || log "the server did not come back after a restart"
}

# ---------------------------------------------------------------- gdb sessions

# gdb_session NAME PROG [COMMAND...]: one gdb-multiarch session against the
# guest's server with PROG's host copy loaded (PROG may be empty) and
# `set remote exec-file /progs/PROG`, then the COMMANDs. They run from a
# command file ($LOGS/NAME.gdb), so the first error ends the session (gdb
# never goes on to `run` the program on the host after a failed connect);
# `set trace-commands on` echoes each one, prefixed with "+", in the
# transcript, $LOGS/NAME.log, whose path is in GDB_LOG.
gdb_session() {
	local name=$1 prog=$2 script=$LOGS/$1.gdb status=0
	shift 2
	{
		echo 'set pagination off'
		echo 'set width 0'
		echo 'set confirm off'
		echo 'set architecture aarch64'
		[ -z "$prog" ] || echo "file $WORK/progs/$prog"
		echo 'set trace-commands on'
		echo "target extended-remote 127.0.0.1:$GDB_PORT"
		[ -z "$prog" ] || echo "set remote exec-file /progs/$prog"
		printf '%s\n' "$@"
	} >"$script"
	GDB_LOG=$LOGS/$name.log
	GDB_NOTE=
	timeout -k 10 "$GDB_TIMEOUT" gdb-multiarch -batch -nx -x "$script" </dev/null >"$GDB_LOG" 2>&1 ||
		status=$?
	if [ "$status" = 124 ] || [ "$status" = 137 ]; then
		GDB_NOTE="gdb timed out after ${GDB_TIMEOUT}s; "
	fi
	[ "$status" = 0 ] || echo "[harness: gdb exited with status $status]" >>"$GDB_LOG"
}

# need REGEX [WHAT]: the session's transcript matches the extended REGEX.
need() {
	grep -qE -- "$1" "$GDB_LOG" && return 0
	REASON="$GDB_NOTE${2:-no match for /$1/} (see $GDB_LOG)"
	return 1
}

# need_order REGEX...: the transcript has lines matching each REGEX in turn.
need_order() {
	local line i=0 n=$#
	local res=("$@")
	while IFS= read -r line; do
		[ $i -lt $n ] || break
		if [[ $line =~ ${res[$i]} ]]; then i=$((i + 1)); fi
	done <"$GDB_LOG"
	[ $i -ge $n ] && return 0
	REASON="${GDB_NOTE}no line matching /${res[$i]}/ after the previous checks (see $GDB_LOG)"
	return 1
}

# count REGEX: how many transcript lines match.
count() { grep -cE -- "$1" "$GDB_LOG" || true; }

# same VALUE EXPECTED WHAT
same() {
	[ "$1" = "$2" ] && return 0
	REASON="$3: got '$1', expected '$2'"
	return 1
}

# ---------------------------------------------------------------- the tests
# Each test_X returns 0 on success, else sets REASON and returns 1.

test_breakpoints() {
	gdb_session breakpoints basic 'break add' 'run /tmp/bp.out' 'bt' 'p a' 'p b' \
		'info breakpoints' 'continue'
	need_order '^Breakpoint 1 at 0x[0-9a-f]+: file .*basic\.c' \
		'^Breakpoint 1, add \(a=2, b=3\) at .*basic\.c:[0-9]+' \
		'ADD_BODY' \
		'^#0 +add \(a=2, b=3\) at .*basic\.c' \
		'^#1 +0x[0-9a-f]+ in main \(' \
		'^\$1 = 2$' '^\$2 = 3$' \
		'breakpoint already hit 1 time' \
		'^\[Inferior 1 \(process [0-9]+\) exited normally\]' || return 1
	same "$(guest_sh 'cat /tmp/bp.out')" "r=5 f=5 s=45 counter=110" "the program's result file"
}

test_stepping() {
	gdb_session stepping basic 'break main' 'run' \
		'next' 'step' 'bt 1' 'finish' 'next' 'p r' \
		'set $before = $pc' 'stepi' 'info symbol $pc' \
		'set $before = $pc' 'stepi' 'p/x $pc - $before' \
		'finish' 'next' 'next' 'p s' 'continue'
	need_order '^Breakpoint 1, main \(' 'MAIN_START' \
		'CALL_ADD' \
		'^add \(a=2, b=3\) at .*basic\.c' 'ADD_BODY' \
		'^#0 +add \(a=2, b=3\)' \
		'^0x[0-9a-f]+ in main \(' '^Value returned is \$1 = 5$' \
		'CALL_FIVE' '^\$2 = 5$' \
		'^five in section \.text' \
		'^\$3 = 0x4$' \
		'^0x[0-9a-f]+ in main \(' '^Value returned is \$4 = 5$' \
		'CALL_SUM' 'CALL_BUMP' '^\$5 = 45$' \
		'^\[Inferior 1 \(process [0-9]+\) exited normally\]'
}

test_registers() {
	gdb_session registers regs_a64 'break *regs_loaded' 'run' 'info registers' \
		'p/x $pc' 'p/x $x5' 'p/x $v0.d.u[0]' 'p $v0' 'p/x $sp' 'p/x $cpsr' \
		'set var $x1 = 0x1234abcd' 'maint flush register-cache' 'p/x $x1' \
		'set var $x9 = 42' 'continue'
	need '^Breakpoint 1, (0x[0-9a-f]+ in )?main \(' "no stop at regs_loaded" || return 1
	local r
	for r in $(seq 0 28); do
		need "^x$r +0x$(printf '%x' $((0x1000 + r))) " "info registers: x$r is not 0x$(printf '%x' $((0x1000 + r)))" || return 1
	done
	for r in x29 x30 sp pc cpsr; do
		need "^$r +0x[0-9a-f]+ " "info registers shows no $r" || return 1
	done
	local bp pc
	bp=$(sed -n 's/^Breakpoint 1 at \(0x[0-9a-f]*\).*/\1/p' "$GDB_LOG" | head -1)
	pc=$(sed -n 's/^\$1 = \(0x[0-9a-f]*\).*/\1/p' "$GDB_LOG" | head -1)
	[ -n "$bp" ] || { REASON="no breakpoint address (see $GDB_LOG)"; return 1; }
	same "$pc" "$bp" "\$pc at the breakpoint" || return 1
	need_order '^\$2 = 0x1005$' '^\$3 = 0x123456789abcdef$' '^\$4 = \{.*\}$' \
		'^\$5 = 0x[0-9a-f]+$' '^\$6 = 0x[0-9a-f]+$' '^\$7 = 0x1234abcd$' \
		'^\[Inferior 1 \(process [0-9]+\) exited with code 052\]'
}

test_threads() {
	gdb_session threads threads_names 'break all_named' 'run' 'info threads' \
		'thread apply all bt' 'continue'
	need '^(Thread 1 .* hit )?Breakpoint 1, all_named \(' "no stop at all_named" || return 1
	local n
	n=$(count '^\*? +[0-9]+ +Thread ')
	same "$n" 4 "${GDB_NOTE}threads in info threads" || return 1
	need '"?worker-0"? ' "no thread named worker-0" || return 1
	need '"?worker-2"? ' "no thread named worker-2" || return 1
	n=$(count '^Thread [0-9]+ \(Thread ')
	same "$n" 4 "backtraces in thread apply all bt" || return 1
	n=$(count '^#[0-9]+ +(0x[0-9a-f]+ in )?park \(idx=[0-2]\)')
	same "$n" 3 "frames in park() in thread apply all bt" || return 1
	need '^\[Inferior 1 \(process [0-9]+\) exited normally\]'
}

test_watchpoints() {
	gdb_session watchpoints watch 'break main' 'run' 'watch shared' 'continue' 'continue' \
		'delete' 'continue'
	need_order '^Hardware watchpoint 2: shared' \
		'^Hardware watchpoint 2: shared' '^Old value = 0$' '^New value = 1$' \
		'^Hardware watchpoint 2: shared' '^Old value = 1$' '^New value = 2$' \
		'^\[Inferior 1 \(process [0-9]+\) exited with code 011\]'
}

# aarch64 watches reads alone (Z3, which x86 cannot), and hardware
# breakpoints fire in a thread created after they were set.
test_read_watch_and_hbreak() {
	gdb_session read_watch_and_hbreak watch 'break main' 'run' 'rwatch shared' 'hbreak writer' \
		'continue' 'p reader' 'continue' 'delete' 'continue'
	need_order '^Hardware read watchpoint 2: shared' \
		'^Hardware assisted breakpoint 3 at 0x[0-9a-f]+' \
		'^Hardware read watchpoint 2: shared' '^Value = 2$' \
		'hit Breakpoint 3, writer \(' \
		'^\[Inferior 1 \(process [0-9]+\) exited with code 011\]'
}

# More watchpoints than the CPU's slots: gdb inserts them at `continue`;
# the ones beyond the slots the kernel found are refused then (never
# accepted and silently left out), and gdb stops the command.
test_watch_slots() {
	local slots refused
	gdb_session watch_slots watch 'break main' 'run' \
		'watch a' 'watch b' 'watch c' 'watch d' 'watch e' 'watch shared' 'continue'
	need 'You may have requested too many hardware breakpoints/watchpoints' \
		"no refusal of the watchpoints beyond the CPU's slots" || return 1
	slots=$(guest_sh "dmesg | sed -n 's/.*hw-breakpoint: found \([0-9]*\) breakpoint and \([0-9]*\) watchpoint.*/\2/p'")
	[ -n "$slots" ] || { REASON="the guest kernel did not say how many watchpoint slots it found"; return 1; }
	refused=$(count '^Could not insert hardware watchpoint [0-9]+\.')
	same "$refused" "$((6 - slots))" "watchpoints refused of 6 with $slots slots"
}

# catch_syscall_checks: the transcript of a `catch syscall write` session on
# `syscalls basic` (write(1, "abc", 3)), with `p $x8` `p $x0` at the first
# stop and `p $x0` at the second: the call (x0 = fd 1), then the return
# (x0 = 3 bytes written), then a normal exit.
catch_syscall_checks() {
	need_order "^Catchpoint [0-9] \(syscall 'write' \[64\]\)" \
		'^Catchpoint [0-9] \(call to syscall write\)' '^\$[0-9]+ = 64$' '^\$[0-9]+ = 1$' \
		'^Catchpoint [0-9] \(returned from syscall write\)' '^\$[0-9]+ = 3$' \
		'^\[Inferior 1 \(process [0-9]+\) exited normally\]'
}

# Catching from a breakpoint in main.
test_catch_syscall() {
	gdb_session catch_syscall syscalls 'break main' 'run basic' 'catch syscall write' \
		'continue' 'p $x8' 'p $x0' 'continue' 'p $x0' 'continue'
	need '^Breakpoint 1, main \(' "no stop in main" || return 1
	catch_syscall_checks
}

# Catching from the start: the first syscall stop the server sees is the
# return from the execve that started the program, which must not shift
# its idea of entry and return.
test_catch_syscall_at_start() {
	gdb_session catch_syscall_at_start syscalls 'catch syscall write' 'run basic' \
		'p $x8' 'p $x0' 'continue' 'p $x0' 'continue'
	catch_syscall_checks
}

test_signals() {
	guest_sh 'rm -f /tmp/sig.log' >/dev/null
	gdb_session signals signals 'break on_usr1' 'run usr1 /tmp/sig.log' 'continue' 'bt' \
		'continue'
	need_order '^Program received signal SIGUSR1' \
		'^Breakpoint 1, on_usr1 \(sig=10\)' \
		'<signal handler called>' \
		'^\[Inferior 1 \(process [0-9]+\) exited with code 01\]' || return 1
	same "$(guest_sh 'cat /tmp/sig.log')" usr1 "the handler's log"
}

# Starts jobctl_ticker in the guest (control fifo /tmp/NAME.ctl, output
# /tmp/NAME.out) and prints its pid once it is ready.
start_ticker() {
	local name=$1 out
	out=$(guest_sh "rm -f /tmp/$name.*; mkfifo /tmp/$name.ctl
		setsid /progs/jobctl_ticker /tmp/$name.ctl </dev/null >/tmp/$name.out 2>&1 &
		for i in \$(seq 100); do grep -q ready /tmp/$name.out && break; sleep 0.1; done
		sed -n 's/^ready pid=\([0-9]*\).*/\1/p' /tmp/$name.out")
	[[ $out =~ ^[0-9]+$ ]] || return 1
	echo "$out"
}

# ticks NAME: the ticker's number of lines so far.
ticks() { guest_sh "wc -l </tmp/$1.out"; }

# proc_state PID: the letter of State: in /proc/PID/status.
proc_state() { guest_sh "sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' /proc/$1/status"; }

# stop_ticker NAME PID: asks it to quit ('q' on its fifo, which only a live
# ticker keeps open, else the write would block), kills it if it does not.
stop_ticker() {
	guest_sh "if kill -CONT $2 2>/dev/null; then
			timeout 2 sh -c 'echo q >/tmp/$1.ctl'
			for i in \$(seq 50); do grep -q bye /tmp/$1.out && break; sleep 0.1; done
			kill -9 $2 2>/dev/null
		fi" >/dev/null || true
}

# Is the ticker making progress (more lines after a second)?
ticking() {
	local before after
	before=$(ticks "$1")
	sleep 1
	after=$(ticks "$1")
	[ "$after" -gt "$before" ]
}

test_attach() {
	local pid
	pid=$(start_ticker att) || { REASON="ticker did not start in the guest"; return 1; }
	gdb_session attach jobctl_ticker "attach $pid" 'info inferiors' 'bt' 'detach'
	need_order "^\* +1 +process $pid " \
		'^#[0-9]+ +.* main \(' \
		"^(Detaching from program: .*, process $pid|\[Inferior 1 \(process $pid\) detached\])" ||
		{ stop_ticker att "$pid"; return 1; }
	if ! ticking att; then
		REASON="the program stopped ticking after detach (state $(proc_state "$pid"))"
		stop_ticker att "$pid"
		return 1
	fi
	stop_ticker att "$pid"
	same "$(guest_sh 'tail -1 /tmp/att.out')" bye "the program's last line"
}

test_job_control() {
	local pid st
	pid=$(start_ticker job) || { REASON="ticker did not start in the guest"; return 1; }
	guest_sh "kill -STOP $pid; sleep 0.3" >/dev/null
	st=$(proc_state "$pid")
	same "$st" T "state after SIGSTOP" || { stop_ticker job "$pid"; return 1; }
	gdb_session job_control jobctl_ticker "attach $pid" 'info inferiors' 'bt' 'detach'
	need_order "^\* +1 +process $pid " '^#[0-9]+ +.* main \(' \
		"^(Detaching from program: .*, process $pid|\[Inferior 1 \(process $pid\) detached\])" ||
		{ stop_ticker job "$pid"; return 1; }
	st=$(proc_state "$pid")
	same "$st" T "state after attach+detach of a stopped process" || { stop_ticker job "$pid"; return 1; }
	if ticking job; then
		REASON="the stopped program ticks after detach"
		stop_ticker job "$pid"
		return 1
	fi
	guest_sh "kill -CONT $pid" >/dev/null
	if ! ticking job; then
		REASON="SIGCONT did not resume the program (state $(proc_state "$pid"))"
		stop_ticker job "$pid"
		return 1
	fi
	st=$(proc_state "$pid")
	[[ $st =~ ^[SR]$ ]] || { REASON="state after SIGCONT: $st"; stop_ticker job "$pid"; return 1; }
	stop_ticker job "$pid"
}

# Failures that Debian's GNU gdbserver 13.1 (RGDB_AARCH64_SERVER=gnu, the
# reference run) shows for bugs of its own: reported as XFAIL and counted
# neither as passed nor as failed in that run only.
declare -A GNU_KNOWN_BUGS=(
	[catch_syscall_at_start]="gdbserver 13.1 counts the execve return as a syscall entry, so it swaps call/return"
)

run_test() {
	local name=$1 t0=$SECONDS
	REASON=
	if "test_$name"; then
		echo "PASS $name"
		PASSED=$((PASSED + 1))
	elif [ "${RGDB_AARCH64_SERVER:-}" = gnu ] && [ -n "${GNU_KNOWN_BUGS[$name]:-}" ]; then
		echo "XFAIL $name: known GNU gdbserver bug: ${GNU_KNOWN_BUGS[$name]}"
		restart_server
	else
		echo "FAIL $name: ${REASON:-failed}"
		FAILED=$((FAILED + 1))
		restart_server
	fi
	log "$name took $((SECONDS - t0))s"
}

# ---------------------------------------------------------------- main

main() {
	ensure_host_packages
	choose_server
	build_programs
	build_initramfs
	start_guest
	wait_for_guest
	local t
	for t in $TESTS; do
		run_test "$t"
	done
	echo "$PASSED passed, $FAILED failed"
	SUMMARY_DONE=1
	[ "$FAILED" = 0 ]
}

main "$@"
