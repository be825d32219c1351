//! Attaching to a running process (`--attach COMM PID`), refusals, detach and
//! dropped connections.
//!
//! The programs run under `attach_parent`, their real parent, which logs
//! every stop/continue notification it gets: a transparent attach leaves that
//! log with the child's start and end only. `attach_blockers` has named
//! threads blocked in read(2), nanosleep(2), a raw FUTEX_WAIT and
//! pthread_cond_wait, plus a thread spawner, and reports after its release
//! how often each call returned before it was released (EINTR or an extra
//! wakeup). `jobctl_ticker` prints `tick N` every ~10 ms and calls rare()
//! only on request, so breakpoints left behind would show.
//!
//! tests/job_control.rs carries a copy of the helpers it needs from here:
//! each test file is its own crate, and the shared harness in tests/common/
//! is not ours to extend.

mod common;

use common::rsp::RspClient;
use common::*;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// Output captured from a pipe
// ---------------------------------------------------------------------------

/// Everything read so far from a pipe, fed by a reader thread, with waiting
/// on its content (the harness has the same thing, but private).
#[derive(Clone)]
struct Capture {
    inner: Arc<(Mutex<(String, bool)>, Condvar)>,
}

impl Capture {
    fn new(mut reader: impl Read + Send + 'static) -> Capture {
        let capture = Capture {
            inner: Arc::new((Mutex::new((String::new(), false)), Condvar::new())),
        };
        let feed = capture.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    // EIO from a pty master whose slave side is gone is EOF.
                    Err(_) => 0,
                };
                let (lock, cond) = &*feed.inner;
                let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
                if n == 0 {
                    state.1 = true;
                } else {
                    state.0.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
                cond.notify_all();
                if n == 0 {
                    break;
                }
            }
        });
        capture
    }

    fn text(&self) -> String {
        self.inner
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone()
    }

    /// Waits until `pred(text)` holds; false on EOF without it, or timeout.
    fn wait_for(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> bool {
        let (lock, cond) = &*self.inner;
        let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = cond
            .wait_timeout_while(guard, timeout, |s| !pred(&s.0) && !s.1)
            .unwrap_or_else(|e| e.into_inner());
        pred(&guard.0)
    }

    fn wait_eof(&self, timeout: Duration) -> bool {
        let (lock, cond) = &*self.inner;
        let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = cond
            .wait_timeout_while(guard, timeout, |s| !s.1)
            .unwrap_or_else(|e| e.into_inner());
        guard.1
    }
}

/// Spawns `cmd` in its own process group with stdout and stderr into one
/// captured pipe. The command's copies of the write end are dropped before
/// returning, so EOF means every holder is gone.
fn spawn_captured(mut cmd: Command, stdin: Stdio) -> (Watched, Capture) {
    let (reader, writer) = io::pipe().expect("create output pipe");
    cmd.stdin(stdin)
        .stdout(writer.try_clone().expect("clone output pipe"))
        .stderr(writer)
        .process_group(0);
    let child = cmd.spawn();
    drop(cmd);
    let child = child.expect("spawn process");
    (Watched::new(child), Capture::new(reader))
}

// ---------------------------------------------------------------------------
// Small parsing and /proc helpers
// ---------------------------------------------------------------------------

/// Complete lines only: a line still being written may be cut short.
fn lines(text: &str) -> impl DoubleEndedIterator<Item = &str> {
    let end = text.rfind('\n').map_or(0, |i| i + 1);
    text[..end].lines()
}

/// `KEY=VALUE` from the first complete line starting with `prefix`.
fn field(text: &str, prefix: &str, key: &str) -> Option<String> {
    let line = lines(text).find(|l| l.starts_with(prefix))?;
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
        .map(str::to_string)
}

/// The last (so highest) `tick N` printed so far, 0 before the first. On a
/// terminal a tick may share its line with the shell's prompt (`jc$ tick 7`).
fn last_tick(text: &str) -> u64 {
    lines(text)
        .rev()
        .find_map(|l| l.rsplit_once("tick ")?.1.trim().parse().ok())
        .unwrap_or(0)
}

/// Lines of `attach_parent`'s log.
fn parent_log(text: &str) -> Vec<String> {
    lines(text)
        .filter(|l| l.starts_with("parent: "))
        .map(str::to_string)
        .collect()
}

fn status_field(pid: i32, name: &str) -> Option<String> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(|v| v.trim().to_string())
}

