//! waitpid(2) for traced threads, and the decoding of its raw status into a
//! typed [`WaitEvent`].
//!
//! Raw libc, not nix: nix's decoder loses real-time-signal stops (glibc uses
//! SIGRTMIN internally) and knows nothing of PTRACE_EVENT_STOP under SEIZE.
//! We always wait with `__WALL` on any child (-1): waiting on a zombie leader's
//! tid would hang until its other threads are gone.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, VecDeque};

use super::{Pid, Tid};

/// What a ptrace event stop (status >> 16) announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PtraceEvent {
    Clone,
    Fork,
    Vfork,
    VforkDone,
    Exec,
    Exit,
    Seccomp,
    Other(i32),
}

/// One decoded wait status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitEvent {
    /// The thread (or, for a leader, the process) exited with this code.
    Exited { code: i32 },
    /// The thread was killed by a signal.
    Killed { signal: i32, core_dumped: bool },
    /// Signal-delivery stop: the thread is about to receive `signal`.
    SignalStop { signal: i32 },
    /// Group stop under PTRACE_SEIZE (PTRACE_EVENT_STOP with a stop signal).
    GroupStop { signal: i32 },
    /// PTRACE_EVENT_STOP with SIGTRAP: our PTRACE_INTERRUPT, or a new thread's
    /// first stop.
    InterruptStop,
    /// Syscall entry or exit stop (PTRACE_O_TRACESYSGOOD: SIGTRAP | 0x80).
    SyscallStop,
    /// A PTRACE_EVENT_* stop other than PTRACE_EVENT_STOP.
    Event(PtraceEvent),
}

/// Decode a raw `waitpid` status. Pure, so it is unit-tested without a tracee.
pub fn decode(status: i32) -> WaitEvent {
    if libc::WIFEXITED(status) {
        return WaitEvent::Exited {
            code: libc::WEXITSTATUS(status),
        };
    }
    if libc::WIFSIGNALED(status) {
        return WaitEvent::Killed {
            signal: libc::WTERMSIG(status),
            core_dumped: libc::WCOREDUMP(status),
        };
    }
    let signal = (status >> 8) & 0xff;
    let event = (status >> 16) & 0xff;
    if signal == (libc::SIGTRAP | 0x80) {
        return WaitEvent::SyscallStop;
    }
    match event {
        0 => WaitEvent::SignalStop { signal },
        libc::PTRACE_EVENT_STOP => match signal {
            libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU => {
                WaitEvent::GroupStop { signal }
            }
            _ => WaitEvent::InterruptStop,
        },
        libc::PTRACE_EVENT_CLONE => WaitEvent::Event(PtraceEvent::Clone),
        libc::PTRACE_EVENT_FORK => WaitEvent::Event(PtraceEvent::Fork),
        libc::PTRACE_EVENT_VFORK => WaitEvent::Event(PtraceEvent::Vfork),
        libc::PTRACE_EVENT_VFORK_DONE => WaitEvent::Event(PtraceEvent::VforkDone),
        libc::PTRACE_EVENT_EXEC => WaitEvent::Event(PtraceEvent::Exec),
        libc::PTRACE_EVENT_EXIT => WaitEvent::Event(PtraceEvent::Exit),
        libc::PTRACE_EVENT_SECCOMP => WaitEvent::Event(PtraceEvent::Seccomp),
        other => WaitEvent::Event(PtraceEvent::Other(other)),
    }
}

/// Outcome of one waitpid call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    Event(Tid, WaitEvent),
    /// WNOHANG and nothing is ready.
    Nothing,
    /// ECHILD: we have no children left at all.
    NoChildren,
}

/// waitpid(2) on `who`: a tid (with __WALL, any thread), or -1 for any.
fn wait_raw(who: i32, flags: i32) -> std::io::Result<Waited> {
    loop {
        let mut status = 0;
        // SAFETY: plain syscall writing into a local integer.
        let rc = unsafe { libc::waitpid(who, &mut status, flags | libc::__WALL) };
        log::trace!("waitpid({who}, {flags:#x}) = {rc}, status {status:#x}");
        if rc > 0 {
            return Ok(Waited::Event(Tid::new(rc), decode(status)));
        }
        if rc == 0 {
            if who == -1 {
                STATUSES_LEFT.with(|left| left.set(false));
            }
            return Ok(Waited::Nothing);
        }
        let err = std::io::Error::last_os_error();
        match err.raw_os_error() {
            // A termination signal: give up the wait, the server ends.
            Some(libc::EINTR) if crate::termination::requested().is_some() => return Err(err),
            Some(libc::EINTR) => continue,
            Some(libc::ECHILD) => {
                // On one tid it says only that this one is not our child.
                if who == -1 {
                    STATUSES_LEFT.with(|left| left.set(false));
                }
                return Ok(Waited::NoChildren);
            }
            _ => return Err(err),
        }
    }
}

