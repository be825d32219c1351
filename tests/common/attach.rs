//! What the attach and job-control tests run: a program under its logging
//! real parent ([`Program`], `attach_parent PROG`), the `jobctl_ticker`
//! program ([`Ticker`] under that parent, [`launch_ticker`] under a server),
//! the parsers for what they print, and [`AttachServer`], a server attached
//! to a running process with `--attach`.
//!
//! `attach_parent` logs every stop/continue notification it gets as a parent
//! (`parent: ...` lines), so a test can tell whether attaching or detaching
//! stopped or continued its child. `jobctl_ticker` prints
//! `ready pid=P counter=0xADDR rare=0xADDR`, then `tick N` every ~10 ms, and
//! takes one-byte commands on a FIFO ('r' calls rare(), 'q' exits).

use super::checks::{complete_lines, parse_u64};
use super::fs::TempDir;
use super::gdb::{run_gdb_at, run_gdb_at_with, GdbOutput};
use super::process::{kill_if_same, spawn_captured_with_stdin, Output, Watched};
use super::procfs::{proc_start_time, proc_state, tracer_pid};
use super::programs::program;
use super::server::{spawn_listening, Server};
use super::{EVENT_TIMEOUT, GDB_TIMEOUT};
use std::ffi::OsStr;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

// ---------------------------------------------------------------------------
// What the programs print
// ---------------------------------------------------------------------------

/// `KEY=VALUE` from the first complete line starting with `prefix`.
pub fn line_field(text: &str, prefix: &str, key: &str) -> Option<String> {
    let line = complete_lines(text).find(|l| l.starts_with(prefix))?;
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
        .map(str::to_string)
}

/// The last (so highest) `tick N` printed so far, 0 before the first. On a
/// terminal a tick may share its line with the shell's prompt (`jc$ tick 7`).
pub fn last_tick(text: &str) -> u64 {
    complete_lines(text)
        .rev()
        .find_map(|l| l.rsplit_once("tick ")?.1.trim().parse().ok())
        .unwrap_or(0)
}

/// Lines of `attach_parent`'s log.
pub fn parent_log(text: &str) -> Vec<String> {
    complete_lines(text)
        .filter(|l| l.starts_with("parent: "))
        .map(str::to_string)
        .collect()
}

/// An address from jobctl_ticker's `ready` line (`key` is `counter` or
/// `rare`), in any output that holds it.
pub fn ready_addr(text: &str, key: &str) -> u64 {
    line_field(text, "ready ", key)
        .and_then(|v| parse_u64(&v))
        .unwrap_or_else(|| panic!("no {key} in ready line:\n{text}"))
}