fn tracer_pid(pid: i32) -> Option<i32> {
    status_field(pid, "TracerPid")?.parse().ok()
}

/// Thread ids of `pid` from /proc.
fn tasks(pid: i32) -> Vec<i32> {
    let mut tids: Vec<i32> = fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    tids.sort_unstable();
    tids
}

/// The system call a sleeping thread is blocked in (/proc/PID/task/TID/
/// syscall), or None if it runs or is gone.
fn blocked_in(pid: i32, tid: i32) -> Option<i64> {
    let text = fs::read_to_string(format!("/proc/{pid}/task/{tid}/syscall")).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Polls `cond` until it holds or `timeout` passes. Only for states the
/// kernel exposes in /proc without any notification (a thread entering a
/// blocking system call): the short pause is a poll interval, never a guess
/// at how long something takes.
fn poll_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(2));
    }
}

/// A FIFO (without the harness's reader: the program is its only reader).
fn make_fifo(dir: &TempDir, name: &str) -> PathBuf {
    let path = dir.file(name);
    let c = std::ffi::CString::new(path.to_str().expect("utf-8 path")).expect("no NUL");
    // SAFETY: c is a valid NUL-terminated path.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
    assert_eq!(rc, 0, "mkfifo: {}", io::Error::last_os_error());
    path
}

/// Sends a one-byte command to `jobctl_ticker` ('r' calls rare(), 'q'
/// exits). Non-blocking: the program holds the FIFO open for reading, so
/// this cannot wait; if the program is gone it fails instead of hanging.
fn ticker_command(ctl: &Path, c: u8) {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(ctl)
        .expect("open the ticker's control FIFO");
    f.write_all(&[c]).expect("write ticker command");
}

// ---------------------------------------------------------------------------
// Programs under a logging parent
// ---------------------------------------------------------------------------

/// A test program started under `attach_parent`. Drop kills it (by PID,
/// checked against its start time) and its parent.
struct Program {
    parent: Watched,
    out: Capture,
    stdin: Option<io::PipeWriter>,
    pid: i32,
    start: Option<u64>,
}

impl Program {
    /// `attach_parent PROG ARGS`, stdin a pipe from the test; waits for the
    /// program's `ready` line.
    fn start(prog: &Path, args: &[&OsStr]) -> Program {
        let (stdin_r, stdin_w) = io::pipe().expect("create stdin pipe");
        let mut cmd = Command::new(program("attach_parent"));
        cmd.arg(prog).args(args);
        let (parent, out) = spawn_captured(cmd, Stdio::from(stdin_r));
        let ready = out.wait_for(EVENT_TIMEOUT, |t| {
            field(t, "ready ", "pid").is_some() && !parent_log(t).is_empty()
        });
        let text = out.text();
        let pid: i32 = match field(&text, "ready ", "pid").and_then(|p| p.parse().ok()) {
            Some(pid) if ready => pid,
            _ => {
                parent.kill(true);
                panic!("{} did not get ready:\n{text}", prog.display());
            }
        };
        let program = Program {
            start: proc_start_time(pid),
            parent,
            out,
            stdin: Some(stdin_w),
            pid,
        };
        assert_eq!(
            program.parent_log().first().map(String::as_str),
            Some(format!("parent: child {pid}").as_str()),
            "{text}"
        );
        program
    }

    fn text(&self) -> String {
        self.out.text()
    }

    fn parent_log(&self) -> Vec<String> {
        parent_log(&self.out.text())
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        if let Some(t) = self.start {
            if proc_start_time(self.pid) == Some(t) {
                // SAFETY: plain kill(2) of the process identified by start time.
                unsafe { libc::kill(self.pid, libc::SIGKILL) };
            }
        }
        self.parent.kill(true);
    }
}

/// `jobctl_ticker CTL` under `attach_parent`, with what its `ready` line says.
struct Ticker {
    prog: Program,
    counter: u64,
    rare: u64,
    ctl: PathBuf,
}

impl Ticker {
    fn start(dir: &TempDir, name: &str) -> Ticker {
        let ctl = make_fifo(dir, &format!("{name}.ctl"));
        let prog = Program::start(&program("jobctl_ticker"), &[ctl.as_os_str()]);
        let text = prog.text();
        let addr = |key| {
            field(&text, "ready ", key)
                .and_then(|v| parse_u64(&v))
                .unwrap_or_else(|| panic!("no {key} in ready line:\n{text}"))
        };
        Ticker {
            counter: addr("counter"),
            rare: addr("rare"),
            prog,
            ctl,
        }
    }

