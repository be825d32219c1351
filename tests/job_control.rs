//! Job control stays the program's own while rgdbserver traces it
//! (PTRACE_SEIZE + PTRACE_LISTEN): a job-stopped process stays stopped across
//! attach and detach; SIGSTOP/SIGCONT sent while gdb runs the program stop
//! and resume it for real (gdb passing SIGSTOP silently, or reporting it
//! exactly once); an interrupt during a group stop returns to it; and an
//! interactive shell's ^Z, `fg` and `bg` work on a program being debugged.
//!
//! "No progress" is never a guessed delay: the program's counter (read from
//! /proc/PID/mem) and its output must not move while a free-running twin, the
//! witness, makes ten ticks.
//!
//! The helpers up to "No progress" are a copy of those in tests/attach.rs
//! (each test file is its own crate, and the shared harness in tests/common/
//! is not ours to extend).

mod common;

use common::rsp::REPLY_TIMEOUT;
use common::*;
use std::ffi::OsStr;
use std::fs;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
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

/// Reads the program's 8-byte `counter` from its memory: works whether the
/// program runs, is job-stopped or is traced by someone else (we are root).
/// None once the program is gone.
fn read_counter(pid: i32, addr: u64) -> Option<u64> {
    let mem = fs::File::open(format!("/proc/{pid}/mem")).ok()?;
    let mut buf = [0u8; 8];
    mem.read_exact_at(&mut buf, addr).ok()?;
    Some(u64::from_le_bytes(buf))
}

fn send_signal(pid: i32, sig: i32) {
    // SAFETY: plain kill(2) of a program this test started and still holds.
    let rc = unsafe { libc::kill(pid, sig) };
    assert_eq!(rc, 0, "kill({pid}, {sig}): {}", io::Error::last_os_error());
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
    pid: i32,
    start: Option<u64>,
}