/// Sends a one-byte command to `jobctl_ticker` ('r' calls rare(), 'q'
/// exits). Non-blocking: the program holds the FIFO open for reading, so
/// this cannot wait; if the program is gone it fails instead of hanging.
pub fn ticker_command(ctl: &Path, c: u8) {
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
pub struct Program {
    parent: Watched,
    out: Output,
    stdin: Option<io::PipeWriter>,
    /// The program's PID (the parent's child).
    pub pid: i32,
    start: Option<u64>,
}

impl Program {
    /// `attach_parent PROG ARGS`, stdin a pipe from the test; waits for the
    /// program's `ready` line.
    pub fn start(prog: &Path, args: &[&OsStr]) -> Program {
        let (stdin_r, stdin_w) = io::pipe().expect("create stdin pipe");
        let mut cmd = Command::new(program("attach_parent"));
        cmd.arg(prog).args(args);
        let (parent, out) =
            spawn_captured_with_stdin(cmd, Stdio::from(stdin_r)).expect("spawn attach_parent");
        let ready = out.wait_for(EVENT_TIMEOUT, |t| {
            line_field(t, "ready ", "pid").is_some() && !parent_log(t).is_empty()
        });
        let text = out.text();
        let pid: i32 = match line_field(&text, "ready ", "pid").and_then(|p| p.parse().ok()) {
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

    /// Everything the program and its parent printed so far.
    pub fn text(&self) -> String {
        self.out.text()
    }

    pub fn parent_log(&self) -> Vec<String> {
        parent_log(&self.out.text())
    }

    /// Waits until `pred(text)` holds; false on EOF without it, or timeout.
    pub fn wait_for(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> bool {
        self.out.wait_for(timeout, pred)
    }

    /// Waits for the parent's log to reach `n` lines.
    pub fn wait_parent_lines(&self, n: usize) -> bool {
        self.out
            .wait_for(EVENT_TIMEOUT, |t| parent_log(t).len() >= n)
    }

    /// Writes `bytes` to the program's stdin, then closes it (once only).
    pub fn write_stdin(&mut self, bytes: &[u8]) {
        let mut stdin = self.stdin.take().expect("stdin pipe");
        stdin.write_all(bytes).expect("write the program's stdin");
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        kill_if_same(self.pid, self.start);
        self.parent.kill(true);
    }
}

// ---------------------------------------------------------------------------
// jobctl_ticker
// ---------------------------------------------------------------------------

/// `jobctl_ticker CTL` under `attach_parent`, with what its `ready` line says.
pub struct Ticker {
    pub prog: Program,
    /// Address of its `counter`.
    pub counter: u64,
    /// Address of its rare().
    pub rare: u64,
    ctl: PathBuf,
}

impl Ticker {
    /// Starts it with the control FIFO `NAME.ctl` in `dir`.
    pub fn start(dir: &TempDir, name: &str) -> Ticker {
        Ticker::start_built(dir, name, "jobctl_ticker")
    }

    /// The same, built as `build` names it (`jobctl_ticker-m32`: 32-bit).
    pub fn start_built(dir: &TempDir, name: &str, build: &str) -> Ticker {
        let ctl = dir.bare_fifo(&format!("{name}.ctl"));
        let prog = Program::start(&program(build), &[ctl.as_os_str()]);
        let text = prog.text();
        Ticker {
            counter: ready_addr(&text, "counter"),
            rare: ready_addr(&text, "rare"),
            prog,
            ctl,
        }
    }

    pub fn pid(&self) -> i32 {
        self.prog.pid
    }

    /// The last tick printed so far.
    pub fn tick(&self) -> u64 {
        last_tick(&self.prog.text())
    }

    /// Waits until the ticker prints a tick past `n`.
    pub fn wait_tick_past(&self, n: u64) -> bool {
        self.prog.wait_for(EVENT_TIMEOUT, |t| last_tick(t) > n)
    }

    /// Sends a command byte (see [`ticker_command`]).
    pub fn command(&self, c: u8) {
        ticker_command(&self.ctl, c);
    }

    /// Asserts it runs freely: a new tick, then rare() on request, and it is
    /// not traced any more.
    pub fn assert_runs_untraced(&self, what: &str) {
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

/// `SERVER --once 127.0.0.1:0 jobctl_ticker CTL`, with the control FIFO
/// `ctl` made in `dir`; returns the server and the FIFO's path.
pub fn launch_ticker(dir: &TempDir) -> (Server, PathBuf) {
    let ctl = dir.bare_fifo("ctl");
    let server = Server::launch(&program("jobctl_ticker"), &[ctl.to_str().expect("utf-8")]);
    (server, ctl)
}

// ---------------------------------------------------------------------------
// The server, attached
// ---------------------------------------------------------------------------

/// `SERVER --once --attach 127.0.0.1:0 PID`, killed (with its process group)
/// on drop.
pub struct AttachServer {
    proc: Watched,
    out: Output,
    /// The TCP port the server printed in `Listening on port N`.
    pub port: u16,
}

impl AttachServer {
    /// Starts it and waits until it has attached and listens.
    pub fn start(pid: i32) -> AttachServer {
        let (proc, out, port) =
            spawn_listening(&["--once", "--attach", "127.0.0.1:0", &pid.to_string()]);
        let text = out.text();
        assert!(
            text.contains(&format!("Attached; pid = {pid}\n")),
            "no Attached line:\n{text}"
        );
        AttachServer { proc, out, port }
    }

    /// The server's PID.
    pub fn pid(&self) -> i32 {
        self.proc.pid()
    }

    /// The server's stdout+stderr so far.
    pub fn output(&self) -> String {
        self.out.text()
    }

    /// Runs batch gdb against it with `file` loaded.
    pub fn gdb(&self, file: &Path, cmds: &[&str]) -> GdbOutput {
        run_gdb_at(self.port, Some(file), cmds, GDB_TIMEOUT)
    }

    /// [`AttachServer::gdb`] with settings that precede the connection.
    pub fn gdb_with(&self, file: &Path, settings: &[&str], cmds: &[&str]) -> GdbOutput {
        run_gdb_at_with(self.port, Some(file), settings, cmds, GDB_TIMEOUT)
    }

    /// Asserts that the server exits on its own (with `--once`).
    #[track_caller]
    pub fn assert_exits(&self, what: &str) {
        let status = self.proc.wait_timeout(EVENT_TIMEOUT);
        assert!(
            status.is_some(),
            "{what}: server still running:\n{}",
            self.out.text()
        );
    }

    /// Sends `sig` to the server process alone.
    pub fn signal(&self, sig: i32) {
        self.proc.signal(sig, false);
    }

    /// Waits for the server to exit, at most `timeout`.
    pub fn wait_exit(&self, timeout: std::time::Duration) -> Option<std::process::ExitStatus> {
        self.proc.wait_timeout(timeout)
    }

    /// Kills the server (and its process group) as a crash would.
    pub fn kill(&self) {
        self.proc.kill(true);
    }
}

impl Drop for AttachServer {
    fn drop(&mut self) {
        self.proc.kill(true);
    }
}
