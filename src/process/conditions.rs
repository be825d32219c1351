//! Target-side breakpoint conditions (gdb's `ConditionalBreakpoints`): the
//! agent expressions gdb attaches to a Z0 are evaluated here when a thread
//! hits the breakpoint. When none holds, the thread steps over the
//! breakpoint and goes on without gdb hearing of the hit, which saves a
//! round trip per hit and, for a process that dies while its threads keep
//! hitting such a breakpoint, keeps gdb out of the race.
//!
//! The step over happens with every other thread stopped, as gdbserver
//! does: the breakpoint is out of memory for one instruction, and no other
//! thread may run through the hole.

use anyhow::{Context, Result};

use super::registers::{trap_cause, TrapCause};
use super::{Process, ResumeAction, RunState, StopEvent};
use crate::agent_expr::{AgentContext, AgentExpr};
use crate::ptrace::wait::{WaitEvent, Waited};
use crate::ptrace::{self, PtraceError, Tid};
use rgdbserver_arch::HwKind;

/// What a condition may read: the memory of the process (as the program
/// sees it, our breakpoints hidden) and the registers of the thread that
/// hit the breakpoint.
struct HitContext<'a> {
    inferior: &'a mut Process,
    tid: Tid,
}

impl AgentContext for HitContext<'_> {
    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> Result<()> {
        let n = self
            .inferior
            .read_memory(addr, buf)
            .with_context(|| format!("cannot read memory at {addr:#x}"))?;
        anyhow::ensure!(n == buf.len(), "cannot read memory at {addr:#x}");
        Ok(())
    }

    fn read_register(&mut self, regno: u32) -> Result<u64> {
        if let Some(value) = self
            .inferior
            .read_general_register(self.tid, regno as usize)?
        {
            return Ok(value);
        }
        let mut bytes = Vec::new();
        self.inferior
            .read_register(self.tid, regno as usize, &mut bytes)?;
        // Raw register bytes, little-endian; wider registers (vectors)
        // give their low 64 bits.
        let mut value = [0u8; 8];
        let n = bytes.len().min(8);
        value[..n].copy_from_slice(&bytes[..n]);
        Ok(u64::from_le_bytes(value))
    }
}

/// Which kind of breakpoint a condition belongs to: gdb may put a
/// software and a hardware breakpoint at one address, each with its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BreakpointType {
    Software,
    Hardware,
}

impl Process {
    /// gdb's Z0 for `addr` with its condition list (empty: unconditional,
    /// which is what gdb sends once any breakpoint there has no condition).
    /// A Z0 for a breakpoint already inserted replaces its conditions.
    pub fn insert_conditional_breakpoint(
        &mut self,
        addr: u64,
        conditions: Vec<AgentExpr>,
    ) -> std::io::Result<()> {
        self.insert_breakpoint(addr)?;
        self.set_conditions(BreakpointType::Software, addr, conditions);
        Ok(())
    }

    /// gdb's Z1: a hardware breakpoint with its condition list. False when
    /// no debug register is free.
    pub fn insert_conditional_hw_breakpoint(
        &mut self,
        addr: u64,
        conditions: Vec<AgentExpr>,
    ) -> bool {
        let inserted = self.insert_hw(addr, 1, HwKind::Execute);
        if inserted {
            self.set_conditions(BreakpointType::Hardware, addr, conditions);
        }
        inserted
    }

    /// gdb's z1.
    pub fn remove_hw_breakpoint(&mut self, addr: u64) -> bool {
        self.conditions.remove(&(BreakpointType::Hardware, addr));
        self.remove_hw(addr, 1, HwKind::Execute)
    }

    fn set_conditions(&mut self, kind: BreakpointType, addr: u64, conditions: Vec<AgentExpr>) {
        if conditions.is_empty() {
            self.conditions.remove(&(kind, addr));
        } else {
            self.conditions.insert((kind, addr), conditions);
        }
    }

    /// Does the hit of `tid` at `bp` concern gdb? Yes when the breakpoint
    /// has no condition or one of them is true. A condition that cannot be
    /// evaluated counts as true, as with gdbserver: gdb then decides.
    pub(super) fn breakpoint_condition_holds(
        &mut self,
        tid: Tid,
        kind: BreakpointType,
        bp: u64,
    ) -> bool {
        let Some(conditions) = self.conditions.remove(&(kind, bp)) else {
            return true;
        };
        let mut context = HitContext {
            inferior: self,
            tid,
        };
        let holds = conditions
            .iter()
            .any(|condition| match condition.evaluate(&mut context) {
                Ok(value) => value != 0,
                Err(e) => {
                    log::debug!(
                        "{tid}: condition at {bp:#x} not evaluated: {e:#} (bytecode {:02x?})",
                        condition.bytes()
                    );
                    true
                }
            });
        self.conditions.insert((kind, bp), conditions);
        log::debug!("{tid}: condition at {bp:#x} is {holds}");
        holds
    }