impl Program {
    /// `attach_parent PROG ARGS`; waits for the program's `ready` line.
    fn start(prog: &Path, args: &[&OsStr]) -> Program {
        let mut cmd = Command::new(program("attach_parent"));
        cmd.arg(prog).args(args);
        let (parent, out) = spawn_captured(cmd, Stdio::null());
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

    /// Waits for the parent's log to reach `n` lines.
    fn wait_parent_lines(&self, n: usize) -> bool {
        self.out
            .wait_for(EVENT_TIMEOUT, |t| parent_log(t).len() >= n)
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

    /// Waits until gdb's output satisfies `pred`; panics with it if not.
    #[track_caller]
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) {
        assert!(
            self.out.wait_for(EVENT_TIMEOUT, pred),
            "gdb: no {what}:\n{}",
            self.out.text()
        );
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
}

impl Drop for BackgroundGdb {
    fn drop(&mut self) {
        self.proc.signal(libc::SIGKILL, true);
    }
}

// ---------------------------------------------------------------------------
// No progress, measured against a witness
// ---------------------------------------------------------------------------

/// What `assert_frozen` watches: the program, and text to show on failure.
struct Watch<'a> {
    pid: i32,
    /// Address of its `counter`.
    counter: u64,
    /// Everything it printed so far.
    output: &'a dyn Fn() -> String,
    /// More context for a failure (gdb's transcript, say).
    context: &'a dyn Fn() -> String,
}

/// Asserts that the program makes no progress (its counter and its output
/// stay put) while the witness, a twin that runs freely, makes ten ticks (at
/// least 100 ms of its 10 ms poll timeouts): that real event, not a guessed
/// delay, says the program had every chance to move.
#[track_caller]
fn assert_frozen(what: &str, watch: &Watch, witness: &Ticker) {
    let pid = watch.pid;
    let fail = |msg: String| -> ! {
        panic!(
            "{what}: {msg}\nprogram output:\n{}\n{}",
            (watch.output)(),
            (watch.context)()
        )
    };
    let stopped = poll_until(EVENT_TIMEOUT, || matches!(proc_state(pid), Some('t' | 'T')));
    if !stopped {
        fail(format!("not stopped, state {:?}", proc_state(pid)));
    }
    let sample = || {
        let counter = read_counter(pid, watch.counter)
            .unwrap_or_else(|| fail("the program is gone".to_string()));
        (counter, last_tick(&(watch.output)()))
    };
    let before = sample();
    let w = witness.tick();
    assert!(
        witness.wait_tick_past(w + 10),
        "the witness stopped ticking:\n{}",
        witness.prog.text()
    );
    let after = sample();
    if before != after {
        fail(format!(
            "the program made progress: (counter, last tick) {before:?} -> {after:?}, state {:?}",
            proc_state(pid)
        ));
    }
    if !matches!(proc_state(pid), Some('t' | 'T')) {
        fail(format!("state {:?}", proc_state(pid)));
    }
}

/// The `ready` line's counter address, from any output.
fn counter_addr(text: &str) -> u64 {
    field(text, "ready ", "counter")
        .and_then(|v| parse_u64(&v))
        .unwrap_or_else(|| panic!("no ready line:\n{text}"))
}

// ---------------------------------------------------------------------------
// 4. A job-stopped process stays job-stopped across attach and detach
// ---------------------------------------------------------------------------

#[test]
fn job_stopped_process_stays_stopped_across_attach_and_detach() {
    let dir = TempDir::new("jc-stopped");
    let witness = Ticker::start(&dir, "witness");
    let ticker = Ticker::start(&dir, "t");
    let pid = ticker.pid();
    send_signal(pid, libc::SIGSTOP);
    assert!(ticker.prog.wait_parent_lines(2), "{}", ticker.prog.text());
    assert_eq!(ticker.prog.parent_log()[1], "parent: stopped 19");
    assert_eq!(proc_state(pid), Some('T'));
    let before = read_counter(pid, ticker.counter).expect("read counter");

    let server = AttachServer::start(pid);
    let gdb = server.gdb(&program("jobctl_ticker"), &["print counter", "detach"]);
    assert_eq!(gdb.value(1), before.to_string(), "{}", gdb.text);
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) detached]"));
    server.assert_exits("after detach");

    // Job-stopped as before (T, not traced), and really not running.
    assert_eq!(proc_state(pid), Some('T'), "state after detach");
    assert_eq!(tracer_pid(pid), Some(0));
    let watch = Watch {
        pid,
        counter: ticker.counter,
        output: &|| ticker.prog.text(),
        context: &|| server.out.text(),
    };
    assert_frozen("after detach", &watch, &witness);
    assert_eq!(read_counter(pid, ticker.counter), Some(before));
    // The parent saw no continue (and no second stop) from attach/detach.
    assert_eq!(
        ticker.prog.parent_log(),
        vec![format!("parent: child {pid}"), "parent: stopped 19".into()]
    );

    send_signal(pid, libc::SIGCONT);
    assert!(ticker.prog.wait_parent_lines(3), "{}", ticker.prog.text());
    assert_eq!(ticker.prog.parent_log()[2], "parent: continued");
    let n = ticker.tick();
    assert!(
        ticker.wait_tick_past(n + 2),
        "no progress after SIGCONT:\n{}",
        ticker.prog.text()
    );
}

// ---------------------------------------------------------------------------
// 5. SIGSTOP / SIGCONT while gdb runs the program
// ---------------------------------------------------------------------------

