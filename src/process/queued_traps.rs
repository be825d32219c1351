//! Traps of ours still queued when we let go of a thread.
//!
//! A thread that executed one of our breakpoint instructions (or finished
//! a single step) just as our PTRACE_INTERRUPT arrived reports the interrupt first; its SIGTRAP
//! stays queued and is delivered when it next runs. While we trace it, that
//! delivery stops it and `events` undoes the trap. After a detach nothing
//! would: the kernel would deliver the SIGTRAP and kill the process. So
//! before detaching, every thread with a SIGTRAP pending runs to that
//! signal's delivery stop (it runs no instruction of its own first), and a
//! trap that was ours is discarded there.

use anyhow::Result;

use super::registers::{trap_cause, TrapCause, PC_AFTER_BREAKPOINT};
use super::{Process, RunState};
use crate::proc_status::ProcStatus;
use crate::ptrace::wait::WaitEvent;
use crate::ptrace::{self, Pid, Tid};

/// Does /proc say this thread has a SIGTRAP of its own pending?
fn sigtrap_pending(pid: Pid, tid: Tid) -> bool {
    ProcStatus::of_thread(pid, tid).is_some_and(|status| status.pending(libc::SIGTRAP))
}

impl Process {
    /// With every thread stopped and our breakpoints already out of
    /// memory: take each queued SIGTRAP that is ours (a breakpoint that is no
    /// longer there, a single step) off its thread, rewinding the PC past
    /// a breakpoint it hit. A SIGTRAP someone sent stays, to be delivered.
    pub(super) fn discard_queued_traps(&mut self) -> Result<()> {
        // Only threads in a plain stop: resuming one from a signal-delivery
        // stop would discard that signal, and from a group stop would end
        // the job-control stop.
        let tids: Vec<Tid> = self
            .threads
            .values()
            .filter(|t| t.stop_signal.is_none() && t.pending.is_none() && !t.group_stop)
            .map(|t| t.tid)
            .collect();
        for tid in tids {
            if sigtrap_pending(self.pid, tid) {
                self.take_queued_trap(tid)?;
            }
        }
        Ok(())
    }

    fn take_queued_trap(&mut self, tid: Tid) -> Result<()> {
        // Signals are dequeued synchronous ones first: the SIGTRAP comes
        // before any other signal the thread has pending.
        let Some(event) = self.run_to_next_stop(tid)? else {
            return Ok(());
        };
        if event
            != (WaitEvent::SignalStop {
                signal: libc::SIGTRAP,
            })
        {
            // Anything else (it was killed, it exits): handled as usual.
            return self.handle_wait_held(tid, event);
        }
        let thread = self.thread_mut(tid)?;
        thread.state = RunState::Stopped;
        thread.in_signal_stop = true;
        let code = ptrace::siginfo(tid)?.si_code;
        let ours = match trap_cause(code) {
            TrapCause::Breakpoint => {
                let pc = self.pc(tid)?;
                let gone = self.trapped_on_removed_breakpoint(pc);
                if gone {
                    self.set_pc(tid, pc.wrapping_sub(PC_AFTER_BREAKPOINT))?;
                }
                gone
            }
            TrapCause::Step | TrapCause::Hardware => true,
            TrapCause::Other => false,
        };
        log::debug!("detach: {tid} had a SIGTRAP queued (si_code {code}), ours: {ours}");
        let thread = self.thread_mut(tid)?;
        thread.stop_signal = if ours { None } else { Some(libc::SIGTRAP) };
        Ok(())
    }
}
