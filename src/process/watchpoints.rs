//! Hardware breakpoints and watchpoints of a process, through its
//! architecture's debug registers (`linux::HwDebug`).
//!
//! The table is process-wide; each thread's own registers are brought up to
//! date lazily, just before the thread runs (a generation counter tells
//! which threads are behind), so a Z packet costs no ptrace call per thread
//! and threads created later get the watchpoints too (the kernel does not
//! copy debug registers to a new thread).

use anyhow::Result;
use rgdbserver_arch::HwKind;

use super::{Process, StopEvent};
use crate::linux::HwDebug;
use crate::ptrace::{PtraceError, PtraceResult, Tid};

impl Process {
    /// Z1/Z2/Z4: false when the debug registers are all taken.
    pub fn insert_hw(&mut self, addr: u64, len: usize, kind: HwKind) -> bool {
        let inserted = self.debug_registers.insert(addr, len, kind);
        log::debug!(target: "hw-points", "insert {kind:?} {addr:#x}/{len}: {inserted}");
        inserted
    }

    pub fn remove_hw(&mut self, addr: u64, len: usize, kind: HwKind) -> bool {
        let removed = self.debug_registers.remove(addr, len, kind);
        log::debug!(target: "hw-points", "remove {kind:?} {addr:#x}/{len}: {removed}");
        removed
    }

    pub(super) fn debug_registers_empty(&self) -> bool {
        self.debug_registers.is_empty()
    }

    /// Bring a stopped thread's debug registers in line with the table.
    pub(super) fn sync_debug_registers(&mut self, tid: Tid) -> PtraceResult<()> {
        let generation = self.debug_registers.generation();
        let Some(thread) = self.threads.get_mut(&tid) else {
            return Ok(());
        };
        if thread.debug_generation == generation {
            return Ok(());
        }
        self.debug_registers.apply(tid)?;
        thread.debug_generation = generation;
        Ok(())
    }

    /// Before a detach: clear every thread's debug registers, whatever gdb
    /// left inserted. A detached process has nobody to catch a debug trap
    /// (it would die of SIGTRAP), and removals gdb sent just before its `D`
    /// reach a thread only when it next runs under us, which it never does.
    pub(super) fn disarm_debug_registers(&mut self) {
        if self.debug_registers.generation() == 0 {
            // Never used: no thread has had any written.
            return;
        }
        self.debug_registers.clear();
        let armed: Vec<Tid> = (self.threads.values())
            .filter(|thread| thread.debug_generation != 0)
            .map(|thread| thread.tid)
            .collect();
        for tid in armed {
            match self.sync_debug_registers(tid) {
                Ok(()) | Err(PtraceError::Gone) => {}
                Err(e) => log::warn!("clearing the debug registers of {tid}: {e}"),
            }
        }
    }

    /// After a hardware trap: what fired, as a stop event.
    pub(super) fn debug_trap(&mut self, tid: Tid) -> Result<Option<StopEvent>> {
        Ok(self
            .debug_registers
            .hit(tid)?
            .map(|(kind, addr)| match kind {
                HwKind::Execute => StopEvent::HwBreakpoint,
                kind => StopEvent::Watch { kind, addr },
            }))
    }
}
