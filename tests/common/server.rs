//! The server under test: which binary it is (`RGDB_TEST_SERVER`, else the
//! crate's `rgdbserver`), what its startup lines say, [`Server`] (one
//! launched on a program, its output captured, killed with its inferior on
//! drop, even on panic) and [`run_server_to_exit`] for runs expected to fail.

use super::checks::complete_lines;
use super::gdb::{run_gdb_at, run_gdb_at_with, GdbOutput};
use super::process::{kill_if_same, spawn_captured, Output, Watched};
use super::procfs::{pids_running, proc_start_time};
use super::{rsp, EVENT_TIMEOUT, GDB_TIMEOUT, STARTUP_TIMEOUT};
use std::ffi::OsStr;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

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
pub(crate) fn kill_created_leftover(text: &str) {
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

/// `SERVER ARGS` with its output captured, once it prints its port; panics
/// with its output (after killing it) if it does not in time.
pub fn spawn_listening(args: &[&str]) -> (Watched, Output, u16) {
    spawn_listening_with(args, |_| {})
}

/// [`spawn_listening`], the command first adjusted by `setup` (its
/// environment, its directory).
pub fn spawn_listening_with(
    args: &[&str],
    setup: impl FnOnce(&mut Command),
) -> (Watched, Output, u16) {
    let mut cmd = Command::new(server_path());
    cmd.args(args);
    setup(&mut cmd);
    let (proc, out) = spawn_captured(cmd).expect("spawn the server");
    let ready = out.wait_for(STARTUP_TIMEOUT, |t| parse_listening_port(t).is_some());
    let text = out.text();
    let Some(port) = parse_listening_port(&text).filter(|_| ready) else {
        proc.kill(true);
        panic!("server did not start listening:\n{text}");
    };
    (proc, out, port)
}

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
        Server::try_launch_binary(&server_path(), flags, address, prog, args, |_| {})
    }

    /// [`Server::launch_with`], the server's command first adjusted by
    /// `setup` (its environment, its directory).
    pub fn launch_setup(
        flags: &[&str],
        prog: &Path,
        args: &[&str],
        setup: impl FnOnce(&mut Command),
    ) -> Server {
        let server = server_path();
        match Server::try_launch_binary(&server, flags, "127.0.0.1:0", prog, args, setup) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    /// `SERVER --once 127.0.0.1:0 PROG ARGS` with a given server binary
    /// rather than the one under test (to compare with GNU gdbserver).
    pub fn launch_binary(server: &Path, prog: &Path, args: &[&str]) -> Server {
        match Server::try_launch_binary(server, &["--once"], "127.0.0.1:0", prog, args, |_| {}) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    /// `SERVER FLAGS ADDRESS PROG ARGS`, waiting for both the `created` and
    /// the `Listening` lines; on failure, the server's output as text.
    fn try_launch_binary(
        server: &Path,
        flags: &[&str],
        address: &str,
        prog: &Path,
        args: &[&str],
        setup: impl FnOnce(&mut Command),
    ) -> Result<Server, String> {
        let mut cmd = Command::new(server);
        cmd.args(flags).arg(address).arg(prog).args(args);
        setup(&mut cmd);
        let (proc, output) =
            spawn_captured(cmd).map_err(|e| format!("spawn {}: {e}", server.display()))?;
        let ready = output.wait_for(STARTUP_TIMEOUT, |t| {
            parse_listening_port(t).is_some() && parse_created_pid(t).is_some()
        });
        let text = output.text();
        if !ready {
            proc.kill(true);
            // The server is gone, so its program may be orphaned.
            kill_created_leftover(&text);
            return Err(format!(
                "{} did not start listening (status {:?}); output:\n{text}",
                server.display(),
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

    /// Sends `sig` to the server process alone (not its program).
    pub fn signal(&self, sig: i32) {
        self.proc.signal(sig, false);
    }

    /// Asserts that the server exits on its own (with `--once`, after its
    /// session or its program ended).
    #[track_caller]
    pub fn assert_exits(&self, what: &str) {
        assert!(
            self.wait_exit(EVENT_TIMEOUT).is_some(),
            "{what}: server still running:\n{}",
            self.output()
        );
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

    /// [`Server::gdb`] with settings that precede the connection (`-iex`).
    pub fn gdb_with(&self, settings: &[&str], cmds: &[&str]) -> GdbOutput {
        self.run_gdb_with(settings, cmds, GDB_TIMEOUT)
    }

    /// [`Server::run_gdb`] with settings that precede the connection.
    pub fn run_gdb_with(&self, settings: &[&str], cmds: &[&str], timeout: Duration) -> GdbOutput {
        run_gdb_at_with(self.port, Some(&self.program), settings, cmds, timeout)
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
    let (stdout, stderr) = (Output::from_reader(out_r), Output::from_reader(err_r));
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
