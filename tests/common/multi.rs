//! A `--multi` server with no program (gdb's `target extended-remote`):
//! [`MultiServer`] starts it, runs batch gdb against it, and on drop kills
//! every program it reported creating, then the server itself.

use super::gdb::{run_gdb_extended, GdbOutput};
use super::process::{kill_if_same, Output, Watched};
use super::procfs::proc_start_time;
use super::server::spawn_listening_with;
use super::GDB_TIMEOUT;
use std::path::Path;
use std::time::Duration;

/// `SERVER --multi 127.0.0.1:0` (no `--once`: it serves gdb after gdb).
pub struct MultiServer {
    proc: Watched,
    out: Output,
    pub port: u16,
}

impl MultiServer {
    pub fn start() -> MultiServer {
        MultiServer::start_with(&[], |_| {})
    }

    /// `SERVER --multi FLAGS 127.0.0.1:0`, its command adjusted by `setup`.
    pub fn start_with(
        flags: &[&str],
        setup: impl FnOnce(&mut std::process::Command),
    ) -> MultiServer {
        let mut args = vec!["--multi"];
        args.extend_from_slice(flags);
        args.push("127.0.0.1:0");
        let (proc, out, port) = spawn_listening_with(&args, setup);
        MultiServer { proc, out, port }
    }

    /// The server's stdout+stderr so far (its programs' output too).
    pub fn output(&self) -> String {
        self.out.text()
    }

    /// Waits until `pred(output)` holds.
    pub fn wait_output_for(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> bool {
        self.out.wait_for(timeout, pred)
    }

    /// Is the server still running?
    pub fn is_running(&self) -> bool {
        self.proc.status().is_none()
    }

    /// Batch gdb on `target extended-remote`, `file` loaded.
    pub fn gdb(&self, file: &Path, settings: &[&str], cmds: &[&str]) -> GdbOutput {
        run_gdb_extended(self.port, file, settings, cmds, GDB_TIMEOUT)
    }

    /// Batch gdb on `target extended-remote` that runs `prog` (gdb's
    /// `set remote exec-file PROG` first), then `cmds`.
    pub fn gdb_running(&self, prog: &Path, cmds: &[&str]) -> GdbOutput {
        let exec_file = format!("set remote exec-file {}", prog.display());
        let mut all = vec![exec_file.as_str()];
        all.extend_from_slice(cmds);
        self.gdb(prog, &[], &all)
    }

    /// Every pid of a `Process PROG created; pid = N` line so far.
    pub fn created_pids(&self) -> Vec<i32> {
        self.output()
            .lines()
            .filter_map(|l| l.split_once(" created; pid = "))
            .filter_map(|(_, pid)| pid.trim().parse().ok())
            .collect()
    }
}

impl Drop for MultiServer {
    fn drop(&mut self) {
        for pid in self.created_pids() {
            // Only a program still ours: the server reaps those it killed,
            // and a live process with this pid started after the server.
            if let Some(start) = proc_start_time(pid) {
                if proc_start_time(self.proc.pid()).is_some_and(|s| start >= s) {
                    kill_if_same(pid, Some(start));
                }
            }
        }
        self.proc.kill(true);
    }
}