    fn pid(&self) -> i32 {
        self.prog.pid
    }

    fn tick(&self) -> u64 {
        last_tick(&self.prog.text())
    }

    /// Waits until the ticker prints a tick past `n`.
    fn wait_tick_past(&self, n: u64) -> bool {
        self.prog.out.wait_for(EVENT_TIMEOUT, |t| last_tick(t) > n)
    }

    fn command(&self, c: u8) {
        ticker_command(&self.ctl, c);
    }

    /// Asserts it runs freely: a new tick, then rare() on request, and it is
    /// not traced any more.
    fn assert_runs_untraced(&self, what: &str) {
        let now = self.tick();
        assert!(
            self.wait_tick_past(now + 3),
            "{what}: the program makes no progress (state {:?}):\n{}",
            proc_state(self.pid()),
            self.prog.text()
        );
        assert_eq!(tracer_pid(self.pid()), Some(0), "{what}: still traced");
        let rares = self.prog.text().matches("rare ").count();
        self.command(b'r');
        assert!(
            self.prog
                .out
                .wait_for(EVENT_TIMEOUT, |t| t.matches("rare ").count() > rares),
            "{what}: rare() did not run (a breakpoint left behind?):\n{}",
            self.prog.text()
        );
        assert!(
            matches!(proc_state(self.pid()), Some('S' | 'R')),
            "{what}: state {:?}",
            proc_state(self.pid())
        );
    }
}

// ---------------------------------------------------------------------------
// The server, attached
// ---------------------------------------------------------------------------

/// `SERVER --once --attach 127.0.0.1:0 PID`, killed (with its process group)
/// on drop.
struct AttachServer {
    proc: Watched,
    out: Capture,
    port: u16,
}

impl AttachServer {
    fn start(pid: i32) -> AttachServer {
        let mut cmd = Command::new(server_path());
        cmd.args(["--once", "--attach", "127.0.0.1:0", &pid.to_string()]);
        let (proc, out) = spawn_captured(cmd, Stdio::null());
        let ready = out.wait_for(STARTUP_TIMEOUT, |t| parse_listening_port(t).is_some());
        let text = out.text();
        let Some(port) = parse_listening_port(&text).filter(|_| ready) else {
            proc.kill(true);
            panic!("server did not start listening:\n{text}");
        };
        assert!(
            text.contains(&format!("Attached; pid = {pid}\n")),
            "no Attached line:\n{text}"
        );
        AttachServer { proc, out, port }
    }

    fn pid(&self) -> i32 {
        self.proc.pid()
    }

    fn gdb(&self, file: &Path, cmds: &[&str]) -> GdbOutput {
        run_gdb_at(self.port, Some(file), cmds, GDB_TIMEOUT)
    }

    /// Asserts that the server exits on its own (with `--once`).
    fn assert_exits(&self, what: &str) {
        let status = self.proc.wait_timeout(EVENT_TIMEOUT);
        assert!(
            status.is_some(),
            "{what}: server still running:\n{}",
            self.out.text()
        );
    }
}

impl Drop for AttachServer {
    fn drop(&mut self) {
        self.proc.kill(true);
    }
}

/// Batch gdb running in the background (for commands that block, such as
/// `continue`, while the test acts), killed with its process group on drop.
struct BackgroundGdb {
    proc: Watched,
    out: Capture,
}

impl BackgroundGdb {
    /// `gdb -nx -batch` with the harness's settings, `TARGET` (a whole
    /// `target remote ...` command), then `cmds`, with `file` loaded.
    fn start(target: &OsStr, file: &Path, cmds: &[&str]) -> BackgroundGdb {
        let mut cmd = Command::new("gdb");
        cmd.args(["-nx", "-batch"])
            .args(["-ex", "set confirm off"])
            .args(["-ex", "set pagination off"])
            .args(["-ex", "set width 0"])
            .args(["-ex", "set debuginfod enabled off"])
            .arg("-ex")
            .arg(target)
            .env("LC_ALL", "C")
            .env_remove("DEBUGINFOD_URLS");
        for c in cmds {
            cmd.args(["-ex", c]);
        }
        cmd.arg(file);
        let (proc, out) = spawn_captured(cmd, Stdio::null());
        BackgroundGdb { proc, out }
    }

