//! Batch gdb: the command line every session shares (`-nx -batch`, no
//! confirmation, paging, line wrapping or debuginfod), [`BackgroundGdb`] (a
//! session the test acts beside, killed with its process group at its
//! timeout or on drop), the one-shot runs built on it ([`run_gdb_at`],
//! [`run_gdb_stdio`]) and [`GdbOutput`], what a session printed.

use super::fs::TempDir;
use super::process::{spawn_captured, Output, Watched};
use super::server::{kill_created_leftover, server_path};
use super::{EVENT_TIMEOUT, GDB_TIMEOUT};
use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::Duration;

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

    /// The rest of the first line that starts with `tag`, trimmed (what a
    /// `python print('TAG ' + ...)` printed).
    #[track_caller]
    pub fn field(&self, tag: &str) -> String {
        match self.text.lines().find_map(|l| l.strip_prefix(tag)) {
            Some(rest) => rest.trim().to_string(),
            None => panic!("no {tag}:\n{}", self.text),
        }
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

/// gdb commands that echo `MARK-begin`, run `cmds`, then echo `MARK-end`,
/// so [`GdbOutput::section`] can find their output.
pub fn marked(mark: &str, cmds: &[&str]) -> Vec<String> {
    let mut v = vec![format!("echo {mark}-begin\\n")];
    v.extend(cmds.iter().map(|c| c.to_string()));
    v.push(format!("echo {mark}-end\\n"));
    v
}

/// `gdb -nx -batch` with the harness's settings, in its own process group,
/// then `-ex TARGET` (a whole `target remote ...` command), `-ex CMD` for
/// each of `cmds`, and `file` as the program to load.
fn gdb_command<S: AsRef<str>>(target: &OsStr, cmds: &[S], file: Option<&Path>) -> Command {
    let mut cmd = Command::new("gdb");
    cmd.args(["-nx", "-batch"])
        .args(["-ex", "set confirm off"])
        .args(["-ex", "set pagination off"])
        .args(["-ex", "set width 0"])
        .args(["-ex", "set debuginfod enabled off"])
        .env("LC_ALL", "C")
        .env_remove("DEBUGINFOD_URLS");
    cmd.arg("-ex").arg(target);
    for c in cmds {
        cmd.arg("-ex").arg(c.as_ref());
    }
    if let Some(f) = file {
        cmd.arg(f);
    }
    cmd
}

/// `target remote 127.0.0.1:PORT`.
fn tcp_target(port: u16) -> OsString {
    OsString::from(format!("target remote 127.0.0.1:{port}"))
}

/// `target remote | exec SERVER ARGS...`: the server under test in stdio
/// mode, every argument quoted for the shell gdb runs it with.
pub fn stdio_target(args: &[&OsStr]) -> OsString {
    let mut target = OsString::from("target remote | exec ");
    target.push(shell_quote(server_path().as_os_str()));
    for a in args {
        target.push(" ");
        target.push(shell_quote(a));
    }
    target
}

fn shell_quote(s: &OsStr) -> OsString {
    let text = s.to_string_lossy();
    let mut q = OsString::from("'");
    q.push(text.replace('\'', "'\\''"));
    q.push("'");
    q
}

/// `lldb -b` with `file` loaded, connected to `127.0.0.1:PORT` with
/// `gdb-remote`, then `cmds`, under the same watchdog as gdb. lldb is the
/// second client the server must serve (it sends plain `c`/`s`, lldb's own
/// queries, and reads registers one by one).
pub fn run_lldb(port: u16, file: &Path, cmds: &[&str]) -> GdbOutput {
    let mut cmd = Command::new("lldb");
    cmd.arg("-b")
        .arg("--no-lldbinit")
        .env("LC_ALL", "C")
        .arg("-o")
        .arg(format!("gdb-remote 127.0.0.1:{port}"));
    for c in cmds {
        cmd.arg("-o").arg(c);
    }
    cmd.arg(file);
    BackgroundGdb::spawn(cmd).finish()
}

/// Batch gdb running in the background (for commands that block, such as
/// `continue`, while the test acts), killed with its process group on drop.
pub struct BackgroundGdb {
    proc: Watched,
    out: Output,
}

impl BackgroundGdb {
    fn spawn(cmd: Command) -> BackgroundGdb {
        let (proc, out) = spawn_captured(cmd).expect("spawn gdb");
        BackgroundGdb { proc, out }
    }

    /// gdb on `TARGET` (a whole `target remote ...` command), then `cmds`,
    /// with `file` loaded.
    pub fn start(target: &OsStr, file: &Path, cmds: &[&str]) -> BackgroundGdb {
        BackgroundGdb::spawn(gdb_command(target, cmds, Some(file)))
    }

    /// gdb on `target remote 127.0.0.1:PORT`, then `cmds`, with `file` loaded.
    pub fn tcp(port: u16, file: &Path, cmds: &[&str]) -> BackgroundGdb {
        BackgroundGdb::start(&tcp_target(port), file, cmds)
    }

    /// What gdb printed so far (stdout and stderr interleaved).
    pub fn text(&self) -> String {
        self.out.text()
    }

    /// Waits until gdb's output satisfies `pred`; panics with it if not.
    #[track_caller]
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) {
        assert!(
            self.out.wait_for(EVENT_TIMEOUT, pred),
            "gdb: no {what}:\n{}",
            self.out.text()
        );
    }

    /// Waits for gdb to finish (killing it at the default timeout).
    pub fn finish(self) -> GdbOutput {
        self.finish_within(GDB_TIMEOUT)
    }

    /// Waits for gdb to finish, killing its whole process group (gdb and
    /// anything it spawned) at `timeout`.
    pub fn finish_within(self, timeout: Duration) -> GdbOutput {
        let status = self.proc.wait_timeout(timeout);
        if status.is_none() {
            self.kill();
        }
        // gdb is gone; anything it started that still holds the pipe is a
        // leftover of its own process group: give it a moment, then kill it.
        if !self.out.wait_eof(Duration::from_secs(5)) {
            // SAFETY: the group's leader is reaped, but a group ID is not
            // reused while any member lives, so this only hits gdb's own
            // leftovers.
            unsafe { libc::kill(-self.proc.pid(), libc::SIGKILL) };
            self.out.wait_eof(Duration::from_secs(5));
        }
        let mut text = self.out.text();
        if status.is_none() {
            text.push_str(&format!("\n[harness: gdb killed after {timeout:?}]\n"));
        }
        GdbOutput { text, status }
    }

    /// Kills gdb (and its process group) as a crash would.
    pub fn kill(&self) {
        self.proc.signal(libc::SIGKILL, true);
        self.proc.kill(false);
    }
}