#[test]
fn sigstop_passed_silently_stops_the_attached_program_until_sigcont() {
    let dir = TempDir::new("jc-pass");
    let witness = Ticker::start(&dir, "witness");
    let ticker = Ticker::start(&dir, "t");
    let pid = ticker.pid();
    let server = AttachServer::start(pid);
    let at_attach = ticker.tick();
    let gdb = BackgroundGdb::tcp(
        server.port,
        &program("jobctl_ticker"),
        &[
            "handle SIGSTOP nostop noprint pass",
            "handle SIGCONT nostop noprint pass",
            "continue",
        ],
    );
    assert!(
        ticker.wait_tick_past(at_attach + 2),
        "gdb did not resume it:\n{}",
        ticker.prog.text()
    );

    send_signal(pid, libc::SIGSTOP);
    // The real parent sees the job stop, as it would without a debugger.
    assert!(ticker.prog.wait_parent_lines(2), "{}", ticker.prog.text());
    assert_eq!(ticker.prog.parent_log()[1], "parent: stopped 19");
    let watch = Watch {
        pid,
        counter: ticker.counter,
        output: &|| ticker.prog.text(),
        context: &|| gdb.out.text(),
    };
    assert_frozen("after SIGSTOP", &watch, &witness);

    send_signal(pid, libc::SIGCONT);
    assert!(ticker.prog.wait_parent_lines(3), "{}", ticker.prog.text());
    assert_eq!(ticker.prog.parent_log()[2], "parent: continued");
    let n = ticker.tick();
    assert!(
        ticker.wait_tick_past(n + 2),
        "no progress after SIGCONT:\n{}",
        ticker.prog.text()
    );

    ticker.command(b'q');
    let gdb = gdb.finish();
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited normally]"));
    gdb.assert_lacks("received signal");
    assert_eq!(
        ticker.prog.parent_log(),
        vec![
            format!("parent: child {pid}"),
            "parent: stopped 19".into(),
            "parent: continued".into(),
            "parent: exited 0".into(),
        ]
    );
}

#[test]
fn sigstop_is_reported_once_and_the_program_stays_stopped_until_sigcont() {
    let dir = TempDir::new("jc-report");
    let witness = Ticker::start(&dir, "witness");
    let ctl = make_fifo(&dir, "ctl");
    let server = Server::launch(&program("jobctl_ticker"), &[ctl.to_str().expect("utf-8")]);
    let pid = server.inferior_pid;
    // The `shell echo` marks reach the output at once (gdb's own stdout is
    // buffered while it waits for the program).
    let gdb = BackgroundGdb::tcp(
        server.port,
        &server.program,
        &[
            "handle SIGCONT nostop noprint pass",
            "continue",
            "shell echo @@first-continue-returned",
            "continue",
            "shell echo @@second-continue-returned",
        ],
    );
    assert!(
        server.wait_output_for(EVENT_TIMEOUT, |t| last_tick(t) >= 2),
        "not running:\n{}",
        server.output()
    );
    let counter = counter_addr(&server.output());

    send_signal(pid, libc::SIGSTOP);
    gdb.wait_for("SIGSTOP report", |t| {
        t.contains("@@first-continue-returned")
    });
    // gdb continues with SIGSTOP: the program enters the group stop and
    // must stay there, unreported, until SIGCONT.
    let watch = Watch {
        pid,
        counter,
        output: &|| server.output(),
        context: &|| format!("gdb:\n{}", gdb.out.text()),
    };
    assert_frozen("after continuing with SIGSTOP", &watch, &witness);
    assert!(
        !gdb.out.text().contains("@@second-continue-returned"),
        "gdb's continue ended while the program was job-stopped:\n{}",
        gdb.out.text()
    );

    send_signal(pid, libc::SIGCONT);
    let n = last_tick(&server.output());
    assert!(
        server.wait_output_for(EVENT_TIMEOUT, |t| last_tick(t) > n + 2),
        "no progress after SIGCONT:\n{}",
        server.output()
    );
    ticker_command(&ctl, b'q');
    let gdb = gdb.finish();
    assert_eq!(
        gdb.count("received signal SIGSTOP"),
        1,
        "SIGSTOP reported other than once:\n{}",
        gdb.text
    );
    gdb.assert_contains("Program received signal SIGSTOP, Stopped (signal).");
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited normally]"));
}