    fn tcp(port: u16, file: &Path, cmds: &[&str]) -> BackgroundGdb {
        BackgroundGdb::start(
            OsStr::new(&format!("target remote 127.0.0.1:{port}")),
            file,
            cmds,
        )
    }

    /// Waits for gdb to finish (killing it at the timeout).
    fn finish(self) -> GdbOutput {
        let status = self.proc.wait_timeout(GDB_TIMEOUT);
        if status.is_none() {
            self.proc.signal(libc::SIGKILL, true);
        }
        self.out.wait_eof(Duration::from_secs(5));
        GdbOutput {
            text: self.out.text(),
            status,
        }
    }

    /// Kills gdb (and its process group) as a crash would.
    fn kill(&self) {
        self.proc.signal(libc::SIGKILL, true);
        self.proc.kill(false);
    }
}

impl Drop for BackgroundGdb {
    fn drop(&mut self) {
        self.proc.signal(libc::SIGKILL, true);
    }
}

fn shell_quote(s: &OsStr) -> OsString {
    let mut q = OsString::from("'");
    q.push(s.to_string_lossy().replace('\'', "'\\''"));
    q.push("'");
    q
}

// ---------------------------------------------------------------------------
// 1. Attach: every thread with its name, no signal reaches the program
// ---------------------------------------------------------------------------

/// Blocker threads of `attach_blockers`: name and the system calls
/// (x86_64 numbers via libc) it must be sleeping in.
const BLOCKERS: &[(&str, &[i64])] = &[
    ("ab-main", &[libc::SYS_read]),
    // After a ptrace stop the kernel resumes an interrupted nanosleep as
    // restart_syscall(2), transparently to the program.
    (
        "ab-sleep",
        &[
            libc::SYS_nanosleep,
            libc::SYS_clock_nanosleep,
            libc::SYS_restart_syscall,
        ],
    ),
    ("ab-futex", &[libc::SYS_futex]),
    ("ab-cond", &[libc::SYS_futex]),
];

/// `attach_blockers` under its parent, every blocker asleep in its call.
fn start_blockers() -> (Program, Vec<(&'static str, i32)>) {
    let prog = Program::start(&program("attach_blockers"), &[]);
    let text = prog.text();
    let tids: Vec<(&str, i32)> = BLOCKERS
        .iter()
        .map(|(name, _)| {
            let tid = field(&text, &format!("thread {name} "), "tid")
                .and_then(|t| t.parse().ok())
                .unwrap_or_else(|| panic!("no tid for {name}:\n{text}"));
            (*name, tid)
        })
        .collect();
    assert_blocked(&prog, &tids, "before attach");
    (prog, tids)
}

/// Every blocker sleeps in its system call (what attach must not disturb).
fn assert_blocked(prog: &Program, tids: &[(&str, i32)], when: &str) {
    for ((name, tid), (_, calls)) in tids.iter().zip(BLOCKERS) {
        let ok = poll_until(EVENT_TIMEOUT, || {
            blocked_in(prog.pid, *tid).is_some_and(|nr| calls.contains(&nr))
                && proc_state(*tid) == Some('S')
        });
        assert!(
            ok,
            "{when}: {name} ({tid}) not blocked in {calls:?}: syscall {:?}, state {:?}",
            blocked_in(prog.pid, *tid),
            proc_state(*tid)
        );
    }
}

/// Releases the blockers and checks that none of them returned before its
/// release, and that the real parent saw no stop or continue.
fn release_and_check_blockers(mut prog: Program) {
    let mut stdin = prog.stdin.take().expect("stdin pipe");
    stdin.write_all(b"x").expect("release the program");
    assert!(
        prog.out
            .wait_for(EVENT_TIMEOUT, |t| t.contains("parent: exited")),
        "program did not finish after its release:\n{}",
        prog.text()
    );
    let text = prog.text();
    let result = |name: &str, key: &str| -> i64 {
        field(&text, &format!("result {name} "), key)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no result {name} {key}:\n{text}"))
    };
    for name in ["read", "sleep", "futex", "cond"] {
        assert_eq!(
            result(name, "spurious"),
            0,
            "{name} returned before its release (EINTR or extra wakeup):\n{text}"
        );
    }
    assert_eq!(result("read", "ret"), 1, "{text}");
    // nanosleep ends with the SIGUSR1 of the release, and only that.
    assert_eq!(
        (result("sleep", "ret"), result("sleep", "errno")),
        (-1, libc::EINTR as i64),
        "{text}"
    );
    // FUTEX_WAIT ends woken (0) or, if the word changed first, EAGAIN.
    assert!(
        matches!(
            (result("futex", "ret"), result("futex", "errno")),
            (0, 0) | (-1, 11)
        ),
        "{text}"
    );
    assert_eq!(result("cond", "ret"), 0, "{text}");
    assert!(result("spawner", "kids") > 0, "{text}");
    assert_eq!(
        prog.parent_log(),
        vec![
            format!("parent: child {}", prog.pid),
            "parent: exited 0".to_string()
        ],
        "the real parent saw a stop or continue:\n{text}"
    );
}

#[test]
fn attach_sees_named_threads_and_sends_no_signal() {
    let (prog, tids) = start_blockers();
    let pid = prog.pid;
    let server = AttachServer::start(pid);
    // Attached: every thread is traced, by the server.
    for tid in tasks(pid) {
        let tracer = status_field(tid, "TracerPid");
        assert!(
            tracer == Some(server.pid().to_string()) || tracer.is_none(),
            "thread {tid} has TracerPid {tracer:?}, server is {}",
            server.pid()
        );
    }
    let gdb = server.gdb(
        &program("attach_blockers"),
        &[
            "info threads",
            // All-stop: with every thread stopped, the spawner creates no
            // thread between these two reads (a thread missed by the
            // attach would keep running).
            "print kids",
            "info threads",
            "print kids",
            "detach",
        ],
    );
    for (name, tid) in &tids {
        gdb.assert_contains(&format!("Thread {pid}.{tid} \"{name}\""));
    }
    gdb.assert_contains("\"ab-spawner\"");
    assert_eq!(gdb.value(1), gdb.value(2), "{}", gdb.text);
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) detached]"));
    server.assert_exits("after detach");
    // Still asleep in the same calls, traced by nobody.
    assert_blocked(&prog, &tids, "after detach");
    for tid in tasks(pid) {
        // None: a short-lived "ab-kid" thread that is gone by now.
        let tracer = tracer_pid(tid);
        assert!(
            matches!(tracer, Some(0) | None),
            "thread {tid} still traced by {tracer:?}"
        );
    }
    release_and_check_blockers(prog);
}

