//! What /proc/PID/status (and /proc/PID/task/TID/status) says of a process
//! or thread that ptrace does not: its thread group, tracer, owner, state
//! and pending signals. One reader for every such question.

use std::fmt::Display;

use crate::ptrace::{Pid, Tid};

/// One read of a status file.
pub struct ProcStatus(String);

impl ProcStatus {
    /// /proc/ID/status: a process, or any thread by its tid. None when it
    /// is gone.
    pub fn of(id: impl Display) -> Option<ProcStatus> {
        std::fs::read_to_string(format!("/proc/{id}/status"))
            .ok()
            .map(ProcStatus)
    }

    /// /proc/PID/task/TID/status: one thread of `pid`, its own fields
    /// (SigPnd is the thread's pending set).
    pub fn of_thread(pid: Pid, tid: Tid) -> Option<ProcStatus> {
        std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status"))
            .ok()
            .map(ProcStatus)
    }

    /// The value after `name` (with its colon, e.g. "Tgid:"), trimmed.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.0
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .map(str::trim)
    }

    /// The state letter ('t' for a tracing stop, 'Z' for a zombie, ...).
    pub fn state(&self) -> Option<char> {
        self.field("State:")?.chars().next()
    }

    /// Is `signal` in the (thread's own) pending set?
    pub fn pending(&self, signal: i32) -> bool {
        self.field("SigPnd:")
            .and_then(|mask| u64::from_str_radix(mask, 16).ok())
            .is_some_and(|mask| mask & (1 << (signal - 1)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_threads_own_fields() {
        // SAFETY: getpid/gettid have no failure mode.
        let (pid, tid) = unsafe { (libc::getpid(), libc::gettid()) };
        let status = ProcStatus::of_thread(Pid::new(pid), Tid::new(tid)).expect("own status");
        assert_eq!(status.field("Tgid:"), Some(pid.to_string().as_str()));
        // Running this code: not stopped, no SIGKILL pending.
        assert_eq!(status.state(), Some('R'));
        assert!(!status.pending(libc::SIGKILL));
        assert!(ProcStatus::of(pid).is_some());
    }
}