impl Drop for BackgroundGdb {
    fn drop(&mut self) {
        self.proc.signal(libc::SIGKILL, true);
    }
}

/// `gdb -nx -batch -ex 'set confirm off' -ex 'set pagination off' ...
/// -ex 'target remote 127.0.0.1:PORT' -ex CMD... [FILE]`, run to completion.
pub fn run_gdb_at<S: AsRef<str>>(
    port: u16,
    file: Option<&Path>,
    cmds: &[S],
    timeout: Duration,
) -> GdbOutput {
    BackgroundGdb::spawn(gdb_command(&tcp_target(port), cmds, file)).finish_within(timeout)
}

/// [`run_gdb_at`] with `settings` passed as `-iex`: they take effect before
/// the connection (as `set non-stop on` must).
pub fn run_gdb_at_with<S: AsRef<str>>(
    port: u16,
    file: Option<&Path>,
    settings: &[&str],
    cmds: &[S],
    timeout: Duration,
) -> GdbOutput {
    let mut cmd = gdb_command(&tcp_target(port), cmds, file);
    for setting in settings {
        cmd.arg("-iex").arg(setting);
    }
    BackgroundGdb::spawn(cmd).finish_within(timeout)
}

/// gdb on `target extended-remote 127.0.0.1:PORT` (a `--multi` server),
/// `settings` as `-iex` (before the connection), `file` loaded.
pub fn run_gdb_extended<S: AsRef<str>>(
    port: u16,
    file: &Path,
    settings: &[&str],
    cmds: &[S],
    timeout: Duration,
) -> GdbOutput {
    let target = OsString::from(format!("target extended-remote 127.0.0.1:{port}"));
    let mut cmd = gdb_command(&target, cmds, Some(file));
    for setting in settings {
        cmd.arg("-iex").arg(setting);
    }
    BackgroundGdb::spawn(cmd).finish_within(timeout)
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
    let mut server_args = vec![OsStr::new("-"), prog.as_os_str()];
    server_args.extend(args.iter().map(OsStr::new));
    let cmd = gdb_command(&stdio_target(&server_args), cmds, Some(prog));
    let out = BackgroundGdb::spawn(cmd).finish_within(timeout);
    kill_created_leftover(&out.text);
    out
}

/// Writes a gdb script (for what `-ex` cannot express: breakpoint
/// `commands`, `if`) to `path` and returns the `source` command that runs it.
pub fn script_at(path: &Path, lines: &[&str]) -> String {
    std::fs::write(path, lines.join("\n") + "\n").expect("write gdb script");
    format!("source {}", path.display())
}

/// [`script_at`] in `dir`.
pub fn script(dir: &TempDir, name: &str, lines: &[&str]) -> String {
    script_at(&dir.file(name), lines)
}

/// Writes to `path` a gdb script that sets `breakpoint` (a `break`
/// command), counts its hits silently in `$hits` while the program runs to
/// its end, then prints the count; returns the `source` command.
pub fn hit_counting_script(path: &Path, breakpoint: &str) -> String {
    script_at(
        path,
        &[
            "set $hits = 0",
            breakpoint,
            "commands",
            "silent",
            "set $hits = $hits + 1",
            "continue",
            "end",
            "continue",
            "print $hits",
        ],
    )
}