#[test]
fn attach_over_stdio() {
    let (prog, tids) = start_blockers();
    let pid = prog.pid;
    let mut target = OsString::from("target remote | exec ");
    target.push(shell_quote(server_path().as_os_str()));
    target.push(format!(" --attach - {pid}"));
    let gdb = BackgroundGdb::start(
        &target,
        &program("attach_blockers"),
        &["info threads", "detach"],
    )
    .finish();
    gdb.assert_contains("Remote debugging using stdio");
    gdb.assert_contains(&format!("Attached; pid = {pid}"));
    for (name, tid) in &tids {
        gdb.assert_contains(&format!("Thread {pid}.{tid} \"{name}\""));
    }
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) detached]"));
    assert_blocked(&prog, &tids, "after detach");
    release_and_check_blockers(prog);
}

// ---------------------------------------------------------------------------
// 2. Attach refused, clearly, with the target untouched
// ---------------------------------------------------------------------------

/// Runs `PREFIX... SERVER --once --attach 127.0.0.1:0 PID` to its exit.
fn refused_attach(prefix: &[&str], pid: i32) -> (Option<std::process::ExitStatus>, String) {
    let mut cmd = match prefix.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(server_path());
            c
        }
        None => Command::new(server_path()),
    };
    cmd.args(["--once", "--attach", "127.0.0.1:0", &pid.to_string()]);
    let (proc, out) = spawn_captured(cmd, Stdio::null());
    let status = proc.wait_timeout(EVENT_TIMEOUT);
    if status.is_none() {
        proc.kill(true);
    }
    out.wait_eof(Duration::from_secs(5));
    (status, out.text())
}

#[track_caller]
fn assert_refused(
    status: Option<std::process::ExitStatus>,
    text: &str,
    pid: i32,
    needles: &[&str],
) {
    let status = status.unwrap_or_else(|| panic!("server did not exit:\n{text}"));
    assert!(!status.success(), "server exited 0:\n{text}");
    assert!(
        !text.contains("Listening on port"),
        "server listened:\n{text}"
    );
    assert!(
        text.contains(&format!("{pid}")),
        "message does not name pid {pid}:\n{text}"
    );
    for n in needles {
        assert!(text.contains(n), "message lacks {n:?}:\n{text}");
    }
}

