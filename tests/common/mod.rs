//! Integration-test harness shared by every `tests/*.rs` file.
//!
//! It owns four things:
//! - choosing the server under test (`RGDB_TEST_SERVER`, else the crate's
//!   `rgdbserver` binary), so the same tests run against GNU gdbserver;
//! - compiling the C programs in `tests/programs/` once per test binary;
//! - [`Server`]: a server started on `127.0.0.1:0` whose stdout and stderr are
//!   drained into a buffer the test can wait on, and which kills the server and
//!   its inferior by PID on drop (even on panic);
//! - running batch gdb ([`Server::run_gdb`], [`run_gdb_stdio`]) under a watchdog.
//!
//! Invariants: no function here sleeps to synchronise. Waiting is always on a
//! real event (a condition variable fed by a pipe reader, a process exit seen
//! by `waitid`, a FIFO becoming readable); timeouts are only safety nets. Every
//! process started here is killed by PID (or by its own process group, for
//! gdb) and reaped. A PID is only signalled while it is known not to have been
//! reaped yet, so a recycled PID is never hit.

#![allow(dead_code)]

pub mod rsp;

use std::collections::HashMap;
use std::ffi::{CString, OsStr, OsString};
use std::fs;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// Safety net for a server to print `Listening on port N`.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(15);
/// Safety net for one batch gdb session.
pub const GDB_TIMEOUT: Duration = Duration::from_secs(60);
/// Safety net for waiting on a process exit or a line of output.
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------
// The server under test
// ---------------------------------------------------------------------------

/// Path of the server under test: `$RGDB_TEST_SERVER`, else our binary.
pub fn server_path() -> PathBuf {
    match std::env::var_os("RGDB_TEST_SERVER") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_rgdbserver")),
    }
}

/// True when the server under test is GNU gdbserver (`RGDB_TEST_SERVER` names
/// a binary called `gdbserver`). Use only where GNU gdbserver is documented to
/// differ from what rgdbserver must do, never to skip an rgdbserver assertion.
pub fn is_gnu_gdbserver() -> bool {
    server_path().file_name() == Some(OsStr::new("gdbserver"))
}

// ---------------------------------------------------------------------------
// Temporary files and test programs
// ---------------------------------------------------------------------------

fn tmp_root() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh directory, removed (recursively) on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let path = tmp_root()
            .join("run")
            .join(format!("{tag}-{}", unique_suffix()));
        fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside this directory (not created).
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Creates a FIFO named `name` in this directory.
    pub fn fifo(&self, name: &str) -> Fifo {
        Fifo::create(self.file(name))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Directory of the C sources of the test programs.
pub fn programs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("programs")
}

/// Compiles `tests/programs/NAME.c` with `cc -g -O0 -pthread` (once per test
/// binary) and returns the executable's path. Safe under parallel tests and
/// parallel test binaries: the compiler writes a unique temporary name that is
/// then renamed into place atomically.
pub fn program(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let map = BUILT.get_or_init(|| Mutex::new(HashMap::new()));
    // Holding the lock while compiling keeps one compile per program; other
    // programs wait a few tens of milliseconds, which is fine.
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = map.get(name) {
        return p.clone();
    }
    let src = programs_dir().join(format!("{name}.c"));
    assert!(src.exists(), "no test program {}", src.display());
    let dir = tmp_root().join("programs");
    fs::create_dir_all(&dir).expect("create programs dir");
    let out = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp-{}", unique_suffix()));
    let result = Command::new("cc")
        .args(["-g", "-O0", "-pthread", "-o"])
        .arg(&tmp)
        .arg(&src)
        .stdin(Stdio::null())
        .output()
        .expect("run cc");
    assert!(
        result.status.success(),
        "compiling {} failed:\n{}",
        src.display(),
        String::from_utf8_lossy(&result.stderr)
    );
    fs::rename(&tmp, &out).expect("rename compiled program");
    map.insert(name.to_string(), out.clone());
    out
}

