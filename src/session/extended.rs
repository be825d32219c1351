//! Extended mode (`target extended-remote`, `--multi`): starting and attaching
//! to processes on gdb's request (vRun, vAttach), and staying up after the
//! process exits, is killed or is detached.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use std::os::fd::AsRawFd;

use super::program_output::ProgramOutput;
use super::{announce_exit, Session};
use crate::process::attach::attach;
use crate::process::launch::{launch, program_path, startup_shell, LaunchOptions};
use crate::process::{Process, ProcessExit};
use crate::ptrace::Pid;
use crate::rsp::thread_id::ThreadRef;

/// How programs are started in this server (command line, then gdb's
/// QDisableRandomization and vRun).
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub multi: bool,
    pub disable_aslr: bool,
    pub stdio: bool,
    /// `--disable-packet`.
    pub disabled: crate::rsp::DisabledPackets,
    /// stdio mode without debug logs: the program's output goes to gdb as
    /// console output and our stderr is closed (see `program_output`).
    pub forward_output: bool,
    pub program: Option<OsString>,
    pub args: Vec<OsString>,
    /// gdb's `set environment` / `unset environment` since its last
    /// QEnvironmentReset, in order: (name, Some(value)) or (name, None).
    pub environment_changes: Vec<(OsString, Option<OsString>)>,
    /// gdb's `set cwd` (QSetWorkingDir): where `run` starts the program.
    pub working_dir: Option<OsString>,
    /// `--wrapper`: what every program is started through.
    pub wrapper: Vec<OsString>,
    /// Start programs through `$SHELL -c exec ...` (`--startup-with-shell`,
    /// gdb's QStartupWithShell).
    pub startup_with_shell: bool,
    /// Stay awake briefly before sleeping (see `spin`): not `--no-spin`,
    /// and more than one CPU.
    pub spin: bool,
}

/// `~` and `~/...` in gdb's `set cwd` are the home directory, `~user/...`
/// that user's, as gdbserver expands them.
fn expand_tilde(dir: &std::ffi::OsStr) -> OsString {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let bytes = dir.as_bytes();
    let Some(rest) = bytes.strip_prefix(b"~") else {
        return dir.to_os_string();
    };
    let split = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
    let (user, tail) = rest.split_at(split);
    let home = if user.is_empty() {
        std::env::var_os("HOME")
    } else {
        home_of(user)
    };
    match home {
        Some(home) => {
            let mut expanded = home.into_vec();
            expanded.extend_from_slice(tail);
            OsString::from_vec(expanded)
        }
        None => dir.to_os_string(),
    }
}

/// A user's home directory from the password database.
fn home_of(user: &[u8]) -> Option<OsString> {
    use std::os::unix::ffi::OsStringExt;
    let name = std::ffi::CString::new(user).ok()?;
    // SAFETY: getpwnam with a valid C string; the tracer thread is the only
    // one that calls it, and the entry is copied out at once.
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    if entry.is_null() {
        return None;
    }
    // SAFETY: a non-null passwd entry has a NUL-terminated pw_dir.
    let dir = unsafe { std::ffi::CStr::from_ptr((*entry).pw_dir) };
    Some(OsString::from_vec(dir.to_bytes().to_vec()))
}

impl RunConfig {
    /// How to launch the configured program (None: there is none).
    pub fn launch_options(&self, output_fd: Option<i32>) -> Option<LaunchOptions> {
        Some(LaunchOptions {
            program: program_path(self.program.as_ref()?),
            args: self.args.clone(),
            disable_aslr: self.disable_aslr,
            keep_protocol_fds: self.stdio,
            output_fd,
            environment: self.environment(),
            working_dir: self.working_dir.as_deref().map(expand_tilde),
            wrapper: self.wrapper.clone(),
            shell: self.startup_with_shell.then(startup_shell),
        })
    }

    /// The environment for the next `run`: ours with gdb's changes, or
    /// None (ours as it is) when gdb changed nothing.
    fn environment(&self) -> Option<Vec<OsString>> {
        if self.environment_changes.is_empty() {
            return None;
        }
        let mut vars: Vec<(OsString, OsString)> = std::env::vars_os().collect();
        for (name, value) in &self.environment_changes {
            vars.retain(|(n, _)| n != name);
            if let Some(value) = value {
                vars.push((name.clone(), value.clone()));
            }
        }
        Some(
            vars.into_iter()
                .map(|(name, value)| {
                    let mut entry = name;
                    entry.push("=");
                    entry.push(value);
                    entry
                })
                .collect(),
        )
    }
}

