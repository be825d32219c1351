//! Hardware breakpoints and watchpoints through the x86 debug registers.
//!
//! The table of four slots is process-wide; each thread's own registers are
//! brought up to date lazily, just before the thread runs (a generation
//! counter tells which threads are behind), so a Z packet costs no ptrace
//! call per thread and threads created later get the watchpoints too (the
//! kernel does not copy debug registers to a new thread).

use anyhow::Result;
use rgdbserver_arch::x86_64::debugregs::{
    aligned_pieces, dr7_bits, DebugKind, DR6_SLOT_MASK, SLOTS, USER_DEBUGREG_OFFSET,
};

use super::{Process, StopEvent};
use crate::ptrace::{self, PtraceResult, Tid};

/// One debug register in use: the piece it watches and the gdb request
/// (start, length, kind) it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    addr: u64,
    len: usize,
    kind: DebugKind,
    request: (u64, usize, DebugKind),
}

#[derive(Debug, Default, Clone)]
pub struct DebugRegisters {
    slots: [Option<Slot>; SLOTS],
    /// Bumped on every change; threads remember the one they were given.
    pub generation: u64,
}

impl DebugRegisters {
    /// Take slots for every aligned piece of the request, or none at all.
    fn insert(&mut self, addr: u64, len: usize, kind: DebugKind) -> bool {
        let request = (addr, len, kind);
        if self.slots.iter().flatten().any(|s| s.request == request) {
            return true;
        }
        let pieces = if kind == DebugKind::Execute {
            vec![(addr, 1)]
        } else {
            aligned_pieces(addr, len)
        };
        let free: Vec<usize> = (0..SLOTS).filter(|&i| self.slots[i].is_none()).collect();
        if pieces.is_empty() || pieces.len() > free.len() {
            return false;
        }
        for ((addr, len), slot) in pieces.into_iter().zip(free) {
            self.slots[slot] = Some(Slot {
                addr,
                len,
                kind,
                request,
            });
        }
        self.generation += 1;
        true
    }

    fn remove(&mut self, addr: u64, len: usize, kind: DebugKind) -> bool {
        let request = (addr, len, kind);
        let mut found = false;
        for slot in self.slots.iter_mut() {
            if slot.is_some_and(|s| s.request == request) {
                *slot = None;
                found = true;
            }
        }
        if found {
            self.generation += 1;
        }
        found
    }

    pub fn clear(&mut self) {
        self.slots = [None; SLOTS];
        self.generation += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }

    fn dr7(&self) -> u64 {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.and_then(|s| dr7_bits(i, s.kind, s.len)))
            .fold(0, |acc, bits| acc | bits)
    }
}

fn debugreg_offset(n: usize) -> usize {
    USER_DEBUGREG_OFFSET + n * 8
}

impl Process {
    /// Z1/Z2/Z4: false when the debug registers are all taken.
    pub fn insert_hw(&mut self, addr: u64, len: usize, kind: DebugKind) -> bool {
        self.debug_registers.insert(addr, len, kind)
    }

    pub fn remove_hw(&mut self, addr: u64, len: usize, kind: DebugKind) -> bool {
        self.debug_registers.remove(addr, len, kind)
    }

    pub(super) fn debug_registers_empty(&self) -> bool {
        self.debug_registers.is_empty()
    }

    /// Bring a stopped thread's debug registers in line with the table.
    pub(super) fn sync_debug_registers(&mut self, tid: Tid) -> PtraceResult<()> {
        let generation = self.debug_registers.generation;
        let Some(thread) = self.threads.get(&tid) else {
            return Ok(());
        };
        if thread.debug_generation == generation {
            return Ok(());
        }
        // Disable first, so no half-written slot is ever live.
        ptrace::poke_user(tid, debugreg_offset(7), 0)?;
        for (i, slot) in self.debug_registers.slots.iter().enumerate() {
            if let Some(slot) = slot {
                ptrace::poke_user(tid, debugreg_offset(i), slot.addr)?;
            }
        }
        let dr7 = self.debug_registers.dr7();
        if dr7 != 0 {
            ptrace::poke_user(tid, debugreg_offset(7), dr7)?;
        }
        if let Some(thread) = self.threads.get_mut(&tid) {
            thread.debug_generation = generation;
        }
        Ok(())
    }

    /// After a hardware trap: which slot fired (DR6), as a stop event.
    pub(super) fn debug_trap(&mut self, tid: Tid) -> Result<Option<StopEvent>> {
        let dr6 = ptrace::peek_user(tid, debugreg_offset(6))?;
        let Some(slot) = (0..SLOTS).find(|i| dr6 & DR6_SLOT_MASK & (1 << i) != 0) else {
            return Ok(None);
        };
        // The kernel leaves DR6 bits set: clear them for the next trap.
        ptrace::poke_user(tid, debugreg_offset(6), 0)?;
        let Some(fired) = self.debug_registers.slots[slot] else {
            return Ok(None);
        };
        Ok(Some(match fired.kind {
            DebugKind::Execute => StopEvent::HwBreakpoint,
            kind => StopEvent::Watch {
                kind,
                addr: fired.addr,
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_take_all_their_pieces_or_nothing() {
        let mut regs = DebugRegisters::default();
        assert!(regs.insert(0x1000, 8, DebugKind::Write));
        // Three pieces (1 + 2 + 1 bytes) fit in the three free slots.
        assert!(regs.insert(0x2001, 4, DebugKind::Access));
        assert!(!regs.insert(0x3000, 4, DebugKind::Write), "no slot left");
        assert!(regs.remove(0x2001, 4, DebugKind::Access));
        assert!(regs.insert(0x3000, 4, DebugKind::Write));
        assert!(!regs.remove(0x9999, 1, DebugKind::Write));
        assert_ne!(regs.dr7(), 0);
    }

    #[test]
    fn generation_moves_on_change_only() {
        let mut regs = DebugRegisters::default();
        let g = regs.generation;
        assert!(regs.insert(0x1000, 1, DebugKind::Execute));
        assert!(regs.insert(0x1000, 1, DebugKind::Execute));
        assert_eq!(regs.generation, g + 1);
    }
}