/// The ticker was not disturbed: never stopped (its parent saw nothing),
/// runs on, untraced.
fn assert_untouched(ticker: &Ticker, what: &str) {
    ticker.assert_runs_untraced(what);
    assert_eq!(
        ticker.prog.parent_log(),
        vec![format!("parent: child {}", ticker.pid())],
        "{what}: the real parent saw a stop or continue"
    );
}

#[test]
fn attach_to_missing_process_is_refused() {
    // A PID that existed a moment ago: our own reaped child.
    let child = Command::new("true").spawn().expect("spawn true");
    let w = Watched::new(child);
    w.wait_timeout(EVENT_TIMEOUT).expect("true exits");
    let pid = w.pid();
    assert!(!Path::new(&format!("/proc/{pid}")).exists(), "pid reused");
    let (status, text) = refused_attach(&[], pid);
    assert_refused(status, &text, pid, &["No such process"]);
}

#[test]
fn attach_to_process_held_by_another_server_is_refused() {
    let dir = TempDir::new("attach-held");
    let ticker = Ticker::start(&dir, "t");
    let first = AttachServer::start(ticker.pid());
    let (status, text) = refused_attach(&[], ticker.pid());
    assert_refused(
        status,
        &text,
        ticker.pid(),
        &[&format!("already traced by process {}", first.pid())],
    );
    // Still the first server's, which can still use it.
    assert_eq!(tracer_pid(ticker.pid()), Some(first.pid()));
    let gdb = first.gdb(&program("jobctl_ticker"), &["print &counter", "detach"]);
    assert!(
        gdb.value(1)
            .ends_with(&format!("{:#x} <counter>", ticker.counter)),
        "{}",
        gdb.text
    );
    first.assert_exits("after detach");
    assert_untouched(&ticker, "after the refusal and the first server's detach");
}

#[test]
fn attach_to_process_under_strace_is_refused() {
    if Command::new("strace").arg("-V").output().is_err() {
        eprintln!("strace is not installed: skipped");
        return;
    }
    let dir = TempDir::new("attach-strace");
    let ticker = Ticker::start(&dir, "t");
    let mut cmd = Command::new("strace");
    cmd.args(["-o", "/dev/null", "-p", &ticker.pid().to_string()]);
    let (strace, strace_out) = spawn_captured(cmd, Stdio::null());
    assert!(
        strace_out.wait_for(EVENT_TIMEOUT, |t| t.contains("attached")),
        "strace did not attach:\n{}",
        strace_out.text()
    );
    let (status, text) = refused_attach(&[], ticker.pid());
    assert_refused(
        status,
        &text,
        ticker.pid(),
        &[&format!("already traced by process {}", strace.pid())],
    );
    // strace detaches on SIGTERM.
    strace.signal(libc::SIGTERM, false);
    assert!(
        strace.wait_timeout(EVENT_TIMEOUT).is_some(),
        "strace did not exit"
    );
    assert_untouched(&ticker, "after the refusal and strace's detach");
}

#[test]
fn attach_without_permission_is_refused() {
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("setpriv is not installed: skipped");
        return;
    }
    // SAFETY: getuid has no failure mode.
    if unsafe { libc::getuid() } != 0 {
        eprintln!("not root: cannot run the server as another user: skipped");
        return;
    }
    let dir = TempDir::new("attach-perm");
    let ticker = Ticker::start(&dir, "t");
    let (status, text) = refused_attach(
        &[
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ],
        ticker.pid(),
    );
    // The reason, in the user's terms: who owns the process.
    assert_refused(
        status,
        &text,
        ticker.pid(),
        &["Operation not permitted", "belongs to user 0"],
    );
    assert_untouched(&ticker, "after the refusal");
}

// ---------------------------------------------------------------------------
// 3. Detach and disconnect
// ---------------------------------------------------------------------------

#[test]
fn detach_leaves_the_process_running_without_breakpoints() {
    let dir = TempDir::new("attach-detach");
    let ticker = Ticker::start(&dir, "t");
    let server = AttachServer::start(ticker.pid());
    let gdb = server.gdb(
        &program("jobctl_ticker"),
        &["break tick", "break rare", "continue", "continue", "detach"],
    );
    assert_eq!(gdb.count("Breakpoint 1, tick (n="), 2, "{}", gdb.text);
    gdb.assert_contains(&format!("[Inferior 1 (process {}) detached]", ticker.pid()));
    server.assert_exits("after detach");
    // tick() and rare() run again: a breakpoint left behind would kill it
    // with SIGTRAP.
    assert_untouched(&ticker, "after detach");
}