thread_local! {
    /// Statuses taken by a loop that waits for one process's threads but
    /// that belong to another process (or to a fork child not known yet).
    /// All tracing happens on one thread, so this is the tracer's queue:
    /// the next `poll_any`/`block_any` hands them out first.
    static DEFERRED: RefCell<VecDeque<(Tid, WaitEvent)>> = const { RefCell::new(VecDeque::new()) };
}

thread_local! {
    /// A loop stopped taking statuses before waitpid said there were no
    /// more: their SIGCHLD may have been read already, so the session must
    /// not sleep until a waitpid(-1, WNOHANG) has come back empty.
    static STATUSES_LEFT: Cell<bool> = const { Cell::new(false) };
}

/// A loop leaves statuses in the kernel (see `STATUSES_LEFT`).
pub fn note_statuses_left() {
    STATUSES_LEFT.with(|left| left.set(true));
}

/// The session must collect statuses before it sleeps: some are deferred,
/// or some may still wait in the kernel with their SIGCHLD already taken.
pub fn must_drain() -> bool {
    has_deferred() || STATUSES_LEFT.with(|left| left.get())
}

thread_local! {
    /// First stops of tids that no process knew when they came: a fork
    /// child's, or a clone child's in a thread group of its own (clone
    /// without CLONE_THREAD), before its creator's event. That event takes it.
    static EARLY_STOPS: RefCell<BTreeSet<Tid>> = const { RefCell::new(BTreeSet::new()) };
}

/// Keep the first stop of a tid nobody knows yet (see `EARLY_STOPS`).
pub fn note_early_stop(tid: Tid) {
    EARLY_STOPS.with(|early| early.borrow_mut().insert(tid));
}

/// Did `tid`'s first stop come already? Forgets it.
pub fn take_early_stop(tid: Tid) -> bool {
    EARLY_STOPS.with(|early| early.borrow_mut().remove(&tid))
}

thread_local! {
    /// Counts exits as waitpid returns them, across processes.
    static EXITS_SEEN: Cell<u64> = const { Cell::new(0) };
    /// The place in that count of exits that were deferred, by tid: a
    /// deferred exit happened before the statuses its waiter took after it.
    static DEFERRED_EXITS: RefCell<Vec<(Tid, u64)>> = const { RefCell::new(Vec::new()) };
}

fn next_exit_number() -> u64 {
    EXITS_SEEN.with(|n| {
        n.set(n.get() + 1);
        n.get()
    })
}

/// Where the exit of `tid` stands among all exits waitpid returned: the
/// number it got when it was deferred, else the next one (it is being
/// handled as it comes).
pub fn exit_number(tid: Tid) -> u64 {
    let deferred = DEFERRED_EXITS.with(|d| {
        let mut list = d.borrow_mut();
        let index = list.iter().position(|&(t, _)| t == tid)?;
        Some(list.swap_remove(index).1)
    });
    deferred.unwrap_or_else(next_exit_number)
}

/// Every deferred status has been handled: the numbers kept for exits
/// that were not a process's (a thread's) are of no use any more.
pub fn forget_deferred_exit_numbers() {
    if !has_deferred() {
        DEFERRED_EXITS.with(|d| d.borrow_mut().clear());
    }
}

/// Keep a status for whoever waits next (see `DEFERRED`).
pub fn defer(tid: Tid, event: WaitEvent) {
    log::trace!("waitpid: deferring {tid} {event:?}");
    if matches!(event, WaitEvent::Exited { .. } | WaitEvent::Killed { .. }) {
        let number = next_exit_number();
        DEFERRED_EXITS.with(|d| d.borrow_mut().push((tid, number)));
    }
    DEFERRED.with(|d| d.borrow_mut().push_back((tid, event)));
}

/// The first deferred status of `tid`, taken out of the queue.
pub fn take_deferred(tid: Tid) -> Option<WaitEvent> {
    DEFERRED.with(|d| {
        let mut queue = d.borrow_mut();
        let index = queue.iter().position(|&(t, _)| t == tid)?;
        queue.remove(index).map(|(_, event)| event)
    })
}

/// The first deferred status whose tid `wanted` accepts, taken out.
pub fn take_deferred_matching(mut wanted: impl FnMut(Tid) -> bool) -> Option<(Tid, WaitEvent)> {
    DEFERRED.with(|d| {
        let mut queue = d.borrow_mut();
        let index = queue.iter().position(|&(t, _)| wanted(t))?;
        queue.remove(index)
    })
}

/// Something waits in the deferred queue: the session must look at it
/// before it sleeps (no SIGCHLD will come for it).
pub fn has_deferred() -> bool {
    DEFERRED.with(|d| !d.borrow().is_empty())
}

