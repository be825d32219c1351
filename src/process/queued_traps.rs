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
//!
//! The same race at any stop-all, with the trap left queued while gdb
//! looks: a thread that executed a breakpoint instruction as our interrupt
//! came stands one byte past the breakpoint, inside the instruction under
//! it. gdb then reads that PC and may insert a breakpoint there, over the
//! middle of an instruction (gdb.threads/sigstep-threads.exp: `83 c0 01`,
//! add $1,%eax, became `83 cc 01`, or $1,%esp, and the program crashed).
//! So at the end of a stop-all such a thread is run to its SIGTRAP and the
//! trap handled as if it had come first: the PC goes back to the
//! breakpoint, whose hit is reported in its turn. And a thread gdb was
//! single-stepping may have finished its step as the interrupt came: left
//! queued, that trap would arrive when gdb next resumes the thread, most
//! likely with a continue, and gdb would report a SIGTRAP out of nowhere
//! (gdb.threads/pending-step.exp). As gdbserver drops a step's SIGTRAP
//! that comes while it stops all threads, it is dropped: gdb, which
//! stopped the step, gives the thread a new action and finds its PC where
//! the step left it. In non-stop the same holds for the one thread a
//! `vCont;t` stops (`events`, the interrupt stop gdb asked for).

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

    /// After an all-stop stop-all whose event goes to gdb, for the threads
    /// it interrupted (`interrupted`): take the SIGTRAP queued behind the
    /// interrupt of one that stands just past a breakpoint or was stepping
    /// (see the module comment). Not after a stop-all of our own (a step
    /// over a breakpoint whose condition is false): the threads then go on
    /// as gdb left them, and a stepping thread still owes gdb its step (in
    /// non-stop, from gdb's displaced-step copy of the instruction:
    /// dropping that trap left the thread running off the copy into a
    /// SIGSEGV, gdb.threads/interrupt-while-step-over.exp).
    /// The PC costs one PTRACE_GETREGS per interrupted thread while
    /// breakpoints are in memory (kept for gdb's register reads); /proc
    /// is read only for the few that pass, so a stop-all over a thousand
    /// threads does not read a thousand files.
    pub fn take_overtaken_traps(&mut self, interrupted: Vec<Tid>) -> Result<()> {
        let breakpoints = !self.breakpoints.none_in_memory();
        for tid in interrupted {
            // Only a thread still in the plain stop of our interrupt: one
            // that reported its own stop holds that event instead.
            let Some(thread) = self.threads.get(&tid) else {
                continue;
            };
            let plain_stop = thread.state == RunState::Stopped
                && !thread.in_signal_stop
                && thread.pending.is_none()
                && thread.stop_signal.is_none()
                && !thread.group_stop;
            let stepping = thread.is_stepping();
            if !plain_stop || !(stepping || breakpoints && self.just_past_breakpoint(tid)) {
                continue;
            }
            if !sigtrap_pending(self.pid, tid) {
                continue;
            }
            let Some(code) = self.run_to_queued_sigtrap(tid)? else {
                continue;
            };
            if stepping && self.debug_registers_empty() && trap_cause(code) == TrapCause::Step {
                log::debug!("{tid}: dropping the step trap our interrupt overtook");
                continue;
            }
            log::debug!("{tid}: taking the SIGTRAP our interrupt overtook (si_code {code})");
            self.handle_wait_held(
                tid,
                WaitEvent::SignalStop {
                    signal: libc::SIGTRAP,
                },
            )?;
        }
        Ok(())
    }

    /// Run `tid` to the delivery stop of the SIGTRAP queued for it (it runs
    /// no instruction of its own first: synchronous signals are dequeued
    /// before any other) and return that trap's si_code, the thread left in
    /// that stop. Anything else it does instead (killed, exiting) is
    /// handled as usual and gives None.
    fn run_to_queued_sigtrap(&mut self, tid: Tid) -> Result<Option<i32>> {
        let Some(event) = self.run_to_next_stop(tid)? else {
            return Ok(None);
        };
        if event
            != (WaitEvent::SignalStop {
                signal: libc::SIGTRAP,
            })
        {
            self.handle_wait_held(tid, event)?;
            return Ok(None);
        }
        let thread = self.thread_mut(tid)?;
        thread.state = RunState::Stopped;
        thread.in_signal_stop = true;
        Ok(Some(ptrace::siginfo(tid)?.si_code))
    }

    /// Is the thread's PC one byte past a breakpoint instruction of ours?
    fn just_past_breakpoint(&mut self, tid: Tid) -> bool {
        self.pc(tid).is_ok_and(|pc| {
            self.breakpoints
                .in_memory_at(pc.wrapping_sub(PC_AFTER_BREAKPOINT))
        })
    }

    fn take_queued_trap(&mut self, tid: Tid) -> Result<()> {
        let Some(code) = self.run_to_queued_sigtrap(tid)? else {
            return Ok(());
        };
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