// ---------------------------------------------------------------------------
// 7. Ctrl-C during a group stop, then continue: back in the group stop
// ---------------------------------------------------------------------------

/// The `thread:` value of a stop reply.
fn stop_thread(reply: &str) -> String {
    reply
        .split(';')
        .find_map(|f| f.strip_prefix("thread:"))
        .unwrap_or_else(|| panic!("no thread in stop reply {reply:?}"))
        .to_string()
}

/// Asserts that no stop reply is waiting. Called right after
/// `assert_frozen`, whose witness window (100 ms or more) is when a wrong
/// reply would have been sent; the short read only collects it.
#[track_caller]
fn assert_no_reply(client: &mut common::rsp::RspClient, what: &str) {
    match client.read_packet(Duration::from_millis(100)) {
        Err(common::rsp::RspError::Timeout) => {}
        other => panic!("{what}: unexpected {other:?}"),
    }
}

#[test]
fn interrupt_during_a_group_stop_then_continue_returns_to_it() {
    let dir = TempDir::new("jc-interrupt");
    let witness = Ticker::start(&dir, "witness");
    let ctl = make_fifo(&dir, "ctl");
    let server = Server::launch(&program("jobctl_ticker"), &[ctl.to_str().expect("utf-8")]);
    let pid = server.inferior_pid;
    let mut client = server.rsp();
    let first = client.request("?").expect("? reply");
    assert!(first.starts_with("T05"), "{first:?}");
    // SIGCONT (gdb's 19) passes silently, as with `handle SIGCONT nostop
    // noprint pass`.
    assert_eq!(client.request("QPassSignals:13").expect("reply"), "OK");
    client.send_packet("vCont;c").expect("send vCont;c");
    assert!(
        server.wait_output_for(EVENT_TIMEOUT, |t| last_tick(t) >= 2),
        "not running:\n{}",
        server.output()
    );
    let counter = counter_addr(&server.output());

    send_signal(pid, libc::SIGSTOP);
    let stop = client.read_packet(REPLY_TIMEOUT).expect("SIGSTOP report");
    assert!(stop.starts_with("T11"), "{stop:?}");
    // Deliver it: the program enters the group stop.
    client
        .send_packet(&format!("vCont;C11:{};c", stop_thread(&stop)))
        .expect("send vCont;C11");
    let watch = Watch {
        pid,
        counter,
        output: &|| server.output(),
        context: &String::new,
    };
    assert_frozen("group stop", &watch, &witness);
    assert_no_reply(&mut client, "group stop");

    client.send_interrupt().expect("send ^C");
    let stop = client.read_packet(REPLY_TIMEOUT).expect("stop reply to ^C");
    assert!(stop.starts_with('T'), "{stop:?}");
    client.send_packet("vCont;c").expect("send vCont;c");
    assert_frozen("continued after ^C", &watch, &witness);
    assert_no_reply(&mut client, "continued after ^C");

    send_signal(pid, libc::SIGCONT);
    let n = last_tick(&server.output());
    assert!(
        server.wait_output_for(EVENT_TIMEOUT, |t| last_tick(t) > n + 2),
        "no progress after SIGCONT:\n{}",
        server.output()
    );
    ticker_command(&ctl, b'q');
    let end = client.read_packet(REPLY_TIMEOUT).expect("exit reply");
    assert!(end.starts_with("W00"), "{end:?}");
}

// ---------------------------------------------------------------------------
// 6. An interactive shell's ^Z, fg and bg on a program being debugged
// ---------------------------------------------------------------------------

/// An interactive bash on a pseudo-terminal (its session and controlling
/// terminal), with everything it and its jobs print captured.
struct Shell {
    master: fs::File,
    out: Capture,
    bash: Watched,
}