/// One status straight from the kernel, deferred ones left where they are
/// (for a loop that takes its own deferred statuses first).
pub fn from_kernel(blocking: bool) -> std::io::Result<Waited> {
    wait_raw(-1, if blocking { 0 } else { libc::WNOHANG })
}

/// The process (thread group) a thread belongs to, from /proc; None when
/// it is gone. For a status from a tid we do not know yet: a new thread of
/// a process we trace, or a fork child (its own thread group).
pub fn thread_group_of(tid: Tid) -> Option<Pid> {
    crate::proc_status::ProcStatus::of(tid)?
        .field("Tgid:")?
        .parse()
        .ok()
        .map(Pid::new)
}

/// The status of one thread if it has one ready (a deferred one first),
/// without blocking; None when it has none or is not our child any more.
///
/// For loops over many threads: the kernel finds one tid's status
/// directly, while waitpid(-1) walks the list of every thread we trace.
/// Collecting a thousand interrupted threads took 25 ms in the kernel
/// through waitpid(-1), 1 ms through their tids.
pub fn poll_thread(tid: Tid) -> std::io::Result<Option<WaitEvent>> {
    if let Some(event) = take_deferred(tid) {
        return Ok(Some(event));
    }
    match wait_raw(tid.raw(), libc::WNOHANG)? {
        Waited::Event(_, event) => Ok(Some(event)),
        Waited::Nothing | Waited::NoChildren => Ok(None),
    }
}

/// Block until this particular thread reports (a deferred status of it
/// first).
pub fn block_on(tid: Tid) -> std::io::Result<Waited> {
    match take_deferred(tid) {
        Some(event) => Ok(Waited::Event(tid, event)),
        None => wait_raw(tid.raw(), 0),
    }
}

/// Kill a tracee we own with SIGKILL and reap its final status, so that
/// nothing (no stopped process, no zombie) is left behind. For a launch or
/// a fork child that failed before it became a process we debug.
pub fn kill_and_reap(pid: Pid) {
    // SAFETY: kill(2) on our own tracee.
    unsafe { libc::kill(pid.raw(), libc::SIGKILL) };
    loop {
        match wait_raw(pid.raw(), 0) {
            Ok(Waited::Event(_, WaitEvent::Exited { .. } | WaitEvent::Killed { .. }))
            | Ok(Waited::NoChildren)
            | Err(_) => return,
            // A stop queued before the kill: let it go on dying.
            Ok(Waited::Event(..)) => {
                let _ = super::cont(pid.leader(), 0);
            }
            Ok(Waited::Nothing) => {}
        }
    }
}

/// Reap one status of `tid`, whatever it is (undoing a partial attach: the
/// stop of our interrupt before PTRACE_DETACH).
pub fn reap_one(tid: Tid) {
    let _ = wait_raw(tid.raw(), 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stopped(sig: i32, event: i32) -> i32 {
        (event << 16) | (sig << 8) | 0x7f
    }

    #[test]
    fn decodes_exit_and_kill() {
        assert_eq!(decode(3 << 8), WaitEvent::Exited { code: 3 });
        assert_eq!(
            decode(9),
            WaitEvent::Killed {
                signal: 9,
                core_dumped: false
            }
        );
        assert_eq!(
            decode(11 | 0x80),
            WaitEvent::Killed {
                signal: 11,
                core_dumped: true
            }
        );
    }

    #[test]
    fn decodes_stops() {
        assert_eq!(
            decode(stopped(libc::SIGUSR1, 0)),
            WaitEvent::SignalStop {
                signal: libc::SIGUSR1
            }
        );
        // Real-time signals are ordinary signal-delivery stops, not lost.
        assert_eq!(decode(stopped(34, 0)), WaitEvent::SignalStop { signal: 34 });
        assert_eq!(
            decode(stopped(libc::SIGTRAP | 0x80, 0)),
            WaitEvent::SyscallStop
        );
        assert_eq!(
            decode(stopped(libc::SIGTRAP, libc::PTRACE_EVENT_STOP)),
            WaitEvent::InterruptStop
        );
        assert_eq!(
            decode(stopped(libc::SIGTSTP, libc::PTRACE_EVENT_STOP)),
            WaitEvent::GroupStop {
                signal: libc::SIGTSTP
            }
        );
        assert_eq!(
            decode(stopped(libc::SIGTRAP, libc::PTRACE_EVENT_CLONE)),
            WaitEvent::Event(PtraceEvent::Clone)
        );
        assert_eq!(
            decode(stopped(libc::SIGTRAP, libc::PTRACE_EVENT_EXEC)),
            WaitEvent::Event(PtraceEvent::Exec)
        );
    }
}