    /// `tid` hit `bp` (its PC already rewound there) and no condition
    /// holds: stop the other threads, step it over the breakpoint, and let
    /// every thread gdb believes running go on. An event found meanwhile
    /// (another thread's hit, a signal) stays pending for gdb.
    pub(super) fn step_over_false_condition(&mut self, tid: Tid, bp: u64) -> Result<()> {
        self.stop_all()?;
        self.stopping = true;
        let stepped = self.step_off_breakpoint(tid, bp);
        self.stopping = false;
        stepped?;
        if self.exit.is_some() {
            return Ok(());
        }
        self.finish_step_over(tid)?;
        self.resume_again()
    }

    /// The step over the breakpoint ended: a thread gdb had stepping has
    /// finished its step (or, range stepping, may go on with its range).
    fn finish_step_over(&mut self, tid: Tid) -> Result<()> {
        let Some(thread) = self.threads.get(&tid) else {
            return Ok(());
        };
        if thread.pending.is_some() || thread.state != RunState::Stopped {
            return Ok(());
        }
        let done = match thread.last_action {
            Some(ResumeAction::Step { .. }) => true,
            Some(ResumeAction::RangeStep { start, end }) => {
                let pc = self.pc(tid)?;
                !(start..end).contains(&pc) || self.has_breakpoint(pc)
            }
            _ => false,
        };
        if done {
            self.thread_mut(tid)?.pending = Some(StopEvent::StepDone);
        }
        Ok(())
    }

    /// With every thread stopped: take the breakpoint out, single-step
    /// `tid` until it has left `bp` (a signal may come first), put the
    /// breakpoint back.
    fn step_off_breakpoint(&mut self, tid: Tid, bp: u64) -> Result<()> {
        self.memory
            .remove_breakpoint(&mut self.breakpoints, bp, false)
            .with_context(|| format!("cannot lift the breakpoint at {bp:#x}"))?;
        let stepped = self.single_step_from(tid, bp);
        if self.exit.is_none() {
            let reinserted = self.insert_breakpoint(bp);
            stepped?;
            reinserted.with_context(|| format!("cannot put back the breakpoint at {bp:#x}"))?;
        }
        Ok(())
    }

    fn single_step_from(&mut self, tid: Tid, bp: u64) -> Result<()> {
        loop {
            let Some(thread) = self.threads.get(&tid) else {
                return Ok(());
            };
            if thread.pending.is_some() || self.exit.is_some() {
                return Ok(());
            }
            if thread.state == RunState::Stopped {
                if self.pc(tid)? != bp {
                    return Ok(());
                }
                self.step_once(tid)?;
            }
            // Any thread may report (a SIGKILL from outside wakes them all);
            // only `tid` runs, so anything else simply stays stopped.
            match self.next_event(true).context("waitpid")? {
                Waited::Event(t, WaitEvent::SignalStop { signal })
                    if t == tid && signal == libc::SIGTRAP =>
                {
                    if self.step_trap(tid)? {
                        return Ok(());
                    }
                }
                Waited::Event(t, event) => self.handle_wait(t, event)?,
                Waited::Nothing => {}
                Waited::NoChildren => {
                    self.threads.clear();
                    if self.exit.is_none() {
                        self.set_exit(super::ProcessExit::Killed(libc::SIGKILL));
                    }
                }
            }
        }
    }

    /// PTRACE_SINGLESTEP, delivering a signal that stopped the previous
    /// attempt and that gdb passes (it was kept in `deferred_signal`).
    fn step_once(&mut self, tid: Tid) -> Result<()> {
        let thread = self.thread_mut(tid)?;
        let signal = std::mem::take(&mut thread.deferred_signal);
        thread.invalidate_caches();
        thread.stop_signal = None;
        thread.state = RunState::Running;
        self.restore_lingering_breakpoints();
        match ptrace::step(tid, signal) {
            // Its exit status is on its way.
            Ok(()) | Err(PtraceError::Gone) => Ok(()),
            Err(e) => Err(e).with_context(|| format!("cannot step thread {tid}")),
        }
    }

    /// A SIGTRAP while stepping over: true when it ends the step (a
    /// hardware watchpoint the instruction fired is then an event for gdb);
    /// any other SIGTRAP is handled as one.
    fn step_trap(&mut self, tid: Tid) -> Result<bool> {
        let thread = self.thread_mut(tid)?;
        thread.state = RunState::Stopped;
        thread.interrupt_sent = false;
        thread.invalidate_caches();
        let cause = trap_cause(ptrace::siginfo(tid)?.si_code);
        if !matches!(cause, TrapCause::Step | TrapCause::Hardware) {
            self.handle_wait(
                tid,
                WaitEvent::SignalStop {
                    signal: libc::SIGTRAP,
                },
            )?;
            return Ok(false);
        }
        if !self.debug_registers_empty() {
            if let Some(event) = self.debug_trap(tid)? {
                self.thread_mut(tid)?.pending = Some(event);
            }
        }
        Ok(true)
    }
}
