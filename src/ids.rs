//! Process and thread ids as types of their own, so that a thread id is
//! never passed where a process is meant (they share the kernel's number
//! space: a thread-group leader's tid is its process's pid).
//!
//! The RSP spelling of ids (`pPID.TID`, `-1`, `0`) lives in
//! `rsp::thread_id`; the raw number crosses into libc only through
//! [`Pid::raw`] and [`Tid::raw`].

use std::fmt;

/// A process (thread group) id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pid(i32);

/// A kernel thread id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tid(i32);

impl Pid {
    pub const fn new(raw: i32) -> Pid {
        Pid(raw)
    }

    pub const fn raw(self) -> i32 {
        self.0
    }

    /// The process's first thread, whose tid is the pid.
    pub const fn leader(self) -> Tid {
        Tid(self.0)
    }
}

impl Tid {
    pub const fn new(raw: i32) -> Tid {
        Tid(raw)
    }

    pub const fn raw(self) -> i32 {
        self.0
    }

    /// The process this thread leads, if it is its group's leader (a new
    /// process's first thread: a fork child, a launched program).
    pub const fn as_leader_of(self) -> Pid {
        Pid(self.0)
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Display for Tid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::LowerHex for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerHex::fmt(&self.0, f)
    }
}

impl fmt::LowerHex for Tid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerHex::fmt(&self.0, f)
    }
}