/// Copies the compiled program `name` to a unique path inside `dir`, so that a
/// test can find any process running it by its path alone.
pub fn program_copy(name: &str, dir: &TempDir) -> PathBuf {
    let dst = dir.file(&format!("{name}-{}", unique_suffix()));
    fs::copy(program(name), &dst).expect("copy program");
    fs::set_permissions(&dst, fs::Permissions::from_mode(0o755)).expect("chmod");
    dst
}

/// Line number (1-based) of the single line of `tests/programs/PROG.c` that
/// contains `/* MARKER */`, so tests never hard-code line numbers.
pub fn line_of(prog: &str, marker: &str) -> usize {
    let src = fs::read_to_string(programs_dir().join(format!("{prog}.c"))).expect("read source");
    let needle = format!("/* {marker} */");
    let hits: Vec<usize> = src
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(&needle))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(hits.len(), 1, "marker {needle} in {prog}.c: {hits:?}");
    hits[0]
}

/// `FILE:LINE` location of a marker, for gdb's `break`, `until`, `advance`.
pub fn loc(prog: &str, marker: &str) -> String {
    format!("{prog}.c:{}", line_of(prog, marker))
}

// ---------------------------------------------------------------------------
// FIFOs: the way a program tells the test it reached a point
// ---------------------------------------------------------------------------

/// A named pipe. The test opens the read end without blocking, so a program
/// that never opens it cannot hang the test; reads wait with `poll`.
pub struct Fifo {
    path: PathBuf,
    reader: Option<fs::File>,
    pending: Vec<u8>,
}

