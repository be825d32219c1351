//! Classification of wait events: which are internal (handled here, the
//! thread resumes or stays stopped silently) and which are reportable (kept as
//! the thread's pending event until gdb is told).
//!
//! x86 traps: int3 reports si_code SI_KERNEL with the PC one past the
//! breakpoint; a single step reports TRAP_TRACE; a SIGTRAP sent with kill or
//! tgkill (SI_USER, SI_TKILL) is a signal, never a breakpoint.

use anyhow::Result;

use super::registers::PC_AFTER_BREAKPOINT;
use super::{Inferior, ProcessExit, ResumeAction, RunState, StopEvent, Thread};
use crate::ptrace::wait::{PtraceEvent, WaitEvent};
use crate::ptrace::{self, PtraceError, Tid};

const SI_KERNEL: i32 = 0x80;
const TRAP_TRACE: i32 = 2;
const TRAP_HWBKPT: i32 = 4;

impl Inferior {
    /// Apply one wait status to the thread it belongs to.
    pub fn handle_wait(&mut self, tid: Tid, event: WaitEvent) -> Result<()> {
        log::debug!("wait: {tid} {event:?}");
        match event {
            WaitEvent::Exited { code } => self.thread_gone(tid, ProcessExit::Exited(code)),
            WaitEvent::Killed { signal, .. } => self.thread_gone(tid, ProcessExit::Killed(signal)),
            _ => {
                if !self.threads.contains_key(&tid) {
                    // A new thread's first stop can arrive before its parent's
                    // PTRACE_EVENT_CLONE: adopt it now.
                    self.threads
                        .insert(tid, Thread::new(tid, RunState::Running));
                }
                let thread = self.thread_mut(tid)?;
                thread.state = RunState::Stopped;
                thread.invalidate_caches();
                thread.interrupt_sent = false;
                self.handle_stop(tid, event)
            }
        }
        .or_else(|e| match e.downcast_ref::<PtraceError>() {
            // The thread died between its stop and our request: its exit
            // status is on its way and will be handled then.
            Some(PtraceError::Gone) => Ok(()),
            _ => Err(e),
        })
    }

    fn thread_gone(&mut self, tid: Tid, how: ProcessExit) -> Result<()> {
        self.threads.remove(&tid);
        if tid == self.pid {
            // The leader's status comes last: the whole process is gone.
            self.threads.clear();
            self.exit = Some(how);
        }
        Ok(())
    }

    fn handle_stop(&mut self, tid: Tid, event: WaitEvent) -> Result<()> {
        match event {
            WaitEvent::SignalStop { signal } if signal == libc::SIGTRAP => self.classify_trap(tid),
            WaitEvent::SignalStop { signal } => {
                let thread = self.thread_mut(tid)?;
                thread.stop_signal = Some(signal);
                thread.pending = Some(StopEvent::Signal { signal });
                Ok(())
            }
            WaitEvent::GroupStop { .. } => {
                // Job control stop: stay stopped, observable, until SIGCONT.
                if !self.stopping {
                    ptrace::listen(tid)?;
                    self.thread_mut(tid)?.state = RunState::Listening;
                }
                Ok(())
            }
            WaitEvent::InterruptStop | WaitEvent::SyscallStop => self.resume_internal(tid),
            WaitEvent::Event(PtraceEvent::Clone) => {
                let new_tid = ptrace::event_msg(tid)? as Tid;
                // Its own first stop (PTRACE_EVENT_STOP) follows, or came already.
                self.threads
                    .entry(new_tid)
                    .or_insert_with(|| Thread::new(new_tid, RunState::Running));
                self.resume_internal(tid)
            }
            WaitEvent::Event(PtraceEvent::Exec) => {
                self.handle_exec(tid)?;
                let thread = self.thread_mut(self.pid)?;
                thread.stop_signal = None;
                thread.pending = Some(StopEvent::Signal {
                    signal: libc::SIGTRAP,
                });
                Ok(())
            }
            WaitEvent::Event(_) => self.resume_internal(tid),
            WaitEvent::Exited { .. } | WaitEvent::Killed { .. } => Ok(()),
        }
    }

    /// After an internal stop: let the thread go on as it was going, unless a
    /// stop-all is in progress (then it simply counts as stopped).
    fn resume_internal(&mut self, tid: Tid) -> Result<()> {
        if self.stopping {
            return Ok(());
        }
        let action = self
            .thread_mut(tid)?
            .last_action
            .unwrap_or(ResumeAction::Continue { signal: 0 });
        self.resume_thread(tid, action, 0)
    }

    fn classify_trap(&mut self, tid: Tid) -> Result<()> {
        let info = ptrace::siginfo(tid)?;
        let code = info.si_code;
        let pc = self.pc(tid)?;
        let thread = self.thread_mut(tid)?;
        let stepping = thread.is_stepping();
        let last = thread.last_action;

        if code == SI_KERNEL && self.has_breakpoint(pc.wrapping_sub(PC_AFTER_BREAKPOINT)) {
            let bp = pc - PC_AFTER_BREAKPOINT;
            // Rewind now: if this event is later dropped as stale, the thread
            // re-executes the original instruction.
            self.set_pc(tid, bp)?;
            self.thread_mut(tid)?.pending = Some(StopEvent::SwBreakpoint { pc: bp });
            return Ok(());
        }
        if stepping && (code == TRAP_TRACE || code == TRAP_HWBKPT || code == SI_KERNEL) {
            if let Some(ResumeAction::RangeStep { start, end }) = last {
                if pc >= start && pc < end && !self.has_breakpoint(pc) && !self.stopping {
                    // Still inside the line gdb is stepping: step again without
                    // a round trip to gdb.
                    return self.resume_thread(tid, ResumeAction::RangeStep { start, end }, 0);
                }
            }
            self.thread_mut(tid)?.pending = Some(StopEvent::StepDone);
            return Ok(());
        }
        let thread = self.thread_mut(tid)?;
        thread.stop_signal = Some(libc::SIGTRAP);
        thread.pending = Some(StopEvent::Signal {
            signal: libc::SIGTRAP,
        });
        Ok(())
    }

    /// After exec the execing thread owns the leader's tid, the other threads
    /// are gone without a report, and the address space is new.
    fn handle_exec(&mut self, tid: Tid) -> Result<()> {
        let pid = self.pid;
        let mut leader = self
            .threads
            .remove(&tid)
            .unwrap_or_else(|| Thread::new(pid, RunState::Stopped));
        leader.tid = pid;
        leader.state = RunState::Stopped;
        leader.invalidate_caches();
        self.threads.clear();
        self.threads.insert(pid, leader);
        self.reopen_after_exec()
    }
}