impl Shell {
    fn start() -> Shell {
        let (mut master, mut slave) = (-1, -1);
        // SAFETY: out-pointers to two ints; no name, termios or winsize.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "openpty: {}", io::Error::last_os_error());
        // SAFETY: both descriptors are fresh and owned from here on.
        let (master, slave) =
            unsafe { (fs::File::from_raw_fd(master), fs::File::from_raw_fd(slave)) };
        // SAFETY: setting FD_CLOEXEC on our own descriptor: bash must not
        // hold the master, or the pty would never report EOF.
        unsafe { libc::fcntl(master.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
        let mut cmd = Command::new("bash");
        cmd.args(["--norc", "--noprofile", "-i"])
            .env("PS1", "jc$ ")
            .env("TERM", "dumb")
            .env("HISTFILE", "/dev/null")
            .env_remove("PROMPT_COMMAND")
            .stdin(slave.try_clone().expect("dup slave"))
            .stdout(slave.try_clone().expect("dup slave"))
            .stderr(slave);
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                // A new session whose controlling terminal is the pty, so
                // that bash does job control and ^Z reaches its jobs.
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn();
        drop(cmd); // our copies of the slave side
        let bash = Watched::new(child.expect("spawn bash"));
        let out = Capture::new(master.try_clone().expect("dup master"));
        let shell = Shell { master, out, bash };
        shell.wait("the prompt", |t| t.contains("jc$ "));
        shell
    }

    fn send(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).expect("write to the pty");
    }

    #[track_caller]
    fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) {
        assert!(
            self.out.wait_for(EVENT_TIMEOUT, pred),
            "shell: no {what}:\n{}",
            self.out.text()
        );
    }

    fn tick(&self) -> u64 {
        last_tick(&self.out.text())
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        self.bash.kill(false);
    }
}

/// Kills a process by PID on drop if it is still the one that started at
/// the recorded time (the shell's job is not our child).
struct KillOnDrop {
    pid: i32,
    start: Option<u64>,
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if self.start.is_some() && proc_start_time(self.pid) == self.start {
            // SAFETY: plain kill(2) of the process identified by start time.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
        }
    }
}

#[test]
fn shell_job_control_works_on_a_debugged_program() {
    let dir = TempDir::new("jc-shell");
    let witness = Ticker::start(&dir, "witness");
    let ctl = make_fifo(&dir, "t.ctl");
    let mut shell = Shell::start();
    let prog = program("jobctl_ticker");
    shell.send(format!("{} {}\n", prog.display(), ctl.display()).as_bytes());
    shell.wait("ready line", |t| field(t, "ready ", "pid").is_some());
    let text = shell.out.text();
    let pid: i32 = field(&text, "ready ", "pid")
        .and_then(|p| p.parse().ok())
        .expect("pid in ready line");
    let _job = KillOnDrop {
        pid,
        start: proc_start_time(pid),
    };
    let counter = counter_addr(&text);

    let server = AttachServer::start(pid);
    let gdb = BackgroundGdb::tcp(
        server.port,
        &prog,
        &[
            "handle SIGTSTP nostop noprint pass",
            "handle SIGCONT nostop noprint pass",
            "continue",
        ],
    );
    let n = shell.tick();
    shell.wait("ticks under gdb", |t| last_tick(t) > n + 2);

    for (round, resume) in [(1, "fg"), (2, "bg")] {
        shell.send(b"\x1a");
        shell.wait("Stopped line", |t| t.matches("Stopped").count() >= round);
        let watch = Watch {
            pid,
            counter,
            output: &|| shell.out.text(),
            context: &|| format!("gdb:\n{}", gdb.out.text()),
        };
        assert_frozen(&format!("^Z #{round}"), &watch, &witness);
        shell.send(format!("{resume}\n").as_bytes());
        let n = shell.tick();
        shell.wait(&format!("ticks after {resume}"), |t| last_tick(t) > n + 2);
    }

    ticker_command(&ctl, b'q');
    let gdb = gdb.finish();
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited normally]"));
    gdb.assert_lacks("received signal");
}