impl Fifo {
    pub fn create(path: PathBuf) -> Fifo {
        let c = CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: c is a valid NUL-terminated path.
        let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
        assert_eq!(
            rc,
            0,
            "mkfifo {}: {}",
            path.display(),
            io::Error::last_os_error()
        );
        let reader = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
            .expect("open fifo for reading");
        Fifo {
            path,
            reader: Some(reader),
            pending: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Next `\n`-terminated line (without the newline). `None` when every
    /// writer has closed (after at least one opened it) or on timeout.
    pub fn read_line(&mut self, timeout: Duration) -> Option<String> {
        use std::os::fd::AsRawFd;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(i) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=i).collect();
                return Some(String::from_utf8_lossy(&line[..i]).into_owned());
            }
            let file = self.reader.as_mut()?;
            let left = deadline.checked_duration_since(Instant::now())?;
            let mut pfd = libc::pollfd {
                fd: file.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            let ms = left.as_millis().min(i32::MAX as u128) as i32;
            // SAFETY: one valid pollfd.
            let n = unsafe { libc::poll(&mut pfd, 1, ms.max(1)) };
            if n < 0 {
                if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return None;
            }
            if n == 0 {
                continue; // the deadline check above ends the loop
            }
            let mut buf = [0u8; 4096];
            match file.read(&mut buf) {
                Ok(0) => {
                    // POLLHUP: a writer came and went; nothing more will come.
                    self.reader = None;
                    if self.pending.is_empty() {
                        return None;
                    }
                    let rest = std::mem::take(&mut self.pending);
                    return Some(String::from_utf8_lossy(&rest).into_owned());
                }
                Ok(k) => self.pending.extend_from_slice(&buf[..k]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return None,
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Processes: reaped by a waiter thread, killed only while not yet reaped
// ---------------------------------------------------------------------------

struct ExitState {
    status: Mutex<Option<ExitStatus>>,
    cond: Condvar,
}

/// A child process watched by a waiter thread. The waiter first waits with
/// `WNOWAIT` (the child stays a zombie, its PID cannot be recycled), then
/// reaps it while holding the lock; [`Watched::kill`] signals only under the
/// same lock and only if not yet reaped.
pub struct Watched {
    pid: i32,
    state: Arc<ExitState>,
}

impl Watched {
    pub fn new(mut child: Child) -> Watched {
        let pid = child.id() as i32;
        let state = Arc::new(ExitState {
            status: Mutex::new(None),
            cond: Condvar::new(),
        });
        let st = state.clone();
        thread::spawn(move || {
            loop {
                // SAFETY: zeroed siginfo_t is a valid out-parameter.
                let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
                // SAFETY: waits for our own child without reaping it.
                let rc = unsafe {
                    libc::waitid(
                        libc::P_PID,
                        pid as libc::id_t,
                        &mut info,
                        libc::WEXITED | libc::WNOWAIT,
                    )
                };
                if rc == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                    break;
                }
            }
            let mut guard = st.status.lock().unwrap_or_else(|e| e.into_inner());
            let status = child.wait().expect("reap child");
            *guard = Some(status);
            st.cond.notify_all();
        });
        Watched { pid, state }
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The exit status if the process has exited (and been reaped).
    pub fn status(&self) -> Option<ExitStatus> {
        *self.state.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the process to exit, at most `timeout`.
    pub fn wait_timeout(&self, timeout: Duration) -> Option<ExitStatus> {
        let guard = self.state.status.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = self
            .state
            .cond
            .wait_timeout_while(guard, timeout, |s| s.is_none())
            .unwrap_or_else(|e| e.into_inner());
        *guard
    }

    /// Sends `sig` to the process (or, with `group`, to the process group it
    /// leads) if it has not been reaped yet.
    pub fn signal(&self, sig: i32, group: bool) {
        let guard = self.state.status.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            let target = if group { -self.pid } else { self.pid };
            // SAFETY: plain kill(2); the PID is still ours (not reaped).
            unsafe { libc::kill(target, sig) };
        }
    }

    /// SIGKILL (to the group too, with `group`) and wait for the reap.
    pub fn kill(&self, group: bool) -> Option<ExitStatus> {
        self.signal(libc::SIGKILL, false);
        if group {
            self.signal(libc::SIGKILL, true);
        }
        self.wait_timeout(EVENT_TIMEOUT)
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        if self.status().is_none() {
            self.kill(false);
        }
    }
}

// ---------------------------------------------------------------------------
// Output captured from a pipe, with waiting on its content
// ---------------------------------------------------------------------------

struct OutputState {
    text: String,
    eof: bool,
}

/// Everything read from a pipe so far, fed by a reader thread.
#[derive(Clone)]
pub struct Output {
    inner: Arc<(Mutex<OutputState>, Condvar)>,
}

impl Output {
    fn spawn_reader(mut pipe: io::PipeReader) -> Output {
        let out = Output {
            inner: Arc::new((
                Mutex::new(OutputState {
                    text: String::new(),
                    eof: false,
                }),
                Condvar::new(),
            )),
        };
        let o = out.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                let n = match pipe.read(&mut buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => 0,
                };
                let (lock, cond) = &*o.inner;
                let mut st = lock.lock().unwrap_or_else(|e| e.into_inner());
                if n == 0 {
                    st.eof = true;
                } else {
                    st.text.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
                cond.notify_all();
                if n == 0 {
                    break;
                }
            }
        });
        out
    }

    /// All text read so far.
    pub fn text(&self) -> String {
        self.inner
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .text
            .clone()
    }

    /// True once every writer of the pipe has closed it.
    pub fn is_eof(&self) -> bool {
        self.inner.0.lock().unwrap_or_else(|e| e.into_inner()).eof
    }

    /// Waits until `pred(text)` holds; false on EOF without it, or timeout.
    pub fn wait_for(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> bool {
        let (lock, cond) = &*self.inner;
        let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = cond
            .wait_timeout_while(guard, timeout, |st| !pred(&st.text) && !st.eof)
            .unwrap_or_else(|e| e.into_inner());
        pred(&guard.text)
    }

    /// Waits until the text contains `needle`.
    pub fn wait_contains(&self, needle: &str, timeout: Duration) -> bool {
        self.wait_for(timeout, |t| t.contains(needle))
    }

    /// Waits until every writer has closed the pipe.
    pub fn wait_eof(&self, timeout: Duration) -> bool {
        let (lock, cond) = &*self.inner;
        let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = cond
            .wait_timeout_while(guard, timeout, |st| !st.eof)
            .unwrap_or_else(|e| e.into_inner());
        guard.eof
    }
}

/// Spawns `cmd` with stdout and stderr both going into one pipe (so their
/// relative order is kept) and stdin from /dev/null. The command's own copies
/// of the write end are dropped, so EOF means every holder is gone.
fn spawn_captured(mut cmd: Command) -> io::Result<(Watched, Output)> {
    let (reader, writer) = io::pipe()?;
    cmd.stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer);
    let child = cmd.spawn();
    drop(cmd);
    let child = child?;
    Ok((Watched::new(child), Output::spawn_reader(reader)))
}

// ---------------------------------------------------------------------------
// /proc helpers
// ---------------------------------------------------------------------------

/// Fields of /proc/PID/stat after the command name: index 0 is the state.
pub fn proc_stat_fields(pid: i32) -> Option<Vec<String>> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    Some(after.split_whitespace().map(str::to_string).collect())
}

/// Process state letter (R, S, t, Z, ...) or None if /proc/PID is gone.
pub fn proc_state(pid: i32) -> Option<char> {
    proc_stat_fields(pid)?.first()?.chars().next()
}

/// Process group of PID.
pub fn proc_pgrp(pid: i32) -> Option<i32> {
    proc_stat_fields(pid)?.get(2)?.parse().ok()
}

/// Parent PID.
pub fn proc_ppid(pid: i32) -> Option<i32> {
    proc_stat_fields(pid)?.get(1)?.parse().ok()
}

/// Start time (clock ticks since boot): with the PID it names one process.
pub fn proc_start_time(pid: i32) -> Option<u64> {
    proc_stat_fields(pid)?.get(19)?.parse().ok()
}

/// PIDs of live (non-zombie) processes whose command line mentions `needle`.
pub fn pids_running(needle: &Path) -> Vec<i32> {
    let needle = needle.as_os_str().as_bytes();
    let mut found = Vec::new();
    let Ok(dir) = fs::read_dir("/proc") else {
        return found;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() as i32 {
            continue;
        }
        let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        if cmdline.windows(needle.len()).any(|w| w == needle) && proc_state(pid) != Some('Z') {
            found.push(pid);
        }
    }
    found
}

/// Kills PID with SIGKILL only if it is still the process that started at
/// `start_time` (so a recycled PID is never hit).
fn kill_if_same(pid: i32, start_time: Option<u64>) {
    if pid <= 0 {
        return;
    }
    if let Some(t) = start_time {
        if proc_start_time(pid) == Some(t) {
            // SAFETY: plain kill(2) of a process we identified by start time.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// The complete (newline-terminated) lines of `text`: a line still being
/// written may end in a truncated number.
fn complete_lines(text: &str) -> impl DoubleEndedIterator<Item = &str> {
    let end = text.rfind('\n').map_or(0, |i| i + 1);
    text[..end].lines()
}

/// Parses the first complete `Process PROG created; pid = N` line into
/// (PROG, N).
pub fn parse_created(text: &str) -> Option<(String, i32)> {
    let line = complete_lines(text)
        .find(|l| l.starts_with("Process ") && l.contains(" created; pid = "))?;
    let (head, pid) = line.rsplit_once(" created; pid = ")?;
    Some((
        head["Process ".len()..].to_string(),
        pid.trim().parse().ok()?,
    ))
}

/// Parses the first complete `Process PROG created; pid = N` line's N.
pub fn parse_created_pid(text: &str) -> Option<i32> {
    parse_created(text).map(|(_, pid)| pid)
}

/// After a server died or gave up: kills the program it reported creating,
/// if a live process with that PID still runs that program.
fn kill_created_leftover(text: &str) {
    if let Some((prog, pid)) = parse_created(text) {
        if pids_running(Path::new(&prog)).contains(&pid) {
            kill_if_same(pid, proc_start_time(pid));
        }
    }
}

/// Parses the last complete `Listening on port N` line.
pub fn parse_listening_port(text: &str) -> Option<u16> {
    complete_lines(text)
        .rev()
        .find_map(|l| l.trim().strip_prefix("Listening on port "))
        .and_then(|n| n.trim().parse().ok())
}

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

/// A running server with a launched (stopped) program.
pub struct Server {
    proc: Watched,
    output: Output,
    /// The TCP port the server printed in `Listening on port N`.
    pub port: u16,
    /// The inferior's PID from `Process PROG created; pid = N`.
    pub inferior_pid: i32,
    inferior_start: Option<u64>,
    /// The program the server launched.
    pub program: PathBuf,
}

impl Server {
    /// `SERVER --once 127.0.0.1:0 PROG ARGS`.
    pub fn launch(prog: &Path, args: &[&str]) -> Server {
        Server::launch_with(&["--once"], "127.0.0.1:0", prog, args)
    }

    /// `SERVER FLAGS ADDRESS PROG ARGS`; panics with the server's output if it
    /// does not print both the `created` and the `Listening` lines in time.
    pub fn launch_with(flags: &[&str], address: &str, prog: &Path, args: &[&str]) -> Server {
        match Server::try_launch(flags, address, prog, args) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`Server::launch_with`], returning the failure as text.
    pub fn try_launch(
        flags: &[&str],
        address: &str,
        prog: &Path,
        args: &[&str],
    ) -> Result<Server, String> {
        let mut cmd = Command::new(server_path());
        cmd.args(flags).arg(address).arg(prog).args(args);
        cmd.process_group(0);
        let (proc, output) =
            spawn_captured(cmd).map_err(|e| format!("spawn {}: {e}", server_path().display()))?;
        let ready = output.wait_for(STARTUP_TIMEOUT, |t| {
            parse_listening_port(t).is_some() && parse_created_pid(t).is_some()
        });
        let text = output.text();
        if !ready {
            proc.kill(true);
            // The server is gone, so its program may be orphaned.
            kill_created_leftover(&text);
            return Err(format!(
                "server did not start listening (status {:?}); output:\n{text}",
                proc.status()
            ));
        }
        let port = parse_listening_port(&text).unwrap();
        let inferior_pid = parse_created_pid(&text).unwrap();
        Ok(Server {
            inferior_start: proc_start_time(inferior_pid),
            proc,
            output,
            port,
            inferior_pid,
            program: prog.to_path_buf(),
        })
    }

    /// The server's PID.
    pub fn pid(&self) -> i32 {
        self.proc.pid()
    }

    /// The server's stdout+stderr so far (the inferior's stdout and stderr
    /// also land here, since it inherits them).
    pub fn output(&self) -> String {
        self.output.text()
    }

    /// Waits until the server output contains `needle`.
    pub fn wait_output(&self, needle: &str, timeout: Duration) -> bool {
        self.output.wait_contains(needle, timeout)
    }

    /// Waits until `pred(output)` holds.
    pub fn wait_output_for(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> bool {
        self.output.wait_for(timeout, pred)
    }

    /// Waits until the server has printed `n` complete `Listening on port`
    /// lines (it listens again after a session ends, without `--once`).
    pub fn wait_listening(&self, n: usize, timeout: Duration) -> bool {
        self.output.wait_for(timeout, |t| {
            complete_lines(t)
                .filter(|l| l.starts_with("Listening on port "))
                .count()
                >= n
        })
    }

    /// Waits until the output pipe is closed by everyone holding it: the
    /// server and the inferior (which inherited it) are both gone.
    pub fn wait_output_eof(&self, timeout: Duration) -> bool {
        self.output.wait_eof(timeout)
    }

    /// Waits for the server to exit.
    pub fn wait_exit(&self, timeout: Duration) -> Option<ExitStatus> {
        self.proc.wait_timeout(timeout)
    }

    /// The server's exit status if it has exited.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.proc.status()
    }

    /// Runs batch gdb against this server with the program loaded as gdb's
    /// executable (the usual `gdb PROG -ex 'target remote ...'`).
    pub fn run_gdb(&self, cmds: &[&str], timeout: Duration) -> GdbOutput {
        run_gdb_at(self.port, Some(&self.program), cmds, timeout)
    }

    /// [`Server::run_gdb`] with the default timeout.
    pub fn gdb(&self, cmds: &[&str]) -> GdbOutput {
        self.run_gdb(cmds, GDB_TIMEOUT)
    }

    /// Connects the raw RSP client.
    pub fn rsp(&self) -> rsp::RspClient {
        rsp::RspClient::connect(self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The inferior first, while its parent still waits for it.
        kill_if_same(self.inferior_pid, self.inferior_start);
        self.proc.kill(true);
    }
}

/// What a server run to completion printed, stdout and stderr apart.
pub struct ServerRun {
    /// Exit status; None if it had to be killed at the timeout.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl ServerRun {
    /// Non-empty stderr lines.
    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }
}

/// Runs the server with `args` until it exits (it is expected to fail), at
/// most `timeout`, then kills it and any program it reported creating.
pub fn run_server_to_exit(args: &[&OsStr], timeout: Duration) -> ServerRun {
    let mut cmd = Command::new(server_path());
    cmd.args(args).process_group(0);
    let (out_r, out_w) = io::pipe().expect("pipe");
    let (err_r, err_w) = io::pipe().expect("pipe");
    cmd.stdin(Stdio::null()).stdout(out_w).stderr(err_w);
    let child = cmd.spawn();
    drop(cmd);
    let proc = Watched::new(child.expect("spawn server"));
    let (stdout, stderr) = (Output::spawn_reader(out_r), Output::spawn_reader(err_r));
    let status = proc.wait_timeout(timeout);
    if status.is_none() {
        proc.kill(true);
    }
    // The server is gone, so its program may be orphaned.
    kill_created_leftover(&stderr.text());
    // An orphaned program may still hold the pipes: wait only briefly.
    stdout.wait_eof(Duration::from_secs(2));
    stderr.wait_eof(Duration::from_secs(2));
    ServerRun {
        status,
        stdout: stdout.text(),
        stderr: stderr.text(),
    }
}

// ---------------------------------------------------------------------------
// Batch gdb
// ---------------------------------------------------------------------------

/// What a batch gdb run printed (stdout and stderr interleaved).
pub struct GdbOutput {
    pub text: String,
    /// gdb's exit status; None if the watchdog had to kill it.
    pub status: Option<ExitStatus>,
}

impl GdbOutput {
    pub fn timed_out(&self) -> bool {
        self.status.is_none()
    }

    /// Panics with the whole transcript unless it contains `needle`.
    #[track_caller]
    pub fn assert_contains(&self, needle: &str) {
        assert!(
            self.text.contains(needle),
            "gdb output lacks {needle:?}:\n{}",
            self.text
        );
    }

    /// Panics with the whole transcript if it contains `needle`.
    #[track_caller]
    pub fn assert_lacks(&self, needle: &str) {
        assert!(
            !self.text.contains(needle),
            "gdb output unexpectedly has {needle:?}:\n{}",
            self.text
        );
    }

    /// Number of occurrences of `needle`.
    pub fn count(&self, needle: &str) -> usize {
        self.text.matches(needle).count()
    }

    /// The value printed for history number `$n`.
    #[track_caller]
    pub fn value(&self, n: usize) -> String {
        let prefix = format!("${n} = ");
        match self.text.lines().find_map(|l| l.strip_prefix(&prefix)) {
            Some(v) => v.to_string(),
            None => panic!("gdb printed no ${n}:\n{}", self.text),
        }
    }

    /// Text between the lines `MARK-begin` and `MARK-end` (printed by the
    /// commands `echo MARK-begin\n` and `echo MARK-end\n`).
    #[track_caller]
    pub fn section(&self, mark: &str) -> String {
        let b = format!("{mark}-begin\n");
        let e = format!("{mark}-end");
        let start = match self.text.find(&b) {
            Some(i) => i + b.len(),
            None => panic!("no {b:?} in gdb output:\n{}", self.text),
        };
        let len = match self.text[start..].find(&e) {
            Some(i) => i,
            None => panic!("no {e:?} in gdb output:\n{}", self.text),
        };
        self.text[start..start + len].to_string()
    }
}

fn gdb_base_command() -> Command {
    let mut cmd = Command::new("gdb");
    cmd.args(["-nx", "-batch"])
        .args(["-ex", "set confirm off"])
        .args(["-ex", "set pagination off"])
        .args(["-ex", "set width 0"])
        .args(["-ex", "set debuginfod enabled off"])
        .env("LC_ALL", "C")
        .env_remove("DEBUGINFOD_URLS")
        .process_group(0);
    cmd
}

/// Runs gdb to completion under a watchdog that kills its whole process
/// group (gdb and anything it spawned) at `timeout`.
fn run_gdb_command(cmd: Command, timeout: Duration) -> GdbOutput {
    let (proc, output) = spawn_captured(cmd).expect("spawn gdb");
    let status = proc.wait_timeout(timeout);
    if status.is_none() {
        proc.signal(libc::SIGKILL, true);
        proc.kill(false);
    }
    // gdb is gone; anything it started that still holds the pipe is a
    // leftover of its own process group: give it a moment, then kill it.
    if !output.wait_eof(Duration::from_secs(5)) {
        // SAFETY: the group's leader is reaped, but a group ID is not reused
        // while any member lives, so this only hits gdb's own leftovers.
        unsafe { libc::kill(-proc.pid(), libc::SIGKILL) };
        output.wait_eof(Duration::from_secs(5));
    }
    let mut text = output.text();
    if status.is_none() {
        text.push_str(&format!("\n[harness: gdb killed after {timeout:?}]\n"));
    }
    GdbOutput { text, status }
}

/// `gdb -nx -batch -ex 'set confirm off' -ex 'set pagination off' ...
/// -ex 'target remote 127.0.0.1:PORT' -ex CMD... [FILE]`.
pub fn run_gdb_at<S: AsRef<str>>(
    port: u16,
    file: Option<&Path>,
    cmds: &[S],
    timeout: Duration,
) -> GdbOutput {
    let mut cmd = gdb_base_command();
    cmd.arg("-ex")
        .arg(format!("target remote 127.0.0.1:{port}"));
    for c in cmds {
        cmd.arg("-ex").arg(c.as_ref());
    }
    if let Some(f) = file {
        cmd.arg(f);
    }
    run_gdb_command(cmd, timeout)
}

/// gdb with the server in stdio mode: `target remote | SERVER - PROG ARGS`.
/// The inferior (PID from the server's `created` line) is killed afterwards
/// if it is somehow still running.
pub fn run_gdb_stdio<S: AsRef<str>>(
    prog: &Path,
    args: &[&str],
    cmds: &[S],
    timeout: Duration,
) -> GdbOutput {
    let mut target = OsString::from("target remote | exec ");
    target.push(shell_quote(server_path().as_os_str()));
    target.push(" - ");
    target.push(shell_quote(prog.as_os_str()));
    for a in args {
        target.push(" ");
        target.push(shell_quote(OsStr::new(a)));
    }
    let mut cmd = gdb_base_command();
    cmd.arg("-ex").arg(target);
    for c in cmds {
        cmd.arg("-ex").arg(c.as_ref());
    }
    cmd.arg(prog);
    let out = run_gdb_command(cmd, timeout);
    kill_created_leftover(&out.text);
    out
}

fn shell_quote(s: &OsStr) -> OsString {
    let text = s.to_string_lossy();
    let mut q = OsString::from("'");
    q.push(text.replace('\'', "'\\''"));
    q.push("'");
    q
}

// ---------------------------------------------------------------------------
// Small helpers for assertions
// ---------------------------------------------------------------------------

/// Parses `0x...` or decimal text as u64.
pub fn parse_u64(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Reads a result file written by a test program, with a clear panic.
#[track_caller]
pub fn read_result(path: &Path) -> String {
    match fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) => panic!("program's result file {} not readable: {e}", path.display()),
    }
}

/// CPU feature flags from /proc/cpuinfo.
pub fn cpu_has(flag: &str) -> bool {
    static FLAGS: OnceLock<Vec<String>> = OnceLock::new();
    FLAGS
        .get_or_init(|| {
            let info = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
            info.lines()
                .find(|l| l.starts_with("flags"))
                .map(|l| l.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default()
        })
        .iter()
        .any(|f| f == flag)
}

/// Exit code of a status, or a panic naming what happened instead.
#[track_caller]
pub fn exit_code(status: Option<ExitStatus>) -> i32 {
    match status {
        Some(s) => match s.code() {
            Some(c) => c,
            None => panic!("process killed by signal {:?}", s.signal()),
        },
        None => panic!("process did not exit in time"),
    }
}