impl Session<'_> {
    /// vRun: start the program (beside the processes we have: gdb kills
    /// what it wants gone first), reply with its first stop.
    pub(super) fn run_program(
        &mut self,
        program: Option<Vec<u8>>,
        args: Vec<Vec<u8>>,
    ) -> anyhow::Result<()> {
        if let Some(program) = program {
            self.config.program = Some(OsString::from_vec(program));
            self.config.args = args.into_iter().map(OsString::from_vec).collect();
        }
        let started = self.start_program();
        self.adopt(started)
    }

    /// `R`: kill every process and start the last program again (the
    /// command line's, or the last vRun's). The packet has no reply; gdb
    /// asks `?` next, which reports the new process's first stop.
    pub(super) fn restart(&mut self) -> anyhow::Result<()> {
        for pid in self.target.tracer.pids() {
            if let Some(process) = self.target.tracer.get_mut(pid) {
                process.kill()?;
            }
            self.process_gone(pid, None);
        }
        self.target.tracer.settle()?;
        crate::say!("GDBserver restarting");
        match self.start_program() {
            Ok(process) => self.install(process)?,
            Err(e) => {
                crate::say!("{e:#}");
                // As gdbserver: the program is reported as exited.
                self.last_stop = Some("W00".to_string());
            }
        }
        Ok(())
    }

    /// Launch the configured program with gdb's settings.
    fn start_program(&mut self) -> anyhow::Result<Process> {
        if self.config.program.is_none() {
            anyhow::bail!("No program to run");
        }
        let (output, output_fd) = match self.config.forward_output {
            true => {
                let (output, fd) = ProgramOutput::new()?;
                (Some(output), Some(fd))
            }
            false => (None, None),
        };
        let Some(options) = self
            .config
            .launch_options(output_fd.as_ref().map(|fd| fd.as_raw_fd()))
        else {
            anyhow::bail!("No program to run");
        };
        let launched = launch(&options);
        // Only the program keeps the write end.
        drop(output_fd);
        self.target.program_output = output;
        launched.and_then(|pid| {
            crate::say!(
                "Process {} created; pid = {pid}",
                options.program.to_string_lossy()
            );
            Process::launched(pid)
        })
    }

    /// vAttach: attach to a running process, reply with its stop.
    pub(super) fn attach_process(&mut self, pid: Pid) -> anyhow::Result<()> {
        if self.target.tracer.get(pid).is_some() {
            crate::say!("Already attached to process {pid}");
            self.send(b"E01");
            return Ok(());
        }
        let attached = attach(pid).inspect(|_| crate::say!("Attached; pid = {pid}"));
        if self.non_stop.enabled {
            // Non-stop: gdb takes the process as running and stops its
            // threads itself (`vCont;t`); each then reports its stop.
            return self.adopt_running(attached);
        }
        self.adopt(attached)
    }

    fn adopt_running(&mut self, inferior: anyhow::Result<Process>) -> anyhow::Result<()> {
        match inferior {
            Ok(mut inferior) => {
                inferior.mark_running_for_gdb();
                self.install(inferior)?;
                self.send(b"OK");
            }
            Err(e) => {
                crate::say!("{e:#}");
                self.send(b"E01");
            }
        }
        Ok(())
    }

    /// The new process becomes the session's, with gdb's settings.
    fn install(&mut self, mut inferior: Process) -> anyhow::Result<()> {
        let pid = inferior.pid;
        let leader = inferior.last_reported;
        inferior.set_pass_signals(&self.pass_signals);
        inferior.set_catch_syscalls(self.catch_syscalls.clone());
        inferior.report_forks = self.fork_events;
        inferior.report_thread_exits = self.thread_events;
        self.target.tracer.add(inferior);
        self.target.general_pid = Some(pid);
        self.last_stop = None;
        self.general_thread = Some(leader);
        self.resume_thread = None;
        self.stub.select_thread(self.target, leader)
    }

    fn adopt(&mut self, inferior: anyhow::Result<Process>) -> anyhow::Result<()> {
        match inferior {
            Ok(inferior) => {
                self.install(inferior)?;
                let reply = self.initial_stop_reply()?;
                self.send(reply.as_bytes());
                self.last_stop = Some(reply);
            }
            Err(e) => {
                crate::say!("{e:#}");
                self.send(b"E01");
            }
        }
        Ok(())
    }

    /// A process has exited, was killed or detached: forget it. The
    /// server outlives it in extended mode, and in any mode while other
    /// processes (fork children) remain.
    pub(super) fn process_gone(&mut self, pid: Pid, exit: Option<ProcessExit>) {
        if let Some(exit) = exit {
            announce_exit(exit);
        }
        self.target.tracer.remove(pid);
        if matches!(self.resume_thread, Some(ThreadRef::Thread(..))) {
            self.resume_thread = None;
        }
        if self.target.general_pid == Some(pid) {
            self.target.general_pid = None;
            self.general_thread = None;
        }
        self.last_stop = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_is_the_home_directory() {
        let home = std::env::var_os("HOME").expect("HOME");
        let mut expected = home.clone();
        expected.push("/work");
        assert_eq!(expand_tilde(std::ffi::OsStr::new("~/work")), expected);
        assert_eq!(expand_tilde(std::ffi::OsStr::new("~")), home);
        assert_eq!(
            expand_tilde(std::ffi::OsStr::new("/tmp/~x")),
            OsString::from("/tmp/~x")
        );
        assert_eq!(
            expand_tilde(std::ffi::OsStr::new("~root/x")),
            OsString::from("/root/x")
        );
    }
}