#[test]
fn quit_detaches_from_an_attached_process() {
    let dir = TempDir::new("attach-quit");
    let ticker = Ticker::start(&dir, "t");
    let server = AttachServer::start(ticker.pid());
    // gdb quits while stopped at a breakpoint: the thread must go on with
    // the original instruction.
    let gdb = server.gdb(
        &program("jobctl_ticker"),
        &["break tick", "break rare", "continue", "quit"],
    );
    gdb.assert_contains("Breakpoint 1, tick (n=");
    server.assert_exits("after quit");
    assert_untouched(&ticker, "after quit");
}

#[test]
fn gdb_killed_while_running_leaves_the_process_running() {
    let dir = TempDir::new("attach-gdbkill");
    let ticker = Ticker::start(&dir, "t");
    let server = AttachServer::start(ticker.pid());
    let at_attach = ticker.tick();
    let gdb = BackgroundGdb::tcp(
        server.port,
        &program("jobctl_ticker"),
        &["break rare", "continue"],
    );
    // Ticks again: gdb resumed it, so its breakpoint is in memory now.
    // (gdb's own "Continuing." may sit in its stdout buffer.)
    assert!(
        ticker.wait_tick_past(at_attach + 2),
        "not resumed:\n{}",
        ticker.prog.text()
    );
    gdb.kill();
    server.assert_exits("after gdb died");
    // rare() runs: the server removed the breakpoint before detaching.
    assert_untouched(&ticker, "after gdb died");
}

#[test]
fn closed_connection_leaves_the_process_running() {
    let dir = TempDir::new("attach-close");
    let ticker = Ticker::start(&dir, "t");
    let server = AttachServer::start(ticker.pid());
    let at_attach = ticker.tick();
    {
        let mut client = RspClient::connect(server.port);
        let stop = client.request("?").expect("? reply");
        assert!(stop.starts_with('T'), "{stop:?}");
        let reply = client
            .request(&format!("Z0,{:x},1", ticker.rare))
            .expect("Z0 reply");
        assert_eq!(reply, "OK");
        client.send_packet("vCont;c").expect("send vCont;c");
        assert!(
            ticker.wait_tick_past(at_attach + 2),
            "not resumed:\n{}",
            ticker.prog.text()
        );
        // The socket closes here, with the program running and the
        // breakpoint inserted.
    }
    server.assert_exits("after the connection closed");
    assert_untouched(&ticker, "after the connection closed");
}

#[test]
fn killed_server_leaves_the_attached_process_alive() {
    let dir = TempDir::new("attach-srvkill");
    let ticker = Ticker::start(&dir, "t");
    let server = AttachServer::start(ticker.pid());
    let mut client = RspClient::connect(server.port);
    assert!(client.request("?").expect("? reply").starts_with('T'));
    // The debug server dies (a crash, kill -9): the kernel detaches the
    // program; it must not take the program with it (an attached process
    // belongs to someone else; PTRACE_O_EXITKILL is for launched ones).
    server.proc.kill(true);
    let now = ticker.tick();
    ticker.prog.out.wait_for(EVENT_TIMEOUT, |t| {
        last_tick(t) > now + 3 || t.contains("parent: killed")
    });
    assert!(
        !ticker.prog.text().contains("parent: killed"),
        "the program died with the server:\n{}",
        ticker.prog.text()
    );
    assert_untouched(&ticker, "after the server was killed");
}

#[test]
fn launched_process_is_killed_by_gdb_kill() {
    let dir = TempDir::new("attach-launchkill");
    let ctl = make_fifo(&dir, "ctl");
    let server = Server::launch(&program("jobctl_ticker"), &[ctl.to_str().expect("utf-8")]);
    let pid = server.inferior_pid;
    let gdb = server.gdb(&["break tick", "continue", "kill"]);
    gdb.assert_contains("Breakpoint 1, tick (n=1)");
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) killed]"));
    assert!(
        server.wait_exit(EVENT_TIMEOUT).is_some(),
        "server still running:\n{}",
        server.output()
    );
    assert_eq!(proc_state(pid), None, "program still there");
}
